"""Rules of the layers concern: ``nn.*`` modules -> Keras layers named so PyTorch weights cross-load.

``from_pretrained(..., from_pt=True)`` matches TF variable paths to PyTorch state-dict keys: a
layer's ``name=`` is its PyTorch attribute, list items are ``<attr>_._<i>``, ``nn.Parameter``
tensors become weights created in ``build()`` (under the layer's name scope), buffers are not
weights. What maps to what is data, in :mod:`scaffold.convert.tables_layers`.
"""

from __future__ import annotations

import builtins

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert import tables_ops as OPS
from scaffold.convert.rules.base import Example, Rule, Todo, add_comments, dotted
from scaffold.convert.tables import BASE_CLASSES

# Names an nn.Parameter expression may use that are not values of __init__.
_MODULE_NAMES = frozenset({"self", "torch", "nn", "math", "np", "tf", "keras"}) | frozenset(dir(builtins))


def _norm(name: str | None) -> str | None:
    """``torch.nn.Linear`` and ``nn.Linear`` are the same constructor."""
    if name is not None and name.startswith("torch.nn."):
        return name[len("torch.") :]
    return name


def _keras(target: str, ctx) -> str:
    return target.replace("keras.", f"{ctx.keras}.", 1) if target.startswith("keras.") else target


def _assignments(node: cst.CSTNode) -> list[cst.Assign]:
    """Every assignment statement under ``node`` (branches included)."""

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[cst.Assign] = []

        def visit_Assign(self, n: cst.Assign) -> None:
            self.found.append(n)

    finder = Finder()
    node.visit(finder)
    return finder.found


def _self_attr(node: cst.BaseExpression) -> str | None:
    """``attr`` for ``self.attr``, None for anything else."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value, keyword=cst.Name(name), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    )


def _has_kw(call: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name for a in call.args)


def _add_kw(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    if _has_kw(call, name) or any(a.star == "**" for a in call.args):
        return call
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=[*args, _kw(name, value)])


def _string(value: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{value}"')


def _literal(node: cst.BaseExpression):
    """The Python value of a literal (string, number, True/False/None), else a sentinel."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return _NOT_LITERAL


_NOT_LITERAL = object()


def _config_name(function: cst.FunctionDef, ctx) -> str | None:
    """The parameter of ``__init__`` that holds the model config, if there is one."""
    for param in function.params.params:
        annotation = param.annotation
        if param.name.value == "config" or (
            annotation is not None and dotted(annotation.annotation) == ctx.config_class
        ):
            return param.name.value
    return None


def _initializer_attribute(ctx) -> str:
    """The config attribute holding the init std (``initializer_range`` unless the context says)."""
    attr = getattr(ctx, "initializer_attr", None)
    return "initializer_range" if attr is None else attr


def _config_has_initializer(ctx, config_class: str | None = None) -> bool:
    """Whether the config defines the init std; a model initialising with constants has none (Keras' default then),
    nor has one whose std may be None (the context's ``initializer_attr`` is then "").

    Where some configuration class of the model lacks the field (a composite config's parts), only
    a config annotated with a class that has it is read; an unannotated one may be any part.
    """
    attr = _initializer_attribute(ctx)
    if not (bool(attr) and (not ctx.config_attributes or attr in ctx.config_attributes)):
        return False
    missing = getattr(ctx, "configs_without_initializer", frozenset())
    return not missing or (config_class is not None and config_class not in missing)


class _InInit(Rule):
    """Tracks the class and ``__init__`` being visited (a rule's view of "config in scope")."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.classes: list[str] = []
        self.functions: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.functions.append(node)
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.functions.pop()
        return updated

    @property
    def in_init(self) -> bool:
        return bool(self.classes and self.functions and self.functions[-1].name.value == "__init__")

    def config_in_scope(self) -> str | None:
        for function in reversed(self.functions):
            name = _config_name(function, self.ctx)
            if name is not None:
                return name
        return None

    def config_class_in_scope(self) -> str | None:
        """The class the config parameter in scope is annotated with, if it is."""
        for function in reversed(self.functions):
            name = _config_name(function, self.ctx)
            if name is not None:
                param = next(p for p in function.params.params if p.name.value == name)
                return dotted(param.annotation.annotation) if param.annotation is not None else None
        return None


def _bind(call: cst.Call, params: tuple[str, ...]) -> tuple[dict[str, cst.BaseExpression], list[str]]:
    """PyTorch arguments by parameter name; the second item lists what could not be bound."""
    bound: dict[str, cst.BaseExpression] = {}
    problems: list[str] = []
    for i, arg in enumerate(call.args):
        if arg.star:
            problems.append(f"{arg.star}{Rule.code(arg.value)}")
        elif arg.keyword is None:
            if i < len(params):
                bound[params[i]] = arg.value
            else:
                problems.append(Rule.code(arg.value))
        elif arg.keyword.value in params:
            bound[arg.keyword.value] = arg.value
        else:
            problems.append(f"{arg.keyword.value}=")
    return bound, problems


def _render(template: str, bound: dict[str, str], defaults: dict[str, str]) -> str | None:
    """Fill ``{param}`` slots with argument code; None when a slot has neither argument nor default."""
    values = {}
    slots = _slots(template)
    for name in slots:
        code = bound.get(name, defaults.get(name))
        if code is None:
            return None
        alone = template == f"{{{name}}}"
        values[name] = code if alone or _atomic(code) else f"({code})"
    return template.format(**values)


def _atomic(code: str) -> bool:
    """Whether code needs no parentheses inside a larger expression."""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    return isinstance(
        node, cst.Name | cst.Attribute | cst.Integer | cst.Float | cst.SimpleString | cst.Call | cst.Subscript
    )


def _slots(template: str) -> list[str]:
    import string

    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


_PADDED_CONV = '''
class TFConv{rank}dWithPadding(keras.layers.Conv{rank}D):
    """``keras.layers.Conv{rank}D`` on channels-first inputs with PyTorch's explicit zero padding."""

    def __init__(self, *args, explicit_padding=0, **kwargs):
        super().__init__(*args, **kwargs)
        padding = (explicit_padding,) * {rank} if isinstance(explicit_padding, int) else tuple(explicit_padding)
        self.explicit_padding = ((0, 0), (0, 0)) + tuple((p, p) for p in padding)

    def build(self, input_shape):
        # Keras checks the output size in build(); the kernel sees the padded input
        shape = tf.TensorShape(input_shape).as_list()
        super().build([d if d is None else d + sum(p) for d, p in zip(shape, self.explicit_padding)])

    def call(self, inputs):
        return super().call(tf.pad(inputs, self.explicit_padding))
'''

_SEQUENTIAL = '''
class TFSequential(keras.layers.Layer):
    """PyTorch's ``nn.Sequential``: items named ``"0"``, ``"1"``, ... as in the state dict."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.sequence = layers

    def call(self, hidden_states):
        for layer in self.sequence:
            hidden_states = layer(hidden_states)
        return hidden_states

    # PyTorch code also iterates, indexes and measures a Sequential
    def __iter__(self):
        return iter(self.sequence)

    def __getitem__(self, index):
        return self.sequence[index]

    def __len__(self):
        return len(self.sequence)
'''

# Names of layer constructors the rules emit outside keras.layers (support helpers, TFConv1D).
# layers the converter writes that are not keras.layers.*: the table's own targets, and its helpers
_EMITTED_LAYERS = frozenset(
    {spec.target for spec in T.LAYERS.values() if not spec.target.startswith("keras.")}
    | {"TFSequential", "TFConv1dWithPadding", "TFConv2dWithPadding"}
)


class ModulesToKerasLayers(_InInit):
    """``nn.Linear``/``nn.LayerNorm``/``nn.Conv2d``/... become the Keras layers of the LAYERS table.

    Arguments are bound to the PyTorch signature and rewritten by the table's templates, so
    PyTorch defaults that Keras does not share (LayerNorm/BatchNorm epsilon, BatchNorm momentum)
    are always passed. Dense/Embedding/Conv get ``get_initializer(config.initializer_range)``
    where a config is in scope. Convolutions stay channels-first (PyTorch's layout, so the ops
    around them need no change; the TF loader transposes 4-D kernels itself); explicit PyTorch
    padding becomes zero padding inside the layer. An ``nn`` module the table does not know is
    a TODO.
    """

    name = "modules-to-keras-layers"
    summary = "nn.Linear(i, o) -> keras.layers.Dense(o, kernel_initializer=...), LayerNorm eps -> epsilon, ..."
    examples = (
        Example(
            before="""
from ...pytorch_utils import Conv1D


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.norm = nn.LayerNorm(config.hidden_size, elementwise_affine=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.c_attn = Conv1D(3 * config.hidden_size, config.hidden_size)
        self.skip = nn.Identity()
""",
            after="""
from ...pytorch_utils import Conv1D


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        self.dense = keras.layers.Dense(
            config.hidden_size, use_bias=False, kernel_initializer=get_initializer(config.initializer_range)
        )
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps)
        self.norm = keras.layers.LayerNormalization(epsilon=1e-5, center=False, scale=False)
        self.dropout = keras.layers.Dropout(rate=config.hidden_dropout_prob)
        self.word_embeddings = keras.layers.Embedding(
            config.vocab_size, config.hidden_size, embeddings_initializer=get_initializer(config.initializer_range)
        )
        self.c_attn = TFConv1D(3 * config.hidden_size, config.hidden_size, initializer_range=config.initializer_range)
        self.skip = keras.layers.Identity()
""",
            note="Conv1D is transformers' own layer when the module imports it from pytorch_utils.",
            context=(),
        ),
        Example(
            before="""
