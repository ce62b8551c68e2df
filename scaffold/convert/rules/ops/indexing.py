"""Indexing: advanced (tensor) indices, boolean masks, and sums of booleans."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted
from scaffold.convert.rules.ops.binding import _register
from scaffold.cstwalk import walk


def _integer_cast(index: cst.BaseExpression) -> bool:
    """``coords.long()``, ``coords.to(torch.int64)``, ``tf.cast(coords, tf.int64)``: a tensor of indices."""
    if not isinstance(index, cst.Call):
        return False
    name = dotted(index.func) or ""
    if isinstance(index.func, cst.Attribute) and index.func.attr.value in ("long", "int") and not index.args:
        return True
    dtype = next((dotted(a.value) for a in index.args[1 if name == "tf.cast" else 0 :]), None)
    integer = ("torch.long", "torch.int64", "torch.int32", "torch.int", "tf.int64", "tf.int32")
    return (name == "tf.cast" or name.endswith(".to")) and dtype in integer


def _whole_axis(index: cst.BaseSlice) -> bool:
    """``:`` or ``...`` in a subscript: the whole of the remaining axes."""
    if isinstance(index, cst.Slice):
        return index.lower is None and index.upper is None and index.step is None
    return isinstance(index, cst.Index) and isinstance(index.value, cst.Ellipsis)


def _tensor_by_form(node: cst.BaseExpression) -> bool:
    """A value that is a tensor by its form: a module's ``.weight``, a torch call, a tensor-returning method's call."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "weight"
    if isinstance(node, cst.Call):
        name = dotted(node.func) or ""
        if name.startswith("torch.") and name.count(".") == 1:
            return True
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in T.TENSOR_RESULT_METHODS
    return False


