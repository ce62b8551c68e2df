"""``nn.Parameter`` tensors -> weights made in ``build()``; buffers -> attributes (or biases when resized)."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule, dotted
from scaffold.convert.rules.layers.common import (
    _bind,
    _config_name,
    _free_names,
    _InInit,
    _literal,
    _norm,
    _paren_expr,
    _Replace,
    _self_attr,
)
from scaffold.cstwalk import walk


def _initial_value(value: str) -> str:
    """An initializer that returns a value computed in build(), in the weight's dtype.

    Not ``keras.initializers.Constant(value)``: that converts its value with ``tf.constant``, which
    refuses the symbolic tensor ``value`` is when a model is built in graph mode (the ONNX check).
    """
    return f"lambda shape, dtype=None: tf.cast({value}, dtype)"


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
            initializer=lambda shape, dtype=None: tf.cast(layer_weights, dtype),
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
                name="gamma", shape=gamma.shape, initializer=lambda shape, dtype=None: tf.cast(gamma, dtype), trainable=True
            )
        else:
            self.gamma = None
""",
            note="a computed value under a condition is computed in build() only when the condition holds",
        ),
        Example(
            before="""
class TFBeitLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        init_values = config.layer_scale_init_value
        if init_values > 0:
            self.lambda_1 = nn.Parameter(init_values * torch.ones((config.hidden_size)), requires_grad=True)
        else:
            self.lambda_1, self.lambda_2 = None, None
""",
            after="""
class TFBeitLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        init_values = config.layer_scale_init_value
        if init_values > 0:
            self.init_values = init_values
            self.config = config
        else:
            self.lambda_1, self.lambda_2 = None, None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.init_values > 0:
            lambda_1 = self.init_values * torch.ones((self.config.hidden_size))
            self.lambda_1 = self.add_weight(
                name="lambda_1", shape=lambda_1.shape, initializer=lambda shape, dtype=None: tf.cast(lambda_1, dtype), trainable=True
            )
""",
            note="the else branch's None for the same attributes (a tuple assignment) stays in __init__",
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
            stmt = self.todo_at(  # type: ignore[assignment]
                stmt,
                self.code(small.targets[0].target),
                "tied to a parameter; a Keras layer does not use an attribute assigned to it: "
                "apply the parameter in call() (e.g. tf.nn.bias_add) and build the layer without it",
            )
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

        class Visitor(HookVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                if _norm(dotted(call.func)) == "nn.Parameter":
                    found.append(call)

        walk(node, Visitor())
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
            test = walk(condition, _Replace({**replaced, **test_names}))
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
        value = walk(value, _Replace(names))  # type: ignore[assignment]
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
            initializer = _initial_value(attr)
        elif isinstance(value, cst.IfExp) and value.body.deep_equals(parameter) and not self._parameters(value.orelse):
            # ``nn.Parameter(computed) if cond else other``: the value is computed only when cond holds
            weight = f'self.add_weight(name="{attr}", shape={attr}.shape, initializer={_initial_value(attr)}{options})'
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

        class Swap(HookTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
                return weight if original.deep_equals(parameter) else updated

        value = walk(value, Swap())
        lines = [*prelude, f"self.{attr} = {self.code(value)}"]
        return [cst.parse_statement(f"{line}\n") for line in lines]


def _self_reads(node: cst.CSTNode) -> set[str]:
    """Attributes ``self.x`` a statement reads (assignment targets ``self.x = ...`` excluded)."""
    found: set[str] = set()

    class Visitor(HookVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> bool:
            value = target.target
            if isinstance(value, cst.Tuple | cst.List):  # ``self.a, self.b = None, None`` writes both
                return not all(_self_attr(e.value) is not None for e in value.elements)
            return _self_attr(value) is None

        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            attr = _self_attr(attribute)
            if attr is not None:
                found.add(attr)

    walk(node, Visitor())
    return found


def _init_attributes(init: cst.FunctionDef) -> dict[str, str]:
    """``self.x = <name>`` assignments of ``__init__``: attribute -> the name (or "" for other values)."""
    found: dict[str, str] = {}

    class Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                attr = _self_attr(target.target)
                if attr is not None:
                    found[attr] = node.value.value if isinstance(node.value, cst.Name) else ""

    walk(init, Visitor())
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
    phase = "containers"
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
