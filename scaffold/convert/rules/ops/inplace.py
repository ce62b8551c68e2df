"""In-place tensor updates and shifted copies (TF tensors are immutable): functional forms."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, Rule, dotted
from scaffold.convert.rules.ops.binding import OpSpec, _bind, _choose, _fill, _paren, _register, _Unbound
from scaffold.convert.rules.ops.calls import _basic_index


def _zeros_like_source(value: cst.BaseExpression) -> str | None:
    """``x`` when ``value`` is a tensor of zeros of x's shape and dtype (``x.new_zeros(x.shape)``, ``torch.zeros_like(x)``)."""
    if not isinstance(value, cst.Call):
        return None
    name = dotted(value.func) or ""
    code = Rule.code
    if name == "torch.zeros_like" and len(value.args) == 1 and value.args[0].keyword is None:
        return code(value.args[0].value)
    if isinstance(value.func, cst.Attribute) and value.func.attr.value == "new_zeros" and len(value.args) == 1:
        source = code(value.func.value)
        if code(value.args[0].value) in (f"{source}.shape", f"{source}.size()"):
            return source
    return None


def _piece(target: cst.BaseAssignTargetExpression, name: str) -> tuple[int, int, int | None] | None:
    """``(axis, start, stop)`` of ``name[:, 1:]`` / ``name[..., 0]`` (axis -1 after an ellipsis; stop None: to the end)."""
    if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value == name):
        return None
    elements = list(target.slice)
    lead, last = elements[:-1], elements[-1].slice
    if not lead:
        return None
    if len(lead) == 1 and isinstance(getattr(lead[0].slice, "value", None), cst.Ellipsis):
        axis = -1
    elif all(
        isinstance(e.slice, cst.Slice) and e.slice.lower is None and e.slice.upper is None and e.slice.step is None
        for e in lead
    ):
        axis = len(lead)
    else:
        return None

    def integer(node: cst.BaseExpression | None) -> int | None:
        return int(node.value) if isinstance(node, cst.Integer) else None

    if isinstance(last, cst.Index) and integer(last.value) is not None:
        start = integer(last.value)
        return axis, start, start + 1
    if isinstance(last, cst.Slice) and last.step is None:
        start = 0 if last.lower is None else integer(last.lower)
        stop = None if last.upper is None else integer(last.upper)
        if start is None or (last.upper is not None and stop is None):
            return None
        return axis, start, stop
    return None