class AdvancedIndexing(Rule):
    """``x[torch.arange(b), idx]`` is PyTorch advanced indexing; TF subscripts cannot do it.

    Recognised where an index of a multi-index subscript is a ``torch.arange(...)`` (the idiom
    for "one element per row") and no index is a slice: it becomes ``gather_indices(x, ...)``, a
    support helper built on ``tf.gather_nd`` with PyTorch's broadcasting and negative indices.
    """

    name = "advanced-indexing"
    phase = "ops-dtypes-indexing"
    summary = (
        "logits[torch.arange(batch_size), sequence_lengths] -> gather_indices(logits, torch.arange(batch_size), ...)."
    )
    examples = (
        Example(
            before="pooled = logits[torch.arange(batch_size), sequence_lengths]\n",
            after="pooled = gather_indices(logits, torch.arange(batch_size), sequence_lengths)\n",
        ),
        Example(
            before="pooled = logits[range(batch_size), sequence_lengths]\n",
            after="pooled = gather_indices(logits, torch.arange(batch_size), sequence_lengths)\n",
            note="a Python range as an index is the same list of rows",
        ),
        Example(
            before="x = hidden[:, 0]\ny = table[i, j]\n",
            after="x = hidden[:, 0]\ny = table[i, j]\n",
            note="slices and plain indices are left alone",
        ),
        Example(
            before="state = hidden_states[None, top_x]\nweights = routing_weights[top_x, idx, None]\nm = mask[None, ...]\n",
            after="state = gather_indices(hidden_states, top_x)[None, ...]\nweights = gather_indices(routing_weights, top_x, idx)[..., None]\nm = mask[None, ...]\n",
            note="new axes around indices: the picked elements, then the axes",
        ),
        Example(
            before="cos = cos[position_ids].unsqueeze(1)\nlayer = self.layers[idx]\n",
            after="cos = tf.gather(cos, position_ids).unsqueeze(1)\nlayer = self.layers[idx]\n",
            note="an index that is one of the integer id inputs picks rows of a tensor",
        ),
        Example(
            before="pos = self.pos_encoding[position_ids, :]\nrest = table[position_ids, ...]\nr = rel[coords.long()]\n",
            after="pos = tf.gather(self.pos_encoding, position_ids)\nrest = tf.gather(table, position_ids)\nr = tf.gather(rel, coords.long())\n",
            note="whole axes after the ids change nothing; a tensor cast to integers indexes rows as ids do",
        ),
        Example(
            before="rel = self.rel_pos_bias.weight.t()[rel_pos]\nrow = hidden_states[i]\n",
            after="rel = take_like_torch(self.rel_pos_bias.weight.t(), rel_pos)\nrow = hidden_states[i]\n",
            note="a tensor by its form, subscripted by a name: rows when the name holds an integer tensor",
        ),
    )

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        elements = updated.slice
        while len(elements) > 1 and _whole_axis(elements[-1].slice):  # ``x[ids, :]`` is ``x[ids]``
            elements = elements[:-1]
        if (
            len(elements) == 1
            and isinstance(elements[0].slice, cst.Index)
            and (
                isinstance(elements[0].slice.value, cst.Name)
                and elements[0].slice.value.value in T.INTEGER_INDEX_INPUTS
                or _integer_cast(elements[0].slice.value)
            )
        ):
            # ``cos[position_ids]``: rows picked by an integer tensor (tf.gather is also x[i] for an int)
            return cst.Call(
                cst.parse_expression("tf.gather"), [cst.Arg(updated.value), cst.Arg(elements[0].slice.value)]
            )
        if (
            len(elements) == 1
            and isinstance(elements[0].slice, cst.Index)
            and isinstance(elements[0].slice.value, cst.Name)
            and _tensor_by_form(updated.value)
        ):
            # ``weight.t()[rel_pos]``: a tensor subscripted by a name that may hold an integer tensor
            call = cst.Call(cst.Name("take_like_torch"), [cst.Arg(updated.value), cst.Arg(elements[0].slice.value)])
            _register(self.ctx, call)
            return call
        if len(elements) < 2 or any(not isinstance(e.slice, cst.Index) for e in elements):
            return updated
        values = [e.slice.value for e in elements]  # type: ignore[union-attr]
        with_axes = self._with_new_axes(updated.value, values)
        if with_axes is not None:
            return with_axes
        # a Python range indexes a tensor as the list it stands for: torch.arange's twin here
        values = [
            (
                v.with_changes(func=cst.parse_expression("torch.arange"))
                if isinstance(v, cst.Call) and dotted(v.func) == "range"
                else v
            )
            for v in values
        ]
        if not any(isinstance(v, cst.Call) and dotted(v.func) == "torch.arange" for v in values):
            return updated
        args = [cst.Arg(updated.value), *(cst.Arg(v) for v in values)]
        call = cst.Call(func=cst.Name("gather_indices"), args=args)
        _register(self.ctx, call)
        return call

    def _with_new_axes(self, value: cst.BaseExpression, values: list[cst.BaseExpression]) -> cst.BaseExpression | None:
        """``x[None, rows]``, ``x[rows, cols, None]``: indices (tensors or ints) with new axes around them.

        A subscript with ``None`` and indices, no slices, is PyTorch advanced indexing with the new
        axes before or after the picked elements: the elements come from ``gather_indices`` (an int
        index picks as ``x[i]`` does) and the axes are added to its result. ``None`` between
        indices is left alone (PyTorch moves axes there).
        """

        def is_none(v: cst.BaseExpression) -> bool:
            return isinstance(v, cst.Name) and v.value == "None"

        nones = [is_none(v) for v in values]
        if not any(nones) or all(nones) or any(isinstance(v, cst.Ellipsis) for v in values):
            return None
        first, last = nones.index(False), len(nones) - 1 - nones[::-1].index(False)
        if any(nones[first : last + 1]):
            return None
        indices = values[first : last + 1]
        call = cst.Call(cst.Name("gather_indices"), [cst.Arg(value), *(cst.Arg(v) for v in indices)])
        _register(self.ctx, call)
        axes = ["None"] * first + ["..."] + ["None"] * (len(values) - 1 - last)
        return cst.parse_expression(f"{self.code(call)}[{', '.join(axes)}]")


def _boolean(node: cst.BaseExpression, masks: set[str], comparisons: bool = False) -> bool:
    """Whether an expression is a boolean torch tensor by its form: a boolean tensor op, a mask.

    A bare comparison counts only where the context says torch (``comparisons``, the argument of
    ``torch.sum``): ``a > b`` may as well compare numpy arrays or numbers, whose masks and sums
    must stay as they are.
    """
    if isinstance(node, cst.Comparison):
        return comparisons
    if isinstance(node, cst.Name):
        return node.value in masks
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
        return _boolean(node.expression, masks, comparisons)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitAnd | cst.BitOr):
        return _boolean(node.left, masks, comparisons) and _boolean(node.right, masks, comparisons)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        if method in T.BOOLEAN_OPS:
            return True
        if method in T.VALUE_PRESERVING_METHODS:
            return _boolean(node.func.value, masks, comparisons)
    return False


