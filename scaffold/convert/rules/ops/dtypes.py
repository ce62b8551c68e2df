"""dtypes: torch dtypes -> TF dtypes, and the integer promotions torch does implicitly and TF does not."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import Example, Rule, dotted
from scaffold.convert.rules.ops.binding import _paren, _with_parens
from scaffold.convert.rules.ops.indexing import _local_values

# -- rules -------------------------------------------------------------------------------------


class TorchDtypes(Rule):
    """torch dtypes and tensor types have fixed TF names; ``torch.finfo(d).min`` is ``d.min``.

    Runs first so that every later template sees TF dtypes in its arguments.
    """

    name = "torch-dtypes"
    phase = "ops-dtypes-indexing"
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
    phase = "ops-dtypes-indexing"
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
    coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)


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
    coords = torch.arange(q_size)[:, None].float() * max(k_size / q_size, 1.0)


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
        if isinstance(other, cst.Float) or (isinstance(other, cst.Call) and dotted(other.func) in ("max", "min")):
            return cst.Call(func=cst.Attribute(value=value, attr=cst.Name("float")))  # a Python float
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
        if isinstance(node, cst.Subscript):  # ``positions[:, None]``: indexing keeps the dtype
            return IntegerPromotion._integer(node.value, integers)
        if isinstance(node, cst.Call) and dotted(node.func) == "torch.arange":
            # bounds written without a float literal or a dtype: int64 (were it float, the cast is a no-op)
            return not any(isinstance(a.value, cst.Float) or a.keyword is not None for a in node.args)
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
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            return True  # true division gives a float, in Python and in torch
        if isinstance(node, cst.Call) and dotted(node.func) in ("max", "min"):
            # ``max(k / q, 1.0)``: Python's max of floats
            return any(IntegerPromotion._float(a.value, floats) for a in node.args)
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
    phase = "ops-dtypes-indexing"
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
