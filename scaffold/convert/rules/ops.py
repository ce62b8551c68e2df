"""Rules of the ops concern: torch functions, tensor methods and ``torch.nn.functional`` -> TF ops.

What maps to what is data (``scaffold/convert/tables_ops.py``); the rules here bind a call's
arguments to the torch signature of its table entry and fill the TF template. A few ops whose
TF form depends on where the call stands (``x.size()`` unpacked or compared, ``x.max(dim)``
followed by ``.values``) or on literal arguments (``transpose(-1, -2)``, ``expand`` with -1)
have a small hook in code. Where a torch op needs runtime facts (the rank for ``transpose``,
the length for ``split``), the template calls a support helper that is emitted once into the
generated module: correct first, idiomatic where it costs nothing.

Tensor methods and receivers: the converter does not know the type of ``x`` in ``x.split(2)``.
Method names that Python's builtins also have with another meaning (``split``, ``index``,
``count``, ``copy``, ``sort``, ``add``, ``sub``: :data:`tables_ops.AMBIGUOUS_METHODS`) are
converted only when the receiver is known to be a tensor (a parameter annotated as one, or a
tensor-only keyword such as ``dim=`` in the call); every other method name of the tables cannot
be a builtin's, and is converted whatever the receiver, except on ``self``/``cls``/``super()``
(the module's own methods and sublayers) and on imported names (modules and classes).
Numpy arrays, rare in modeling code, are treated as tensors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, Rule, dotted, names_in

# -- signatures and templates ------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None = None
    varargs: bool = False
    kwonly: bool = False


def _parse_signature(text: str) -> tuple[Param, ...]:
    params: list[Param] = []
    kwonly = False
    for raw in (p.strip() for p in text.split(",")):
        if not raw:  # a function without parameters
            continue
        if raw == "*":
            kwonly = True
            continue
        name, _, default = raw.partition("=")
        if name.startswith("*"):
            params.append(Param(name[1:], varargs=True))
            kwonly = True
            continue
        params.append(Param(name, default or None, kwonly=kwonly))
    return tuple(params)


@dataclass(frozen=True)
class OpSpec:
    params: tuple[Param, ...]
    variants: tuple[tuple[tuple[str, ...], str | None], ...]

    @classmethod
    def of(cls, entry: tuple) -> OpSpec:
        signature, *variants = entry
        norm = tuple(v if isinstance(v, tuple) else ((), v) for v in variants)
        return cls(_parse_signature(signature), norm)


_PLACEHOLDER = "__op_"


class _VarArgs:
    """The arguments a ``*name`` parameter collected."""

    def __init__(self, args: list[cst.Arg]) -> None:
        self.args = args

    def as_value(self) -> cst.BaseExpression:
        if len(self.args) == 1:
            arg = self.args[0]
            if arg.star == "*":
                return arg.value
            if not _is_int_literal(arg.value):
                return arg.value
        return cst.List([cst.Element(a.value) for a in self.args])


def _is_int_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def _literal_int(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal_int(node.expression)
        return None if inner is None else -inner
    return None


def _is_atomic(node: cst.BaseExpression) -> bool:
    return bool(node.lpar) or isinstance(
        node,
        cst.Name
        | cst.Attribute
        | cst.Call
        | cst.Subscript
        | cst.SimpleString
        | cst.FormattedString
        | cst.Integer
        | cst.Float
        | cst.List
        | cst.Tuple
        | cst.Dict,
    )


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return node if _is_atomic(node) else node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Unbound(Exception):
    """The call cannot be bound to the signature or filled into a template; the reason is the text."""


def _bind(
    spec: OpSpec, receiver: cst.BaseExpression | None, args: tuple[cst.Arg, ...]
) -> dict[str, cst.BaseExpression | _VarArgs]:
    positional = [a for a in args if a.keyword is None]
    keywords = {a.keyword.value: a for a in args if a.keyword is not None}
    names = {p.name for p in spec.params}
    for alias, name in T.ARGUMENT_ALIASES.items():
        if alias in keywords and alias not in names and name in names and name not in keywords:
            keywords[name] = keywords.pop(alias)
    if any(a.star == "**" for a in args):
        raise _Unbound("**kwargs cannot be bound to the torch signature")
    bound: dict[str, cst.BaseExpression | _VarArgs] = {}
    queue: list[cst.Arg] = ([cst.Arg(receiver)] if receiver is not None else []) + positional
    for param in spec.params:
        if param.varargs:
            if queue:
                bound[param.name] = _VarArgs(queue)
                queue = []
            elif param.name in keywords:
                bound[param.name] = _VarArgs([keywords.pop(param.name).with_changes(keyword=None, equal=None)])
            continue
        if not param.kwonly and queue:
            arg = queue.pop(0)
            if arg.star:
                raise _Unbound("a starred argument where torch expects one value")
            bound[param.name] = arg.value
        elif param.name in keywords:
            bound[param.name] = keywords.pop(param.name).value
    if queue:
        raise _Unbound("more positional arguments than the torch signature takes")
    for name in list(keywords):
        if name in T.IGNORED_PARAMS:
            keywords.pop(name)
    if keywords:
        raise _Unbound(f"argument {', '.join(keywords)} has no TF counterpart in the ops table")
    return bound


def _present(spec: OpSpec, bound: dict, name: str) -> bool:
    if name not in bound:
        return False
    param = next(p for p in spec.params if p.name == name)
    value = bound[name]
    if param.default is not None and isinstance(value, cst.BaseExpression):
        return Rule.code(value).replace('"', "'") != param.default.replace('"', "'")
    return True


def _choose(spec: OpSpec, bound: dict) -> str | None:
    for required, template in spec.variants:
        if all(_present(spec, bound, r) for r in required):
            if template is None:
                given = ", ".join(required)
                raise _Unbound(f"{given} given: no faithful TF counterpart in the ops table")
            return template
    raise _Unbound("a required argument is missing")


def _placeholders(template: str, params: tuple[Param, ...]) -> str:
    for param in params:
        template = re.sub(rf"(?<![\w.]){param.name}\b(?!\s*=(?!=))", _PLACEHOLDER + param.name, template)
    return template


class _Fill(cst.CSTTransformer):
    def __init__(self, spec: OpSpec, bound: dict) -> None:
        super().__init__()
        self.spec = spec
        self.bound = bound
        self.defaults = {p.name: p.default for p in spec.params if p.default is not None}
        self.tight: set[int] = set()
        self.in_arg: set[int] = set()  # placeholders that are a call's argument: filled in leave_Call

    # where an argument expression needs parentheses: as an operand or before ``.``/``[``
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.tight.add(id(node.value))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.tight.add(id(node.value))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self.tight.update((id(node.left), id(node.right)))

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self.tight.add(id(node.expression))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self.tight.update([id(node.left), *(id(c.comparator) for c in node.comparisons)])

    def visit_Arg(self, node: cst.Arg) -> None:
        self.in_arg.add(id(node.value))

    def _lookup(self, name: str):
        if name in self.bound:
            return self.bound[name]
        if name in self.defaults:
            return cst.parse_expression(self.defaults[name])
        return None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args: list[cst.Arg] = []
        missing_positional = False
        for arg in updated.args:
            value = arg.value
            if isinstance(value, cst.Name) and value.value.startswith(_PLACEHOLDER):
                name = value.value[len(_PLACEHOLDER) :]
                found = self._lookup(name)
                if found is None:
                    if arg.keyword is None:
                        missing_positional = True
                    continue
                if missing_positional and arg.keyword is None:
                    raise _Unbound(f"{name} given but an earlier optional argument is not")
                if isinstance(found, _VarArgs):
                    if arg.star == "*":
                        args.extend(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in found.args)
                        continue
                    found = found.as_value()
                if found.lpar and not isinstance(found, cst.Tuple | cst.GeneratorExp):
                    found = found.with_changes(lpar=[], rpar=[])  # an argument needs no parentheses
                args.append(arg.with_changes(value=found, comma=cst.MaybeSentinel.DEFAULT))
                continue
            if missing_positional and arg.keyword is None:
                raise _Unbound("a positional argument after a missing one")
            args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return updated.with_changes(args=args)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if not updated.value.startswith(_PLACEHOLDER) or id(original) in self.in_arg:
            return updated
        name = updated.value[len(_PLACEHOLDER) :]
        found = self._lookup(name)
        if found is None:
            raise _Unbound(f"{name} is needed and not given")
        if isinstance(found, _VarArgs):
            found = found.as_value()
        return _paren(found) if id(original) in self.tight else found

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison) -> cst.BaseExpression:
        # fold ``"tanh" == 'tanh'`` left by a literal argument
        if (
            len(updated.comparisons) == 1
            and isinstance(updated.left, cst.SimpleString)
            and isinstance(updated.comparisons[0].comparator, cst.SimpleString)
            and isinstance(updated.comparisons[0].operator, cst.Equal | cst.NotEqual)
        ):
            same = updated.left.evaluated_value == updated.comparisons[0].comparator.evaluated_value
            if isinstance(updated.comparisons[0].operator, cst.NotEqual):
                same = not same
            return cst.Name(str(same))
        return updated


def _fill(spec: OpSpec, template: str, bound: dict) -> cst.BaseExpression:
    expr = cst.parse_expression(_placeholders(template, spec.params))
    return expr.visit(_Fill(spec, bound))


def _register(ctx, node: cst.CSTNode) -> None:
    """Support helpers and imports the emitted code uses."""
    names = names_in(node)
    pending = [n for n in names if n in T.SUPPORT]
    while pending:
        name = pending.pop()
        if name in ctx.support:
            continue
        ctx.need_support(name, T.SUPPORT[name].strip() + "\n")
        pending.extend(T.SUPPORT_NEEDS.get(name, ()))
        names |= set(re.findall(r"\b\w+\b", T.SUPPORT[name]))
    for name, line in T.IMPORTS.items():
        if name in names:
            ctx.imports.add(line)


def _with_parens(new: cst.BaseExpression, old: cst.BaseExpression) -> cst.BaseExpression:
    if old.lpar and not new.lpar:
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


def _looks_like_dtype(node: cst.BaseExpression) -> bool:
    name = dotted(node) or ""
    return (
        name in {f"tf.{d.split('.')[1]}" for d in T.DTYPES.values()}
        or name.startswith("torch.")
        and name.split(".")[-1] in T.DTYPES
        or name.endswith("dtype")
        or isinstance(node, cst.Call)
        and dotted(node.func) == "tf.as_dtype"
    )


# -- rules -------------------------------------------------------------------------------------


class TorchDtypes(Rule):
    """torch dtypes and tensor types have fixed TF names; ``torch.finfo(d).min`` is ``d.min``.

    Runs first so that every later template sees TF dtypes in its arguments.
    """

    name = "torch-dtypes"
    summary = "torch.long -> tf.int64, torch.FloatTensor -> tf.Tensor, torch.finfo(d).min -> d.min."
    examples = (
        Example(
            before="""