def _local_values(function: cst.FunctionDef) -> dict[str, list[cst.BaseExpression]]:
    """Every value assigned to each plain local of ``function`` (not of functions inside it)."""
    values: dict[str, list[cst.BaseExpression]] = {}

    class Visitor(HookVisitor):
        def visit_Assign(self, assign: cst.Assign) -> None:
            for target in assign.targets:
                if isinstance(target.target, cst.Name):
                    values.setdefault(target.target.value, []).append(assign.value)

        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is function

    walk(function, Visitor())
    return values


class _MaskRule(Rule):
    """Knows, per function, which locals are boolean tensors (masks) by the values assigned to them."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.masks: list[set[str]] = []
        self.targets: set[int] = set()  # subscripts assigned to

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        values = _local_values(node)
        masks: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, assigned in values.items():
                if name not in masks and all(_boolean(v, masks) for v in assigned):
                    masks.add(name)
                    changed = True
        self.masks.append(masks)
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.masks.pop()
        return updated

    @property
    def known(self) -> set[str]:
        return self.masks[-1] if self.masks else set()


class BooleanMaskIndexing(_MaskRule):
    """``x[mask]`` / ``x[mask, :]`` with a boolean tensor is PyTorch mask indexing: ``tf.boolean_mask``.

    TF subscripts take ints and slices only. A mask is known by its form: a boolean tensor op
    (``input_ids.eq(eos)``), or a local of the function assigned only such values. The rows where the mask holds are kept, flattened over the mask's axes, as in PyTorch.
    """

    name = "boolean-mask-indexing"
    phase = "ops-dtypes-indexing"
    summary = (
        "hidden_states[eos_mask, :] with eos_mask = input_ids.eq(eos) -> tf.boolean_mask(hidden_states, eos_mask)."
    )
    examples = (
        Example(
            before="""
def f(hidden_states, input_ids, eos):
    eos_mask = input_ids.eq(eos).to(hidden_states.device)
    picked = hidden_states[eos_mask, :]
    kept = hidden_states[input_ids.ne(0) & ~eos_mask]
    first = hidden_states[:, 0]
    other = hidden_states[index]
    lengths = lengths[lengths > 3]
    hidden_states[eos_mask] = 0
""",
            after="""
def f(hidden_states, input_ids, eos):
    eos_mask = input_ids.eq(eos).to(hidden_states.device)
    picked = tf.boolean_mask(hidden_states, eos_mask)
    kept = tf.boolean_mask(hidden_states, input_ids.ne(0) & ~eos_mask)
    first = hidden_states[:, 0]
    other = hidden_states[index]
    lengths = lengths[lengths > 3]
    hidden_states[eos_mask] = 0
""",
            note="a bare comparison may be numpy's; an assigned subscript is an in-place update, not a read",
        ),
    )

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.targets.add(id(node.target))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original) in self.targets:  # an in-place update: the in-place rules' business
            return updated
        elements = updated.slice
        first = elements[0].slice if elements else None
        if not isinstance(first, cst.Index) or not _boolean(first.value, self.known):
            return updated
        rest = elements[1:]
        full = all(
            isinstance(e.slice, cst.Slice)
            and e.slice.lower is None
            and e.slice.upper is None
            and e.slice.step is None
            or isinstance(e.slice, cst.Index)
            and isinstance(e.slice.value, cst.Ellipsis)
            for e in rest
        )
        if not full:
            self.todo(self.code(updated), "mask indexing combined with other indices")
            return updated
        return cst.Call(
            func=cst.parse_expression("tf.boolean_mask"),
            args=[
                cst.Arg(updated.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(first.value),
            ],
        )


class BooleanSums(_MaskRule):
    """``mask.sum(dim)`` of a boolean tensor counts: ``mask.long().sum(dim)``, as torch does it.

    torch sums booleans as int64; ``tf.reduce_sum`` refuses a boolean tensor. The cast is added
    on the PyTorch side, so the ops rules convert both calls as usual.
    """

    name = "boolean-sums"
    phase = "ops-dtypes-indexing"
    summary = "eos_mask.sum(1) with eos_mask = input_ids.eq(eos) -> eos_mask.long().sum(1)."
    examples = (
        Example(
            before="""
def f(input_ids, eos, x):
    eos_mask = input_ids.eq(eos)
    count = eos_mask.sum(1)
    total = torch.sum(input_ids != 0, dim=-1)
    lengths = (input_ids != pad).sum(dim=1)
    other = x.sum(1)
    counted = (a > b).sum(1)
""",
            after="""
def f(input_ids, eos, x):
    eos_mask = input_ids.eq(eos)
    count = eos_mask.long().sum(1)
    total = torch.sum((input_ids != 0).long(), dim=-1)
    lengths = (input_ids != pad).long().sum(dim=1)
    other = x.sum(1)
    counted = (a > b).sum(1)