class ViTPatchEmbeddings(nn.Module):
    def __init__(self, num_channels, hidden_size, patch_size):
        self.projection = nn.Conv2d(num_channels, hidden_size, kernel_size=patch_size, stride=patch_size)
        self.conv = nn.Conv2d(num_channels, hidden_size, 3, stride=2, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(hidden_size, momentum=0.01)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pool7 = nn.AdaptiveAvgPool2d(7)
        self.fold = nn.Fold(3)
""",
            after="""
class ViTPatchEmbeddings(nn.Module):
    def __init__(self, num_channels, hidden_size, patch_size):
        self.projection = keras.layers.Conv2D(hidden_size, patch_size, strides=patch_size, data_format="channels_first")
        self.conv = TFConv2dWithPadding(
            hidden_size, 3, strides=2, use_bias=False, data_format="channels_first", explicit_padding=1
        )
        self.norm = keras.layers.BatchNormalization(axis=1, epsilon=1e-5, momentum=1 - 0.01)
        self.pool = TFGlobalAvgPool2d()
        # TODO(tfscaffold): nn.AdaptiveAvgPool2d(output_size=...): converts only with output_size=1 or (1, 1)
        self.pool7 = nn.AdaptiveAvgPool2d(7)
        # TODO(tfscaffold): nn.Fold: no Keras layer for it in the layers table
        self.fold = nn.Fold(3)
""",
            note="No config in scope: no initializer. Unknown nn modules are TODOs, never guesses.",
        ),
        Example(
            before="""
class FunnelEmbeddings(nn.Module):
    def __init__(self, config):
        self.dense = nn.Linear(config.d_model, config.d_model)
""",
            after="""
class FunnelEmbeddings(nn.Module):
    def __init__(self, config):
        self.dense = keras.layers.Dense(config.d_model)
""",
            note="the std _init_weights reads may be None (it then computes one): no initializer from it",
            context=(("initializer_attr", ""),),
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.bare: set[str] = set()  # bare names of LAYERS imported from where they mean that layer

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        source = "." * len(node.relative) + (self.code(node.module) if node.module else "")
        if isinstance(node.names, list | tuple):
            for alias in node.names:
                name = self.code(alias.name)
                if T.LAYER_SOURCES.get(name) == source:
                    self.bare.add(name)
        return False

    def _known_elsewhere(self, name: str) -> bool:
        return (
            name in T.ACTIVATION_MODULES
            or name in T.MODULE_LIST
            or name in T.SEQUENTIAL
            or name in ("nn.Parameter", "nn.ModuleDict", "nn.ParameterList", "nn.ParameterDict")
        )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _norm(dotted(updated.func))
        if name is None:
            return updated
        spec = T.LAYERS.get(name)
        if spec is None or ("." not in name and name not in self.bare):
            last = name.rsplit(".", 1)[-1]
            if (
                name.startswith("nn.")
                and name.count(".") == 1
                and last[:1].isupper()
                and not self._known_elsewhere(name)
            ):
                self.todo(name, "no Keras layer for it in the layers table")
            return updated
        return self._convert(name, spec, updated)

    def _convert(self, name: str, spec: T.LayerMap, call: cst.Call) -> cst.BaseExpression:
        bound, problems = _bind(call, spec.params)
        if problems:
            self.todo(name, f"arguments the table cannot place: {', '.join(problems)}")
            return call
        for param, why in spec.todo.items():
            if param in bound:
                self.todo(f"{name}({param}=...)", why)
                return call
        for param, only in spec.todo_unless.items():
            allowed = only if isinstance(only, tuple) else (only,)
            if param in bound and not any(
                self.code(bound[param]) == value or _literal(bound[param]) == _literal(cst.parse_expression(value))
                for value in allowed
            ):
                self.todo(f"{name}({param}=...)", f"converts only with {param}={' or '.join(allowed)}")
                return call
        code = {k: self.code(v) for k, v in bound.items()}
        args = [_render(t, code, spec.defaults) for t in spec.args]
        if any(a is None for a in args):
            self.todo(name, "a required argument is missing")
            return call
        parts: list[str] = list(args)  # type: ignore[arg-type]
        done: set[str] = set()
        for keyword, template in spec.kwargs:
            if keyword in done:
                continue
            value = _render(template, code, spec.defaults)
            if value is not None:
                parts.append(f"{keyword}={value}")
                done.add(keyword)
        if spec.conv_rank:
            padding = self._padding(bound.get("padding"), name)
            if padding is False:
                return call
            if padding is not None:
                keyword, value = padding
                parts.append(f"{keyword}={value}")
        config = self.config_in_scope()
        if (
            spec.initializer is not None
            and config is not None
            and _config_has_initializer(self.ctx, self.config_class_in_scope())
        ):
            keyword, template = spec.initializer
            parts.append(f"{keyword}={template.format(range=f'{config}.{_initializer_attribute(self.ctx)}')}")
        target = _keras(spec.target, self.ctx)
        if spec.support is not None:
            for helper in spec.helpers:
                self.ctx.need_support(helper, OPS.SUPPORT[helper].strip() + "\n")
            target = self.ctx.need_support(spec.target, spec.support.replace("keras.", f"{self.ctx.keras}."))
        if spec.conv_rank and any(p.startswith("explicit_padding=") for p in parts):
            rank = spec.conv_rank
            source = _PADDED_CONV.format(rank=rank).replace("keras.", f"{self.ctx.keras}.")
            target = self.ctx.need_support(f"TFConv{rank}dWithPadding", source)
        self.ctx.imports.update(spec.imports)
        return cst.parse_expression(f"{target}({', '.join(parts)})")

    def _padding(self, node: cst.BaseExpression | None, name: str):
        """None (Keras' "valid"), (keyword, code), or False after a TODO."""
        if node is None or _literal(node) == 0:
            return None
        value = _literal(node)
        if isinstance(value, str):
            if value in ("same", "valid"):
                return ("padding", f'"{value}"')
            self.todo(f"{name}(padding={value!r})", "unknown padding mode")
            return False
        return ("explicit_padding", self.code(node))


class ActivationsToTF(_InInit):
    """PyTorch activations become ``get_tf_activation`` with PyTorch's variant (exact vs tanh GELU).

    ``ACT2FN[key]`` and ``get_activation(key)`` keep the key (a config value stays a config value;
    the two tables share their names); a literal key TF spells differently is renamed, one TF
    does not have is a TODO. Activation modules (``nn.GELU()``, ``nn.ReLU()``...) map by table.
    """

    name = "activations-to-tf"
    summary = (
        "ACT2FN[config.hidden_act] -> get_tf_activation(config.hidden_act); nn.GELU() -> get_tf_activation('gelu')."
    )
    examples = (
        Example(
            before="""
from ...activations import ACT2FN, gelu


class BertIntermediate(nn.Module):
    def __init__(self, config):
        self.plain = gelu
        self.either = gelu if config.gelu_activation else nn.functional.relu
        self.intermediate_act_fn = ACT2FN[config.hidden_act]
        self.act = nn.GELU(approximate="tanh")
        self.exact = nn.GELU()
        self.relu = nn.ReLU(inplace=True)
        self.fast = ACT2FN["gelu_pytorch_tanh"]
        self.odd = ACT2FN["relu2"]
        act_layer = ACT2CLS[config.hidden_act]
        self.act_fn = act_layer()
        self.made = ACT2CLS["relu"]()

    def forward(self, x):
        return gelu(x)
""",
            after="""
from ...activations import ACT2FN, gelu


class BertIntermediate(nn.Module):
    def __init__(self, config):
        self.plain = get_tf_activation("gelu")
        self.either = get_tf_activation("gelu") if config.gelu_activation else nn.functional.relu
        self.intermediate_act_fn = get_tf_activation(config.hidden_act)
        self.act = get_tf_activation("gelu_new")
        self.exact = get_tf_activation("gelu")
        self.relu = get_tf_activation("relu")
        self.fast = get_tf_activation("gelu_new")
        # TODO(tfscaffold): ACT2FN["relu2"]: activations_tf has no 'relu2'
        self.odd = ACT2FN["relu2"]
        act_layer = functools.partial(get_tf_activation, config.hidden_act)
        self.act_fn = act_layer()
        self.made = get_tf_activation("relu")

    def forward(self, x):
        return get_tf_activation("gelu")(x)
""",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.imported: dict[str, str] = {}  # local name -> TF activation, for ``from ...activations import gelu``
        self.not_reads: set[int] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        source = "." * len(node.relative) + (self.code(node.module) if node.module else "")
        if source == T.ACTIVATIONS_MODULE and isinstance(node.names, list | tuple):
            for alias in node.names:
                name = self.code(alias.name)
                if name in T.ACTIVATION_OBJECTS:
                    local = alias.asname.name.value if alias.asname is not None else name  # type: ignore[union-attr]
                    self.imported[local] = T.ACTIVATION_OBJECTS[name]
        return False

    # every read of an imported activation (``gelu if cond else relu``, ``self.act = gelu``,
    # ``gelu(x)``) becomes the TF activation; names that only look alike (``x.gelu``,
    # ``f(gelu=...)``, a parameter) are not reads
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_reads.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_reads.add(id(node.keyword))

    def visit_Param(self, node: cst.Param) -> None:
        self.not_reads.add(id(node.name))

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if original.value in self.imported and id(original) not in self.not_reads:
            return cst.parse_expression(f'get_tf_activation("{self.imported[original.value]}")')
        return updated

    def _lookup(self, key: cst.BaseExpression, construct: str) -> cst.BaseExpression | None:
        value = _literal(key)
        if value is _NOT_LITERAL:
            return cst.parse_expression(f"get_tf_activation({self.code(key)})")
        if isinstance(value, str):
            value = T.ACTIVATION_ALIASES.get(value, value)
            if value in T.TF_ACTIVATIONS:
                return cst.parse_expression(f'get_tf_activation("{value}")')
        self.todo(construct, f"activations_tf has no {_literal(key)!r}")
        return None

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        table = dotted(updated.value)
        if table not in ("ACT2FN", "ACT2CLS") or len(updated.slice) != 1:
            return updated
        index = updated.slice[0].slice
        if not isinstance(index, cst.Index):
            return updated
        found = self._lookup(index.value, f"{table}[{self.code(index.value)}]")
        if found is None or table == "ACT2FN":
            return found or updated
        # ACT2CLS holds classes: calling one makes the activation, so its TF twin makes the function
        self.ctx.imports.add("import functools")
        return cst.parse_expression(f"functools.partial(get_tf_activation, {self.code(found.args[0].value)})")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if (
            not updated.args
            and isinstance(updated.func, cst.Call)
            and dotted(updated.func.func) == "functools.partial"
            and dotted(updated.func.args[0].value) == "get_tf_activation"
        ):
            return cst.Call(func=cst.Name("get_tf_activation"), args=[updated.func.args[1]])  # ACT2CLS[key]()
        name = _norm(dotted(updated.func))
        if name in T.ACTIVATION_FUNCTIONS and len(updated.args) == 1 and not updated.args[0].keyword:
            return self._lookup(updated.args[0].value, self.code(updated)) or updated
        if name not in T.ACTIVATION_MODULES:
            return updated
        activation = T.ACTIVATION_MODULES[name]
        if name in T.ACTIVATION_VARIANTS:
            keyword, variants = T.ACTIVATION_VARIANTS[name]
            for arg in updated.args:
                if arg.keyword is not None and arg.keyword.value == keyword:
                    value = _literal(arg.value)
                    if value not in variants:
                        self.todo(self.code(updated), f"{keyword}= must be one of {sorted(variants)}")
                        return updated
                    activation = variants[value]
        positional = [a for a in updated.args if a.keyword is None]
        if positional:
            self.todo(self.code(updated), "positional arguments of an activation module")
            return updated
        return cst.parse_expression(f'get_tf_activation("{activation}")')


def _is_layer_call(node: cst.BaseExpression, ctx, layer_classes: set[str]) -> bool:
    if not isinstance(node, cst.Call):
        return False
    name = dotted(node.func)
    if name is None:
        return False
    return name.startswith(f"{ctx.keras}.layers.") or name in _EMITTED_LAYERS or name in layer_classes


def _layer_classes(ctx) -> set[str]:
    """TF names of the module's classes that are layers (not outputs or configs), and other ports' layers it uses."""
    out = {target for target, _ in ctx.foreign_layers.values()}
    for pt in ctx.local_classes:
        if ctx.derives_from(pt, "ModelOutput") or pt == ctx.config_class:
            continue
        out.add(ctx.tf_name(pt))
    return out


class ModuleContainers(_InInit):
    """``nn.ModuleList`` becomes a Python list, ``nn.Sequential`` a small layer that loops.

    Keras tracks layers held in a list attribute; their names (``<attr>_._<i>``) are given by
    ``sublayer-names``. ``keras.Sequential`` would build its own graph outside the parent's name
    scope (variables named ``0/kernel:0``), so ``nn.Sequential`` becomes a helper layer whose
    items are named by their PyTorch index. Dicts of modules or parameters are TODOs.
    """

    name = "module-containers"
    summary = "nn.ModuleList([...]) -> [...]; nn.Sequential(a, b) -> TFSequential([a(name='0'), b(name='1')])."
    examples = (
        Example(
            before="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])
        self.heads = nn.ModuleList()
        self.mlp = nn.Sequential(keras.layers.Dense(4, name="fc"), get_tf_activation("relu"), keras.layers.Dense(2))
        self.head = nn.Sequential(keras.layers.Flatten(), keras.layers.Dense(2) if n > 0 else keras.layers.Identity())
        self.experts = nn.ModuleDict({"a": BertLayer(config)})
""",
            after="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = [BertLayer(config) for _ in range(config.num_hidden_layers)]
        self.heads = []
        self.mlp = TFSequential([keras.layers.Dense(4, name="0"), get_tf_activation("relu"), keras.layers.Dense(2, name="2")])
        self.head = TFSequential([keras.layers.Flatten(name="0"), keras.layers.Dense(2, name="1") if n > 0 else keras.layers.Identity(name="1")])
        # TODO(tfscaffold): nn.ModuleDict: Keras has no dict of layers; hold them in attributes or a list
        self.experts = nn.ModuleDict({"a": BertLayer(config)})
""",
            note="A name given before is replaced: the state-dict key of a Sequential item is its index.",
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        self.layers = nn.Sequential(*[TFBertLayer(config, j) for j in range(depth)])
        self.other = nn.Sequential(*[TFBertLayer(config, j) for j in range(1, depth)])
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        self.layers = TFSequential([TFBertLayer(config, j, name=f"{j}") for j in range(depth)])
        # TODO(tfscaffold): nn.Sequential: items not written out one by one
        self.other = nn.Sequential(*[TFBertLayer(config, j) for j in range(1, depth)])
""",
            note="the loop variable is the item's index only for range(n)",
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        layer = TFBertXLayer if config.layer_type == "x" else TFBertYLayer
        self.layers = nn.Sequential(layer(config, 2), *[layer(config, 1) for _ in range(depth - 1)], nn.ReLU())
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        layer = TFBertXLayer if config.layer_type == "x" else TFBertYLayer
        self.layers = TFSequential([layer(config, 2, name="0"), *[layer(config, 1, name=f"{1 + j}") for j in range(depth - 1)], nn.ReLU()])
""",
            note="an item after a counted comprehension is not a layer call here; one would be named str(1 + depth - 1)",
            context=(("local_classes", {"BertXLayer", "BertYLayer"}),),
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        if config.wide:
            first_layer = TFBertLayer(config, 2)
        else:
            first_layer = TFBertLayer(config, 1)
        self.layers = nn.Sequential(first_layer, *[TFBertLayer(config, 1) for _ in range(depth - 1)])
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        if config.wide:
            first_layer = TFBertLayer(config, 2, name="0")
        else:
            first_layer = TFBertLayer(config, 1, name="0")
        self.layers = TFSequential([first_layer, *[TFBertLayer(config, 1, name=f"{1 + j}") for j in range(depth - 1)]])
""",
            note="an item made earlier in a local is named where it is made",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.local_names: dict = {}  # "" -> locals made by layer calls; local -> its item's name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.local_names = {}
        return super().visit_FunctionDef(node)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        named = {k: v for k, v in self.local_names.items() if k}
        if named and self.in_init:
            layers = _layer_classes(self.ctx) | layer_aliases(original, _layer_classes(self.ctx))
            updated = updated.visit(_NameLocalItems(named, self.ctx, layers))  # type: ignore[assignment]
        self.local_names = {}
        return super().leave_FunctionDef(original, updated)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _norm(dotted(updated.func))
        if name in T.MODULE_LIST:
            if not updated.args:
                return cst.List(elements=[])
            if len(updated.args) != 1 or updated.args[0].keyword or updated.args[0].star:
                self.todo(name, "unexpected arguments")
                return updated
            value = updated.args[0].value
            if isinstance(value, cst.List | cst.ListComp):
                return value
            if isinstance(value, cst.GeneratorExp):
                return cst.ListComp(elt=value.elt, for_in=value.for_in)
            return cst.parse_expression(f"list({self.code(value)})")
        if name in T.SEQUENTIAL:
            layers = _layer_classes(self.ctx)
            if self.in_init:
                layers |= layer_aliases(self.functions[-1], layers)
                self.local_names.setdefault("", _layer_locals(self.functions[-1], self.ctx, layers))
            counted = _counted_items(updated, self.ctx, layers)
            if counted is None and any(a.star or a.keyword for a in updated.args):
                counted = _mixed_items(updated, self.ctx, layers, self.local_names)
                if counted is None:
                    self.todo(name, "items not written out one by one")
                    return updated
            if counted is not None:
                source = _SEQUENTIAL.replace("keras.", f"{self.ctx.keras}.")
                helper = self.ctx.need_support("TFSequential", source)
                return cst.parse_expression(f"{helper}({self.code(counted)})")
            items = []
            for i, arg in enumerate(updated.args):
                items.append(self.code(_name_item(arg.value, _string(str(i)), self.ctx, layers, self.local_names)))
            source = _SEQUENTIAL.replace("keras.", f"{self.ctx.keras}.")
            helper = self.ctx.need_support("TFSequential", source)
            return cst.parse_expression(f"{helper}([{', '.join(items)}])")
        if name in ("nn.ModuleDict", "nn.ParameterDict"):
            self.todo(name, "Keras has no dict of layers; hold them in attributes or a list")
        elif name == "nn.ParameterList":
            self.todo(name, "create each weight with add_weight in build()")
        return updated


def layer_aliases(function: cst.FunctionDef, layers: set[str]) -> set[str]:
    """``layer = TFXLayer if c else TFYLayer`` in ``function``'s body: names whose calls make a layer."""
    found: set[str] = set()
    for stmt in function.body.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
            continue
        assign = stmt.body[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            continue
        value = assign.value
        choices = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
        if all(dotted(c) in layers for c in choices):
            found.add(assign.targets[0].target.value)
    return found


def _layer_locals(function: cst.FunctionDef, ctx, layers: set[str]) -> set[str]:
    """Locals of ``function`` every assignment of which (in any branch) is a layer call."""
    made: dict[str, bool] = {}

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    key = target.target.value
                    made[key] = made.get(key, True) and _is_layer_call(node.value, ctx, layers)

    function.body.visit(Visitor())
    return {name for name, ok in made.items() if ok}


class _NameLocalItems(cst.CSTTransformer):
    """``first = Layer(...)`` where ``first`` is a Sequential item: the call gets the item's name."""

    def __init__(self, names: dict[str, cst.BaseExpression], ctx, layers: set[str]) -> None:
        super().__init__()
        self.names, self.ctx, self.layers = names, ctx, layers

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        target = updated.targets[0].target if len(updated.targets) == 1 else None
        if isinstance(target, cst.Name) and target.value in self.names:
            return updated.with_changes(
                value=_name_item(updated.value, self.names[target.value], self.ctx, self.layers)
            )
        return updated


def _counted_comprehension(value: cst.BaseExpression, ctx, layers: set[str]) -> cst.ListComp | None:
    """``[Layer(...) for j in range(n)]`` (or a generator): the one form whose items have a known count."""
    if not isinstance(value, cst.ListComp | cst.GeneratorExp):
        return None
    loop = value.for_in
    if loop.inner_for_in is not None or loop.ifs or not isinstance(loop.target, cst.Name):
        return None
    it = loop.iter
    if not (isinstance(it, cst.Call) and dotted(it.func) == "range" and len(it.args) == 1 and not it.args[0].star):
        return None
    if it.args[0].keyword is not None or not _is_layer_call(value.elt, ctx, layers):
        return None
    return cst.ListComp(elt=value.elt, for_in=loop)


def _counted_items(call: cst.Call, ctx, layers: set[str]) -> cst.ListComp | None:
    """``nn.Sequential(*[Layer(...) for j in range(n)])``: the list, item ``j`` named ``"{j}"``.

    Only a single comprehension over ``range(n)`` with no condition: there the loop variable is
    the item's index, which is its state-dict key. Anything else is None.
    """
    if len(call.args) != 1 or call.args[0].star != "*" or call.args[0].keyword is not None:
        return None
    comp = _counted_comprehension(call.args[0].value, ctx, layers)
    if comp is None:
        return None
    target = comp.for_in.target.value  # type: ignore[attr-defined]
    named = _set_name(comp.elt, cst.parse_expression(f'f"{{{target}}}"'))  # type: ignore[arg-type]
    return comp.with_changes(elt=named)


def _mixed_items(call: cst.Call, ctx, layers: set[str], local_names: dict | None = None) -> cst.List | None:
    """``nn.Sequential(a, *[Layer(...) for _ in range(n - 1)], b)``: a list whose items carry their index.

    Items before a counted comprehension have static indices; an item of the comprehension is
    the items before it plus its loop variable; later items add the comprehension's length. Any
    other starred or keyword argument leaves the count unknown: None.
    """
    offset = "0"
    elements: list[cst.BaseElement] = []
    for arg in call.args:
        if arg.keyword is not None:
            return None
        if arg.star == "*":
            comp = _counted_comprehension(arg.value, ctx, layers)
            if comp is None:
                return None
            loop = comp.for_in
            used = set(_free_names(comp.elt))
            target = loop.target.value  # type: ignore[attr-defined]
            if target == "_":
                target = next(n for n in ("j", "index", "item_index") if n not in used)
                loop = loop.with_changes(target=cst.Name(target))
            index = target if offset == "0" else f"{offset} + {target}"
            named = _set_name(comp.elt, cst.parse_expression(f'f"{{{index}}}"'))  # type: ignore[arg-type]
            elements.append(cst.StarredElement(value=comp.with_changes(elt=named, for_in=loop)))
            count = cst.Module([]).code_for_node(loop.iter.args[0].value)  # type: ignore[attr-defined]
            offset = count if offset == "0" else f"{offset} + {count}"
            continue
        name = _string(offset) if offset.isdigit() else cst.parse_expression(f"str({offset})")
        elements.append(cst.Element(value=_name_item(arg.value, name, ctx, layers, local_names)))
        offset = str(int(offset) + 1) if offset.isdigit() else f"{offset} + 1"
    return cst.List(elements=elements)


def _name_item(
    value: cst.BaseExpression, name: cst.BaseExpression, ctx, layers: set[str], local_names: dict | None = None
) -> cst.BaseExpression:
    """A Sequential item named by its index: a layer call, or each layer call of ``a if c else b``.

    An item that is a local of ``__init__`` made by layer calls only is noted in ``local_names``
    (local -> name): the assignments that make it are named once the function is left.
    """
    if isinstance(value, cst.Name) and local_names is not None and value.value in local_names.get("", set()):
        local_names[value.value] = name
        return value
    if _is_layer_call(value, ctx, layers):
        return _set_name(value, name)  # type: ignore[arg-type]
    if isinstance(value, cst.IfExp):
        return value.with_changes(
            body=_name_item(value.body, name, ctx, layers, local_names),
            orelse=_name_item(value.orelse, name, ctx, layers, local_names),
        )
    return value


def _set_name(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == "name")]
    return _add_kw(call.with_changes(args=args), "name", value)


class SublayerNames(_InInit):
    """Every sublayer built in ``__init__`` gets ``name="<PyTorch attribute>"``.

    TF variable paths are the chain of layer names; the loader maps them to state-dict keys, so
    the names are what makes weights load. Items of a list attribute get ``<attr>_._<i>`` (the
    loader turns ``_._`` into a ``.`` level); ``self.<attr>.append(layer)`` uses the list's
    current length as the index. Runs before renames of attributes Keras reserves, so the
    names stay PyTorch's.
    """

    name = "sublayer-names"
    summary = 'self.dense = keras.layers.Dense(...) -> keras.layers.Dense(..., name="dense"); lists -> f"layer_._{i}".'
    examples = (
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.self = TFBertSelfAttention(config)
        self.dense = keras.layers.Dense(4)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None
        self.layer = [TFBertLayer(config) for _ in range(config.num_hidden_layers)]
        self.blocks = [TFBertLayer(config, layer_idx=idx) for idx in range(2, 5)]
        self.pair = [keras.layers.Dense(4), keras.layers.Dense(4)]
        self.extra = []
        for size in sizes:
            self.extra.append(keras.layers.Dense(size))
        self.act = get_tf_activation("gelu")
        attention_class = TFBertSelfAttention
        self.attn = attention_class(config=config)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.self = TFBertSelfAttention(config, name="self")
        self.dense = keras.layers.Dense(4, name="dense")
        self.pooler = TFBertPooler(config, name="pooler") if add_pooling_layer else None
        self.layer = [TFBertLayer(config, name=f"layer_._{i}") for i in range(config.num_hidden_layers)]
        self.blocks = [TFBertLayer(config, layer_idx=idx, name=f"blocks_._{i}") for i, idx in enumerate(range(2, 5))]
        self.pair = [keras.layers.Dense(4, name="pair_._0"), keras.layers.Dense(4, name="pair_._1")]
        self.extra = []
        for size in sizes:
            self.extra.append(keras.layers.Dense(size, name=f"extra_._{len(self.extra)}"))
        self.act = get_tf_activation("gelu")
        attention_class = TFBertSelfAttention
        self.attn = attention_class(config=config, name="attn")
""",
            context=(("local_classes", {"BertSelfAttention", "BertPooler", "BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i)
            self.stages.append(stage)
            other = TFBertLayer(config, i)
            self.stages.append(keras.layers.Dense(4))
            self.stages.append(other)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i, name=f"stages_._{len(self.stages)}")
            self.stages.append(stage)
            other = TFBertLayer(config, i)
            self.stages.append(keras.layers.Dense(4, name=f"stages_._{len(self.stages)}"))
            self.stages.append(other)
""",
            note="a local appended after another append to the same list is not named: its index is not known there",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        network = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i)
            network.append(stage)
            if config.downsample:
                network.append(TFBertLayer(config, i))
        self.network = list(network)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        network = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i, name=f"network_._{len(network)}")
            network.append(stage)
            if config.downsample:
                network.append(TFBertLayer(config, i, name=f"network_._{len(network)}"))
        self.network = list(network)
""",
            note="a local list that becomes the attribute names its items after the attribute",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        blocks = []
        for i in range(config.num_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFBertLayer(config, j))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        blocks = []
        for i in range(config.num_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFBertLayer(config, j, name=f"block_._{len(blocks)}_._{len(layers)}"))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
""",
            note="a list of lists: block.<i>.<j> in the state dict",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertASPP(keras.layers.Layer):
    def __init__(self, config):
        self.convs = []
        self.convs.append(TFBertLayer(config, 1))
        self.convs.extend([TFBertLayer(config, rate) for rate in config.rates])
        self.convs.extend([TFBertLayer(config, 2), TFBertLayer(config, 3)])
""",
            after="""
class TFBertASPP(keras.layers.Layer):
    def __init__(self, config):
        self.convs = []
        self.convs.append(TFBertLayer(config, 1, name=f"convs_._{len(self.convs)}"))
        self.convs.extend([TFBertLayer(config, rate, name=f"convs_._{len(self.convs) + i}") for i, rate in enumerate(config.rates)])
        self.convs.extend([TFBertLayer(config, 2, name=f"convs_._{len(self.convs) + 0}"), TFBertLayer(config, 3, name=f"convs_._{len(self.convs) + 1}")])
""",
            note="the list's length is read before extend adds anything",
            context=(("local_classes", {"BertLayer"}),),
        ),
    )

    def _named(self, value: cst.BaseExpression, attr: str, layers: set[str]) -> cst.BaseExpression:
        if _is_layer_call(value, self.ctx, layers):
            return _add_kw(value, "name", _string(attr))  # type: ignore[arg-type]
        if isinstance(value, cst.IfExp):
            return value.with_changes(
                body=self._named(value.body, attr, layers), orelse=self._named(value.orelse, attr, layers)
            )
        if isinstance(value, cst.List):
            elements = []
            for i, element in enumerate(value.elements):
                if isinstance(element, cst.Element) and _is_layer_call(element.value, self.ctx, layers):
                    element = element.with_changes(value=_add_kw(element.value, "name", _string(f"{attr}_._{i}")))
                elements.append(element)
            return value.with_changes(elements=elements)
        if isinstance(value, cst.ListComp) and _is_layer_call(value.elt, self.ctx, layers):
            for_in = value.for_in
            if for_in.inner_for_in is not None or not isinstance(for_in.target, cst.Name):
                self.todo(f"list of {attr}", "nested or unpacking comprehension: name its items by hand")
                return value
            target = for_in.target.value
            iterable = for_in.iter
            counts_from_zero = (
                isinstance(iterable, cst.Call)
                and dotted(iterable.func) == "range"
                and len(iterable.args) == 1
                and not iterable.args[0].keyword
            )
            index = target
            if counts_from_zero and target == "_":
                index = "i"
                for_in = for_in.with_changes(target=cst.Name("i"))
            elif not counts_from_zero:
                index = "i" if target != "i" else "index"
                for_in = for_in.with_changes(
                    target=cst.Tuple(
                        elements=[cst.Element(cst.Name(index)), cst.Element(for_in.target)], lpar=[], rpar=[]
                    ),
                    iter=cst.parse_expression(f"enumerate({self.code(iterable)})"),
                )
            name = cst.parse_expression(f'f"{attr}_._{{{index}}}"')
            return value.with_changes(elt=_add_kw(value.elt, "name", name), for_in=for_in)  # type: ignore[arg-type]
        return value

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.aliases: set[str] = set()  # local names of __init__ bound to a layer class
        self.list_owners: dict[str, str] = {}  # local list of __init__ -> the attribute it becomes

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == "__init__":
            self.aliases = set()
            self.list_owners = _list_owners(node)
        return super().visit_FunctionDef(node)

    def _container(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """``self.<attr>`` or a local list that becomes ``self.<attr>``: (attr, the list's code)."""
        attr = _self_attr(node)
        if attr is not None:
            return attr, f"self.{attr}"
        if isinstance(node, cst.Name) and node.value in self.list_owners:
            return self.list_owners[node.value], node.value
        return None

    def _layers(self) -> set[str]:
        return _layer_classes(self.ctx) | self.aliases

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.in_init or len(updated.targets) != 1:
            return updated
        target = updated.targets[0].target
        if isinstance(target, cst.Name):
            # ``attention_class = TFGPT2Attention`` (or one of two): calls of it build a layer
            choices = [updated.value]
            if isinstance(updated.value, cst.IfExp):
                choices = [updated.value.body, updated.value.orelse]
            if all(dotted(c) in self._layers() or dotted(c) in _EMITTED_LAYERS for c in choices):
                self.aliases.add(target.value)
            return updated
        attr = _self_attr(target)
        if attr is None:
            return updated
        return updated.with_changes(value=self._named(updated.value, attr, self._layers()))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if self.in_init and isinstance(func, cst.Attribute) and func.attr.value == "extend":
            return self._extended(updated)
        if not (self.in_init and isinstance(func, cst.Attribute) and func.attr.value == "append"):
            return updated
        container = self._container(func.value)
        if container is None or len(updated.args) != 1:
            return updated
        item = updated.args[0].value
        if not _is_layer_call(item, self.ctx, self._layers()):
            return updated
        attr, owner = container
        name = cst.parse_expression(f'f"{attr}_._{{len({owner})}}"')
        return updated.with_changes(args=[updated.args[0].with_changes(value=_add_kw(item, "name", name))])

    def _extended(self, call: cst.Call) -> cst.Call:
        """``self.convs.extend([Layer(...) for rate in rates])``: item ``i`` is ``convs_._{len + i}``."""
        container = self._container(call.func.value)  # type: ignore[attr-defined]
        if container is None or len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            return call
        attr, owner = container
        value = call.args[0].value
        layers = self._layers()
        if isinstance(value, cst.List):
            elements = [
                (
                    e.with_changes(
                        value=_add_kw(e.value, "name", cst.parse_expression(f'f"{attr}_._{{len({owner}) + {k}}}"'))
                    )
                    if isinstance(e, cst.Element) and _is_layer_call(e.value, self.ctx, layers)
                    else e
                )
                for k, e in enumerate(value.elements)
            ]
            return call.with_changes(args=[call.args[0].with_changes(value=value.with_changes(elements=elements))])
        if not (isinstance(value, cst.ListComp | cst.GeneratorExp) and _is_layer_call(value.elt, self.ctx, layers)):
            return call
        loop = value.for_in
        if loop.inner_for_in is not None or loop.ifs:
            return call
        index = next(n for n in ("i", "index", "item_index") if n not in _free_names(value))
        loop = loop.with_changes(
            target=cst.Tuple([cst.Element(cst.Name(index)), cst.Element(loop.target)], lpar=[], rpar=[]),
            iter=cst.Call(cst.Name("enumerate"), [cst.Arg(loop.iter)]),
        )
        name = cst.parse_expression(f'f"{attr}_._{{len({owner}) + {index}}}"')
        named = value.with_changes(elt=_add_kw(value.elt, "name", name), for_in=loop)  # type: ignore[arg-type]
        return call.with_changes(args=[call.args[0].with_changes(value=named)])

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        """``stage = Layer(...)`` then ``self.stages.append(stage)`` in the same block: named at the assignment.

        The list's length is the index as long as nothing is appended to it in between.
        """
        if not self.in_init:
            return updated
        body = list(updated.body)
        for i, stmt in enumerate(body):
            appended = _appended_local(stmt)
            container = self._container(appended[0]) if appended else None
            if appended is None or container is None:
                continue
            local = appended[1]
            attr, owner = container
            for j in range(i - 1, -1, -1):
                earlier = body[j]
                if owner in self.code(earlier):
                    break
                small = earlier.body[0] if isinstance(earlier, cst.SimpleStatementLine) else None
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and small.targets[0].target.value == local
                ):
                    if _is_layer_call(small.value, self.ctx, self._layers()):
                        name = cst.parse_expression(f'f"{attr}_._{{len({owner})}}"')
                        named = small.with_changes(value=_add_kw(small.value, "name", name))
                        body[j] = earlier.with_changes(body=[named, *earlier.body[1:]])
                    break
                if local in self.code(earlier):
                    break
        return updated.with_changes(body=body)


def _appended_local(stmt: cst.BaseStatement) -> tuple[cst.BaseExpression, str] | None:
    """``<list>.append(<local>)`` -> (the list expression, local)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)):
        return None
    call = stmt.body[0].value
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "append"):
        return None
    if len(call.args) != 1 or not isinstance(call.args[0].value, cst.Name):
        return None
    return call.func.value, call.args[0].value.value


def _list_owners(init: cst.FunctionDef) -> dict[str, str]:
    """``network = []`` ... ``self.network = nn.ModuleList(network)``: local list -> name prefix of its items.

    Only a local made empty and assigned once to an attribute (as is, or through ``list`` or
    ``nn.ModuleList``): its items are the attribute's, in the order appended. A local list
    appended to such a list (``blocks.append(nn.ModuleList(layers))``) names its items under the
    outer list's index at that point: ``block_._{len(blocks)}``.
    """
    empty: dict[str, int] = {}
    owners: dict[str, list[str]] = {}

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) != 1:
                return
            target, value = node.targets[0].target, node.value
            if isinstance(target, cst.Name):
                empty[target.value] = empty.get(target.value, 0) + 1 if _is_empty_list(value) else 99
                return
            attr = _self_attr(target)
            if attr is None:
                return
            if (
                isinstance(value, cst.Call)
                and (dotted(value.func) in ("list", *T.MODULE_LIST))
                and len(value.args) == 1
            ):
                value = value.args[0].value
            if isinstance(value, cst.Name):
                owners.setdefault(value.value, []).append(attr)

    class Appends(cst.CSTVisitor):
        """``blocks.append(nn.ModuleList(layers))``: inner list -> outer list."""

        def __init__(self) -> None:
            self.into: dict[str, list[str]] = {}

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if not (
                isinstance(func, cst.Attribute) and func.attr.value == "append" and isinstance(func.value, cst.Name)
            ):
                return
            if len(node.args) != 1:
                return
            item = node.args[0].value
            if isinstance(item, cst.Call) and dotted(item.func) in ("list", *T.MODULE_LIST) and len(item.args) == 1:
                item = item.args[0].value
            if isinstance(item, cst.Name):
                self.into.setdefault(item.value, []).append(func.value.value)

    init.body.visit(Visitor())
    found = {local: attrs[0] for local, attrs in owners.items() if len(attrs) == 1 and empty.get(local) == 1}
    appends = Appends()
    init.body.visit(appends)
    changed = True
    while changed:  # a list of lists: the inner list's items are named under the outer item's index
        changed = False
        for inner, outers in appends.into.items():
            if inner in found or empty.get(inner) != 1 or len(outers) != 1 or outers[0] not in found:
                continue
            found[inner] = f"{found[outers[0]]}_._{{len({outers[0]})}}"
            changed = True
    return found


def _is_empty_list(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.List) and not node.elements) or (
        isinstance(node, cst.Call) and dotted(node.func) in ("list", *T.MODULE_LIST) and not node.args
    )


class LayerWeightAttributes(Rule):
    """``<layer>.weight`` of a converted module becomes the Keras attribute (``embeddings``, ``gamma``).

    The layer is known by the attribute it is held in (``self.word_embeddings = keras.layers
    .Embedding(...)``, or a class of the module deriving from it, anywhere in the module; an
    attribute name used for two layer kinds is left alone). Sizes get their Keras names too
    (``num_embeddings`` -> ``input_dim``). ``.weight.dtype`` becomes ``.compute_dtype``, which a layer knows before it is built.
    A Dense or convolution ``weight`` read as a tensor is the Keras kernel transposed to PyTorch's
    layout (``KERNEL_FROM_WEIGHT``); other kernels are a TODO.
    """

    name = "layer-weight-attributes"
    summary = (
        "self.word_embeddings.weight -> self.word_embeddings.embeddings; x.proj.weight.dtype -> x.proj.compute_dtype."
    )
    examples = (
        Example(
            before="""
class TFScaledEmbedding(keras.layers.Embedding):
    pass


class TFViTEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.word_embeddings = keras.layers.Embedding(3, 4, name="word_embeddings")
        self.projection = keras.layers.Conv2D(4, 3, name="projection")
        self.dense = keras.layers.Dense(4, name="dense")
        self.depthwise = keras.layers.DepthwiseConv2D(3, name="depthwise")
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=1e-5, name="LayerNorm")
        self.shared = TFScaledEmbedding(3, 4, name="shared")

    def call(self, x):
        x = tf.cast(x, self.embeddings.projection.weight.dtype)
        table = self.word_embeddings.weight
        vocab = self.shared.num_embeddings
        return x * self.LayerNorm.weight + self.LayerNorm.bias, self.projection.weight, self.dense.weight

    def other(self):
        return self.depthwise.weight
""",
            after="""
class TFScaledEmbedding(keras.layers.Embedding):
    pass


class TFViTEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.word_embeddings = keras.layers.Embedding(3, 4, name="word_embeddings")
        self.projection = keras.layers.Conv2D(4, 3, name="projection")
        self.dense = keras.layers.Dense(4, name="dense")
        self.depthwise = keras.layers.DepthwiseConv2D(3, name="depthwise")
        self.LayerNorm = keras.layers.LayerNormalization(epsilon=1e-5, name="LayerNorm")
        self.shared = TFScaledEmbedding(3, 4, name="shared")

    def call(self, x):
        x = tf.cast(x, self.embeddings.projection.compute_dtype)
        table = self.word_embeddings.embeddings
        vocab = self.shared.input_dim
        return (
            x * self.LayerNorm.gamma + self.LayerNorm.beta,
            tf.transpose(self.projection.kernel, perm=[3, 2, 0, 1]),
            tf.transpose(self.dense.kernel),
        )

    def other(self):
        # TODO(tfscaffold): self.depthwise.weight: a DepthwiseConv2D kernel is the PyTorch weight transposed and exists once the layer is built
        return self.depthwise.weight
""",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.kinds: dict[str, str | None] = {}
        self.skip: set[int] = set()
        self.targets: set[int] = set()

    def visit_Module(self, node: cst.Module) -> bool:
        keras_layers = f"{self.ctx.keras}.layers."
        kinds = self.kinds
        bases = _class_bases(node, self.ctx)
        embeddings = {f"{keras_layers}Embedding"}
        while True:  # the module's own embedding classes (a scaled lookup) are embeddings too
            more = {name for name, names in bases.items() if embeddings & set(names)} - embeddings
            if not more:
                break
            embeddings |= more

        class Visitor(cst.CSTVisitor):
            def visit_Assign(self, assign: cst.Assign) -> None:
                if len(assign.targets) != 1:
                    return
                attr = _self_attr(assign.targets[0].target)
                values = [assign.value]
                if isinstance(assign.value, cst.IfExp):
                    values = [assign.value.body, assign.value.orelse]
                for value in values:
                    if attr is None or not isinstance(value, cst.Call):
                        continue
                    name = dotted(value.func) or ""
                    kind = None
                    if name in embeddings:
                        kind = "Embedding"
                    elif name.startswith(keras_layers):
                        kind = name[len(keras_layers) :]
                    elif name.startswith("TFConv") and name.endswith("dWithPadding"):
                        kind = f"Conv{name[len('TFConv')]}D"
                    elif name == "TFConv1D":
                        kind = name
                    if kind is not None:
                        kinds[attr] = kind if kinds.get(attr, kind) == kind else None

        node.visit(Visitor())
        from scaffold.convert.rules.tying import find_tied_decoders

        for attr in find_tied_decoders(node).values():  # a TFTiedDense later: PyTorch's layout
            kinds[attr] = "TFTiedDense" if kinds.get(attr, "Dense") == "Dense" else None
        return True

    def _kind(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Attribute):
            return self.kinds.get(node.attr.value)
        return None

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))  # a weight set (tied) is not a kernel read

    def visit_Attribute(self, node: cst.Attribute) -> None:
        inner = node.value
        if node.attr.value == "dtype" and isinstance(inner, cst.Attribute) and inner.attr.value == "weight":
            if self._kind(inner.value) is not None:
                self.skip.add(id(inner))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        inner = original.value
        if (
            original.attr.value == "dtype"
            and isinstance(inner, cst.Attribute)
            and id(inner) in self.skip
            and isinstance(updated.value, cst.Attribute)
        ):
            return cst.Attribute(value=updated.value.value, attr=cst.Name(T.DTYPE_OF_WEIGHT))
        if id(original) in self.skip:
            return updated
        kind = self._kind(original.value)
        if kind is None:
            return updated
        size = T.LAYER_ATTRIBUTES.get(kind, {}).get(original.attr.value)
        if size is not None:
            return updated.with_changes(attr=cst.Name(size))
        if original.attr.value not in ("weight", "bias", "running_mean", "running_var"):
            return updated
        table = T.WEIGHT_ATTRIBUTES.get(kind, {})
        new = table.get(original.attr.value)
        perm = T.KERNEL_FROM_WEIGHT.get(kind)
        if new is None and original.attr.value == "weight" and perm is not None and id(original) not in self.targets:
            kernel = self.code(updated.value) + ".kernel"
            axes = "" if perm == (1, 0) else f", perm={list(perm)}"
            return cst.parse_expression(f"tf.transpose({kernel}{axes})")
        if new is None:
            self.todo(
                self.code(original),
                f"a {kind} kernel is the PyTorch weight transposed and exists once the layer is built",
            )
            return updated
        return updated.with_changes(attr=cst.Name(new))


def _class_bases(module: cst.Module, ctx) -> dict[str, list[str]]:
    """TF class -> its base names, reused classes included (they are placeholders while rules run).

    A reused twin's bases are read from its PyTorch class as the naming rules would write them,
    so a converted class deriving from a reused ``TFXPreTrainedModel`` is still known to be a
    Keras model (whose reserved attributes, such as ``layers``, it must not assign).
    """
    out: dict[str, list[str]] = {}
    for pt_name in ctx.reused:
        out[ctx.tf_name(pt_name)] = [_tf_base(b, ctx) for b in ctx.class_bases.get(pt_name, [])]
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            out[stmt.name.value] = [dotted(b.value) or "" for b in stmt.bases]
    return out


def _tf_base(pt_base: str, ctx) -> str:
    if pt_base in ctx.local_classes:
        return ctx.tf_name(pt_base)
    mapped = BASE_CLASSES.get(pt_base, pt_base)
    return _keras(mapped, ctx) if mapped else pt_base


def _ancestors(name: str, bases: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for base in bases.get(todo.pop(), []):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


class _Rename(cst.CSTTransformer):
    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        attr = _self_attr(updated)
        if attr in self.renames:
            return updated.with_changes(attr=cst.Name(self.renames[attr]))
        return updated


class KerasReservedAttributes(Rule):
    """Attributes Keras owns (``self.self``, ``self.output``, ``self.weights``...) are renamed.

    Assigning them fails in Keras (``output`` is a read-only property) or is impossible
    (``self.self`` cannot be spelled as a parameter-free rename). The new name is used in the
    class and the classes derived from it; the layer keeps the PyTorch name in ``name=`` (set by
    ``sublayer-names``), so weights still load.
    """

    name = "keras-reserved-attributes"
    summary = 'self.self = X(config, name="self") -> self.self_attention = X(config, name="self"), everywhere.'
    examples = (
        Example(
            before="""
class TFBertAttention(keras.layers.Layer):
    def __init__(self, config):
        self.self = TFBertSelfAttention(config, name="self")
        self.output = TFBertSelfOutput(config, name="output")

    def call(self, hidden_states):
        self_outputs = self.self(hidden_states)
        return self.output(self_outputs[0], hidden_states)


class TFBertCrossAttention(TFBertAttention):
    def call(self, hidden_states):
        return self.output(hidden_states, hidden_states)


def helper(layer):
    return layer.output
""",
            after="""
class TFBertAttention(keras.layers.Layer):
    def __init__(self, config):
        self.self_attention = TFBertSelfAttention(config, name="self")
        self.output_layer = TFBertSelfOutput(config, name="output")

    def call(self, hidden_states):
        self_outputs = self.self_attention(hidden_states)
        return self.output_layer(self_outputs[0], hidden_states)


class TFBertCrossAttention(TFBertAttention):
    def call(self, hidden_states):
        return self.output_layer(hidden_states, hidden_states)


def helper(layer):
    return layer.output
""",
        ),
    )

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        bases = _class_bases(updated, self.ctx)
        renames: dict[str, dict[str, str]] = {}
        for stmt in updated.body:
            if not isinstance(stmt, cst.ClassDef):
                continue
            reserved = dict(T.RESERVED_ATTRIBUTES)
            if "TFPreTrainedModel" in _ancestors(stmt.name.value, bases) | {stmt.name.value}:
                reserved.update(T.RESERVED_MODEL_ATTRIBUTES)
            assigned = _assigned_attributes(stmt)
            for attr in sorted(assigned & set(reserved)):
                new = reserved[attr]
                while new in assigned:
                    new += "_"
                renames.setdefault(stmt.name.value, {})[attr] = new
        if not renames:
            return updated
        body = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef):
                mine: dict[str, str] = {}
                for owner in sorted(_ancestors(stmt.name.value, bases) | {stmt.name.value}):
                    mine.update(renames.get(owner, {}))
                mine.update(renames.get(stmt.name.value, {}))
                if mine:
                    stmt = stmt.visit(_Rename(mine))
            body.append(stmt)
        return updated.with_changes(body=body)


def _assigned_attributes(cls: cst.ClassDef) -> set[str]:
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            attr = _self_attr(node.target)
            if attr is not None:
                found.add(attr)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            attr = _self_attr(node.target)
            if attr is not None:
                found.add(attr)

    cls.visit(Visitor())
    return found


def _paren_expr(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` in parentheses where it is a boolean operation, so ``not``/``and`` keep their meaning."""
    if isinstance(node, cst.BooleanOperation | cst.IfExp) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _free_names(node: cst.CSTNode) -> list[str]:
    """Names an expression reads (not attributes, keywords or builtins), in order of appearance."""
    names: list[str] = []

    class Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value not in _MODULE_NAMES and node.value not in names:
                names.append(node.value)

    node.visit(Visitor())
    return names


class _Replace(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)  # ``x.config`` stays an attribute

    def visit_Arg(self, node: cst.Arg) -> bool:
        return True

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if updated.value in self.names:
            return cst.parse_expression(self.names[updated.value])  # type: ignore[return-value]
        return updated


def _optional_input_calls(function: cst.FunctionDef | None) -> set[str]:
    """Sublayers ``self.x(...)`` that ``function`` calls only under ``if <argument> is not None:``.

    Such a branch runs only when the caller passes an optional input (encoder states for
    cross-attention), which a dummy call may not; a call anywhere else (unconditional, or under
    a config flag) builds the sublayer with its real input shape, so it is not in the set.
    """
    if function is None:
        return set()
    optional = {
        p.name.value
        for p in (*function.params.params, *function.params.kwonly_params)
        if isinstance(p.default, cst.Name) and p.default.value == "None"
    }
    inside: set[str] = set()
    outside: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0

        def visit_If(self, node: cst.If) -> bool:
            test = node.test
            given = (
                isinstance(test, cst.Comparison)
                and isinstance(test.left, cst.Name)
                and test.left.value in optional
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.IsNot)
                and isinstance(test.comparisons[0].comparator, cst.Name)
                and test.comparisons[0].comparator.value == "None"
            )
            test.visit(self)
            self.depth += given
            node.body.visit(self)
            self.depth -= given
            if node.orelse is not None:
                node.orelse.visit(self)
            return False

        def visit_Call(self, node: cst.Call) -> None:
            attr = _self_attr(node.func)
            if attr is not None:
                (inside if self.depth else outside).add(attr)

    function.body.visit(Visitor())
    return inside - outside


_RESHAPES = frozenset({"reshape", "view", "permute"})
_WEIGHTLESS = frozenset({"nn.Identity", "nn.Dropout"})  # layers whose build takes any input shape


def _reshaped_rank(value: cst.BaseExpression) -> int | None:
    """The rank ``x.reshape(a, b)`` / ``x.view((a, b))`` / ``torch.reshape(x, (a, b))`` gives; 0: not a reshape."""
    if not isinstance(value, cst.Call):
        return 0
    name = dotted(value.func) or ""
    if name in ("torch.reshape", "torch.permute", "tf.reshape", "tf.transpose"):
        args = list(value.args[1:2])
    elif isinstance(value.func, cst.Attribute) and value.func.attr.value in _RESHAPES:
        args = list(value.args)
    else:
        return 0
    if any(a.keyword is not None or a.star for a in args) or not args:
        return None
    if len(args) == 1 and isinstance(args[0].value, cst.Tuple | cst.List):
        elements = args[0].value.elements
        return None if any(isinstance(e, cst.StarredElement) for e in elements) else len(elements)
    return len(args)


# Calls that drop axes: a tensor from one has a rank the source does not spell out.
def _tuple_item(value: cst.Subscript) -> bool:
    """``outputs[0]`` / ``outputs[-1]``: one plain integer index."""
    if len(value.slice) != 1 or not isinstance(value.slice[0].slice, cst.Index):
        return False
    index = value.slice[0].slice.value
    if isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus):
        index = index.expression
    return isinstance(index, cst.Integer)


_REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "max", "min", "flatten", "squeeze", "norm", "prod"})


