"""Shapes: concatenated sizes, static shape reads, ``x.T``, and ``matmul`` of a transposed operand."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, Rule, dotted
from scaffold.convert.rules.ops.calls import tensor_method_names


class ShapeConcatenation(Rule):
    """``x.shape[:-1] + (a, b)`` builds a shape from a static TensorShape, which has None for
    dimensions unknown when tracing: the dynamic ``tuple(shape_list(x))[:-1]`` instead.
    A plain ``x.shape`` elsewhere is left alone."""

    name = "shape-concatenation"
    phase = "ops-methods"
    summary = "x.shape[:-1] + (a, b) -> tuple(shape_list(x))[:-1] + (a, b)."
    examples = (
        Example(
            before="hidden_shape = hidden_states.shape[:-1] + (-1, self.head_dim)\nn = x.shape[0]\n",
            after="hidden_shape = tuple(shape_list(hidden_states))[:-1] + (-1, self.head_dim)\nn = x.shape[0]\n",
        ),
    )

    # ``shape`` where the walk starts, or a method ``tensor-methods`` converts earlier in the same walk
    name_gated = frozenset({"BinaryOperation"})

    def names_reacted_to(self) -> Iterable[str]:
        return {"shape", *tensor_method_names()}

    def _dynamic(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        inner = node.value if isinstance(node, cst.Subscript) else node
        if isinstance(inner, cst.Attribute) and inner.attr.value == "shape":
            self.ctx.imports.add(T.IMPORTS["shape_list"])
            shape = cst.parse_expression("tuple(shape_list(x))").with_changes()
            shape = shape.with_changes(args=[cst.Arg(shape.args[0].value.with_changes(args=[cst.Arg(inner.value)]))])
            return node.with_changes(value=shape) if isinstance(node, cst.Subscript) else shape
        return None

    def leave_BinaryOperation(self, original, updated):
        if not isinstance(updated.operator, cst.Add):
            return updated
        if isinstance(updated.right, cst.Tuple):
            new = self._dynamic(updated.left)
            if new is not None:
                return updated.with_changes(left=new)
        if isinstance(updated.left, cst.Tuple):
            new = self._dynamic(updated.right)
            if new is not None:
                return updated.with_changes(right=new)
        return updated


class StaticShapeReads(Rule):
    """Sizes read from ``x.shape`` come from ``shape_list(x)``: static where known, dynamic elsewhere.

    PyTorch's ``x.shape`` always holds numbers; a TF tensor's static shape has None for sizes
    unknown when tracing (the batch of a Keras functional model), which then breaks the ops fed
    with it. Unpacking (``b, n = x.shape``) and single-index reads (``x.shape[1]``) become
    ``shape_list``, a whole shape kept in a name (``s = x.shape``, later a reshape target) becomes
    ``tuple(shape_list(x))`` as ``x.size()`` does; slices are left to ``shape-concatenation`` and
    other uses (``x.shape.rank``) alone.
    """

    name = "static-shape-reads"
    phase = "ops-methods"
    summary = "b, c, h, w = x.shape -> shape_list(x); x.shape[1] -> shape_list(x)[1]."
    examples = (
        Example(
            before="batch_size, num_channels, height, width = pixel_values.shape\nn = x.shape[1] - 1\n"
            "head = x.shape[:2]\nr = x.shape.rank\nbsz, seq_len = input_ids.shape[:2]\n",
            after="batch_size, num_channels, height, width = shape_list(pixel_values)\nn = shape_list(x)[1] - 1\n"
            "head = x.shape[:2]\nr = x.shape.rank\nbsz, seq_len = shape_list(input_ids)[:2]\n",
            note="unpacking a slice of the shape reads sizes too",
        ),
        Example(
            before="hidden_states_shape = hidden_states.shape\ny = tf.reshape(y, hidden_states_shape)\n",
            after="hidden_states_shape = tuple(shape_list(hidden_states))\ny = tf.reshape(y, hidden_states_shape)\n",
        ),
    )

    # ``shape`` where the walk starts, or a method ``tensor-methods`` converts earlier in the same walk
    name_gated = frozenset({"Assign", "Subscript"})

    def names_reacted_to(self) -> Iterable[str]:
        return {"shape", *tensor_method_names()}

    def _shape_list(self, node: cst.Attribute) -> cst.Call:
        self.ctx.imports.add(T.IMPORTS["shape_list"])
        return cst.Call(func=cst.Name("shape_list"), args=[cst.Arg(node.value)])

    @staticmethod
    def _is_shape(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Attribute) and node.attr.value == "shape"

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Tuple | cst.List)
            and self._is_shape(updated.value)
        ):
            return updated.with_changes(value=self._shape_list(updated.value))
        value = updated.value
        if (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Tuple | cst.List)
            and isinstance(value, cst.Subscript)
            and self._is_shape(value.value)
        ):
            # ``bsz, seq_len = x.shape[:2]``: sizes unpacked from a slice
            return updated.with_changes(value=value.with_changes(value=self._shape_list(value.value)))
        if (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Name)
            and self._is_shape(updated.value)
        ):
            shape = cst.Call(func=cst.Name("tuple"), args=[cst.Arg(self._shape_list(updated.value))])
            return updated.with_changes(value=shape)
        return updated

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if self._is_shape(updated.value) and len(updated.slice) == 1 and isinstance(updated.slice[0].slice, cst.Index):
            return updated.with_changes(value=self._shape_list(updated.value))
        return updated


class TransposeProperty(Rule):
    """``x.T`` reverses the axes of a tensor (PyTorch's property, as ``x.t()``): ``tf.transpose(x)``.

    TF tensors have no ``.T``. A transpose of a transpose is the tensor itself, which is what
    reading a Dense kernel back as PyTorch's weight and transposing it again gives.
    """

    name = "transpose-property"
    phase = "ops-methods"
    summary = "x.T -> tf.transpose(x); tf.transpose(tf.transpose(k)) -> k."
    examples = (
        Example(
            before="logits_per_image = logits_per_text.T\nh = x @ tf.transpose(self.kernel).T\n",
            after="logits_per_image = tf.transpose(logits_per_text)\nh = x @ self.kernel\n",
        ),
    )

    # ``T`` where the walk starts, or a method ``tensor-methods`` converts earlier in the same walk
    name_gated = frozenset({"Attribute"})

    def names_reacted_to(self) -> Iterable[str]:
        return {"T", *tensor_method_names()}

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if updated.attr.value != "T":
            return updated
        inner = updated.value
        if (
            isinstance(inner, cst.Call)
            and dotted(inner.func) == "tf.transpose"
            and len(inner.args) == 1
            and inner.args[0].keyword is None
        ):
            return inner.args[0].value
        return cst.Call(cst.parse_expression("tf.transpose"), [cst.Arg(inner.with_changes(lpar=[], rpar=[]))])


class MatmulTransposeB(Rule):
    """``tf.matmul(a, tf.linalg.matrix_transpose(b))`` is ``tf.matmul(a, b, transpose_b=True)``."""

    name = "matmul-transpose-b"
    phase = "ops-methods"
    summary = "Fold a matrix transpose of matmul's operand into transpose_a / transpose_b."
    examples = (
        Example(
            before="s = tf.matmul(q, tf.linalg.matrix_transpose(k))\nt = tf.matmul(q, swap_axes(k, 1, 2))\n",
            after="s = tf.matmul(q, k, transpose_b=True)\nt = tf.matmul(q, swap_axes(k, 1, 2))\n",
        ),
    )

    # ``matmul`` where the walk starts, or a method ``tensor-methods`` converts earlier in the same walk
    name_gated = frozenset({"Call"})

    def names_reacted_to(self) -> Iterable[str]:
        return {"matmul", *tensor_method_names()}

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if dotted(updated.func) != "tf.matmul" or len(updated.args) != 2 or any(a.keyword for a in updated.args):
            return updated
        args = list(updated.args)
        for i, flag in ((0, "transpose_a"), (1, "transpose_b")):
            value = args[i].value
            if isinstance(value, cst.Call) and dotted(value.func) == "tf.linalg.matrix_transpose" and not value.lpar:
                if len(value.args) == 1 and value.args[0].keyword is None:
                    args[i] = args[i].with_changes(value=value.args[0].value)
                    args.append(cst.Arg(cst.Name("True"), keyword=cst.Name(flag)))
        if len(args) == 2:
            return updated
        args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
        return updated.with_changes(args=args)
