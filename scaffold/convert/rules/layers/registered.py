"""``self.add_module(name, layer)``: a PyTorch registration under a chosen name becomes the Keras layer's name."""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example
from scaffold.convert.rules.layers.common import _add_kw, _InInit, _self_attr
from scaffold.convert.rules.layers.containers import _is_layer_call, _layer_classes


def _add_module_call(stmt: cst.BaseStatement) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """``self.add_module(key, value)`` as a statement -> (key, value)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)):
        return None
    call = stmt.body[0].value
    if not (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "add_module"
        and isinstance(call.func.value, cst.Name)
        and call.func.value.value == "self"
        and len(call.args) == 2
        and not any(a.keyword or a.star for a in call.args)
    ):
        return None
    return call.args[0].value, call.args[1].value


def _enumerated(loop: cst.For) -> tuple[str, str, str] | None:
    """``for i, layer in enumerate(self.layers)`` -> ("i", "layer", "layers")."""
    target, it = loop.target, loop.iter
    if not (
        isinstance(target, cst.Tuple)
        and len(target.elements) == 2
        and all(isinstance(e.value, cst.Name) for e in target.elements)
        and isinstance(it, cst.Call)
        and isinstance(it.func, cst.Name)
        and it.func.value == "enumerate"
        and len(it.args) == 1
    ):
        return None
    attr = _self_attr(it.args[0].value)
    if attr is None:
        return None
    index, item = (e.value.value for e in target.elements)  # type: ignore[attr-defined]
    return index, item, attr


def _is_str_of(node: cst.BaseExpression, index: str) -> bool:
    """``str(i)`` or ``f"{i}"``: the index as the state dict writes it."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "str":
        return len(node.args) == 1 and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == index
    if isinstance(node, cst.FormattedString) and len(node.parts) == 1:
        part = node.parts[0]
        return isinstance(part, cst.FormattedStringExpression) and (
            isinstance(part.expression, cst.Name) and part.expression.value == index and not part.format_spec
        )
    return False


