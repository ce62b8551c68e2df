"""``nn.*`` modules and activations -> Keras layers (table-driven), and classes deriving from nn layers."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert import tables_ops as OPS
from scaffold.convert.rules.base import Example, HookTransformer, dotted, find_all
from scaffold.convert.rules.layers.common import (
    _NOT_LITERAL,
    _bind,
    _config_has_initializer,
    _InInit,
    _initializer_attribute,
    _keras,
    _literal,
    _norm,
    _render,
)
from scaffold.cstwalk import walk

# Names of layer constructors the rules emit outside keras.layers (support helpers, TFConv1D).
# layers the converter writes that are not keras.layers.*: the table's own targets, and its helpers
_EMITTED_LAYERS = frozenset(
    {spec.target for spec in T.LAYERS.values() if not spec.target.startswith("keras.")} | {"TFSequential"}
)


def _keras_parts(spec: T.LayerMap, bound: dict[str, cst.BaseExpression]) -> list[str] | None:
    """The Keras constructor's arguments (code) from the PyTorch ones; None when a required one is missing."""
    code = {k: cst.Module([]).code_for_node(v) for k, v in bound.items()}
    args = [_render(t, code, spec.defaults) for t in spec.args]
    if any(a is None for a in args):
        return None
    parts: list[str] = list(args)  # type: ignore[arg-type]
    done: set[str] = set()
    for keyword, template in spec.kwargs:
        if keyword in done:
            continue
        value = _render(template, code, spec.defaults)
        if value is not None:
            parts.append(f"{keyword}={value}")
            done.add(keyword)
    return parts


def keras_arguments(layer: str, call: cst.Call) -> list[str] | None:
    """The arguments of ``call`` (PyTorch's, for the LAYERS entry ``layer``) as the Keras layer's; None: they do not bind."""
    spec = T.LAYERS[layer]
    bound, problems = _bind(call, spec.params)
    if problems or any(param in bound for param in spec.todo):
        return None
    return _keras_parts(spec, bound)


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
        self.scales = [nn.AdaptiveAvgPool2d(scale) for scale in pool_scales]
        self.fold = nn.Fold(3)
""",
            after="""
class ViTPatchEmbeddings(nn.Module):
    def __init__(self, num_channels, hidden_size, patch_size):
        self.projection = TFConv2d(hidden_size, patch_size, strides=patch_size)
        self.conv = TFConv2d(hidden_size, 3, strides=2, use_bias=False, explicit_padding=1)
        self.norm = keras.layers.BatchNormalization(axis=1, epsilon=1e-5, momentum=1 - 0.01)
        self.pool = TFGlobalAvgPool2d()
        self.pool7 = TFAdaptiveAvgPool2d(7)
        self.scales = [TFAdaptiveAvgPool2d(scale) for scale in pool_scales]
        # TODO(tfscaffold): nn.Fold: no Keras layer for it in the layers table
        self.fold = nn.Fold(3)
""",
            note="No config in scope: no initializer. Unknown nn modules are TODOs, never guesses. An output size "
            "other than 1 (or one the code does not spell as a literal) takes the table's general form.",
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
        self.inherited: dict[str, str] = {}

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

    def visit_Module(self, node: cst.Module) -> bool:
        self.inherited = inherited_layers(node, self.ctx)
        return True

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _norm(dotted(updated.func))
        if name is None:
            return updated
        if name in self.inherited:  # a module class keeping a torch layer's constructor
            return self._convert(self.inherited[name], T.LAYERS[self.inherited[name]], updated, target=name)
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

    def _convert(self, name: str, spec: T.LayerMap, call: cst.Call, target: str | None = None) -> cst.BaseExpression:
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
            if param in bound and not any(self._is_value(bound[param], value) for value in allowed):
                if spec.general is not None:
                    return self._convert(name, T.LAYERS[spec.general], call, target)
                self.todo(f"{name}({param}=...)", f"converts only with {param}={' or '.join(allowed)}")
                return call
        parts = _keras_parts(spec, bound)
        if parts is None:
            self.todo(name, "a required argument is missing")
            return call
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
        if target is not None:
            return cst.parse_expression(f"{target}({', '.join(parts)})")
        target = _keras(spec.target, self.ctx)
        if spec.support is not None:
            for helper in spec.helpers:
                self.ctx.need_support(helper, OPS.SUPPORT[helper].strip() + "\n")
            target = self.ctx.need_support(spec.target, spec.support.replace("keras.", f"{self.ctx.keras}."))
        self.ctx.imports.update(spec.imports)
        return cst.parse_expression(f"{target}({', '.join(parts)})")

    def _is_value(self, node: cst.BaseExpression, value: str) -> bool:
        """Whether an argument is the value the table allows: the same code, or the same literal
        (``1.0`` for ``1``); a name (``pool_scale``) is never a literal, whatever it holds."""
        if self.code(node) == value:
            return True
        literal = _literal(node)
        return literal is not _NOT_LITERAL and literal == _literal(cst.parse_expression(value))

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

    # its hooks act only where an activation is named: its table's, an imported one's, or ACT2FN/ACT2CLS
    name_gated = frozenset({"Name", "Attribute", "Arg", "Param", "Subscript", "Call"})

    def names_reacted_to(self) -> Iterable[str]:
        tables = (*T.ACTIVATION_FUNCTIONS, *T.ACTIVATION_MODULES)
        return {*self.imported, "ACT2FN", "ACT2CLS", *(name.rpartition(".")[2] for name in tables)}

    def visit_Module(self, node: cst.Module) -> None:
        for found in find_all(node, cst.ImportFrom):
            source = "." * len(found.relative) + (self.code(found.module) if found.module else "")
            if source == T.ACTIVATIONS_MODULE and isinstance(found.names, list | tuple):
                for alias in found.names:
                    name = self.code(alias.name)
                    if name in T.ACTIVATION_OBJECTS:
                        local = alias.asname.name.value if alias.asname is not None else name  # type: ignore
                        self.imported[local] = T.ACTIVATION_OBJECTS[name]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
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


def inherited_layers(module: cst.Module, ctx) -> dict[str, str]:
    """Classes of the module deriving from a torch layer (or the Keras layer it became) and keeping its
    constructor: class name -> the LAYERS key whose arguments construct it."""
    by_target = {_keras(T.LAYERS[name].target, ctx): name for name in T.SUBCLASSABLE_LAYERS}
    found: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef) or any(
            isinstance(m, cst.FunctionDef) and m.name.value == "__init__" for m in stmt.body.body
        ):
            continue
        for base in stmt.bases:
            name = _norm(dotted(base.value)) or ""
            layer = name if name in T.SUBCLASSABLE_LAYERS else by_target.get(name)
            if layer is not None:
                found[stmt.name.value] = layer
    return found


class _SelfWeights(HookTransformer):
    """``self.weight`` read in a Keras subclass: the attribute it became, or the kernel transposed."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.renames = T.WEIGHT_ATTRIBUTES.get(kind, {})
        self.perm = T.KERNEL_FROM_WEIGHT.get(kind)
        self.targets: set[int] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if not (isinstance(updated.value, cst.Name) and updated.value.value == "self"):
            return updated
        attr = updated.attr.value
        if attr in self.renames:
            return updated.with_changes(attr=cst.Name(self.renames[attr]))
        if attr == "weight" and self.perm is not None and id(original) not in self.targets:
            axes = "" if self.perm == (1, 0) else f", perm={list(self.perm)}"
            return cst.parse_expression(f"tf.transpose(self.kernel{axes})")
        return updated