class ShiftedCopies(Rule):
    """A zero tensor filled whole by assignments to pieces of one axis becomes one ``tf.concat``.

    ``y = x.new_zeros(x.shape)`` then ``y[:, 1:] = x[:, :-1]`` and ``y[:, 0] = start`` is how
    PyTorch models shift token ids right (decoder inputs from labels); TF tensors cannot be
    assigned to, but when the pieces cover the axis from 0 to the end, each piece is a part of
    a concatenation. A one-position piece given a value is ``tf.fill``-ed to the piece's shape
    in x's dtype. Anything else (gaps, a value that is not a slice of a tensor) is left to the
    item-assignment TODO.
    """

    name = "shifted-copies"
    phase = "ops-dtypes-indexing"
    summary = (
        "y = x.new_zeros(x.shape); y[:, 1:] = x[:, :-1]; y[:, 0] = v -> y = tf.concat([fill(v), x[:, :-1]], axis=1)"
    )
    examples = (
        Example(
            before="""
def shift_tokens_right(input_ids, pad_token_id, decoder_start_token_id):
    shifted_input_ids = input_ids.new_zeros(input_ids.shape)
    shifted_input_ids[:, 1:] = input_ids[:, :-1]
    shifted_input_ids[:, 0] = decoder_start_token_id
    return shifted_input_ids
""",
            after="""
def shift_tokens_right(input_ids, pad_token_id, decoder_start_token_id):
    shifted_input_ids = tf.concat(
        [
            tf.fill(shape_list(input_ids)[:1] + [1] + shape_list(input_ids)[2:], tf.cast(decoder_start_token_id, input_ids.dtype)),
            input_ids[:, :-1],
        ],
        axis=1,
    )
    return shifted_input_ids
""",
        ),
        Example(
            before="""
def _shift_right(self, input_ids):
    shifted_input_ids = input_ids.new_zeros(input_ids.shape)
    shifted_input_ids[..., 1:] = input_ids[..., :-1]
    shifted_input_ids[..., 0] = decoder_start_token_id
    return shifted_input_ids
""",
            after="""
def _shift_right(self, input_ids):
    shifted_input_ids = tf.concat(
        [
            tf.fill(shape_list(input_ids)[:-1] + [1], tf.cast(decoder_start_token_id, input_ids.dtype)),
            input_ids[..., :-1],
        ],
        axis=-1,
    )
    return shifted_input_ids
""",
            note="after an ellipsis the pieces are on the last axis",
        ),
        Example(
            before="""
def pad(x):
    y = x.new_zeros(x.shape)
    y[:, 2:] = x[:, :-2]
    y[:, 0] = 1
    return y
""",
            after="""
def pad(x):
    y = x.new_zeros(x.shape)
    y[:, 2:] = x[:, :-2]
    y[:, 0] = 1
    return y
""",
            note="position 1 is never assigned: it stays zero, which a concatenation of the pieces would drop",
        ),
    )

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body = self._rewrite(list(updated.body))
        return updated.with_changes(body=body) if body is not None else updated

    def _rewrite(self, body: list[cst.BaseStatement]) -> list[cst.BaseStatement] | None:
        changed = False
        i = 0
        while i < len(body):
            found = self._match(body, i)
            if found is None:
                i += 1
                continue
            count, statement = found
            body[i : i + 1 + count] = [statement]
            changed = True
            i += 1
        return body if changed else None

    def _match(self, body: list[cst.BaseStatement], i: int) -> tuple[int, cst.BaseStatement] | None:
        first = body[i]
        if not (isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1):
            return None
        assign = first.body[0]
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
            return None
        target = assign.targets[0].target
        source = _zeros_like_source(assign.value)
        if not isinstance(target, cst.Name) or source is None:
            return None
        pieces: list[tuple[int, int, int | None, cst.BaseExpression]] = []
        for stmt in body[i + 1 :]:
            if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
                break
            small = stmt.body[0]
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
                break
            piece = _piece(small.targets[0].target, target.value)
            if piece is None:
                break
            pieces.append((*piece, small.value))
        if len(pieces) < 2 or len({p[0] for p in pieces}) != 1:
            return None
        ordered = sorted(pieces, key=lambda p: p[1])
        position = 0
        for _axis, start, stop, _value in ordered:
            if start != position:
                return None
            position = stop
        if position is not None:  # the last piece must run to the end of the axis
            return None
        axis = ordered[0][0]
        parts = []
        for _axis, start, stop, value in ordered:
            if stop == start + 1 and not isinstance(value, cst.Subscript):
                if axis == -1:
                    shape = f"shape_list({source})[:-1] + [1]"
                else:
                    shape = f"shape_list({source})[:{axis}] + [1] + shape_list({source})[{axis + 1}:]"
                parts.append(f"tf.fill({shape}, tf.cast({self.code(value)}, {source}.dtype))")
            elif isinstance(value, cst.Subscript):
                parts.append(self.code(value))
            else:
                return None
        expression = cst.parse_expression(f"tf.concat([{', '.join(parts)}], axis={axis})")
        self.ctx.imports.add(T.IMPORTS["shape_list"])
        statement = first.with_changes(body=[assign.with_changes(value=expression)])
        return len(pieces), statement


_INPLACE_OPERATORS = {"add_": cst.Add, "sub_": cst.Subtract, "mul_": cst.Multiply, "div_": cst.Divide}