class RegisteredModules(_InInit):
    """``self.add_module(key, layer)`` names the layer ``key``; Keras tracks it without the call.

    PyTorch's state dict then holds the layer under ``key`` (``psp_modules.0.1.conv.weight`` for a
    pyramid pooling block registered as ``str(i)``), so the Keras layer takes ``key`` as its name
    and the call goes: a layer assigned to a local of the same block is named where it is built, a
    list attribute registered item by item in a ``for i, layer in enumerate(self.<attr>)`` loop
    names its items ``"0"``, ``"1"``..., and a layer built in the call becomes ``setattr``, which
    Keras tracks and ``sublayer-names`` names. Anything else is a TODO: Keras layers have no
    ``add_module``.
    """

    name = "registered-modules"
    summary = "self.add_module(str(i), block) -> the layer built with name=str(i); the call dropped."
    examples = (
        Example(
            before="""
class TFBertPyramidPoolingBlock(keras.layers.Layer):
    def __init__(self, pool_scale, in_channels, channels):
        self.layers = [
            TFAdaptiveAvgPool2d(pool_scale),
            TFBertConvModule(in_channels, channels, kernel_size=1),
        ]
        for i, layer in enumerate(self.layers):
            self.add_module(str(i), layer)
""",
            after="""
class TFBertPyramidPoolingBlock(keras.layers.Layer):
    def __init__(self, pool_scale, in_channels, channels):
        self.layers = [
            TFAdaptiveAvgPool2d(pool_scale, name="0"),
            TFBertConvModule(in_channels, channels, kernel_size=1, name="1"),
        ]
""",
            context=(("local_classes", {"BertConvModule"}),),
        ),
        Example(
            before="""
class TFBertPyramidPoolingModule(keras.layers.Layer):
    def __init__(self, pool_scales, in_channels, channels):
        self.blocks = []
        for i, pool_scale in enumerate(pool_scales):
            block = TFBertPyramidPoolingBlock(pool_scale=pool_scale, in_channels=in_channels, channels=channels)
            self.blocks.append(block)
            self.add_module(str(i), block)
""",
            after="""
class TFBertPyramidPoolingModule(keras.layers.Layer):
    def __init__(self, pool_scales, in_channels, channels):
        self.blocks = []
        for i, pool_scale in enumerate(pool_scales):
            block = TFBertPyramidPoolingBlock(pool_scale=pool_scale, in_channels=in_channels, channels=channels, name=str(i))
            self.blocks.append(block)
""",
            context=(("local_classes", {"BertPyramidPoolingBlock"}),),
        ),
        Example(
            before="""
class TFBertUpsample(keras.layers.Layer):
    def __init__(self, num_features):
        for i in range(2):
            self.add_module(f"convolution_{i}", keras.layers.Conv2D(4 * num_features, 3))
        self.add_module("extra", make_layer(num_features))
""",
            after="""
class TFBertUpsample(keras.layers.Layer):
    def __init__(self, num_features):
        for i in range(2):
            setattr(self, f"convolution_{i}", keras.layers.Conv2D(4 * num_features, 3))
        # TODO(tfscaffold): self.add_module: a layer not built in this block: name it and drop the call by hand
        self.add_module("extra", make_layer(num_features))
""",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if self.in_init:
            updated = updated.with_changes(body=self._block(updated.body, {}))
        return super().leave_FunctionDef(original, updated)

    def _block(self, block, lists: dict[str, int]):
        """The block with its registrations resolved; ``lists``: list attributes set from a literal -> statement."""
        body = list(block.body)
        out: list[cst.BaseStatement] = []
        layers = _layer_classes(self.ctx)
        for stmt in body:
            registered = _add_module_call(stmt)
            if registered is not None:
                key, value = registered
                if _is_layer_call(value, self.ctx, layers):
                    call = cst.Call(cst.Name("setattr"), [cst.Arg(cst.Name("self")), cst.Arg(key), cst.Arg(value)])
                    out.append(stmt.with_changes(body=[cst.Expr(call)]))
                    continue
                if isinstance(value, cst.Name) and self._name_local(out, value.value, key, layers):
                    continue
                why = "a layer not built in this block: name it and drop the call by hand"
                out.append(self.todo_at(stmt, "self.add_module", why))
                continue
            if (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Assign)
            ):
                assign = stmt.body[0]
                attr = _self_attr(assign.targets[0].target) if len(assign.targets) == 1 else None
                if attr is not None and isinstance(assign.value, cst.List):
                    lists[attr] = len(out)
            if isinstance(stmt, cst.For) and self._names_list_items(stmt, out, lists, layers):
                rest = [s for s in stmt.body.body if _add_module_call(s) is None]
                if rest:
                    out.append(stmt.with_changes(body=stmt.body.with_changes(body=rest)))
                continue
            if isinstance(stmt, cst.For | cst.While | cst.If | cst.With) and isinstance(stmt.body, cst.IndentedBlock):
                stmt = stmt.with_changes(body=self._block(stmt.body, dict(lists)))
            out.append(stmt)
        return block.with_changes(body=out)

    def _name_local(self, out: list[cst.BaseStatement], local: str, key: cst.BaseExpression, layers: set[str]) -> bool:
        """Names the layer built into ``local`` earlier in the block ``out`` holds; False when there is none."""
        for k in range(len(out) - 1, -1, -1):
            stmt = out[k]
            small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 else None
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == local
            ):
                if not _is_layer_call(small.value, self.ctx, layers):
                    return False
                named = small.with_changes(value=_add_kw(small.value, "name", key))  # type: ignore[arg-type]
                out[k] = stmt.with_changes(body=[named])  # type: ignore[union-attr]
                return True
        return False

    def _names_list_items(
        self, loop: cst.For, out: list[cst.BaseStatement], lists: dict[str, int], layers: set[str]
    ) -> bool:
        """``for i, layer in enumerate(self.<attr>): self.add_module(str(i), layer)`` over a list literal."""
        enumerated = _enumerated(loop)
        if enumerated is None or enumerated[2] not in lists or not isinstance(loop.body, cst.IndentedBlock):
            return False
        index, item, attr = enumerated
        registrations = [r for r in map(_add_module_call, loop.body.body) if r is not None]
        if len(registrations) != 1:
            return False
        key, value = registrations[0]
        if not (_is_str_of(key, index) and isinstance(value, cst.Name) and value.value == item):
            return False
        at = lists[attr]
        line = out[at]
        assign = line.body[0]  # type: ignore[union-attr]
        elements = [
            (
                e.with_changes(value=_add_kw(e.value, "name", cst.SimpleString(f'"{i}"')))  # type: ignore[arg-type]
                if _is_layer_call(e.value, self.ctx, layers)
                else e
            )
            for i, e in enumerate(assign.value.elements)
        ]
        out[at] = line.with_changes(body=[assign.with_changes(value=assign.value.with_changes(elements=elements))])
        return True


RULES = [RegisteredModules]