def _rank_unknown(value: cst.BaseExpression) -> bool:
    """Indexing (``x[:, 0]``) and reductions (``x.mean(-1)``) change the rank by amounts not worth guessing.

    ``outputs[0]``, one integer index, is the first item of a layer's output tuple, not a
    slice of a tensor: its rank is the default one.
    """
    if isinstance(value, cst.Subscript):
        return not _tuple_item(value)
    return (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _REDUCTIONS
    )


class _SublayerCallRanks(cst.CSTVisitor):
    """``self.x(t, ...)`` calls of one method, in source order: x -> the ranks of ``t``.

    A name is rank 3 until assigned from a reshape (then the reshape's rank, None when not
    written out); an assignment that reads the name itself (``t = f(t)``) keeps its rank, any
    other assignment makes it rank 3 again.
    """

    def __init__(self, ranks: dict[str, set[int | None]]) -> None:
        super().__init__()
        self.current: dict[str, int | None] = {}
        self.ranks = ranks

    def leave_Assign(self, node: cst.Assign) -> None:
        rank = _reshaped_rank(node.value)
        read = set(_free_names(node.value))
        for target in node.targets:
            names = [target.target] if isinstance(target.target, cst.Name) else []
            if isinstance(target.target, cst.Tuple | cst.List):
                names = [e.value for e in target.target.elements if isinstance(e.value, cst.Name)]
                rank = 0  # a reshape does not unpack
            for name in names:
                if rank != 0:
                    self.current[name.value] = rank
                elif _rank_unknown(node.value):
                    self.current[name.value] = None
                elif name.value not in read:
                    self.current.pop(name.value, None)

    def visit_Call(self, node: cst.Call) -> None:
        attr = _self_attr(node.func)
        if attr is None or not node.args:
            return
        first = node.args[0].value
        direct = _reshaped_rank(first)
        if direct != 0:
            found = direct
        elif _rank_unknown(first):
            found = None
        elif isinstance(first, cst.Name):
            found = self.current.get(first.value, 3)
        else:
            found = 3
        self.ranks.setdefault(attr, set()).add(found)


