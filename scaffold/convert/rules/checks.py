"""Shape checks: PyTorch's ``if <size> != <expected>: raise`` as TF assertions that hold in graph mode.

PyTorch compares sizes in Python (``if attn_output.size() != (bsz, heads, q_len, dim): raise
ValueError(...)``). Once sizes come from ``shape_list`` they are tensors wherever the static shape
does not know them (a Keras functional model, ``model.save``), and a tensor in an ``if`` raises
OperatorNotAllowedInGraphError. The TF ports of transformers write these checks as
``tf.debugging.assert_equal(shape_list(x), [...], message=...)``.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookVisitor, Rule, changed, dotted
from scaffold.cstwalk import walk

# a failing test ``a <op> b`` (the ``if`` raises) -> the assertion that it does not hold
ASSERTIONS = {
    cst.NotEqual: "tf.debugging.assert_equal",
    cst.Equal: "tf.debugging.assert_none_equal",
    cst.LessThan: "tf.debugging.assert_greater_equal",
    cst.LessThanEqual: "tf.debugging.assert_greater",
    cst.GreaterThan: "tf.debugging.assert_less_equal",
    cst.GreaterThanEqual: "tf.debugging.assert_less",
}


# ``assert a <op> b`` -> the assertion that it holds
HOLDS = {
    cst.Equal: "tf.debugging.assert_equal",
    cst.NotEqual: "tf.debugging.assert_none_equal",
    cst.LessThan: "tf.debugging.assert_less",
    cst.LessThanEqual: "tf.debugging.assert_less_equal",
    cst.GreaterThan: "tf.debugging.assert_greater",
    cst.GreaterThanEqual: "tf.debugging.assert_greater_equal",
}


def _has_shape_list(node: cst.CSTNode, sizes: frozenset[str] = frozenset()) -> bool:
    """Whether an expression reads ``shape_list`` or a local assigned from it (``sizes``)."""

    class Finder(HookVisitor):
        found = False

        def visit_Call(self, n: cst.Call) -> None:
            self.found = self.found or dotted(n.func) == "shape_list"

        def visit_Name(self, n: cst.Name) -> None:
            self.found = self.found or n.value in sizes

    finder = Finder()
    walk(node, finder)
    return finder.found


def _size_locals(function: cst.FunctionDef) -> frozenset[str]:
    """Locals of a function assigned from ``shape_list`` (``batch_size, seq = shape_list(x)``), transitively."""
    assigns: list[tuple[list[str], cst.BaseExpression]] = []

    class Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                t = target.target
                parts = [e.value for e in t.elements] if isinstance(t, cst.Tuple | cst.List) else [t]
                if all(isinstance(p, cst.Name) for p in parts):  # nested or starred targets: not sizes
                    assigns.append(([p.value for p in parts], node.value))  # type: ignore[union-attr]

    walk(function, Visitor())
    found: set[str] = set()

    def size(value: cst.BaseExpression) -> bool:
        """``shape_list(x)``, a size local, an item of one, or arithmetic of those and numbers."""
        if isinstance(value, cst.Call):
            return dotted(value.func) == "shape_list"
        if isinstance(value, cst.Name):
            return value.value in found
        if isinstance(value, cst.Subscript):
            return size(value.value)
        if isinstance(value, cst.BinaryOperation):
            return (size(value.left) or isinstance(value.left, cst.Integer)) and (
                size(value.right) or isinstance(value.right, cst.Integer)
            )
        return False

    while True:
        more = {name for names, value in assigns if size(value) for name in names if name not in found}
        if not more:
            return frozenset(found)
        found |= more


def _operand(node: cst.BaseExpression) -> cst.BaseExpression:
    """``tuple(shape_list(x))`` -> ``shape_list(x)``; a tuple display -> a list display; ``t.numpy().item()``
    -> ``t`` as int32, as the sizes it is compared with (``.numpy()`` fails in graph mode); else as is."""
    if _numpy_value(node) is not None:
        return cst.parse_expression("tf.cast(x, tf.int32)").with_changes(
            args=[cst.Arg(_numpy_value(node)), cst.Arg(cst.parse_expression("tf.int32"))]
        )
    if isinstance(node, cst.Call) and dotted(node.func) == "tuple" and len(node.args) == 1:
        inner = node.args[0].value
        if isinstance(inner, cst.Call) and dotted(inner.func) == "shape_list":
            return inner
    if isinstance(node, cst.Tuple):
        elements = list(node.elements)
        if elements:
            elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.List(elements=elements)
    return node.with_changes(lpar=[], rpar=[]) if isinstance(node, cst.Name | cst.Call | cst.Attribute) else node


def _raised_message(body: cst.BaseSuite) -> cst.BaseExpression | None:
    """The message of a block that is only ``raise SomeError(<message>)``."""
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    stmt = body.body[0]
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Raise)):
        return None
    exc = stmt.body[0].exc
    if not (isinstance(exc, cst.Call) and len(exc.args) == 1 and exc.args[0].keyword is None and not exc.args[0].star):
        return None
    return exc.args[0].value


def _assertion(
    test: cst.BaseExpression,
    message: cst.BaseExpression | None,
    sizes: frozenset[str],
    table: dict[type, str] = ASSERTIONS,
    graph_only: bool = False,
) -> cst.SimpleStatementLine | None:
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    assertion = table.get(type(target.operator))
    if assertion is None or not (graph_only or _has_shape_list(test, sizes)):
        return None
    args = [cst.Arg(_operand(test.left)), cst.Arg(_operand(target.comparator))]
    if message is not None:
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        args.append(cst.Arg(message, keyword=cst.Name("message"), equal=equal))
    return cst.SimpleStatementLine(body=[cst.Expr(cst.Call(func=cst.parse_expression(assertion), args=args))])


def _numpy_value(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``t`` of ``t.numpy().item()`` or ``t.numpy()``, else None."""
    found = None
    for method in ("item", "numpy"):
        if (
            isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == method
        ):
            node = node.func.value
            found = node if method == "numpy" else found
    return found