class KerasLayerSubclasses(_InInit):
    """A class deriving from ``nn.Embedding`` or ``nn.Linear`` derives from the Keras layer instead.

    ``super().__init__`` gets the Keras arguments the LAYERS table makes of the PyTorch ones
    (as any construction of the layer), plus the subclass's ``**kwargs`` (its ``name``);
    ``self.weight`` reads what the Keras layer holds (``self.embeddings``, which loads from
    ``<attr>.weight``; a Dense kernel transposed back to PyTorch's layout) and
    ``super().forward`` becomes ``super().call``. A subclass without a constructor is made with
    the base's arguments, converted where it is made (``ModulesToKerasLayers``). Subclasses of
    other ``nn`` layers are TODOs: their constructors and weights do not line up with Keras'.
    """

    name = "keras-layer-subclasses"
    summary = "class X(nn.Embedding) -> class X(keras.layers.Embedding); self.weight -> self.embeddings."
    examples = (
        Example(
            before="""
class TFOPTLearnedPositionalEmbedding(nn.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim, 1, **kwargs)

    def call(self, positions):
        return super().forward(positions + self.offset) * self.weight.shape[0]


class TFScaledNorm(nn.GroupNorm):
    pass
""",
            after="""
class TFOPTLearnedPositionalEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim, **kwargs)

    def call(self, positions):
        return super().call(positions + self.offset) * self.embeddings.shape[0]


# TODO(tfscaffold): class deriving from nn.GroupNorm: convert it to a keras layer by hand
class TFScaledNorm(nn.GroupNorm):
    pass
""",
        ),
        Example(
            before="""
class TFFalconLinear(nn.Linear):
    def call(self, input):
        hidden_states = input @ self.weight.T
        if self.bias is None:
            return hidden_states
        return hidden_states + self.bias


class TFDecoupledLinear(nn.Linear):
    def __init__(self, in_features, out_features, extra=0, bias=True, device=None, **kwargs):
        super().__init__(in_features, out_features, bias, device)
        self.extra = extra
""",
            after="""
class TFFalconLinear(keras.layers.Dense):
    def call(self, input):
        hidden_states = input @ tf.transpose(self.kernel).T
        if self.bias is None:
            return hidden_states
        return hidden_states + self.bias


class TFDecoupledLinear(keras.layers.Dense):
    def __init__(self, in_features, out_features, extra=0, bias=True, device=None, **kwargs):
        super().__init__(out_features, use_bias=bias, **kwargs)
        self.extra = extra
""",
            note="the kernel is the PyTorch weight transposed; the constructor takes Dense's arguments",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.base: list[str | None] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        super().visit_ClassDef(node)
        base = None
        for arg in node.bases:
            name = _norm(dotted(arg.value))
            if name in T.SUBCLASSABLE_LAYERS:
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
        return walk(updated.with_changes(bases=bases), _SelfWeights(target.rsplit(".", 1)[-1]))

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
        stars = [a for a in updated.args if a.star]  # the subclass's own **kwargs, passed on already
        parts = keras_arguments(self.base[-1], updated.with_changes(args=[a for a in updated.args if not a.star]))
        if parts is None:
            self.todo(self.code(updated), f"arguments the {self.base[-1]} table entry cannot place")
            return updated
        parts += [self.code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in stars]
        init = next((f for f in reversed(self.functions) if f.name.value == "__init__"), None)
        star = init.params.star_kwarg if init is not None else None
        if star is not None and not stars:
            parts.append(f"**{star.name.value}")
        return updated.with_changes(args=cst.parse_expression(f"f({', '.join(parts)})").args)
