"""Layer attributes: weight attributes of layers, and attribute names Keras reserves."""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted
from scaffold.convert.rules.layers.common import _ancestors, _assigned_attributes, _class_bases, _Rename, _self_attr
from scaffold.cstwalk import walk


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

    class Visitor(HookVisitor):
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

    class Appends(HookVisitor):
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

    walk(init.body, Visitor())
    found = {local: attrs[0] for local, attrs in owners.items() if len(attrs) == 1 and empty.get(local) == 1}
    appends = Appends()
    walk(init.body, appends)
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

        class Visitor(HookVisitor):
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
                    elif re.fullmatch(r"TFConv\dd", name):  # the channels-first convolutions of the table
                        kind = f"Conv{name[len('TFConv')]}D"
                    elif name == "TFConv1D":
                        kind = name
                    if kind is not None:
                        kinds[attr] = kind if kinds.get(attr, kind) == kind else None

        walk(node, Visitor())
        from scaffold.convert.rules.tying import find_tied_decoders

        for attr in find_tied_decoders(node).values():  # a TFTiedDense later: PyTorch's layout
            kinds[attr] = "TFTiedDense" if kinds.get(attr, "Dense") == "Dense" else None
        return True

    # an attribute read acts only on a layer attribute it knows (``self.<layer>.weight``)
    name_gated = frozenset({"AssignTarget", "Attribute"})

    def names_reacted_to(self) -> Iterable[str]:
        return self.kinds

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
                    stmt = walk(stmt, _Rename(mine))
            body.append(stmt)
        return updated.with_changes(body=body)