class InPlaceTensorUpdates(Rule):
    """In-place tensor methods become assignments: TF tensors are immutable.

    ``x.masked_fill_(m, v)`` on a plain variable becomes ``x = x.masked_fill(m, v)`` (converted
    by the tensor-method rule next); ``x.add_(y)`` becomes ``x = x + y``. An in-place update of
    anything but a local variable (an attribute, a slice) and item assignment on a tensor
    (``x[:, :n] = v``) are marked TODO: they need ``tf.tensor_scatter_nd_update``/``tf.where``.
    """

    name = "in-place-tensor-updates"
    phase = "ops-functions"
    summary = "x.masked_fill_(m, v) -> x = x.masked_fill(m, v); x.add_(y) -> x = x + y; slice assignment: TODO."
    examples = (
        Example(
            before="""
scores.masked_fill_(mask, value)
scores.add_(bias)
counts.zero_()
final.index_add_(0, top_x, current)
module.weight.data.fill_(1.0)
mask[:, :, :n] = mask[:, :, :n] * 2
mask[:, 1:, 2:n] = 0
scores[:, -1, ...] += bias
x[idx[0], :] = 0
y_hard = torch.zeros_like(logits).scatter_(dim, index, 1.0)
keep = torch.empty_like(x).bernoulli_(1 - p)
""",
            after="""
scores = scores.masked_fill(mask, value)
scores = scores + bias
counts = tf.zeros_like(counts)
final = tf.tensor_scatter_nd_add(final, tf.expand_dims(top_x, -1), tf.cast(current, final.dtype))
# TODO(tfscaffold): module.weight.data.fill_(1.0): in-place update of a non-variable; TF tensors are immutable
module.weight.data.fill_(1.0)
mask = assign_slices_like_torch(mask, (slice(None), slice(None), slice(n)), mask[:, :, :n] * 2)
mask = assign_slices_like_torch(mask, (slice(None), slice(1, None), slice(2, n)), 0)
scores = assign_slices_like_torch(scores, (slice(None), -1, Ellipsis), scores[:, -1, ...] + (bias))
# TODO(tfscaffold): x[idx[0], :] = ...: item assignment on a tensor; TF tensors are immutable (tf.tensor_scatter_nd_update or tf.where)
x[idx[0], :] = 0
y_hard = torch.zeros_like(logits).scatter(dim, index, 1.0)
keep = tf.cast(tf.random.uniform(shape_list(torch.empty_like(x))) < (1 - p), torch.empty_like(x).dtype)
""",
        ),
        Example(
            before="layers[i] = layer\nnames.append(name)\ntable[:, 0::2] = np.sin(angles)\n",
            after="layers[i] = layer\nnames.append(name)\ntable[:, 0::2] = np.sin(angles)\n",
            note="single-index item assignment may be a list or dict, and a numpy value goes into a numpy array",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """``torch.zeros_like(x).scatter_(d, i, 1.0)``: on a temporary, the in-place op is its value."""
        func = updated.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)):
            return updated
        method = func.attr.value
        plain = method[:-1]
        if method.endswith("_") and not method.startswith("_") and (plain in T.METHODS or plain in T.TENSOR_OPS):
            return updated.with_changes(func=func.with_changes(attr=cst.Name(plain)))
        if method in T.INPLACE:  # ``torch.empty_like(x).bernoulli_(p)``: the table's value of the temporary
            spec = OpSpec.of(T.INPLACE[method])
            try:
                bound = _bind(spec, func.value, updated.args)
                value = _fill(spec, _choose(spec, bound), bound)  # type: ignore[arg-type]
            except _Unbound as why:
                self.todo(self.code(updated), str(why))
                return updated
            _register(self.ctx, value)
            return value
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value.endswith("_")
                and not func.attr.value.startswith("_")
            ):
                method = func.attr.value
                plain = method[:-1]
                known = plain in T.METHODS or plain in T.TENSOR_OPS or method in T.INPLACE
                if not known and method not in _INPLACE_OPERATORS:
                    if plain in {"normal", "uniform", "copy", "index_fill"}:
                        self.todo(self.code(call), "in-place update; TF tensors are immutable")
                    return updated
                target = func.value
                if not isinstance(target, cst.Name):
                    self.todo(self.code(call), "in-place update of a non-variable; TF tensors are immutable")
                    return updated
                if method in _INPLACE_OPERATORS and len(call.args) == 1:
                    value = cst.BinaryOperation(target, _INPLACE_OPERATORS[method](), _paren(call.args[0].value))
                elif method in T.INPLACE:
                    spec = OpSpec.of(T.INPLACE[method])
                    try:
                        bound = _bind(spec, target, call.args)
                        value = _fill(spec, _choose(spec, bound), bound)  # type: ignore[arg-type]
                    except _Unbound as why:
                        self.todo(self.code(call), str(why))
                        return updated
                    _register(self.ctx, value)
                else:
                    value = call.with_changes(func=func.with_changes(attr=cst.Name(plain)))
                assign = cst.Assign([cst.AssignTarget(target)], value)
                return updated.with_changes(body=[assign])
        if isinstance(small, cst.Assign | cst.AugAssign):
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            value = small.value
            numpy_value = isinstance(value, cst.Call) and (dotted(value.func) or "").split(".")[0] in ("np", "numpy")
            if len(targets) == 1 and isinstance(targets[0], cst.Subscript) and self._tensor_index(targets[0]):
                if not numpy_value and (functional := self._functional_update(targets[0], small)) is not None:
                    return updated.with_changes(body=[functional])
            for target in targets:
                if isinstance(target, cst.Subscript) and self._tensor_index(target) and not numpy_value:
                    self.todo(
                        f"{self.code(target)} = ...",
                        "item assignment on a tensor; TF tensors are immutable (tf.tensor_scatter_nd_update or tf.where)",
                    )
        return updated

    def _functional_update(self, target: cst.Subscript, small: cst.Assign | cst.AugAssign) -> cst.Assign | None:
        """``x[:, a:b] = v`` (or ``+=``) on a local with basic indices -> ``x = assign_slices_like_torch(x, ...)``.

        Basic indices only: slices, ``...``, and index values that are literals or names of the
        function (a loop counter): a subscript or call could be an index tensor, which picks
        elements PyTorch's advanced way, so those keep the TODO.
        """
        if not isinstance(target.value, cst.Name):
            return None
        parts = []
        for element in target.slice:
            item = element.slice
            if isinstance(item, cst.Slice):
                bounds = [item.lower, item.upper, item.step]
                if not all(b is None or _basic_index(b) for b in bounds):
                    return None
                # slice(a) is a stop: keep (start, stop) whenever a start is given
                if bounds[2] is None:
                    bounds.pop()
                    if bounds[1] is None and bounds[0] is None:
                        bounds.pop()
                    elif bounds[0] is None:
                        bounds = bounds[1:]
                parts.append(f"slice({', '.join('None' if b is None else self.code(b) for b in bounds) or 'None'})")
            elif isinstance(item.value, cst.Ellipsis):
                parts.append("Ellipsis")
            elif _basic_index(item.value):
                parts.append(self.code(item.value))
            else:
                return None
        name = target.value.value
        value = self.code(small.value)
        if isinstance(small, cst.AugAssign):
            value = f"{self.code(target)} {self.code(small.operator).strip().rstrip('=')} ({value})"
        index = f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
        call = cst.parse_expression(f"assign_slices_like_torch({name}, {index}, {value})")
        _register(self.ctx, call)
        return cst.Assign([cst.AssignTarget(cst.Name(name))], call)

    @staticmethod
    def _tensor_index(target: cst.Subscript) -> bool:
        """A multi-axis index (``x[:, :n]``, ``x[..., 0]``): lists and dicts do not take those."""
        if len(target.slice) < 2:
            return False
        return any(
            isinstance(e.slice, cst.Slice) or isinstance(getattr(e.slice, "value", None), cst.Ellipsis)
            for e in target.slice
        )