def f(x: torch.FloatTensor, mask: Optional[torch.LongTensor] = None) -> torch.Tensor:
    ids = torch.zeros(shape, dtype=torch.long)
    if x.dtype == torch.float16:
        pass
    low = torch.finfo(x.dtype).min
    high = torch.finfo(torch.float32).max
    eps = torch.finfo(x.dtype).eps
""",
            after="""
def f(x: tf.Tensor, mask: Optional[tf.Tensor] = None) -> tf.Tensor:
    ids = torch.zeros(shape, dtype=tf.int64)
    if x.dtype == tf.float16:
        pass
    low = x.dtype.min
    high = tf.float32.max
    eps = np.finfo(x.dtype.as_numpy_dtype).eps
""",
        ),
        Example(
            before="value = math.float\ny = torch.nn.Linear\n",
            after="value = math.float\ny = torch.nn.Linear\n",
            note="only torch.<dtype>/<type> names; math and torch.nn are not dtypes",
        ),
    )

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        name = dotted(updated)
        if name and name.count(".") == 1 and name.startswith("torch."):
            attr = name.split(".")[1]
            target = T.DTYPES.get(attr) or T.TYPES.get(attr)
            if target:
                return _with_parens(cst.parse_expression(target), updated)
        value = updated.value
        if isinstance(value, cst.Call) and dotted(value.func) == "torch.finfo" and len(value.args) == 1:
            dtype = _paren(value.args[0].value)
            attr = updated.attr.value
            if attr in T.FINFO_ON_DTYPE:
                return updated.with_changes(value=dtype)
            if attr in T.FINFO_THROUGH_NUMPY:
                self.ctx.imports.add(T.IMPORTS["np"])
                numpy_dtype = cst.Attribute(dtype, cst.Name("as_numpy_dtype"))
                return updated.with_changes(value=cst.Call(cst.parse_expression("np.finfo"), [cst.Arg(numpy_dtype)]))
        return updated


class DropGradContexts(Rule):
    """``with torch.no_grad():`` and autocast blocks keep their body; ``@torch.no_grad()`` goes.

    TF records gradients only inside a GradientTape and has no autocast: the context means
    nothing there. A ``with`` that also opens other contexts keeps those.
    """

    name = "drop-grad-contexts"
    summary = "Unwrap torch.no_grad()/autocast blocks and decorators; torch.jit.is_tracing() -> False."
    examples = (
        Example(
            before="""
