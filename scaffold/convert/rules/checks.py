"""Shape checks: PyTorch's ``if <size> != <expected>: raise`` as TF assertions that hold in graph mode.

PyTorch compares sizes in Python (``if attn_output.size() != (bsz, heads, q_len, dim): raise
ValueError(...)``). Once sizes come from ``shape_list`` they are tensors wherever the static shape
does not know them (a Keras functional model, ``model.save``), and a tensor in an ``if`` raises
OperatorNotAllowedInGraphError. The TF ports of transformers write these checks as
``tf.debugging.assert_equal(shape_list(x), [...], message=...)``.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted


def _has_shape_list(node: cst.CSTNode) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Call(self, n: cst.Call) -> None:
            self.found = self.found or dotted(n.func) == "shape_list"

    finder = Finder()
    node.visit(finder)
    return finder.found


def _operand(node: cst.BaseExpression) -> cst.BaseExpression:
    """``tuple(shape_list(x))`` -> ``shape_list(x)``; a tuple display -> a list display; else as is."""
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


def _assertion(test: cst.BaseExpression, message: cst.BaseExpression) -> cst.SimpleStatementLine | None:
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.NotEqual) or not _has_shape_list(test):
        return None
    call = cst.Call(
        func=cst.parse_expression("tf.debugging.assert_equal"),
        args=[
            cst.Arg(_operand(test.left)),
            cst.Arg(_operand(target.comparator)),
            cst.Arg(
                message,
                keyword=cst.Name("message"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            ),
        ],
    )
    return cst.SimpleStatementLine(body=[cst.Expr(call)])


class ShapeChecksAsAssertions(Rule):
    """``if <size from shape_list> != <expected>: raise E(msg)`` -> ``tf.debugging.assert_equal(..., message=msg)``.

    Only a single ``!=`` whose sides read ``shape_list`` and a block that only raises are rewritten;
    ``tuple(shape_list(x))`` compares as ``shape_list(x)`` and a tuple of sizes as a list. An ``elif``
    check becomes an ``else`` holding the assertion. Static checks (``x.shape.rank != 4``) stay Python.
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
    )

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated.with_changes(body=[_rewrite(stmt) for stmt in updated.body])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=[_rewrite(stmt) for stmt in updated.body])


def _check(node: cst.If) -> cst.SimpleStatementLine | None:
    """The assertion for an ``if`` (or ``elif``) that is a shape check with nothing after it."""
    if node.orelse is not None:
        return None
    message = _raised_message(node.body)
    return _assertion(node.test, message) if message is not None else None


def _rewrite(stmt: cst.BaseStatement) -> cst.BaseStatement:
    if not isinstance(stmt, cst.If):
        return stmt
    assertion = _check(stmt)
    if assertion is not None:
        return assertion.with_changes(leading_lines=stmt.leading_lines)
    node, chain = stmt, []
    while isinstance(node.orelse, cst.If):  # the elif chain, down to its last test
        chain.append(node)
        node = node.orelse
    assertion = _check(node) if chain else None
    if assertion is None:
        return stmt
    tail: cst.If | cst.Else = cst.Else(body=cst.IndentedBlock(body=[assertion]))
    for link in reversed(chain):
        tail = link.with_changes(orelse=tail)
    return tail


RULES: list[type[Rule]] = [ShapeChecksAsAssertions]