""",
            note="a comparison summed with dim= is torch's; without it, it may be numpy's, and stays",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "sum":
            return updated
        if dotted(func) == "torch.sum" and updated.args and updated.args[0].keyword is None:
            first = updated.args[0]
            if _boolean(first.value, self.known, comparisons=True):
                args = [first.with_changes(value=self._long(first.value)), *updated.args[1:]]
                return updated.with_changes(args=args)
            return updated
        # a dim= keyword is torch's (numpy says axis=): a comparison summed that way is a torch mask
        torch_keywords = any(a.keyword is not None and a.keyword.value in T.TENSOR_ONLY_KEYWORDS for a in updated.args)
        if dotted(func) != "torch.sum" and _boolean(func.value, self.known, comparisons=torch_keywords):
            return updated.with_changes(func=func.with_changes(value=self._long(func.value)))
        return updated

    @staticmethod
    def _long(value: cst.BaseExpression) -> cst.Call:
        if not isinstance(value, cst.Name | cst.Attribute | cst.Call | cst.Subscript):
            value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Call(func=cst.Attribute(value=value, attr=cst.Name("long")))


def _torch_comparison(node: cst.BaseExpression) -> bool:
    """``torch.arange(n) < counts.unsqueeze(-1)``: a comparison with a torch call on a side (a tensor)."""
    if not isinstance(node, cst.Comparison):
        return False
    found = False

    class Visitor(HookVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            name = dotted(call.func) or ""
            method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
            if name.startswith("torch.") or method in T.METHODS or method in T.TENSOR_OPS:
                found = True

    walk(node, Visitor())
    return found


class BooleanEquality(_MaskRule):
    """``mask == 0`` of a boolean tensor is ``~mask`` (``mask == 1``, ``mask != 0``: the mask itself).

    torch compares a boolean tensor with an integer by promoting it; TF refuses to convert the
    integer to a boolean. A mask is known by its form, or as a local assigned only comparisons
    with a torch call on a side (``torch.arange(n) < counts.unsqueeze(-1)``).
    """

    name = "boolean-equality"
    phase = "ops-dtypes-indexing"
    summary = "is_global == 0 with is_global = torch.arange(n) < counts.unsqueeze(-1) -> tf.logical_not(is_global)."
    examples = (
        Example(
            before="""
def f(counts, n, a, b):
    is_global = torch.arange(n) < counts.unsqueeze(dim=-1)
    flag = a < b
    none = (is_global == 0).nonzero(as_tuple=True)
    some = is_global != 0
    other = flag == 0
""",
            after="""
def f(counts, n, a, b):
    is_global = torch.arange(n) < counts.unsqueeze(dim=-1)
    flag = a < b
    none = (tf.logical_not(is_global)).nonzero(as_tuple=True)
    some = is_global
    other = flag == 0
""",
            note="a comparison of plain names may compare numbers: it stays",
        ),
        Example(
            before="""
def f(scores, mask, mask_reshape, x):
    mask = (mask == 0).view(mask_reshape).expand_as(scores)
    kept = (x != 0).float()
    same = (x == 0) + 1
""",
            after="""
def f(scores, mask, mask_reshape, x):
    mask = (tf.logical_not(tf.cast(mask, tf.bool))).view(mask_reshape).expand_as(scores)
    kept = (tf.cast(x, tf.bool)).float()
    same = (x == 0) + 1