class TFLlamaRotaryEmbedding(keras.layers.Layer):
    @torch.no_grad()
    def call(self, x):
        with torch.autocast(device_type=device_type, enabled=False):
            freqs = x * 2
        if not torch.jit.is_tracing():
            pass
        return freqs
""",
            after="""
class TFLlamaRotaryEmbedding(keras.layers.Layer):
    def call(self, x):
        freqs = x * 2
        if not False:
            pass
        return freqs
""",
        ),
        Example(
            before="with open(path) as f:\n    data = f.read()\n",
            after="with open(path) as f:\n    data = f.read()\n",
            note="other context managers stay",
        ),
    )

    @staticmethod
    def _noop(expr: cst.BaseExpression) -> bool:
        func = expr.func if isinstance(expr, cst.Call) else expr
        return dotted(func) in T.NOOP_CONTEXTS

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        decorators = [d for d in updated.decorators if not self._noop(d.decorator)]
        return updated.with_changes(decorators=decorators)

    def leave_With(self, original: cst.With, updated: cst.With):
        items = [i for i in updated.items if not self._noop(i.item)]
        if len(items) == len(updated.items):
            return updated
        if items:
            items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(items=items)
        body = list(updated.body.body)
        if body:
            body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines, *body[0].leading_lines])
        return cst.FlattenSentinel(body)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = dotted(updated.func)
        if name in T.CONSTANT_CALLS and not updated.args:
            return _with_parens(cst.parse_expression(T.CONSTANT_CALLS[name]), updated)
        return updated


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
scores[:, -1, ...] += bias
x[idx[0], :] = 0
""",
            after="""
scores = scores.masked_fill(mask, value)
scores = scores + bias
counts = tf.zeros_like(counts)
final = tf.tensor_scatter_nd_add(final, tf.expand_dims(top_x, -1), tf.cast(current, final.dtype))
# TODO(tfscaffold): module.weight.data.fill_(1.0): in-place update of a non-variable; TF tensors are immutable
module.weight.data.fill_(1.0)
mask = assign_slices_like_torch(mask, (slice(None), slice(None), slice(None, n)), mask[:, :, :n] * 2)
scores = assign_slices_like_torch(scores, (slice(None), -1, Ellipsis), scores[:, -1, ...] + (bias))
# TODO(tfscaffold): x[idx[0], :] = ...: item assignment on a tensor; TF tensors are immutable (tf.tensor_scatter_nd_update or tf.where)
x[idx[0], :] = 0
""",
        ),
        Example(
            before="layers[i] = layer\nnames.append(name)\ntable[:, 0::2] = np.sin(angles)\n",
            after="layers[i] = layer\nnames.append(name)\ntable[:, 0::2] = np.sin(angles)\n",
            note="single-index item assignment may be a list or dict, and a numpy value goes into a numpy array",
        ),
    )

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
                    if plain in {"normal", "uniform", "copy", "index_fill", "scatter"}:
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
                while bounds and bounds[-1] is None:
                    bounds.pop()
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