def _call_ranks(cls: cst.ClassDef) -> dict[str, set[int | None]]:
    """Per sublayer ``self.x``: the ranks of the tensors the class's methods call it on (3 unless reshaped)."""
    ranks: dict[str, set[int | None]] = {}
    for method in cls.body.body:
        if isinstance(method, cst.FunctionDef):
            method.visit(_SublayerCallRanks(ranks))
    return ranks


class _AnyRank(cst.CSTTransformer):
    """Switches the constructor calls of ``calls`` (by node identity) to their any-rank layer."""

    def __init__(self, calls: set[int]) -> None:
        super().__init__()
        self.calls = calls

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if id(original) not in self.calls:
            return updated
        spec = T.LAYERS[_norm(dotted(updated.func)) or ""]
        return updated.with_changes(func=cst.parse_expression(spec.any_rank or ""))


_TIED = 1000  # an assignment count no sublayer reaches: ``self.x.bias = ...`` ties x to something


class SublayerBuilds(Rule):
    """Each layer's ``build()`` builds the sublayers its constructor fully determines.

    Keras makes a layer's weights when the layer is first called; a sublayer that the call does
    not reach on the dummy inputs (cross-attention in a decoder run without encoder states, a
    branch the config switches off) would have no weights, and its PyTorch weights would not
    load. The hand-written ports build every sublayer in ``build()``, under its name scope, with
    an input shape taken from the constructor; PyTorch constructors state those widths
    (``nn.Linear(in_features, ...)``), so the rule does the same: layers of the ``LAYERS`` table
    with a ``build_shape`` get it (the widths the shape reads from ``__init__`` are kept as
    attributes), layers of the module's own layer classes get ``build(None)`` (their own
    ``build()`` needs no input shape), lists of them each item. Model classes build too:
    ``TFPreTrainedModel.build()`` makes no weights, and ``from_pretrained`` loads a TF checkpoint
    into the weights ``build_in_name_scope()`` made, so a weight made at the first call would keep
    its random values. A layer whose build fixes its input rank (LayerNorm) gets the rank the
    class's calls give it: 3 (batch, sequence, features) unless the tensor passed comes from a
    reshape, then the reshape's rank; calls of several or unwritten ranks (a pooled or indexed
    tensor) switch it to the table's layer that does not fix the rank (``any_rank``). A sublayer
    made in an ``if`` builds under the same test; one assigned twice builds its last making,
    unless the last is not a constructor (shared); a tied one is left to its first call.
    """

    name = "sublayer-builds"
    summary = "build() builds nn.Linear(i, o) sublayers with [None, None, i] and the module's layers with None."
    examples = (
        Example(
            before="""
class TFMarianDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        embed_dim = config.d_model
        self.self_attn = TFMarianAttention(embed_dim, config.heads)
        self.self_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.encoder_attn = TFMarianAttention(embed_dim, config.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, config.ffn_dim)
        self.pooler = TFPooler(config) if config.pool else None
        self.final_layer_norm = nn.LayerNorm(embed_dim)
        self.dropout = nn.Dropout(0.1)

    def call(self, hidden_states, encoder_hidden_states=None):
        hidden_states = self.self_attn_layer_norm(self.self_attn(hidden_states))
        if encoder_hidden_states is not None:
            hidden_states = self.encoder_attn_layer_norm(self.encoder_attn(hidden_states))
        if self.norm_last:
            hidden_states = self.final_layer_norm(tf.reshape(hidden_states, [-1, 32]))
        return self.fc1(hidden_states)


class TFMarianAttention(keras.layers.Layer):
    def __init__(self, embed_dim, num_heads, bias=True, **kwargs):
        super().__init__(**kwargs)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)


class TFPooler(keras.layers.Layer):
    pass
""",
            after="""
class TFMarianDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        embed_dim = config.d_model
        self.self_attn = TFMarianAttention(embed_dim, config.heads)
        self.embed_dim = embed_dim
        self.self_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.encoder_attn = TFMarianAttention(embed_dim, config.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, config.ffn_dim)
        self.pooler = TFPooler(config) if config.pool else None
        self.final_layer_norm = nn.LayerNorm(embed_dim)
        self.dropout = nn.Dropout(0.1)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.self_attn.name):
            self.self_attn.build(None)
        with tf.name_scope(self.self_attn_layer_norm.name):
            self.self_attn_layer_norm.build([None, None, self.embed_dim])
        with tf.name_scope(self.encoder_attn.name):
            self.encoder_attn.build(None)
        with tf.name_scope(self.encoder_attn_layer_norm.name):
            self.encoder_attn_layer_norm.build([None, None, self.embed_dim])
        with tf.name_scope(self.fc1.name):
            self.fc1.build([None, None, self.embed_dim])
        if self.pooler is not None:
            with tf.name_scope(self.pooler.name):
                self.pooler.build(None)
        with tf.name_scope(self.final_layer_norm.name):
            self.final_layer_norm.build([None, self.embed_dim])

    def call(self, hidden_states, encoder_hidden_states=None):
        hidden_states = self.self_attn_layer_norm(self.self_attn(hidden_states))
        if encoder_hidden_states is not None:
            hidden_states = self.encoder_attn_layer_norm(self.encoder_attn(hidden_states))
        if self.norm_last:
            hidden_states = self.final_layer_norm(tf.reshape(hidden_states, [-1, 32]))
        return self.fc1(hidden_states)


class TFMarianAttention(keras.layers.Layer):
    def __init__(self, embed_dim, num_heads, bias=True, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.k_proj.name):
            self.k_proj.build([None, None, self.embed_dim])


class TFPooler(keras.layers.Layer):
    pass
""",
            note="every weight exists after build(): a norm gets the rank its calls give it (3 unless reshaped)",
        ),
        Example(
            before="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    pass


class TFBertForTokens(TFBertPreTrainedModel):
    def __init__(self, config):
        self.bert = TFBertMainLayer(config)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config):
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = nn.LayerNorm(config.hidden_size)

    def call(self, input_ids):
        hidden_states = self.embed(input_ids).reshape(-1, self.hidden_size)
        hidden_states = hidden_states.reshape(*self.shape)
        return self.norm(hidden_states)


class TFBertLayer(keras.layers.Layer):
    pass
""",
            after="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    pass


class TFBertForTokens(TFBertPreTrainedModel):
    def __init__(self, config):
        self.bert = TFBertMainLayer(config)
        self.config = config
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.bert.name):
            self.bert.build(None)
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.hidden_size])


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config):
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(config.num_hidden_layers)])
        self.config = config
        self.norm = nn.LayerNorm.any_rank(config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embed.name):
            self.embed.build(None)
        for layer in self.layer:
            with tf.name_scope(layer.name):
                layer.build(None)
        with tf.name_scope(self.norm.name):
            self.norm.build([None, self.config.hidden_size])

    def call(self, input_ids):
        hidden_states = self.embed(input_ids).reshape(-1, self.hidden_size)
        hidden_states = hidden_states.reshape(*self.shape)
        return self.norm(hidden_states)


class TFBertLayer(keras.layers.Layer):
    pass
""",
            note=(
                "model classes build too (TFPreTrainedModel.build makes nothing); a norm of unwritten rank becomes"
                " the layer norm that does not fix its rank (TFLayerNormLastAxis, by the layers table)"
            ),
        ),
        Example(
            before="""
class TFOPTDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.self_attn_layer_norm = nn.LayerNorm(config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size)

    def call(self, hidden_states):
        hidden_states = self.self_attn_layer_norm(hidden_states)
        shape = hidden_states.shape
        hidden_states = hidden_states.reshape(-1, hidden_states.size(-1))
        hidden_states = self.final_layer_norm(hidden_states)
        return hidden_states.view(shape)
""",
            after="""
class TFOPTDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.config = config
        self.self_attn_layer_norm = nn.LayerNorm(config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.self_attn_layer_norm.name):
            self.self_attn_layer_norm.build([None, None, self.config.hidden_size])
        with tf.name_scope(self.final_layer_norm.name):
            self.final_layer_norm.build([None, self.config.hidden_size])

    def call(self, hidden_states):
        hidden_states = self.self_attn_layer_norm(hidden_states)
        shape = hidden_states.shape
        hidden_states = hidden_states.reshape(-1, hidden_states.size(-1))
        hidden_states = self.final_layer_norm(hidden_states)
        return hidden_states.view(shape)
""",
            note="a norm's rank follows the tensor it gets at that point of the call",
        ),
        Example(
            before="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        if config.share_encoder_decoder_embeddings:
            encoder_embed_tokens = self.shared
        else:
            encoder_embed_tokens = copy.deepcopy(self.shared)
            self.shared = None
        self.encoder = TFMarianEncoder(config, encoder_embed_tokens)


class TFMarianEncoder(keras.layers.Layer):
    pass
""",
            after="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        if config.share_encoder_decoder_embeddings:
            encoder_embed_tokens = self.shared
        else:
            encoder_embed_tokens = copy.deepcopy(self.shared)
            self.shared = None
        self.encoder = TFMarianEncoder(config, encoder_embed_tokens)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.shared is not None:
            with tf.name_scope(self.shared.name):
                self.shared.build(None)
        with tf.name_scope(self.encoder.name):
            self.encoder.build(None)


class TFMarianEncoder(keras.layers.Layer):
    pass
""",
            note="a layer a branch then sets to None builds when it is still there",
        ),
        Example(
            before="""
class TFViTHead(keras.layers.Layer):
    def __init__(self, config):
        num_channels, hidden_size = config.num_channels, config.hidden_size
        self.pooler = TFViTPooler(config)
        self.projection = nn.Conv2d(num_channels, hidden_size, kernel_size=4, stride=4)
        self.classifier = nn.Linear(hidden_size, config.num_labels) if config.num_labels > 0 else nn.Identity()
        self.decoder = nn.Sequential(nn.Conv2d(hidden_size, 16, kernel_size=1), nn.PixelShuffle(4))
""",
            after="""
class TFViTHead(keras.layers.Layer):
    def __init__(self, config):
        num_channels, hidden_size = config.num_channels, config.hidden_size
        self.pooler = TFViTPooler(config)
        self.num_channels = num_channels
        self.projection = nn.Conv2d(num_channels, hidden_size, kernel_size=4, stride=4)
        self.hidden_size = hidden_size
        self.classifier = nn.Linear(hidden_size, config.num_labels) if config.num_labels > 0 else nn.Identity()
        self.decoder = nn.Sequential(nn.Conv2d(hidden_size, 16, kernel_size=1), nn.PixelShuffle(4))

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.pooler.name):
            self.pooler.build(None)
        with tf.name_scope(self.projection.name):
            self.projection.build([None, self.num_channels, None, None])
        with tf.name_scope(self.classifier.name):
            self.classifier.build([None, None, self.hidden_size])
        with tf.name_scope(self.decoder.name):
            with tf.name_scope(self.decoder.sequence[0].name):
                self.decoder.sequence[0].build([None, self.hidden_size, None, None])
""",
            note="a reused layer (TFViTPooler) builds itself; a weightless alternative (Identity) takes any shape",
            context=(("reused", {"ViTPooler"}), ("class_bases", {"ViTPooler": ["Module"]})),
        ),
        Example(
            before="""
class TFBertHead(keras.layers.Layer):
    def __init__(self, config, shared):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = shared
        self.norm = nn.LayerNorm((config.hidden_size,))
        if config.extra:
            width = config.extra
            self.extra = nn.Linear(width, 2)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.bias = self.bias
""",
            after="""
class TFBertHead(keras.layers.Layer):
    def __init__(self, config, shared):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = shared
        self.norm = nn.LayerNorm((config.hidden_size,))
        if config.extra:
            width = config.extra
            self.extra = nn.Linear(width, 2)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.bias = self.bias
""",
            note="reassigned, tied and multi-axis sublayers, and widths bound in a branch, are left to their call",
        ),
        Example(
            before="""
class TFGPT2Attention(keras.layers.Layer):
    def __init__(self, config, is_cross_attention=False):
        self.embed_dim = config.hidden_size
        if is_cross_attention:
            self.c_attn = Conv1D(2 * self.embed_dim, self.embed_dim)
            self.q_attn = Conv1D(self.embed_dim, self.embed_dim)
        else:
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)


class TFGPT2Block(keras.layers.Layer):
    def __init__(self, config):
        attention_class = TFGPT2Attention
        self.attn = attention_class(config)
""",
            after="""
class TFGPT2Attention(keras.layers.Layer):
    def __init__(self, config, is_cross_attention=False):
        self.embed_dim = config.hidden_size
        self.is_cross_attention = is_cross_attention
        if is_cross_attention:
            self.c_attn = Conv1D(2 * self.embed_dim, self.embed_dim)
            self.q_attn = Conv1D(self.embed_dim, self.embed_dim)
        else:
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.is_cross_attention:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
            with tf.name_scope(self.q_attn.name):
                self.q_attn.build([None, None, self.embed_dim])
        else:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
        with tf.name_scope(self.c_proj.name):
            self.c_proj.build([None, None, self.embed_dim])


class TFGPT2Block(keras.layers.Layer):
    def __init__(self, config):
        attention_class = TFGPT2Attention
        self.attn = attention_class(config)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.attn.name):
            self.attn.build(None)
""",
            note="a sublayer made in a branch builds under the same test; a local name for a layer class builds too",
        ),
        Example(
            before="""
class TFRobertaEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size, self.padding_idx)
""",
            after="""
class TFRobertaEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size, self.padding_idx)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.position_embeddings.name):
            self.position_embeddings.build(None)
""",
            note="a layer made twice (a copied block, then the model's own) builds its last making",
        ),
        Example(
            before="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings, embedding_dim, **kwargs):
        super().__init__(num_embeddings, embedding_dim, **kwargs)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model)
        if embed_tokens is not None:
            self.embed_tokens.weight = embed_tokens.weight
