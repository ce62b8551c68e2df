"""Torch functions and tensor methods -> TF ops (table-driven), and ``torch.no_grad`` contexts dropped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, Rule, changed, dotted
from scaffold.convert.rules.ops.binding import (
    OpSpec,
    _bind,
    _choose,
    _fill,
    _is_int_literal,
    _literal_int,
    _looks_like_dtype,
    _register,
    _Unbound,
    _with_parens,
)


class DropGradContexts(Rule):
    """``with torch.no_grad():`` and autocast blocks keep their body; ``@torch.no_grad()`` goes.

    TF records gradients only inside a GradientTape and has no autocast: the context means
    nothing there. A ``with`` that also opens other contexts keeps those. Decorators that only
    steer TorchScript, ``torch.compile`` or ``torch.fx`` (``@torch.jit.script``) go too.
    """

    name = "drop-grad-contexts"
    phase = "ops-dtypes-indexing"
    summary = "Unwrap torch.no_grad()/autocast blocks and decorators, drop @torch.jit.script and @deprecate_kwarg; torch.jit.is_tracing() -> False."
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
            before="""
@torch.jit.script
def c2p_dynamic_expand(c2p_pos, query_layer):
    return c2p_pos.expand([query_layer.size(0), c2p_pos.size(-1)])
""",
            after="""
def c2p_dynamic_expand(c2p_pos, query_layer):
    return c2p_pos.expand([query_layer.size(0), c2p_pos.size(-1)])
""",
            note="a compiler's decorator: the function is the same without it",
        ),
        Example(
            before="""
class TFLlamaAttention(keras.layers.Layer):
    @deprecate_kwarg("past_key_value", new_name="past_key_values", version="4.58")
    def call(self, hidden_states, past_key_values=None):
        return hidden_states
""",
            after="""
class TFLlamaAttention(keras.layers.Layer):
    def call(self, hidden_states, past_key_values=None):
        return hidden_states
""",
            note="a deprecated argument name: a new port has none, and the wrapper hides call's signature from Keras",
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

    @staticmethod
    def _deprecation(expr: cst.BaseExpression) -> bool:
        func = expr.func if isinstance(expr, cst.Call) else expr
        return (dotted(func) or "").split(".")[-1] in T.DEPRECATION_DECORATORS

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        decorators = [
            d
            for d in updated.decorators
            if not self._noop(d.decorator)
            and dotted(d.decorator) not in T.COMPILE_ONLY_DECORATORS
            and not self._deprecation(d.decorator)
        ]
        return changed(updated, decorators=decorators)

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
    phase = "ops-functions"
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
p = torch.min(torch.as_tensor(n - 1), position - first)
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
p = tf.math.minimum(tensor_like_torch(n - 1), position - first)
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
            before="inv_freq = 1 / torch.pow(10000, freq_seq / d_model)\ny = torch.pow(x, 2)\n",
            after="inv_freq = 1 / (10000 ** (freq_seq / d_model))\ny = tf.math.pow(x, 2)\n",
            note="a number raised to a tensor takes the tensor's dtype, as in torch (tf.math.pow makes it int32)",
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
loss = cross_entropy_loss(logits.view(-1, n), labels.view(-1), ignore_index=-100, reduction="mean")
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
                # before they were converted: a tensor made on the spot, either side, is compared elementwise
                made = any(
                    isinstance(a.value, cst.Call) and dotted(a.value.func) in T.TENSOR_CONSTRUCTORS
                    for a in [a for a in original.args if a.keyword is None][:2]
                )
                if not (made and len(updated.args) == 2):
                    self.todo(name, "torch.max(a, b) is elementwise and torch.max(x, dim) reduces: which one is this?")
                    return updated
                spec = OpSpec.of(T.TENSOR_OPS[f"{op}imum"])  # the second operand is a tensor: elementwise
        if op == "pow" and module == "torch" and _number_raised_to_a_tensor(args):
            return _power(args[0].value, args[1].value)
        result = self._emit(spec, name, None, args, updated)
        return updated if result is None else result


def _number_raised_to_a_tensor(args: Sequence[cst.Arg]) -> bool:
    if len(args) != 2 or any(a.keyword or a.star for a in args):
        return False
    base = args[0].value
    if isinstance(base, cst.UnaryOperation):
        base = base.expression
    return isinstance(base, cst.Integer | cst.Float) and not isinstance(args[1].value, cst.Integer | cst.Float)


def _power(base: cst.BaseExpression, exponent: cst.BaseExpression) -> cst.BaseExpression:
    """``(base ** (exponent))``: Python's operator asks the tensor (``__rpow__``), which casts the number
    to its own dtype, as torch does; ``tf.math.pow`` converts the number on its own, to int32."""
    paren = {"lpar": [cst.LeftParen()], "rpar": [cst.RightParen()]}
    if not isinstance(exponent, cst.Name | cst.Attribute | cst.Call | cst.Subscript) and not exponent.lpar:
        exponent = exponent.with_changes(**paren)
    return cst.BinaryOperation(base, cst.Power(), exponent, **paren)


def tensor_method_names() -> frozenset[str]:
    """The method names ``tensor-methods`` converts: a subtree holding none of them has no call it changes (nor
    code it writes, which the rules sharing its walk read)."""
    return frozenset({*T.METHODS, *T.TENSOR_OPS, "size", "to"})


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
    phase = "ops-methods"
    summary = "x.view(a, b) -> tf.reshape(x, [a, b]); x.permute(0, 2, 1, 3) -> tf.transpose(x, perm=[0, 2, 1, 3])."
    examples = (
        Example(
            before="""
def f(x, hidden_states: torch.Tensor):
    new_shape = x.size()[:-1] + (heads, size)
    x = x.view(new_shape)
    y = x.view(*x.size()[:-2], n, -1)
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
    q, k, v = qkv.reshape(3, b, n, -1).unbind(0)
    w = scores.where(mask, 0)
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
    y = tf.reshape(x, [*tuple(shape_list(x))[:-2], n, -1])
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
    q, k, v = tf.unstack(tf.reshape(qkv, [3, b, n, -1]), axis=0)
    w = tf.where(mask, scores, tf.cast(0, scores.dtype))
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

    # its context readers serve the calls it converts: an unpacking, len(x.size()), x.max(1)[0], x.max(1).values,
    # a parameter annotated as a tensor; each is read on the way to such a call
    name_gated = frozenset({"Call", "Attribute", "Subscript", "Assign", "FunctionDef"})

    def names_reacted_to(self) -> Iterable[str]:
        return tensor_method_names()

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