def _basic_index(node: cst.BaseExpression) -> bool:
    """An index value that is an int or a plain name of one: literals, names, attributes, arithmetic of those."""
    if isinstance(node, cst.Integer | cst.Name | cst.Attribute):
        return not (isinstance(node, cst.Name) and node.value == "None")
    if isinstance(node, cst.UnaryOperation):
        return _basic_index(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _basic_index(node.left) and _basic_index(node.right)
    return False


def _check_literals(op: str, bound: dict) -> None:
    """A string argument the helper has no faithful form for (``mode="bicubic"``) leaves the call a TODO."""
    for param, allowed in T.STRING_ARGUMENTS.get(op, {}).items():
        value = bound.get(param)
        if isinstance(value, cst.SimpleString) and value.evaluated_value not in allowed:
            raise _Unbound(f"{param}={value.value}: no faithful TF counterpart in the ops table")


def _integral_literals(op: str, bound: dict) -> None:
    """``torch.arange(0, n, 1.0, dtype=torch.int64)``: a whole float literal where the dtype is given
    is written as an int (tf.range refuses a float bound for an integer dtype; torch casts it)."""
    if "dtype" not in bound:
        return
    for param in T.INTEGRAL_WITH_DTYPE.get(op, ()):
        value = bound.get(param)
        negative = isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
        number = value.expression if negative else value  # type: ignore[union-attr]
        if isinstance(number, cst.Float) and float(number.value).is_integer():
            integer = cst.Integer(str(int(float(number.value))))
            bound[param] = value.with_changes(expression=integer) if negative else integer  # type: ignore[union-attr]


class _OpsBase(Rule):
    """Shared binding and emission of table entries."""

    def _emit(self, spec: OpSpec, label: str, receiver, args, original: cst.Call, template: str | None = None):
        try:
            bound = _bind(spec, receiver, args)
            _check_literals(label.rsplit(".", 1)[-1], bound)
            _integral_literals(label.rsplit(".", 1)[-1], bound)
            template = template or _choose(spec, bound)
            result = _fill(spec, template, bound)
        except _Unbound as why:
            self.todo(label, str(why))
            return None
        _register(self.ctx, result)
        return _with_parens(result, original)


class TorchFunctions(_OpsBase):
    """``torch.<op>(...)`` and ``torch.nn.functional.<op>(...)`` through the op tables.

    ``dim`` becomes ``axis``, dtypes are TF dtypes (converted by torch-dtypes before), device
    and layout arguments go, softmax is ``stable_softmax`` (an XLA edge case of tf.nn.softmax).
    A torch function the tables do not know is marked TODO rather than guessed.
    """

    name = "torch-functions"
    summary = "torch.cat(xs, dim=1) -> tf.concat(xs, axis=1); F.softmax(x, dim=-1) -> stable_softmax(x, axis=-1)."
    examples = (
        Example(
            before="""
scores = torch.matmul(q, k)
x = torch.cat([a, b], dim=-1)
y = torch.cat((a, b))
ids = torch.arange(seq_length, dtype=tf.int64, device=device)
mask = torch.ones((batch, n), device=device)
probs = nn.functional.softmax(scores, dim=-1, dtype=tf.float32)
probs = torch.nn.functional.softmax(scores, dim=-1)
h = F.gelu(h)
z = torch.where(cond, x, y)
tri = torch.tril(torch.ones((n, n), dtype=tf.bool))
upper = torch.triu(m, diagonal=1)
r = torch.rsqrt(v + eps)
w = torch.einsum("bhld,lrd->bhlr", q, pos)
v = torch.einsum("bhlt,bhtv->bhlv", [probs, value])
m = torch.max(position_ids) + 1
scores = torch.baddbmm(scores, q, k, beta=0, alpha=scale)
full = torch.full((n, n), fill_value=min_value, dtype=dtype)
w = torch.max(w, torch.tensor(torch.finfo(w.dtype).min))
""",
            after="""
scores = tf.matmul(q, k)
x = tf.concat([a, b], axis=-1)
y = tf.concat((a, b), axis=0)
ids = tf.range(seq_length, dtype=tf.int64)
mask = tf.ones((batch, n))
probs = stable_softmax(tf.cast(scores, tf.float32), axis=-1)
probs = stable_softmax(scores, axis=-1)
h = tf.nn.gelu(h, approximate=False)
z = tf.where(cond, x, y)
tri = tf.linalg.band_part(tf.ones((n, n), dtype=tf.bool), -1, 0)
upper = triu_with_diagonal(m, 1)
r = tf.math.rsqrt(v + eps)
w = tf.einsum("bhld,lrd->bhlr", q, pos)
v = tf.einsum("bhlt,bhtv->bhlv", probs, value)
m = tf.reduce_max(position_ids) + 1
scores = 0 * scores + scale * tf.matmul(q, k)
full = tf.fill((n, n), tf.cast(min_value, dtype))
w = tf.math.maximum(w, tensor_like_torch(torch.finfo(w.dtype).min))
""",
        ),
        Example(
            before="""
x = torch.nonzero(mask)
y = F.interpolate(x, size=(h, w), mode="bicubic")
z = F.pad(x, (0, 1), mode="reflect")
n = math.sqrt(d)
layer = torch.nn.Linear(4, 4)
""",
            after="""
# TODO(tfscaffold): torch.nonzero: no TF counterpart in the ops table
x = torch.nonzero(mask)
# TODO(tfscaffold): F.interpolate: mode="bicubic": no faithful TF counterpart in the ops table
y = F.interpolate(x, size=(h, w), mode="bicubic")
# TODO(tfscaffold): F.pad: mode given: no faithful TF counterpart in the ops table
z = F.pad(x, (0, 1), mode="reflect")
n = math.sqrt(d)
layer = torch.nn.Linear(4, 4)
""",
            note="unknown ops are marked, never guessed; math.* and torch.nn layers are not ops",
        ),
        Example(
            before="""
q = torch.div(position, bucket, rounding_mode="floor")
ids = torch.arange(0, n, 1.0, dtype=tf.int64)
back = torch.arange(n, 0, -1.0, dtype=tf.int64)
d = torch.get_default_dtype()
_, top = torch.topk(w, k)
r = torch.fmod(a, b)
e = torch.eye(n)
y = torch.mm(a, b)
s = x.sum(axis=-1, keepdims=True)
h = nn.functional.glu(h, dim=1)
u = nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
loss = nn.functional.cross_entropy(logits.view(-1, n), labels.view(-1), reduction="mean")
c = torch.cosine_similarity(a, b, dim=-1)
""",
            after="""
q = divide_rounded(position, bucket, "floor")
ids = tf.range(0, n, 1, dtype=tf.int64)
back = tf.range(n, 0, -1, dtype=tf.int64)
d = tf.float32
_, top = tf.math.top_k(w, k=k, sorted=True)
r = tf.truncatemod(a, b)
e = tf.eye(n)
y = tf.matmul(a, b)
s = x.sum(axis=-1, keepdims=True)
h = gated_linear_unit(h, axis=1)
u = interpolate_like_torch(x, scale_factor=2, mode="bilinear", align_corners=False)
loss = cross_entropy_loss(logits.view(-1, n), labels.view(-1), ignore_index=-100)
c = cosine_similarity_like_torch(a, b, axis=-1, eps=1e-8)
""",
            note="x.sum(axis=, keepdims=) is a method: tensor-methods reads torch's numpy-style spellings",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.functional = set(T.FUNCTIONAL_MODULES)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            if self.code(alias.name) == "torch.nn.functional" and alias.asname is not None:
                self.functional.add(self.code(alias.asname.name))
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and self.code(node.module) == "torch.nn" and isinstance(node.names, list | tuple):
            for alias in node.names:
                if alias.name.value == "functional":
                    self.functional.add(self.code(alias.asname.name) if alias.asname else "functional")
        return False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = dotted(updated.func)
        if not name or "." not in name:
            return updated
        module, _, op = name.rpartition(".")
        if module in self.functional:
            entry = T.FUNCTIONAL.get(op)
        elif module == "torch":
            entry = T.FUNCTIONS.get(op) or T.TENSOR_OPS.get(op)
        else:
            return updated
        if entry is None:
            if module == "torch" and (op in T.TYPES or op in T.DTYPES or op in {"finfo", "iinfo"}):
                return updated
            self.todo(name, "no TF counterpart in the ops table")
            return updated
        spec = OpSpec.of(entry)
        args = updated.args
        if op == "einsum" and len(args) == 2 and isinstance(args[1].value, cst.List | cst.Tuple) and not args[1].star:
            # torch.einsum(eq, [a, b]) takes its operands as one list too; tf.einsum only one by one
            args = [args[0], *(cst.Arg(e.value) for e in args[1].value.elements)]
        if op in {"max", "min"} and module == "torch":
            positional = [a for a in updated.args if a.keyword is None]
            if len(positional) > 1 and not _is_int_literal(positional[1].value):
                other = [a for a in original.args if a.keyword is None][1].value  # before it was converted
                made = isinstance(other, cst.Call) and dotted(other.func) in T.TENSOR_CONSTRUCTORS
                if not (made and len(updated.args) == 2):
                    self.todo(name, "torch.max(a, b) is elementwise and torch.max(x, dim) reduces: which one is this?")
                    return updated
                spec = OpSpec.of(T.TENSOR_OPS[f"{op}imum"])  # the second operand is a tensor: elementwise
        result = self._emit(spec, name, None, args, updated)
        return updated if result is None else result


class TensorMethods(_OpsBase):
    """``x.<method>(...)`` through the op tables, with the few hooks where context matters.

    * ``x.size()`` is a tuple in PyTorch (code writes ``x.size()[:-1] + (a, b)`` and
      ``x.size() != (a, b)``): it becomes ``tuple(shape_list(x))``, or plain ``shape_list(x)``
      where it is unpacked, indexed by an integer or measured with ``len``;
      ``x.size(d)`` is ``shape_list(x)[d]``.
    * ``x.max(dim)`` is (values, indices): ``.values``/``[0]`` becomes ``tf.reduce_max``.
    * ``x.transpose(-1, -2)`` is ``tf.linalg.matrix_transpose``, other pairs a helper that builds
      the permutation from the rank; ``x.expand(...)`` with a -1 a helper that keeps those sizes.
    * ``x.split(1, dim)`` unpacked into N names is ``tf.split(x, N, axis=dim)``; otherwise the
      size-of-each-piece helper (TF's int is a number of pieces).
    * ``x.masked_fill(m, v)`` is ``tf.where(m, v, x)`` for a float or ``dtype.min`` value.
    * ``x.to(dtype)`` is ``tf.cast``; a ``.to`` without a dtype is left to clean-up.
    See the module docstring for which receivers are converted.
    """

    name = "tensor-methods"
    summary = "x.view(a, b) -> tf.reshape(x, [a, b]); x.permute(0, 2, 1, 3) -> tf.transpose(x, perm=[0, 2, 1, 3])."
    examples = (
        Example(
            before="""
def f(x, hidden_states: torch.Tensor):
    new_shape = x.size()[:-1] + (heads, size)
    x = x.view(new_shape)
    x = x.permute(0, 2, 1, 3)
    bsz, q_len, _ = hidden_states.size()
    n = hidden_states.size(-1)
    batch = list(hidden_states.size())[0]
    if attn_output.size() != (bsz, heads, q_len, size):
        pass
    scores = q.matmul(k.transpose(-1, -2))
    ctx = ctx.transpose(1, 2).reshape(bsz, q_len, -1)
    freqs = (a.float() @ b.float()).transpose(1, 2)
    h = h.to(tf.float32)
    h = h.to(dtype=x.dtype)
    g = g.to(mask)
    v = h.pow(2).mean(-1, keepdim=True)
    cos = cos.unsqueeze(unsqueeze_dim)
    s = scores.masked_fill(mask, x.dtype.min)
    e = ids.expand(batch, n)
    p = position_ids.expand((1, -1))
    q, k, v = hidden_states.split(size, dim=2)
    start, end = logits.split(1, dim=-1)
    start = start.squeeze(-1)
    pos = pos.clamp(0, n)
    m = x.float().type_as(y)
    best = scores.max(dim=-1).values
    if mask.dim() == 2:
        pass
""",
            after="""
def f(x, hidden_states: torch.Tensor):
    new_shape = tuple(shape_list(x))[:-1] + (heads, size)
    x = tf.reshape(x, new_shape)
    x = tf.transpose(x, perm=[0, 2, 1, 3])
    bsz, q_len, _ = shape_list(hidden_states)
    n = shape_list(hidden_states)[-1]
    batch = list(shape_list(hidden_states))[0]
    if tuple(shape_list(attn_output)) != (bsz, heads, q_len, size):
        pass
    scores = tf.matmul(q, tf.linalg.matrix_transpose(k))
    ctx = tf.reshape(swap_axes(ctx, 1, 2), [bsz, q_len, -1])
    freqs = swap_axes(tf.cast(a, tf.float32) @ tf.cast(b, tf.float32), 1, 2)
    h = tf.cast(h, tf.float32)
    h = tf.cast(h, x.dtype)
    g = cast_like_torch(g, mask)
    v = tf.reduce_mean(tf.math.pow(h, 2), axis=-1, keepdims=True)
    cos = tf.expand_dims(cos, axis=unsqueeze_dim)
    s = tf.where(mask, x.dtype.min, scores)
    e = tf.broadcast_to(ids, [batch, n])
    p = expand_to(position_ids, (1, -1))
    q, k, v = split_by_size(hidden_states, size, axis=2)
    start, end = tf.split(logits, 2, axis=-1)
    start = tf.squeeze(start, axis=-1)
    pos = tf.clip_by_value(pos, 0, n)
    m = tf.cast(tf.cast(x, tf.float32), y.dtype)
    best = tf.reduce_max(scores, axis=-1)
    if len(shape_list(mask)) == 2:
        pass
""",
        ),
        Example(
            before="""
def f(self, name, hidden_states: torch.Tensor):
    parts = name.split("/")
    words = text.split()
    i = items.index(key)
    pieces = hidden_states.split(4)
    out = self.dropout(x)
    y = self.softmax(x)
    z = np.transpose(a)
    heads = config.pruned_heads.copy()
""",
            after="""
def f(self, name, hidden_states: torch.Tensor):
    parts = name.split("/")
    words = text.split()
    i = items.index(key)
    pieces = split_by_size(hidden_states, 4, axis=0)
    out = self.dropout(x)
    y = self.softmax(x)
    z = np.transpose(a)
    heads = config.pruned_heads.copy()
""",
            note="str.split, list.index, dict.copy, self's sublayers and numpy stay; a parameter annotated "
            "as a tensor settles split",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.imported: set[str] = {"torch", "tf", "np", "math", "nn", "F", "keras"}
        self.tensor_params: list[set[str]] = []
        self.list_ok: set[int] = set()  # .size() calls that may stay lists
        self.unpacked: dict[int, int] = {}  # call -> number of names it is unpacked into
        self.picked: dict[int, str] = {}  # .max(dim) call -> "values" / "indices"
        self.strip: set[int] = set()  # .max(dim) calls already reduced: drop their .values / [0]

    # -- what the context says -------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            self.imported.add(self.code(bound).split(".")[0])
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, list | tuple):
            for alias in node.names:
                bound = alias.asname.name if alias.asname else alias.name
                self.imported.add(self.code(bound))
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        tensors = set()
        for param in [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]:
            if param.annotation is not None and "Tensor" in self.code(param.annotation.annotation):
                tensors.add(param.name.value)
        self.tensor_params.append(tensors)
        return True

    def leave_FunctionDef(self, original, updated):
        self.tensor_params.pop()
        return updated

    def visit_Assign(self, node: cst.Assign) -> bool:
        target = node.targets[0].target
        if isinstance(target, cst.Tuple | cst.List) and isinstance(node.value, cst.Call):
            self.list_ok.add(id(node.value))
            if not any(isinstance(e, cst.StarredElement) for e in target.elements):
                self.unpacked[id(node.value)] = len(target.elements)
        return True

    def visit_Call(self, node: cst.Call) -> bool:
        # len(x.size()), list(x.size()), tuple(x.size()): a list serves as well as a tuple there
        if isinstance(node.func, cst.Name) and node.func.value in ("len", "list", "tuple") and len(node.args) == 1:
            self.list_ok.add(id(node.args[0].value))
        return True

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index = _literal_int(node.slice[0].slice.value)
            if index is not None:
                self.list_ok.add(id(node.value))
                if index in (0, 1):
                    self.picked[id(node.value)] = ("values", "indices")[index]
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value in ("values", "indices"):
            self.picked[id(node.value)] = node.attr.value
        return True

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if id(original.value) in self.strip and original.attr.value == "values":
            return updated.value
        return updated

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original.value) in self.strip:
            return updated.value
        return updated

    def _is_tensor(self, receiver: cst.BaseExpression, call: cst.Call) -> bool:
        if any(a.keyword is not None and a.keyword.value in T.TENSOR_ONLY_KEYWORDS for a in call.args):
            return True
        if isinstance(receiver, cst.Name) and self.tensor_params and receiver.value in self.tensor_params[-1]:
            return True
        return isinstance(receiver, cst.Call) and (dotted(receiver.func) or "").startswith("tf.")

    def _skip_receiver(self, receiver: cst.BaseExpression) -> bool:
        """``self.f()``, ``cls.f()``, ``super().f()`` and ``np.f()``: not a tensor's method."""
        if isinstance(receiver, cst.Call):
            return isinstance(receiver.func, cst.Name) and receiver.func.value == "super"
        if isinstance(receiver, cst.Name):
            return receiver.value in ("self", "cls") or receiver.value in self.imported
        root = receiver
        while isinstance(root, cst.Attribute | cst.Subscript):
            root = root.value
        return isinstance(root, cst.Name) and root.value in self.imported

    # -- conversion ------------------------------------------------------------------------
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not isinstance(func, cst.Attribute):
            return updated
        method = func.attr.value
        receiver = func.value
        entry = T.METHODS.get(method) or T.TENSOR_OPS.get(method)
        if entry is None and method not in ("size", "to"):
            return updated
        if self._skip_receiver(receiver):
            return updated
        if method in T.AMBIGUOUS_METHODS and not self._is_tensor(receiver, updated):
            return updated
        label = f".{method}()"
        hook = getattr(self, f"_hook_{method}", None)
        if hook is not None:
            result = hook(receiver, updated, original, label)
            if result is not NotImplemented:
                return updated if result is None else result
        result = self._emit(OpSpec.of(entry), label, receiver, updated.args, updated)
        return updated if result is None else result

    def _hook_size(self, receiver, call, original, label):
        if call.args:
            spec = OpSpec.of(("input, dim", "shape_list(input)[dim]"))
        elif id(original) in self.list_ok:
            spec = OpSpec.of(("input", "shape_list(input)"))
        else:
            spec = OpSpec.of(("input", "tuple(shape_list(input))"))
        return self._emit(spec, label, receiver, call.args, call)

    def _hook_to(self, receiver, call, original, label):
        dtype = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "dtype"), None)
        if dtype is None:
            dtype = next((a.value for a in call.args if a.keyword is None and _looks_like_dtype(a.value)), None)
        if dtype is None and len(call.args) == 1 and call.args[0].keyword is None:
            # ``.to(other)``: another tensor's dtype, or a dtype held under any name: decided at run time
            spec = OpSpec.of(("input, other", "cast_like_torch(input, other)"))
            return self._emit(spec, label, receiver, call.args, call)
        if dtype is None:
            self.todo(label, "no dtype among the arguments: a device move or a copy of another tensor's type?")
            return None
        spec = OpSpec.of(("input, dtype", "tf.cast(input, dtype)"))
        return self._emit(spec, label, receiver, (cst.Arg(dtype),), call)

    def _hook_transpose(self, receiver, call, original, label):
        pair = tuple(_literal_int(a.value) for a in call.args if a.keyword is None)
        if pair in ((-1, -2), (-2, -1)):
            spec = OpSpec.of(("input", "tf.linalg.matrix_transpose(input)"))
            return self._emit(spec, label, receiver, (), call)
        return NotImplemented

    def _hook_expand(self, receiver, call, original, label):
        values = [a.value for a in call.args]
        if len(values) == 1 and isinstance(values[0], cst.Tuple | cst.List):
            values = [e.value for e in values[0].elements]
        elif len(values) == 1 or any(a.star for a in call.args):
            return NotImplemented
        if any(_literal_int(v) is not None and _literal_int(v) < 0 for v in values):
            return NotImplemented
        spec = OpSpec.of(("input, *sizes", "tf.broadcast_to(input, sizes)"))
        return self._emit(spec, label, receiver, call.args, call)

    def _hook_split(self, receiver, call, original, label):
        positional = [a for a in call.args if a.keyword is None]
        count = self.unpacked.get(id(original))
        if positional and _literal_int(positional[0].value) == 1 and count:
            spec = OpSpec.of(("input, split_size, dim=0", f"tf.split(input, {count}, axis=dim)"))
            return self._emit(spec, label, receiver, call.args, call)
        return NotImplemented

    def _hook_masked_fill(self, receiver, call, original, label):
        spec = OpSpec.of(T.TENSOR_OPS["masked_fill"])
        try:
            value = _bind(spec, receiver, call.args).get("value")
        except _Unbound:
            return NotImplemented
        plain = value is not None and (
            isinstance(value, cst.Float)
            or isinstance(value, cst.UnaryOperation)
            and isinstance(value.expression, cst.Float)
            or (isinstance(value, cst.Attribute) and value.attr.value in ("min", "max"))
        )
        if plain:
            return self._emit(spec, label, receiver, call.args, call, "tf.where(mask, value, input)")
        return NotImplemented

    def _hook_view(self, receiver, call, original, label):
        if len(call.args) == 1 and _looks_like_dtype(call.args[0].value):
            self.todo(label, "view as another dtype is a bitcast (tf.bitcast), not a reshape")
            return None
        return NotImplemented

    def _pick(self, op, receiver, call, original, label):
        entry = T.TENSOR_OPS[op]
        spec = OpSpec.of(entry)
        try:
            bound = _bind(spec, receiver, call.args)
        except _Unbound:
            return NotImplemented
        which = self.picked.get(id(original))
        if "dim" not in bound or which is None:
            return NotImplemented
        reduce = {"max": ("tf.reduce_max", "tf.math.argmax"), "min": ("tf.reduce_min", "tf.math.argmin")}[op]
        if which == "values":
            template = f"{reduce[0]}(input, axis=dim, keepdims=keepdim)"
        elif "keepdim" in bound:
            return NotImplemented
        else:
            template = f"{reduce[1]}(input, axis=dim)"
        self.strip.add(id(original))
        return self._emit(spec, label, receiver, call.args, call, template)

    def _hook_max(self, receiver, call, original, label):
        return self._pick("max", receiver, call, original, label)

    def _hook_min(self, receiver, call, original, label):
        return self._pick("min", receiver, call, original, label)


class ShapeConcatenation(Rule):
    """``x.shape[:-1] + (a, b)`` builds a shape from a static TensorShape, which has None for
    dimensions unknown when tracing: the dynamic ``tuple(shape_list(x))[:-1]`` instead.
    A plain ``x.shape`` elsewhere is left alone."""

    name = "shape-concatenation"
    summary = "x.shape[:-1] + (a, b) -> tuple(shape_list(x))[:-1] + (a, b)."
    examples = (
        Example(
            before="hidden_shape = hidden_states.shape[:-1] + (-1, self.head_dim)\nn = x.shape[0]\n",
            after="hidden_shape = tuple(shape_list(hidden_states))[:-1] + (-1, self.head_dim)\nn = x.shape[0]\n",
        ),
    )

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


class MatmulTransposeB(Rule):
    """``tf.matmul(a, tf.linalg.matrix_transpose(b))`` is ``tf.matmul(a, b, transpose_b=True)``."""

    name = "matmul-transpose-b"
    summary = "Fold a matrix transpose of matmul's operand into transpose_a / transpose_b."
    examples = (
        Example(
            before="s = tf.matmul(q, tf.linalg.matrix_transpose(k))\nt = tf.matmul(q, swap_axes(k, 1, 2))\n",
            after="s = tf.matmul(q, k, transpose_b=True)\nt = tf.matmul(q, swap_axes(k, 1, 2))\n",
        ),
    )

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


def _whole_axis(index: cst.BaseSlice) -> bool:
    """``:`` or ``...`` in a subscript: the whole of the remaining axes."""
    if isinstance(index, cst.Slice):
        return index.lower is None and index.upper is None and index.step is None
    return isinstance(index, cst.Index) and isinstance(index.value, cst.Ellipsis)


class AdvancedIndexing(Rule):
    """``x[torch.arange(b), idx]`` is PyTorch advanced indexing; TF subscripts cannot do it.

    Recognised where an index of a multi-index subscript is a ``torch.arange(...)`` (the idiom
    for "one element per row") and no index is a slice: it becomes ``gather_indices(x, ...)``, a
    support helper built on ``tf.gather_nd`` with PyTorch's broadcasting and negative indices.
    """

    name = "advanced-indexing"
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
            before="pos = self.pos_encoding[position_ids, :]\nrest = table[position_ids, ...]\n",
            after="pos = tf.gather(self.pos_encoding, position_ids)\nrest = tf.gather(table, position_ids)\n",
            note="whole axes after the ids change nothing",
        ),
    )

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        elements = updated.slice
        while len(elements) > 1 and _whole_axis(elements[-1].slice):  # ``x[ids, :]`` is ``x[ids]``
            elements = elements[:-1]
        if (
            len(elements) == 1
            and isinstance(elements[0].slice, cst.Index)
            and isinstance(elements[0].slice.value, cst.Name)
            and elements[0].slice.value.value in T.INTEGER_INDEX_INPUTS
        ):
            # ``cos[position_ids]``: rows picked by an integer tensor (tf.gather is also x[i] for an int)
            return cst.Call(
                cst.parse_expression("tf.gather"), [cst.Arg(updated.value), cst.Arg(elements[0].slice.value)]
            )
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

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, assign: cst.Assign) -> None:
            for target in assign.targets:
                if isinstance(target.target, cst.Name):
                    values.setdefault(target.target.value, []).append(assign.value)

        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is function

    function.visit(Visitor())
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