""",
            note="a comparison with zero whose result takes a tensor method compares a tensor, of any dtype"
            " (a boolean mask too): TF refuses 0 for a boolean tensor, a cast to bool does not",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        super().visit_FunctionDef(node)
        values = _local_values(node)
        self.masks[-1] |= {name for name, assigned in values.items() if all(_torch_comparison(v) for v in assigned)}
        return True

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison) -> cst.BaseExpression:
        if len(updated.comparisons) != 1 or not _boolean(original.left, self.known):
            return updated
        target = updated.comparisons[0]
        operator, value = target.operator, target.comparator
        number = value.value if isinstance(value, cst.Integer) else dotted(value)
        if number not in ("0", "1", "False", "True") or not isinstance(operator, cst.Equal | cst.NotEqual):
            return updated
        keeps = (number in ("1", "True")) == isinstance(operator, cst.Equal)
        left = updated.left.with_changes(lpar=[], rpar=[]) if keeps else updated.left
        result = left if keeps else cst.Call(cst.parse_expression("tf.logical_not"), [cst.Arg(updated.left)])
        return result.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else result

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        # ``(x == 0).view(...)``: only a tensor has the method, so ``x`` is one, of a dtype not known
        # here; ``x == 0`` is ``not bool(x)`` for every dtype, and TF casts any dtype to bool
        value, method = updated.value, updated.attr.value
        if not isinstance(value, cst.Comparison) or method not in T.METHODS and method not in T.TENSOR_RESULT_METHODS:
            return updated
        if len(value.comparisons) != 1 or not isinstance(value.comparisons[0].operator, cst.Equal | cst.NotEqual):
            return updated
        zero = value.comparisons[0].comparator
        if not (isinstance(zero, cst.Integer) and zero.value == "0" or dotted(zero) == "False"):
            return updated
        cast = cst.parse_expression(f"tf.cast({self.code(value.left.with_changes(lpar=[], rpar=[]))}, tf.bool)")
        if isinstance(value.comparisons[0].operator, cst.Equal):
            cast = cst.Call(cst.parse_expression("tf.logical_not"), [cst.Arg(cast)])
        return updated.with_changes(value=cast.with_changes(lpar=value.lpar, rpar=value.rpar))


def _index_tuple(node: cst.BaseExpression) -> bool:
    """``m.nonzero(as_tuple=True)``, ``torch.nonzero(m, as_tuple=True)``, ``torch.where(m)``: one index tensor per axis."""
    if not isinstance(node, cst.Call):
        return False
    name = dotted(node.func) or ""
    as_tuple = any(
        a.keyword is not None and a.keyword.value == "as_tuple" and dotted(a.value) == "True" for a in node.args
    )
    if name == "torch.where":
        return len(node.args) == 1
    return as_tuple and (
        name == "torch.nonzero" or isinstance(node.func, cst.Attribute) and node.func.attr.value == "nonzero"
    )


class IndexTupleIndexing(Rule):
    """``x[idx]`` where ``idx = mask.nonzero(as_tuple=True)``: the elements at those coordinates.

    PyTorch indexes with a tuple of index tensors (one per leading axis); TF subscripts cannot.
    Reading becomes ``tf.gather_nd`` of the stacked coordinates; ``x[idx] = v`` becomes
    ``index_put_like_torch`` (``tf.tensor_scatter_nd_update`` with ``v`` broadcast as torch does).
    """

    name = "index-tuple-indexing"
    phase = "ops-dtypes-indexing"
    summary = "x[mask.nonzero(as_tuple=True)] -> tf.gather_nd(x, tf.stack(idx, axis=-1)); x[idx] = v -> index_put_like_torch(x, idx, v)."
    examples = (
        Example(
            before="""
def f(x, keys, mask):
    idx = mask.nonzero(as_tuple=True)
    other = (mask == 0).nonzero(as_tuple=True)
    picked = keys[idx]
    x[other] = keys[idx]
    x[idx] = 0
    y = keys[mask]
""",
            after="""
def f(x, keys, mask):
    idx = mask.nonzero(as_tuple=True)
    other = (mask == 0).nonzero(as_tuple=True)
    picked = tf.gather_nd(keys, tf.stack(idx, axis=-1))
    x = index_put_like_torch(x, other, tf.gather_nd(keys, tf.stack(idx, axis=-1)))
    x = index_put_like_torch(x, idx, 0)
    y = keys[mask]
""",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.tuples: list[set[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        values = _local_values(node)
        self.tuples.append({name for name, assigned in values.items() if all(_index_tuple(v) for v in assigned)})
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.tuples.pop()
        return updated

    def _tuple_index(self, node: cst.Subscript) -> str | None:
        if not self.tuples or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        index = node.slice[0].slice.value
        return index.value if isinstance(index, cst.Name) and index.value in self.tuples[-1] else None

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return False  # the target subscript is rewritten whole by leave_Assign

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        index = self._tuple_index(updated)
        if index is None:
            return updated
        return cst.parse_expression(f"tf.gather_nd({self.code(updated.value)}, tf.stack({index}, axis=-1))")

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if len(updated.targets) != 1 or not isinstance(updated.targets[0].target, cst.Subscript):
            return updated
        target = updated.targets[0].target
        index = self._tuple_index(target)
        if index is None or not isinstance(target.value, cst.Name):
            return updated
        self.ctx.need_support("index_put_like_torch", T.SUPPORT["index_put_like_torch"].strip() + "\n")
        value = cst.parse_expression(
            f"index_put_like_torch({target.value.value}, {index}, {self.code(updated.value)})"
        )
        return updated.with_changes(targets=[cst.AssignTarget(target.value)], value=value)