def _asserted(stmt: cst.SimpleStatementLine, sizes: frozenset[str]) -> cst.SimpleStatementLine | None:
    """``assert shape_list(x)[0] == n`` -> ``tf.debugging.assert_equal(shape_list(x)[0], n)``."""
    if not (len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assert)):
        return None
    check = stmt.body[0]
    test = check.test
    # a value read with .numpy() fails in graph mode as a size does: the assertion takes the tensor
    reads_numpy = isinstance(test, cst.Comparison) and any(
        _numpy_value(e) is not None for e in (test.left, *(c.comparator for c in test.comparisons))
    )
    assertion = _assertion(test, check.msg, sizes, HOLDS, graph_only=reads_numpy)
    return assertion.with_changes(leading_lines=stmt.leading_lines) if assertion is not None else None


class ShapeChecksAsAssertions(Rule):
    """``if <size from shape_list> != <expected>: raise E(msg)`` -> ``tf.debugging.assert_equal(..., message=msg)``.

    Only a single comparison whose sides read ``shape_list`` (or a local assigned from it) and a block
    that only raises are rewritten, into the assertion that the comparison does not hold;
    ``tuple(shape_list(x))`` compares as ``shape_list(x)`` and a tuple of sizes as a list. An ``elif``
    check becomes an ``else`` holding the assertion. An ``assert`` of such a comparison becomes the
    assertion that it holds. Static checks (``x.shape.rank != 4``) stay Python.
    """

    name = "shape-checks-as-assertions"
    summary = "if tuple(shape_list(x)) != (a, b): raise -> tf.debugging.assert_equal(shape_list(x), [a, b], message=)."
    examples = (
        Example(
            before="""
if tuple(shape_list(attn_output)) != (bsz, self.num_heads, q_len, self.head_dim):
    raise ValueError(f"`attn_output` should be of size {(bsz, self.num_heads, q_len, self.head_dim)}")
""",
            after="""
tf.debugging.assert_equal(
    shape_list(attn_output),
    [bsz, self.num_heads, q_len, self.head_dim],
    message=f"`attn_output` should be of size {(bsz, self.num_heads, q_len, self.head_dim)}",
)
""",
        ),
        Example(
            before="""
if attention_mask is None:
    attention_mask = tf.ones([batch_size, mask_seq_length])
elif shape_list(attention_mask)[1] != mask_seq_length:
    raise ValueError("The provided attention mask has the wrong length")
""",
            after="""
if attention_mask is None:
    attention_mask = tf.ones([batch_size, mask_seq_length])
else:
    tf.debugging.assert_equal(
        shape_list(attention_mask)[1], mask_seq_length, message="The provided attention mask has the wrong length"
    )
""",
        ),
        Example(
            before="""
if head_mask.shape.rank != 5:
    raise ValueError("head_mask.dim != 5")
if shape_list(x)[0] != n:
    log(x)
    raise ValueError("wrong size")
""",
            after="""
if head_mask.shape.rank != 5:
    raise ValueError("head_mask.dim != 5")
if shape_list(x)[0] != n:
    log(x)
    raise ValueError("wrong size")
""",
            note="static checks and blocks that do more than raise stay",
        ),
        Example(
            before="""
def call(self, input_ids, attention_mask):
    input_shape = shape_list(input_ids)
    batch_size = input_shape[0]
    (height, width), *rest = sizes
    if attention_mask is not None:
        if batch_size <= 0:
            raise ValueError("batch_size has to be defined and > 0")
""",
            after="""
def call(self, input_ids, attention_mask):
    input_shape = shape_list(input_ids)
    batch_size = input_shape[0]
    (height, width), *rest = sizes
    if attention_mask is not None:
        tf.debugging.assert_greater(batch_size, 0, message="batch_size has to be defined and > 0")
""",
            note="a size read from shape_list through locals; the assertion is the test's negation",
        ),
        Example(
            before="""
def get_masks(slen, lengths):
    assert lengths.max().numpy().item() <= slen


def call(self, input_ids, lengths):
    bs, slen = shape_list(input_ids)
    assert shape_list(lengths)[0] == bs
    assert self.dim % self.n_heads == 0, "dim must be a multiple of n_heads"
    assert slen <= self.max_len, "too long"
    assert tf.reduce_max(lengths).numpy().item() <= slen
""",
            after="""
def get_masks(slen, lengths):
    tf.debugging.assert_less_equal(tf.cast(lengths.max(), tf.int32), slen)


def call(self, input_ids, lengths):
    bs, slen = shape_list(input_ids)
    tf.debugging.assert_equal(shape_list(lengths)[0], bs)
    assert self.dim % self.n_heads == 0, "dim must be a multiple of n_heads"
    tf.debugging.assert_less_equal(slen, self.max_len, message="too long")
    tf.debugging.assert_less_equal(tf.cast(tf.reduce_max(lengths), tf.int32), slen)
""",
            note="an assert on sizes holds in graph mode as an assertion; one on Python values stays",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.sizes: list[frozenset[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.sizes.append(_size_locals(node))
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.sizes.pop()
        return updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        sizes = self.sizes[-1] if self.sizes else frozenset()
        return changed(updated, body=[_rewrite(stmt, sizes) for stmt in updated.body])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return changed(updated, body=[_rewrite(stmt, frozenset()) for stmt in updated.body])


def _check(node: cst.If, sizes: frozenset[str]) -> cst.SimpleStatementLine | None:
    """The assertion for an ``if`` (or ``elif``) that is a shape check with nothing after it."""
    if node.orelse is not None:
        return None
    message = _raised_message(node.body)
    return _assertion(node.test, message, sizes) if message is not None else None


def _rewrite(stmt: cst.BaseStatement, sizes: frozenset[str]) -> cst.BaseStatement:
    if isinstance(stmt, cst.SimpleStatementLine):
        return _asserted(stmt, sizes) or stmt
    if not isinstance(stmt, cst.If):
        return stmt
    assertion = _check(stmt, sizes)
    if assertion is not None:
        return assertion.with_changes(leading_lines=stmt.leading_lines)
    node, chain = stmt, []
    while isinstance(node.orelse, cst.If):  # the elif chain, down to its last test
        chain.append(node)
        node = node.orelse
    assertion = _check(node, sizes) if chain else None
    if assertion is None:
        return stmt
    tail: cst.If | cst.Else = cst.Else(body=cst.IndentedBlock(body=[assertion]))
    for link in reversed(chain):
        tail = link.with_changes(orelse=tail)
    return tail


RULES: list[type[Rule]] = [ShapeChecksAsAssertions]