class IntegerPromotion(Rule):
    """An integer tensor in arithmetic with a float is cast first, as torch promotes it silently.

    ``(loss * mask).sum() / (mask.sum() + 1e-5)`` with ``mask`` from a ``BoolTensor`` argument is
    float arithmetic in torch; TF refuses to multiply a float tensor by an int one. Integer
    tensors are known by their form only: arguments annotated ``BoolTensor``/``LongTensor``,
    boolean ops, locals assigned only layout ops or sums of those, and the inputs TF's
    ``input_signature`` declares int32 (``attention_mask``: ``1.0 - attention_mask`` is float in
    torch even where it is annotated a float tensor). The other operand must be
    known to be a float (a float literal: ``.float()``; a float-valued call or a local assigned
    only those: ``.to(other.dtype)``), so integer arithmetic with Python ints is never touched.
    """

    name = "integer-promotion"
    summary = (
        "loss * mask with mask a BoolTensor argument -> loss * mask.to(loss.dtype); mask.sum() + 1e-5 -> .float()."
    )
    examples = (
        Example(
            before="""
def f(pixel_values, recon, bool_masked_pos: Optional[torch.BoolTensor] = None, position_ids: torch.LongTensor = None):
    mask = bool_masked_pos.reshape(-1, 4).repeat_interleave(2, 1).unsqueeze(1).contiguous()
    loss = nn.functional.l1_loss(pixel_values, recon, reduction="none")
    masked = (loss * mask).sum() / (mask.sum() + 1e-5)
    shifted = position_ids + 2
    scaled = mask * scale


def g(attention_mask=None):
    attention_mask = attention_mask.transpose(0, 1) if attention_mask is not None else None
    input_mask = 1.0 - attention_mask
""",
            after="""
def f(pixel_values, recon, bool_masked_pos: Optional[torch.BoolTensor] = None, position_ids: torch.LongTensor = None):
    mask = bool_masked_pos.reshape(-1, 4).repeat_interleave(2, 1).unsqueeze(1).contiguous()
    loss = nn.functional.l1_loss(pixel_values, recon, reduction="none")
    masked = (loss * mask.to(loss.dtype)).sum() / (mask.sum().float() + 1e-5)
    shifted = position_ids + 2
    scaled = mask * scale


def g(attention_mask=None):
    attention_mask = attention_mask.transpose(0, 1) if attention_mask is not None else None
    input_mask = 1.0 - attention_mask.float()
""",
            note="an operand of unknown type (scale) is left: it may be a Python int",
        ),
    )

    _ARITHMETIC = (cst.Multiply, cst.Add, cst.Subtract, cst.Divide)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.scopes: list[tuple[set[str], set[str]]] = []  # per function: (integer names, float names)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        integers: set[str] = set()
        for param in (*node.params.params, *node.params.kwonly_params):
            hint = cst.Module([]).code_for_node(param.annotation.annotation) if param.annotation else ""
            if any(f"torch.{t}" in hint for t in T.INTEGER_TENSOR_TYPES) or param.name.value in T.INTEGER_INPUTS:
                integers.add(param.name.value)
        values = _local_values(node)
        floats: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, assigned in values.items():
                if name not in integers and all(self._integer(v, integers) for v in assigned):
                    integers.add(name)
                    changed = True
                if name not in floats and all(self._float(v, floats) for v in assigned):
                    floats.add(name)
                    changed = True
        # an argument reassigned from something else is no longer known
        integers -= {n for n, assigned in values.items() if not all(self._integer(v, integers) for v in assigned)}
        self.scopes.append((integers, floats))
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.scopes.pop()
        return updated

    def leave_BinaryOperation(self, original: cst.BinaryOperation, updated: cst.BinaryOperation) -> cst.BaseExpression:
        if not self.scopes or not isinstance(updated.operator, self._ARITHMETIC):
            return updated
        integers, floats = self.scopes[-1]
        left, right = original.left, original.right
        if self._integer(left, integers) and not self._integer(right, integers):
            cast = self._cast(updated.left, right, floats)
            return updated if cast is None else updated.with_changes(left=cast)
        if self._integer(right, integers) and not self._integer(left, integers):
            cast = self._cast(updated.right, left, floats)
            return updated if cast is None else updated.with_changes(right=cast)
        return updated

    def _cast(self, value: cst.BaseExpression, other: cst.BaseExpression, floats: set[str]) -> cst.Call | None:
        if value.lpar:
            value = value.with_changes(lpar=[], rpar=[])
        if isinstance(other, cst.Float):
            return cst.Call(func=cst.Attribute(value=value, attr=cst.Name("float")))
        if self._float(other, floats) and isinstance(other, cst.Name | cst.Attribute | cst.Call):
            dtype = cst.Attribute(value=other, attr=cst.Name("dtype"))
            return cst.Call(func=cst.Attribute(value=value, attr=cst.Name("to")), args=[cst.Arg(dtype)])
        return None

    @staticmethod
    def _integer(node: cst.BaseExpression, integers: set[str]) -> bool:
        if isinstance(node, cst.Name):
            return node.value in integers
        if isinstance(node, cst.IfExp):
            # ``mask.transpose(0, 1) if mask is not None else None``: an integer tensor or nothing
            branches = [b for b in (node.body, node.orelse) if not (isinstance(b, cst.Name) and b.value == "None")]
            return bool(branches) and all(IntegerPromotion._integer(b, integers) for b in branches)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method in T.BOOLEAN_OPS or method in ("long", "int"):
                return True
            if method in T.INTEGER_KEEPING_METHODS and not any(
                a.keyword and a.keyword.value == "dtype" for a in node.args
            ):
                return IntegerPromotion._integer(node.func.value, integers)
        return False

    @staticmethod
    def _float(node: cst.BaseExpression, floats: set[str]) -> bool:
        if isinstance(node, cst.Float):
            return True
        if isinstance(node, cst.Name):
            return node.value in floats
        if isinstance(node, cst.Call):
            name = dotted(node.func) or ""
            module, _, function = name.rpartition(".")
            if module in T.FUNCTIONAL_MODULES and function in T.FLOAT_FUNCTIONALS:
                return True
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in T.FLOAT_METHODS:
                return True
        return False