""",
            after="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings, embedding_dim, **kwargs):
        super().__init__(num_embeddings, embedding_dim, **kwargs)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model)
        if embed_tokens is not None:
            self.embed_tokens.weight = embed_tokens.weight

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embed_tokens.name):
            self.embed_tokens.build(None)
""",
            note="an embedding that may share another's table builds too: a decoder run alone owns its table",
        ),
        Example(
            before="""
class TFMarianDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        if embed_tokens is not None:
            self.embed_tokens = embed_tokens
        else:
            self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
""",
            after="""
class TFMarianDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self._embed_tokens = embed_tokens
        if embed_tokens is not None:
            self.embed_tokens = embed_tokens
        else:
            self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self._embed_tokens is not None:
            pass
        else:
            with tf.name_scope(self.embed_tokens.name):
                self.embed_tokens.build(None)
""",
            note="a layer made only in the else branch builds there (the given layer is its owner's to build)",
        ),
        Example(
            before="""
class TFConvNextStage(keras.layers.Layer):
    def __init__(self, config, in_channels, out_channels, depth=2):
        if in_channels != out_channels:
            self.downsampling_layer = nn.Conv2d(in_channels, out_channels, kernel_size=2)
        else:
            self.downsampling_layer = nn.Identity()
        self.layers = nn.Sequential(*[TFConvNextLayer(config, dim=out_channels) for j in range(depth)])


class TFConvNextEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = nn.ModuleList()
        for i in range(config.num_stages):
            stage = TFConvNextStage(config, 4, 4)
            self.stages.append(stage)


class TFConvNextLayer(keras.layers.Layer):
    pass
""",
            after="""
class TFConvNextStage(keras.layers.Layer):
    def __init__(self, config, in_channels, out_channels, depth=2):
        self.in_channels = in_channels
        self.out_channels = out_channels
        if in_channels != out_channels:
            self.downsampling_layer = nn.Conv2d(in_channels, out_channels, kernel_size=2)
        else:
            self.downsampling_layer = nn.Identity()
        self.layers = nn.Sequential(*[TFConvNextLayer(config, dim=out_channels) for j in range(depth)])

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.in_channels != self.out_channels:
            with tf.name_scope(self.downsampling_layer.name):
                self.downsampling_layer.build([None, self.in_channels, None, None])
        with tf.name_scope(self.layers.name):
            for layer in self.layers.sequence:
                with tf.name_scope(layer.name):
                    layer.build(None)


class TFConvNextEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = nn.ModuleList()
        for i in range(config.num_stages):
            stage = TFConvNextStage(config, 4, 4)
            self.stages.append(stage)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        for layer in self.stages:
            with tf.name_scope(layer.name):
                layer.build(None)


class TFConvNextLayer(keras.layers.Layer):
    pass
""",
            note="a weightless else builds nothing; a Sequential of module layers and a list filled by append build each item",
        ),
        Example(
            before="""
class TFCLIPPreTrainedModel(TFPreTrainedModel):
    pass


class TFCLIPTextModel(TFCLIPPreTrainedModel):
    def __init__(self, config):
        self.text_model = TFCLIPTextTransformer(config)


class TFCLIPTextModelWithProjection(TFCLIPPreTrainedModel):
    def __init__(self, config):
        text_model = TFCLIPTextModel._from_config(config)
        self.text_model = text_model.text_model
        self.pooler = config.pooler


class TFCLIPTextTransformer(keras.layers.Layer):
    pass
""",
            after="""
class TFCLIPPreTrainedModel(TFPreTrainedModel):
    pass


class TFCLIPTextModel(TFCLIPPreTrainedModel):
    def __init__(self, config):
        self.text_model = TFCLIPTextTransformer(config)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.text_model.name):
            self.text_model.build(None)


class TFCLIPTextModelWithProjection(TFCLIPPreTrainedModel):
    def __init__(self, config):
        text_model = TFCLIPTextModel._from_config(config)
        self.text_model = text_model.text_model
        self.pooler = config.pooler

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.text_model.name):
            self.text_model.build(None)


class TFCLIPTextTransformer(keras.layers.Layer):
    pass
""",
            note="a layer borrowed from another model of the module builds when that model makes it of a layer class",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.layer_classes: set[str] = set()
        self.aliases: set[str] = set()  # the class being rewritten's names for its layer classes
        self.embedding_classes: set[str] = set()  # embedding layers: nn.Embedding, keras's and subclasses
        self.made_of: dict[str, dict[str, str]] = {}
        self.any_rank: set[int] = set()  # ids of constructor calls to switch to their any-rank layer

    def visit_Module(self, node: cst.Module) -> bool:
        bases = _class_bases(node, self.ctx)
        # model classes too: TFPreTrainedModel.build() makes no weights, and from_pretrained loads
        # a TF checkpoint into the weights build_in_name_scope() made, before any call
        roots = {f"{self.ctx.keras}.layers.Layer", f"{self.ctx.keras}.layers.Embedding", "TFPreTrainedModel"}
        found = {name for name, names in bases.items() if roots & set(names)}
        while True:
            more = {name for name, names in bases.items() if found & set(names)} - found
            if not more:
                break
            found |= more
        # classes reused from another port (placeholders here) build themselves the same way
        found |= {self.ctx.tf_name(n) for n in self.ctx.reused if self.ctx.derives_from(n, "Module")}
        self.layer_classes = found
        embeddings = {f"{self.ctx.keras}.layers.Embedding", "nn.Embedding"}
        while True:
            more = {name for name, names in bases.items() if embeddings & set(names)} - embeddings
            if not more:
                break
            embeddings |= more
        self.embedding_classes = embeddings
        # class -> attribute -> the class its __init__ makes it of (``self.text_model = Transformer(...)``)
        self.made_of: dict[str, dict[str, str]] = {}
        for cls in node.body:
            if not isinstance(cls, cst.ClassDef):
                continue
            init = next(
                (m for m in cls.body.body if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None
            )
            for stmt in init.body.body if init is not None and isinstance(init.body, cst.IndentedBlock) else ():
                if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                    assign = stmt.body[0]
                    attr = _self_attr(assign.targets[0].target)
                    if attr and isinstance(assign.value, cst.Call) and dotted(assign.value.func):
                        self.made_of.setdefault(cls.name.value, {})[attr] = dotted(assign.value.func) or ""
        return True

    def _borrowed_layer(self, init: cst.FunctionDef, value: cst.BaseExpression) -> bool:
        """``self.text_model = text_model.text_model`` with ``text_model = TFCLIPTextModel._from_config(c)``.

        A layer taken from another model of the module: it builds itself when its class (as that
        model's ``__init__`` makes it) is one of the module's layer classes.
        """
        if not (isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name)):
            return False
        owner: list[str] = []

        class Visitor(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == value.value.value:
                        call = node.value
                        func = dotted(call.func) if isinstance(call, cst.Call) else None
                        owner.append((func or "").removesuffix("._from_config"))

        init.visit(Visitor())
        if len(owner) != 1:
            return False
        return self.made_of.get(owner[0], {}).get(value.attr.value) in self.layer_classes

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if updated.name.value not in self.layer_classes:
            return updated
        body = list(updated.body.body)
        at_init = next(
            (i for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None
        )
        if at_init is None or not isinstance(body[at_init].body, cst.IndentedBlock):
            return updated
        init = body[at_init]
        self.aliases = self._aliases(init)
        call = next((m for m in body if isinstance(m, cst.FunctionDef) and m.name.value in ("call", "forward")), None)
        on_optional_input = _optional_input_calls(call)
        ranks = _call_ranks(updated)
        counts: dict[str, int] = {}
        embeddings = self.embedding_classes
        made_as_embedding = {
            attr
            for small in _assignments(init)
            if len(small.targets) == 1
            and (attr := _self_attr(small.targets[0].target)) is not None
            and isinstance(small.value, cst.Call)
            and (dotted(small.value.func) or "") in embeddings
        }

        class Count(cst.CSTVisitor):
            def __init__(self, counts: dict[str, int]) -> None:
                super().__init__()
                self.counts = counts

            def visit_Assign(self, node: cst.Assign) -> bool:
                # ``self.embed_tokens.weight = shared.weight``: an embedding sharing another's table
                # builds all the same (share_embeddings makes its build take the owner's table)
                target = node.targets[0].target if len(node.targets) == 1 else None
                return not (
                    isinstance(target, cst.Attribute)
                    and target.attr.value in ("weight", "embeddings")
                    and _self_attr(target.value) in made_as_embedding
                    and isinstance(node.value, cst.Attribute)
                    and node.value.attr.value in ("weight", "embeddings")
                )

            def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                target = node.target
                attr = _self_attr(target)
                if attr is None and isinstance(target, cst.Attribute):
                    # ``self.decoder.bias = self.bias``: the sublayer is tied to something; leave it
                    attr = _self_attr(target.value)
                    self.counts[attr or ""] = _TIED
                if attr is not None:
                    self.counts[attr] = self.counts.get(attr, 0) + 1

        init.visit(Count(counts))
        params = {p.name.value for p in (*init.params.params, *init.params.kwonly_params)} - {"self"}
        params |= self._locals(init)  # names of __init__ a build shape may read
        existing = _init_attributes(init)
        statements: list[cst.BaseStatement] = []
        builds: list[str] = []
        kept: dict[str, str] = {}  # __init__ name -> attribute

        def resolve(shape: str) -> str:
            """The shape in attributes: the ``__init__`` names it reads are kept as attributes."""
            names = [n for n in _free_names(cst.parse_expression(shape)) if n in params]
            for name in names:
                if name in kept:
                    continue
                have = next((a for a, v in existing.items() if v == name), None)
                if have is None:
                    have = name if name not in T.RESERVED_ATTRIBUTES and name not in existing else f"_{name}"
                    statements.insert(len(statements) - 1, cst.parse_statement(f"self.{have} = {name}\n"))
                kept[name] = have
            return self.code(cst.parse_expression(shape).visit(_Replace({n: f"self.{kept[n]}" for n in names})))

        def build_of(
            stmt: cst.BaseStatement, counts: dict[str, int], unknown: set[str], nullable: frozenset[str] = frozenset()
        ) -> str | None:
            """The build code of one ``self.x = Layer(...)`` statement; ``unknown``: names not yet bound,
            ``nullable``: attributes a later branch sets to None (their build asks first)."""
            target = self._sublayer(stmt, counts)
            if target is None:
                return None
            attr, value, optional = target
            optional = optional or attr in nullable
            if (
                isinstance(value, cst.Call)
                and (dotted(value.func) or "") in T.MODULE_LIST
                and len(value.args) == 1
                and isinstance(value.args[0].value, cst.ListComp)
            ):
                value = value.args[0].value
            if isinstance(value, cst.Attribute):
                if not self._borrowed_layer(init, value):
                    return None
                return f"with tf.name_scope(self.{attr}.name):\n    self.{attr}.build(None)\n"
            each = f"for layer in self.{attr}:\n    with tf.name_scope(layer.name):\n        layer.build(None)\n"
            if isinstance(value, cst.ListComp):
                # ``self.layer = [Layer(config) for i in range(n)]``: each item builds itself
                if isinstance(value.elt, cst.Call) and dotted(value.elt.func) in self.layer_classes:
                    return each
                return None
            empty_list = isinstance(value, cst.Call) and (dotted(value.func) or "") in T.MODULE_LIST and not value.args
            if empty_list or (isinstance(value, cst.List) and not value.elements):
                # ``self.stages = nn.ModuleList()`` then ``self.stages.append(Stage(...))``: each item builds itself
                return each if self._appends_layers(init, attr) else None

            def known(shape: str) -> bool:
                return not unknown & set(_free_names(cst.parse_expression(shape)))

            if isinstance(value, cst.Call) and (dotted(value.func) or "") in T.SEQUENTIAL:
                # ``nn.Sequential(*[Layer(...) for j in range(n)])``: each item builds itself
                if any(a.star for a in value.args):
                    # a counted comprehension among the items: each item must build itself
                    mine = self.layer_classes | self.aliases
                    items = [getattr(a.value, "elt", None) if a.star else a.value for a in value.args]
                    made = _layer_locals(init, self.ctx, mine)
                    if all(
                        (isinstance(i, cst.Call) and dotted(i.func) in mine)
                        or (isinstance(i, cst.Name) and i.value in made)
                        for i in items
                    ):
                        return (
                            f"with tf.name_scope(self.{attr}.name):\n"
                            f"    for layer in self.{attr}.sequence:\n"
                            "        with tf.name_scope(layer.name):\n"
                            "            layer.build(None)\n"
                        )
                    return None
                # ``nn.Sequential(a, b)`` (TFSequential): each item the constructor fully determines
                items = []
                for i, item in enumerate(value.args):
                    shape = self._shape(item.value, False, {None}) if isinstance(item.value, cst.Call) else None
                    if item.keyword is None and not item.star and shape is not None and known(shape):
                        items.append(
                            f"    with tf.name_scope(self.{attr}.sequence[{i}].name):\n"
                            f"        self.{attr}.sequence[{i}].build({resolve(shape)})\n"
                        )
                return f"with tf.name_scope(self.{attr}.name):\n" + "".join(items) if items else None
            shape = self._shape(value, attr in on_optional_input, ranks.get(attr, {3}))
            if shape is None or not known(shape):
                return None
            build = f"with tf.name_scope(self.{attr}.name):\n    self.{attr}.build({resolve(shape)})\n"
            if optional:
                build = f"if self.{attr} is not None:\n" + "".join(f"    {line}\n" for line in build.splitlines())
            return build

        def branch_builds(node: cst.If) -> str | None:
            """``if c: self.x = A(...) else: self.x = B(...)``: build() asks the same question.

            A sublayer assigned only inside this statement, at most once per branch, builds in the
            branch that made it; the test is kept when it reads only what build() can read.
            """
            inside: dict[str, int] = {}
            node.visit(Count(inside))
            unknown = self._locals(node)  # bound inside: build() cannot read them

            def block(suite: cst.BaseSuite) -> str:
                """The builds of one branch, indented; "" when it makes nothing build() can build."""
                mine: dict[str, int] = {}
                suite.visit(Count(mine))
                eligible = {a: 1 for a, n in mine.items() if n == 1 and counts.get(a) == inside.get(a)}
                code = "".join(b for b in (build_of(s, eligible, unknown) for s in suite.body) if b)
                return "".join(f"    {line}\n" for line in code.splitlines())

            parts: list[tuple[cst.BaseExpression | None, str]] = []  # (test, None for else; indented builds)
            current: cst.If | cst.Else | None = node
            while isinstance(current, cst.If):
                if unknown & set(_free_names(current.test)):
                    return None
                parts.append((current.test, block(current.body)))
                current = current.orelse
            if current is not None:
                parts.append((None, block(current.body)))
            if not any(code for _, code in parts):
                return None
            if parts[-1] == (None, ""):
                parts.pop()  # an else that builds nothing
            headers = [
                "else:\n" if test is None else f"{'elif' if i else 'if'} {resolve(self.code(test))}:\n"
                for i, (test, _) in enumerate(parts)
            ]
            return "".join(header + (code or "    pass\n") for header, (_, code) in zip(headers, parts, strict=True))

        # ``self.x = A(...)`` then ``self.x = B(...)`` (a copied block, then the model's own
        # layer): the last assignment is the layer, when every assignment is a plain statement
        top: list[dict[str, int]] = []
        for stmt in init.body.body:
            top.append({})
            if isinstance(stmt, cst.SimpleStatementLine):
                stmt.visit(Count(top[-1]))
        top_counts: dict[str, int] = {}
        for found in top:
            for attr, n in found.items():
                top_counts[attr] = top_counts.get(attr, 0) + n
        # ``self.shared = Embedding(...)`` then, in one branch of an ``if``, ``self.shared = None``:
        # the layer is made all the same, and build() builds it when it is still there
        nested_nones: dict[str, int] = {}
        for stmt in init.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                for small in _assignments(stmt):
                    attr = _self_attr(small.targets[0].target) if len(small.targets) == 1 else None
                    if attr is not None and isinstance(small.value, cst.Name) and small.value.value == "None":
                        nested_nones[attr] = nested_nones.get(attr, 0) + 1
        for i, stmt in enumerate(init.body.body):
            statements.append(stmt)
            if isinstance(stmt, cst.If):
                build = branch_builds(stmt)
            else:
                later = {a for found in top[i + 1 :] for a in found}
                last = {
                    a: 1
                    for a in top[i]
                    if counts.get(a) == top_counts.get(a) + nested_nones.get(a, 0) and a not in later
                }
                build = build_of(stmt, last, set(), frozenset(a for a in last if nested_nones.get(a)))
            if build is not None:
                builds.append(build)
        if not builds:
            return updated
        body[at_init] = init.with_changes(body=init.body.with_changes(body=statements))
        if self.any_rank:
            body[at_init] = body[at_init].visit(_AnyRank(self.any_rank))
            self.any_rank = set()
        made = [cst.parse_statement(b) for b in builds]
        existing_build = next(
            (i for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "build"), None
        )
        if existing_build is not None:
            old = body[existing_build]
            body[existing_build] = old.with_changes(body=old.body.with_changes(body=[*old.body.body, *made]))
        else:
            build = cst.parse_statement(
                "def build(self, input_shape=None):\n    if self.built:\n        return\n    self.built = True\n"
            )
            build = build.with_changes(
                body=build.body.with_changes(body=[*build.body.body, *made]), leading_lines=[cst.EmptyLine()]
            )
            body.insert(at_init + 1, build)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def _appends_layers(self, init: cst.FunctionDef, attr: str) -> bool:
        """Whether ``__init__`` appends to ``self.<attr>`` only layers of the module's classes.

        An item is a call of such a class, or a local assigned only such calls.
        """
        made: dict[str, list[bool]] = {}
        appended: list[cst.BaseExpression] = []
        layer = self.layer_classes | self.aliases

        class Visitor(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        call = isinstance(node.value, cst.Call) and dotted(node.value.func) in layer
                        made.setdefault(target.target.value, []).append(call)

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "append" and _self_attr(func.value) == attr:
                    appended.extend(a.value for a in node.args)

        init.visit(Visitor())

        def is_layer(item: cst.BaseExpression) -> bool:
            if isinstance(item, cst.Call):
                return dotted(item.func) in layer
            return isinstance(item, cst.Name) and all(made.get(item.value, [False]))

        return bool(appended) and all(is_layer(item) for item in appended)

    def _aliases(self, init: cst.FunctionDef) -> set[str]:
        """``attention_class = TFGPT2Attention`` (or one of two) in ``__init__``: calls of it make a layer class."""
        found: set[str] = set()
        for stmt in init.body.body:
            if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
                continue
            assign = stmt.body[0]
            if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
                continue
            value = assign.value
            choices = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
            if all(dotted(c) in self.layer_classes for c in choices):
                found.add(assign.targets[0].target.value)
        return found

    @staticmethod
    def _locals(init: cst.CSTNode) -> set[str]:
        """Names a function (or one statement) binds."""
        found: set[str] = set()

        class Visitor(cst.CSTVisitor):
            def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                if isinstance(node.target, cst.Name):
                    found.add(node.target.value)
                elif isinstance(node.target, cst.Tuple | cst.List):  # ``a, b = config.a, config.b``
                    found.update(e.value.value for e in node.target.elements if isinstance(e.value, cst.Name))

        init.visit(Visitor())
        return found

    def _sublayer(
        self, stmt: cst.BaseStatement, counts: dict[str, int]
    ) -> tuple[str, cst.BaseExpression, bool] | None:
        """``self.x = Layer(...)`` (or ``... if c else None``), assigned once: (x, the call, optional)."""
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return None
        small = stmt.body[0]
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            return None
        attr = _self_attr(small.targets[0].target)
        if attr is None or counts.get(attr) != 1:
            return None
        value = small.value
        if isinstance(value, cst.IfExp) and isinstance(value.body, cst.Call):
            if isinstance(value.orelse, cst.Name) and value.orelse.value == "None":
                return attr, value.body, True
            # ``nn.Linear(...) if c else nn.Identity()``: a weightless layer builds on any shape
            if isinstance(value.orelse, cst.Call) and dotted(value.orelse.func) in _WEIGHTLESS:
                return attr, value.body, False
            if dotted(value.body.func) in _WEIGHTLESS and isinstance(value.orelse, cst.Call):
                return attr, value.orelse, False
            return None
        if isinstance(value, cst.Call | cst.ListComp | cst.List | cst.Attribute):
            return attr, value, False
        return None

    def _shape(self, call: cst.Call, optional: bool, ranks: set[int | None]) -> str | None:
        """The input shape build() gives this layer, as code in ``__init__``'s names; None: leave it to its call.

        A layer whose build fixes its input rank gets the rank its calls give it (``ranks``): 3
        unless a call passes a reshaped tensor; calls of different or unwritten ranks switch it to
        its ``any_rank`` layer (the call is recorded in ``self.any_rank``), or leave it to its call
        when the table has none; only an optional input reaching it gets rank 3.
        """
        name = dotted(call.func)
        if name in self.layer_classes or name in self.aliases:
            return "None"
        spec = T.LAYERS.get(_norm(name) or "")
        if spec is None or spec.build_shape is None:
            return None
        template = spec.build_shape
        if spec.build_fixes_rank:
            rank = next(iter(ranks)) if len(ranks) == 1 else None
            if rank is None and not optional:
                if spec.any_rank is None:
                    return None
                # the layer that does not fix the rank, built at rank 2
                shape = self._shape(call.with_changes(func=cst.parse_expression(spec.any_rank)), optional, {2})
                if shape is not None:
                    self.any_rank.add(id(call))
                return shape
            features = template.strip("[]").split(", ")[-1]
            template = "[" + "None, " * ((rank or 3) - 1) + features + "]"
        bound, problems = _bind(call, spec.params)
        if problems:
            return None
        for slot in _slots(template):
            if slot not in bound or isinstance(bound[slot], cst.Tuple | cst.List | cst.StarredElement):
                return None
        return _render(template, {k: self.code(v) for k, v in bound.items()}, {})


class ParametersToWeights(_InInit):
    """``self.x = nn.Parameter(torch.zeros(...))`` becomes ``self.add_weight`` in ``build()``.

    Weights made in ``build`` live under the layer's name scope, so ``x`` loads from the
    PyTorch key ``<layer path>.x``; made in ``__init__`` they would have no path. The values the
    shape needs from ``__init__`` are kept as attributes (``self.hidden_size = hidden_size``,
    ``self.config = config``). ``torch.zeros``/``ones``/``randn``... give the initializer; any
    other expression is evaluated in ``build`` and used as a constant initializer.
    ``requires_grad=False`` gives a non-trainable weight. A parameter assigned elsewhere than
    an attribute in ``__init__``, or held by a model class, is a TODO.
    """

    name = "parameters-to-weights"
    summary = "nn.Parameter(torch.zeros(1, 1, config.hidden_size)) -> self.add_weight(...) in build()."
    examples = (
        Example(
            before="""
class TFViTEmbeddings(keras.layers.Layer):
    def __init__(self, config, use_mask_token=False, **kwargs):
        super().__init__(**kwargs)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, config.hidden_size)) if use_mask_token else None
        num_patches = config.num_patches
        self.position_embeddings = nn.Parameter(torch.randn(1, num_patches + 1, config.hidden_size))
        self.layer_weights = nn.Parameter(torch.ones(num_patches) / num_patches, requires_grad=False)

    def call(self, x):
        return x + self.cls_token
""",
            after="""
class TFViTEmbeddings(keras.layers.Layer):
    def __init__(self, config, use_mask_token=False, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.use_mask_token = use_mask_token
        num_patches = config.num_patches
        self.num_patches = num_patches

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        self.cls_token = self.add_weight(name="cls_token", shape=(1, 1, self.config.hidden_size), initializer="zeros")
        self.mask_token = (
            self.add_weight(name="mask_token", shape=(1, 1, self.config.hidden_size), initializer="zeros")
            if self.use_mask_token
            else None
        )
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(1, self.num_patches + 1, self.config.hidden_size),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        layer_weights = torch.ones(self.num_patches) / self.num_patches
        self.layer_weights = self.add_weight(
            name="layer_weights",
            shape=layer_weights.shape,
            initializer=keras.initializers.Constant(layer_weights),
            trainable=False,
        )

    def call(self, x):
        return x + self.cls_token
""",
            note="torch ops left in build() are converted by the ops rules, which run later.",
        ),
        Example(
            before="""
class TFBertLMPredictionHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.decoder = keras.layers.Dense(config.vocab_size, use_bias=False, name="decoder")
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias
""",
            after="""
class TFBertLMPredictionHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.decoder = keras.layers.Dense(config.vocab_size, use_bias=False, name="decoder")
        self.config = config

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        self.bias = self.add_weight(name="bias", shape=tf.TensorShape(self.config.vocab_size), initializer="zeros")
        # TODO(tfscaffold): self.decoder.bias: tied to a parameter; a Keras layer does not use an attribute assigned to it: apply the parameter in call() (e.g. tf.nn.bias_add) and build the layer without it
        self.decoder.bias = self.bias
""",
            note="A statement that reads a parameter follows it into build().",
        ),
        Example(
            before="""
class TFQKV(keras.layers.Layer):
    def __init__(self, config):
        q_bias = nn.Parameter(torch.zeros(config.hidden_size))
        self.qkv.bias = nn.Parameter(q_bias)
""",
            after="""
class TFQKV(keras.layers.Layer):
    def __init__(self, config):
        # TODO(tfscaffold): nn.Parameter: a parameter not held by an attribute of its own layer
        q_bias = nn.Parameter(torch.zeros(config.hidden_size))
        # TODO(tfscaffold): nn.Parameter: a parameter not held by an attribute of its own layer
        self.qkv.bias = nn.Parameter(q_bias)
""",
        ),
        Example(
            before="""
class TFConvNextLayer(keras.layers.Layer):
    def __init__(self, config, dim, **kwargs):
        super().__init__(**kwargs)
        self.gamma = nn.Parameter(config.scale * torch.ones((dim)), requires_grad=True) if config.scale > 0 else None
""",
            after="""
class TFConvNextLayer(keras.layers.Layer):
    def __init__(self, config, dim, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dim = dim

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.config.scale > 0:
            gamma = self.config.scale * torch.ones(self.dim)
            self.gamma = self.add_weight(
                name="gamma", shape=gamma.shape, initializer=keras.initializers.Constant(gamma), trainable=True
            )
        else:
            self.gamma = None
""",
            note="a computed value under a condition is computed in build() only when the condition holds",
        ),
        Example(
            before="""
class TFCvtStage(keras.layers.Layer):
    def __init__(self, config, stage, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.stage = stage
        if self.config.cls_token[self.stage]:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, self.config.embed_dim[-1]))
""",
            after="""
class TFCvtStage(keras.layers.Layer):
    def __init__(self, config, stage, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.stage = stage
        if self.config.cls_token[self.stage]:
            pass

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.config.cls_token[self.stage]:
            self.cls_token = self.add_weight(name="cls_token", shape=(1, 1, self.config.embed_dim[-1]), initializer="zeros")
""",
            note="a parameter made under a test is made under it in build(); the emptied if is cleaned up later",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.ifs: list[cst.If] = []
        self.if_depths: list[int] = []  # per function entered: how many ifs were open outside it
        self.weights: list[list[cst.BaseStatement]] = []  # per class: statements for build()
        self.moved: list[set[str]] = []  # per class: parameters now made in build()
        self.model_class: list[bool] = []
        self.tied_decoders: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> bool:
        from scaffold.convert.rules.tying import find_tied_decoders

        self.tied_decoders = find_tied_decoders(node)
        return True

    def _after_parameters(self, stmt: cst.SimpleStatementLine) -> cst.BaseStatement | cst.RemovalSentinel:
        """A later ``__init__`` statement that reads a moved parameter moves to ``build()`` too."""
        if not (self.in_init and self.moved and self.moved[-1]):
            return stmt
        reads = _self_reads(stmt) & self.moved[-1]
        if not reads:
            return stmt
        small = stmt.body[0]
        tied = [f"self.{attr}.{bias}" for attr in self.tied_decoders.values() for bias in ("bias", "bias_getter")]
        if isinstance(small, cst.Assign) and any(
            isinstance(t.target, cst.Attribute) and _self_attr(t.target) is None and dotted(t.target) not in tied
            for t in small.targets
        ):
            # (a tied decoder's bias is applied by TFTiedDense through the tie rule: no TODO)
            # ``self.decoder.bias = self.bias``: PyTorch ties a sublayer's weight to the parameter
            item = Todo(
                self._units[-1] if self._units else None,
                self.code(small.targets[0].target),
                "tied to a parameter; a Keras layer does not use an attribute assigned to it: "
                "apply the parameter in call() (e.g. tf.nn.bias_add) and build the layer without it",
            )
            self.ctx.todos.append(item)
            stmt = add_comments(stmt, [item.marker()])  # type: ignore[assignment]
        self.weights[-1].append(stmt.with_changes(leading_lines=[]) if not isinstance(small, cst.Assign) else stmt)
        return cst.RemovalSentinel.REMOVE

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        super().visit_ClassDef(node)
        self.weights.append([])
        self.moved.append(set())
        self.model_class.append(
            any(dotted(b.value) == "TFPreTrainedModel" for b in node.bases)
            or any(
                self.ctx.derives_from(pt, "PreTrainedModel")
                for pt in self.ctx.local_classes
                if self.ctx.tf_name(pt) == node.name.value
            )
        )
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        weights = self.weights.pop()
        self.moved.pop()
        self.model_class.pop()
        super().leave_ClassDef(original, updated)
        if not weights:
            return updated
        body = list(updated.body.body)
        existing = next(
            (i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef) and s.name.value == "build"), None
        )
        if existing is not None:
            build = body[existing]
            body[existing] = build.with_changes(body=build.body.with_changes(body=[*build.body.body, *weights]))
        else:
            build = cst.parse_statement(
                "def build(self, input_shape=None):\n    if self.built:\n        return\n    self.built = True\n"
            )
            build = build.with_changes(
                body=build.body.with_changes(body=[*build.body.body, *weights]),
                leading_lines=[cst.EmptyLine()],
            )
            at = next(
                (i + 1 for i, s in enumerate(body) if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
                0,
            )
            body.insert(at, build)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    # the ``if`` statements around the statement being visited (attribute hooks are not dispatched)
    def visit_If(self, node: cst.If) -> bool:
        self.ifs.append(node)
        return True

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.BaseStatement:
        self.ifs.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.if_depths.append(len(self.ifs))
        return super().visit_FunctionDef(node)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.if_depths.pop()
        return super().leave_FunctionDef(original, updated)

    def _tests(self, statement: cst.CSTNode) -> list[cst.BaseExpression]:
        """The tests that hold where ``statement`` runs in its function: an if's test, or its negation in the else."""
        tests: list[cst.BaseExpression] = []
        ifs = self.ifs[self.if_depths[-1] if self.if_depths else 0 :]
        for level, node in enumerate(ifs):
            child = ifs[level + 1] if level + 1 < len(ifs) else statement
            if any(c is child for c in node.body.body):
                tests.append(node.test)
            else:
                tests.append(cst.UnaryOperation(operator=cst.Not(), expression=_paren_expr(node.test)))
        return tests

    @staticmethod
    def _condition(tests: list[cst.BaseExpression]) -> cst.BaseExpression:
        if len(tests) == 1:
            return tests[0]
        condition: cst.BaseExpression = _paren_expr(tests[0])
        for test in tests[1:]:
            condition = cst.BooleanOperation(left=condition, operator=cst.And(), right=_paren_expr(test))
        return condition

    def _parameters(self, node: cst.CSTNode) -> list[cst.Call]:
        found: list[cst.Call] = []

        class Visitor(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                if _norm(dotted(call.func)) == "nn.Parameter":
                    found.append(call)

        node.visit(Visitor())
        return found

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel | cst.RemovalSentinel:
        if not self._parameters(updated):
            return self._after_parameters(updated)
        small = updated.body[0]
        attr = None
        if len(updated.body) == 1 and isinstance(small, cst.Assign) and len(small.targets) == 1:
            attr = _self_attr(small.targets[0].target)
        if attr is None or not self.in_init:
            self.todo("nn.Parameter", "a parameter not held by an attribute of its own layer")
            return updated
        assert isinstance(small, cst.Assign)
        init = self.functions[-1]
        kept, replaced = self._kept_values(small.value, init, original)
        statements = self._weight(attr, small.value, replaced)
        if statements is None:
            return updated
        tests = self._tests(original)
        if tests:
            # made under ``if`` in __init__ (``if config.cls_token[stage]:``): made under the same test
            condition = self._condition(tests)
            test_kept, test_names = self._kept_values(condition, init, original)
            kept += [line for line in test_kept if line not in kept]
            test = condition.visit(_Replace({**replaced, **test_names}))
            statements = [cst.If(test=test, body=cst.IndentedBlock(body=statements))]  # type: ignore[arg-type]
        self.weights[-1].extend(statements)
        self.moved[-1].add(attr)
        if not kept:
            return cst.RemovalSentinel.REMOVE
        lines = [cst.parse_statement(f"{line}\n") for line in kept]
        lines[0] = lines[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel(lines)

    def _kept_values(self, value: cst.BaseExpression, init: cst.FunctionDef, here: cst.CSTNode):
        """Lines that keep ``__init__`` values as attributes, and the name -> attribute map."""
        config = _config_name(init, self.ctx)
        existing = _init_attributes(self.functions[-1])
        done = self._done_attributes.setdefault(id(init), {})
        kept: list[str] = []
        replaced: dict[str, str] = {}
        for name in _free_names(value):
            if name in done:
                replaced[name] = done[name]
                continue
            attr = "config" if name == config else name
            if attr in T.RESERVED_ATTRIBUTES or (attr in existing and existing[attr] != name):
                attr = f"_{name}"
            if existing.get(attr) != name:
                kept.append(f"self.{attr} = {name}")
            replaced[name] = f"self.{attr}"
            done[name] = f"self.{attr}"
        return kept, replaced

    @property
    def _done_attributes(self) -> dict[int, dict[str, str]]:
        if not hasattr(self, "_done"):
            self._done: dict[int, dict[str, str]] = {}
        return self._done

    def _weight(self, attr: str, value: cst.BaseExpression, names: dict[str, str]) -> list[cst.BaseStatement] | None:
        value = value.visit(_Replace(names))  # type: ignore[assignment]
        prelude: list[str] = []

        parameters = self._parameters(value)
        if len(parameters) != 1:
            self.todo("nn.Parameter", "several parameters in one statement")
            return None
        parameter = parameters[0]
        bound, problems = _bind(parameter, ("data", "requires_grad"))
        if problems or "data" not in bound:
            self.todo("nn.Parameter", f"unexpected arguments {', '.join(problems)}")
            return None
        data = bound["data"]
        options = ""
        if "requires_grad" in bound:
            options = f", trainable={self.code(bound['requires_grad'])}"
        factory = _norm(dotted(data.func)) if isinstance(data, cst.Call) else None
        initializer = T.PARAMETER_INITIALIZERS.get(factory or "")
        if initializer is not None and isinstance(data, cst.Call):
            sizes = [a for a in data.args if a.keyword is None and not a.star]
            if len(sizes) == 1 and isinstance(sizes[0].value, cst.Tuple | cst.List):
                elements = [self.code(e.value) for e in sizes[0].value.elements]
                shape = f"({', '.join(elements)}{',' if len(elements) == 1 else ''})"
            elif len(sizes) == 1 and isinstance(sizes[0].value, cst.Integer):
                shape = f"({self.code(sizes[0].value)},)"
            elif len(sizes) == 1:
                # torch.zeros(n) and torch.zeros(shape) alike; Keras initializers need a shape, not an int
                shape = f"tf.TensorShape({self.code(sizes[0].value)})"
            else:
                shape = f"({', '.join(self.code(a.value) for a in sizes)})"
            if len(sizes) == 0:
                self.todo("nn.Parameter", "a tensor factory without sizes")
                return None
            initializer = initializer.replace("keras.", f"{self.ctx.keras}.")
        elif isinstance(value, cst.Call):
            prelude.append(f"{attr} = {self.code(data)}")
            shape = f"{attr}.shape"
            initializer = f"{self.ctx.keras}.initializers.Constant({attr})"
        elif isinstance(value, cst.IfExp) and value.body.deep_equals(parameter) and not self._parameters(value.orelse):
            # ``nn.Parameter(computed) if cond else other``: the value is computed only when cond holds
            weight = (
                f'self.add_weight(name="{attr}", shape={attr}.shape, '
                f"initializer={self.ctx.keras}.initializers.Constant({attr}){options})"
            )
            code = (
                f"if {self.code(value.test)}:\n    {attr} = {self.code(data)}\n    self.{attr} = {weight}\n"
                f"else:\n    self.{attr} = {self.code(value.orelse)}\n"
            )
            return [cst.parse_statement(code)]
        else:
            self.todo("nn.Parameter", "a computed initial value inside a larger expression")
            return None
        weight = cst.parse_expression(
            f'self.add_weight(name="{attr}", shape={shape}, initializer={initializer}{options})'
        )

        class Swap(cst.CSTTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
                return weight if original.deep_equals(parameter) else updated

        value = value.visit(Swap())
        lines = [*prelude, f"self.{attr} = {self.code(value)}"]
        return [cst.parse_statement(f"{line}\n") for line in lines]


def _self_reads(node: cst.CSTNode) -> set[str]:
    """Attributes ``self.x`` a statement reads (assignment targets ``self.x = ...`` excluded)."""
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> bool:
            if _self_attr(target.target) is not None:
                return False
            return True

        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            attr = _self_attr(attribute)
            if attr is not None:
                found.add(attr)

    node.visit(Visitor())
    return found


def _init_attributes(init: cst.FunctionDef) -> dict[str, str]:
    """``self.x = <name>`` assignments of ``__init__``: attribute -> the name (or "" for other values)."""
    found: dict[str, str] = {}

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                attr = _self_attr(target.target)
                if attr is not None:
                    found[attr] = node.value.value if isinstance(node.value, cst.Name) else ""

    init.visit(Visitor())
    return found


class BuffersToAttributes(_InInit):
    """``self.register_buffer("x", tensor, persistent=False)`` becomes ``self.x = tensor``.

    A non-persistent buffer is not in the state dict, so it is no weight: a plain attribute. A
    persistent one (the default) is saved with the model (``final_logits_bias``), so a checkpoint
    has it and the TF port must load it: it becomes a non-trainable parameter
    (``nn.Parameter(tensor, requires_grad=False)``), which :class:`ParametersToWeights` (run
    next) makes a weight in ``build()`` with the buffer's name. Re-registering a persistent buffer
    outside ``__init__`` (a resize) would replace that weight by a tensor: a TODO. The tensor
    expression keeps its torch ops for the ops rules (they run after this one). A buffer whose
    name is not a literal is a TODO.
    """

    name = "buffers-to-attributes"
    summary = (
        'self.register_buffer("position_ids", torch.arange(n), persistent=False) -> self.position_ids = ...; '
        "a persistent buffer -> a non-trainable parameter"
    )
    examples = (
        Example(
            before="""
class TFBertEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.register_buffer(
            "position_ids", torch.arange(config.max_position_embeddings).expand((1, -1)), persistent=False
        )
        self.register_buffer("bias", None)
        self.register_buffer(name, value)
""",
            after="""
class TFBertEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.position_ids = torch.arange(config.max_position_embeddings).expand((1, -1))
        self.bias = None
        # TODO(tfscaffold): register_buffer(name, ...): a buffer whose name is computed
        self.register_buffer(name, value)
""",
        ),
        Example(
            before="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config):
        self.register_buffer("final_logits_bias", torch.zeros((1, config.vocab_size)))

    def _resize_final_logits_bias(self, new_bias):
        self.register_buffer("final_logits_bias", new_bias)
""",
            after="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config):
        self.final_logits_bias = nn.Parameter(torch.zeros((1, config.vocab_size)), requires_grad=False)

    def _resize_final_logits_bias(self, new_bias):
        # TODO(tfscaffold): register_buffer("final_logits_bias", ...): a persistent buffer is a weight in TF: assign the new value to it (or make a new weight) instead of replacing it by a tensor
        self.final_logits_bias = new_bias
""",
            note="persistent buffers are in the checkpoint: weights, not constants",
        ),
    )

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.Expr):
            return updated
        call = updated.body[0].value
        if not (isinstance(call, cst.Call) and dotted(call.func) == "self.register_buffer"):
            return updated
        bound, problems = _bind(call, ("name", "tensor", "persistent"))
        name = _literal(bound["name"]) if "name" in bound else None
        if problems or not isinstance(name, str) or "tensor" not in bound:
            self.todo(f"register_buffer({self.code(call.args[0].value)}, ...)", "a buffer whose name is computed")
            return updated
        value = bound["tensor"]
        persistent = _literal(bound["persistent"]) if "persistent" in bound else True
        construct = f'register_buffer("{name}", ...)'
        if "persistent" in bound and not isinstance(persistent, bool):
            self.todo(construct, "persistent only known at run time: a weight if it is, an attribute if not")
        elif persistent is False or (isinstance(value, cst.Name) and value.value == "None"):
            pass
        elif self.in_init:
            value = cst.parse_expression(f"nn.Parameter({self.code(value)}, requires_grad=False)")
        else:
            self.todo(
                construct,
                "a persistent buffer is a weight in TF: assign the new value to it (or make a new weight) "
                "instead of replacing it by a tensor",
            )
        return updated.with_changes(
            body=[cst.Assign(targets=[cst.AssignTarget(cst.parse_expression(f"self.{name}"))], value=value)]
        )


class ResizedBuffersAsBiases(Rule):
    """A persistent buffer PyTorch's ``resize_token_embeddings`` resizes becomes the model's bias.

    BART-like heads add ``final_logits_bias`` (a persistent buffer, one value per token) to the
    logits and override ``resize_token_embeddings`` to re-register it at the new size. TF's
    ``resize_token_embeddings`` takes no ``pad_to_multiple_of`` and already resizes whatever
    ``get_bias()`` names, replacing it through ``set_bias()`` (the hand-written ports do this), so
    the class gets ``get_bias``/``set_bias`` for the buffer and the override goes. A weight cannot
    change shape: ``set_bias`` makes a new one under the model's scope, as ``build()`` made it, and
    the re-registration in the resizing method becomes ``set_bias`` too. TF resizes the bias
    whenever it resizes the embeddings: a PyTorch condition around the resize is lost, so a TODO.
    """

    name = "resized-buffers-as-biases"
    summary = "resize_token_embeddings override re-registering final_logits_bias -> get_bias/set_bias."
    examples = (
        Example(
            before="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config):
        self.register_buffer("final_logits_bias", torch.zeros((1, config.vocab_size)))

    def resize_token_embeddings(self, new_num_tokens: int, pad_to_multiple_of: Optional[int] = None) -> nn.Embedding:
        new_embeddings = super().resize_token_embeddings(new_num_tokens, pad_to_multiple_of)
        self._resize_final_logits_bias(new_embeddings.weight.shape[0])
        return new_embeddings

    def _resize_final_logits_bias(self, new_num_tokens: int) -> None:
        new_bias = self.final_logits_bias[:, :new_num_tokens]
        self.register_buffer("final_logits_bias", new_bias)
""",
            after="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config):
        self.register_buffer("final_logits_bias", torch.zeros((1, config.vocab_size)))

    def _resize_final_logits_bias(self, new_num_tokens: int) -> None:
        new_bias = self.final_logits_bias[:, :new_num_tokens]
        self.set_bias({"final_logits_bias": new_bias})

    def get_bias(self):
        if not self.built:
            self.build_in_name_scope()
        return {"final_logits_bias": self.final_logits_bias}

    def set_bias(self, value):
        with tf.name_scope(self.name):
            self.final_logits_bias = self.add_weight(
                name="final_logits_bias", shape=value["final_logits_bias"].shape, initializer="zeros", trainable=False
            )
        self.final_logits_bias.assign(value["final_logits_bias"])
""",
        ),
    )

    @staticmethod
    def _method(body: list[cst.BaseStatement], name: str) -> cst.FunctionDef | None:
        return next((m for m in body if isinstance(m, cst.FunctionDef) and m.name.value == name), None)

    @staticmethod
    def _register(stmt: cst.BaseStatement) -> tuple[str, cst.BaseExpression] | None:
        """``self.register_buffer("x", value)`` (persistent): ("x", value)."""
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return None
        call = stmt.body[0].value if isinstance(stmt.body[0], cst.Expr) else None
        if not (isinstance(call, cst.Call) and dotted(call.func) == "self.register_buffer"):
            return None
        bound, problems = _bind(call, ("name", "tensor", "persistent"))
        name = _literal(bound["name"]) if "name" in bound else None
        if problems or not isinstance(name, str) or "tensor" not in bound or "persistent" in bound:
            return None
        return name, bound["tensor"]

    def _override_calls(self, method: cst.FunctionDef) -> tuple[set[str], bool] | None:
        """The ``self.<m>(...)`` calls of a ``resize_token_embeddings`` override made only of the super
        call, those calls (in ``if``s or not) and the return; None for anything else. Second: an ``if``."""
        calls: set[str] = set()
        conditional = False

        def plain(stmts, nested: bool) -> bool:
            nonlocal conditional
            for stmt in stmts:
                if isinstance(stmt, cst.If) and not nested and stmt.orelse is None:
                    conditional = True
                    if not plain(stmt.body.body, True):
                        return False
                    continue
                if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
                    return False
                small = stmt.body[0]
                value = small.value if isinstance(small, cst.Expr | cst.Assign | cst.Return) else None
                if isinstance(small, cst.Return) and not nested:
                    continue
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
                    receiver = value.func.value
                    if isinstance(small, cst.Assign) and isinstance(receiver, cst.Call):
                        if dotted(receiver.func) == "super" and value.func.attr.value == "resize_token_embeddings":
                            continue
                    if isinstance(small, cst.Expr) and isinstance(receiver, cst.Name) and receiver.value == "self":
                        calls.add(value.func.attr.value)
                        continue
                return False
            return True

        return (calls, conditional) if plain(method.body.body, False) and calls else None

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        body = list(updated.body.body)
        override = self._method(body, "resize_token_embeddings")
        init = self._method(body, "__init__")
        if override is None or init is None or self._method(body, "get_bias") or self._method(body, "set_bias"):
            return updated
        found = self._override_calls(override)
        if found is None:
            return updated
        calls, conditional = found
        in_init = {r[0] for r in (self._register(s) for s in init.body.body) if r is not None}
        buffers: list[str] = []
        for name in sorted(calls):
            method = self._method(body, name)
            for stmt in method.body.body if method is not None else ():
                registered = self._register(stmt)
                if registered is not None and registered[0] in in_init and registered[0] not in buffers:
                    buffers.append(registered[0])
        if len(buffers) != 1:
            return updated
        buffer = buffers[0]

        def rewrite(stmt: cst.BaseStatement) -> cst.BaseStatement:
            registered = self._register(stmt)
            if registered is None or registered[0] != buffer:
                return stmt
            call = f'self.set_bias({{"{buffer}": {self.code(registered[1])}}})\n'
            return cst.parse_statement(call).with_changes(leading_lines=stmt.leading_lines)

        for i, member in enumerate(body):
            if isinstance(member, cst.FunctionDef) and member.name.value in calls:
                body[i] = member.with_changes(
                    body=member.body.with_changes(body=[rewrite(s) for s in member.body.body])
                )
        body.remove(override)
        methods = cst.parse_module(
            "def get_bias(self):\n"
            "    if not self.built:\n"
            "        self.build_in_name_scope()\n"
            f'    return {{"{buffer}": self.{buffer}}}\n'
            "\n\n"
            "def set_bias(self, value):\n"
            "    with tf.name_scope(self.name):\n"
            f"        self.{buffer} = self.add_weight(\n"
            f'            name="{buffer}", shape=value["{buffer}"].shape, initializer="zeros", trainable=False\n'
            "        )\n"
            f'    self.{buffer}.assign(value["{buffer}"])\n'
        ).body
        body.extend(m.with_changes(leading_lines=[cst.EmptyLine()]) for m in methods)
        if conditional:
            self.todo(
                "resize_token_embeddings",
                f"PyTorch resizes {buffer} only under a condition; TF resizes get_bias() with every resize",
            )
        return updated.with_changes(body=updated.body.with_changes(body=body))


class KerasLayerSubclasses(_InInit):
    """A class deriving from ``nn.Embedding`` derives from ``keras.layers.Embedding``.

    The two constructors take (count, size) in the same order, so ``super().__init__`` keeps
    its arguments (PyTorch-only ones dropped by the LAYERS table), ``self.weight`` becomes
    ``self.embeddings`` (which loads from ``<attr>.weight``) and ``super().forward`` becomes
    ``super().call``. Subclasses of other ``nn`` layers are TODOs: their constructors and
    weights do not line up with Keras'.
    """

    name = "keras-layer-subclasses"
    summary = "class X(nn.Embedding) -> class X(keras.layers.Embedding); self.weight -> self.embeddings."
    examples = (
        Example(
            before="""
class TFOPTLearnedPositionalEmbedding(nn.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim, 1)

    def call(self, positions):
        return super().forward(positions + self.offset) * self.weight.shape[0]


class TFScaledLinear(nn.Linear):
    pass
""",
            after="""
class TFOPTLearnedPositionalEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim, **kwargs)

    def call(self, positions):
        return super().call(positions + self.offset) * self.embeddings.shape[0]


# TODO(tfscaffold): class deriving from nn.Linear: convert it to a keras layer by hand
class TFScaledLinear(nn.Linear):
    pass
""",
        ),
    )

    SUBCLASSES = {"nn.Embedding": {"weight": "embeddings"}}

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.base: list[str | None] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        super().visit_ClassDef(node)
        base = None
        for arg in node.bases:
            name = _norm(dotted(arg.value))
            if name in self.SUBCLASSES:
                base = name
            elif name is not None and name.startswith("nn.") and name not in ("nn.Module",):
                self.todo(f"class deriving from {name}", "convert it to a keras layer by hand")
        self.base.append(base)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        base = self.base.pop()
        super().leave_ClassDef(original, updated)
        if base is None:
            return updated
        target = _keras(T.LAYERS[base].target, self.ctx)
        bases = [
            b.with_changes(value=cst.parse_expression(target)) if _norm(dotted(b.value)) == base else b
            for b in updated.bases
        ]
        return updated.with_changes(bases=bases).visit(_Rename(self.SUBCLASSES[base]))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not self.base or self.base[-1] is None or not isinstance(updated.func, cst.Attribute):
            return updated
        receiver = updated.func.value
        is_super = isinstance(receiver, cst.Call) and dotted(receiver.func) == "super"
        if not is_super:
            return updated
        if updated.func.attr.value == "forward":
            return updated.with_changes(func=updated.func.with_changes(attr=cst.Name("call")))
        if updated.func.attr.value != "__init__":
            return updated
        spec = T.LAYERS[self.base[-1]]
        dropped = spec.params[len(spec.args) :]  # positional or keyword: Keras' later positionals differ
        positional = [a for a in updated.args if a.keyword is None and not a.star][: len(spec.args)]
        kept = positional + [a for a in updated.args if a.keyword is not None and a.keyword.value not in dropped]
        init = next((f for f in reversed(self.functions) if f.name.value == "__init__"), None)
        star = init.params.star_kwarg if init is not None else None
        if star is not None:
            kept.append(cst.Arg(value=cst.Name(star.name.value), star="**"))
        if kept:
            kept = [*(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in kept)]
        return updated.with_changes(args=kept)


RULES: list[type[Rule]] = [
    KerasLayerSubclasses,
    SublayerBuilds,
    ActivationsToTF,
    ModulesToKerasLayers,
    ModuleContainers,
    ResizedBuffersAsBiases,
    BuffersToAttributes,
    ParametersToWeights,
    LayerWeightAttributes,
    SublayerNames,
    KerasReservedAttributes,
]