class PromotedThenCast(Rule):
    """``(a * b).to(a.dtype)``: torch promoted ``b`` into ``a``'s arithmetic; TF casts ``b`` first.

    The cast back to ``a``'s dtype says the product may have another dtype: ``b`` is an integer
    (a mask) or wider float tensor torch promotes silently. TF refuses mixed dtypes, so ``b`` is
    cast to ``a``'s dtype before the operation; the outer cast stays and is a no-op.
    """

    name = "promoted-then-cast"
    summary = "(embeddings * mask.unsqueeze(-1)).to(embeddings.dtype) -> (embeddings * mask.unsqueeze(-1).to(embeddings.dtype))..."
    examples = (
        Example(
            before="""
embeddings = (embeddings * attention_mask.unsqueeze(-1)).to(embeddings.dtype)
other = (x + y).to(z.dtype)
""",
            after="""
embeddings = (embeddings * attention_mask.unsqueeze(-1).to(embeddings.dtype)).to(embeddings.dtype)
other = (x + y).to(z.dtype)
""",
            note="only the operand the result is cast back to sets the dtype",
        ),
    )

    _ARITHMETIC = (cst.Multiply, cst.Add, cst.Subtract, cst.Divide)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "to" and len(updated.args) == 1):
            return updated
        product, target = func.value, dotted(updated.args[0].value) or ""
        if not (isinstance(product, cst.BinaryOperation) and isinstance(product.operator, self._ARITHMETIC)):
            return updated
        owner = target.removesuffix(".dtype")
        if not target.endswith(".dtype") or dotted(product.left) != owner:
            return updated
        right = product.right
        cast = cst.Call(func=cst.Attribute(value=_paren(right), attr=cst.Name("to")), args=[updated.args[0]])
        return updated.with_changes(func=func.with_changes(value=product.with_changes(right=cast)))


RULES: list[type[Rule]] = [
    IntegerPromotion,
    PromotedThenCast,
    BooleanMaskIndexing,
    BooleanSums,
    AdvancedIndexing,
    TorchDtypes,
    DropGradContexts,
    ShiftedCopies,
    InPlaceTensorUpdates,
    TorchFunctions,
    TensorMethods,
    ShapeConcatenation,
    StaticShapeReads,
    MatmulTransposeB,
]
