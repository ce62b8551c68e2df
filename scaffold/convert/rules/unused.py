"""Locals that the conversion left unread.

A PyTorch argument with no Keras counterpart is dropped (``nn.Embedding(n, d, padding_idx)``
becomes ``keras.layers.Embedding(n, d)``), and the local that only fed it stays behind,
assigned and never read: ruff's F841, whose fix is unsafe, so the generated file would not be
lint-clean. The transformers sources are lint-clean, so a local nobody reads after the
conversion is one the conversion orphaned.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule
from scaffold.cstwalk import walk


def _pure(node: cst.BaseExpression) -> bool:
    """Reading it has no effect worth keeping: names, attribute chains, literals, tuples of them."""
    if isinstance(node, cst.Name | cst.Integer | cst.Float | cst.SimpleString | cst.Imaginary):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, cst.UnaryOperation):
        return _pure(node.expression)
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _pure(e.value) for e in node.elements)
    return False


class _Reads(HookVisitor):
    """Every name a function reads (conservatively: any use but a plain assignment target)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        for part in (node.annotation, node.default):
            if part is not None:
                walk(part, self)
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        target = node.target
        if isinstance(target, cst.Name):
            return False
        if isinstance(target, cst.Tuple) and all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in target.elements
        ):
            return False
        return True


def _targets(assign: cst.Assign) -> list[tuple[str, cst.BaseExpression]] | None:
    """(name, value) pairs of ``a = x`` or ``a, b = x, y``; None for any other assignment."""
    if len(assign.targets) != 1:
        return None
    target, value = assign.targets[0].target, assign.value
    if isinstance(target, cst.Name):
        return [(target.value, value)]
    if isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple):
        names, values = target.elements, value.elements
        if len(names) != len(values) or not all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in names
        ):
            return None
        if not all(isinstance(e, cst.Element) for e in values):
            return None
        return [(n.value.value, v.value) for n, v in zip(names, values, strict=True)]
    return None


class _Drop(HookTransformer):
    """Drops assignments of unread locals in one function body (not nested functions or classes)."""

    def __init__(self, reads: set[str]) -> None:
        super().__init__()
        self.reads = reads
        self.changed = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign):
        pairs = _targets(updated)
        if pairs is None:
            return updated
        kept = [(n, v) for n, v in pairs if n in self.reads or not _pure(v)]
        if len(kept) == len(pairs):
            if len(pairs) == 1 and pairs[0][0] not in self.reads:  # impure value: keep its effect
                self.changed = True
                return cst.Expr(value=updated.value)
            return updated
        self.changed = True
        if not kept:
            return cst.RemovalSentinel.REMOVE
        if len(kept) == 1:
            name, value = kept[0]
            return updated.with_changes(targets=[cst.AssignTarget(cst.Name(name))], value=value)
        return updated.with_changes(
            targets=[cst.AssignTarget(cst.Tuple([cst.Element(cst.Name(n)) for n, _ in kept], lpar=[], rpar=[]))],
            value=cst.Tuple([cst.Element(v) for _, v in kept], lpar=[], rpar=[]),
        )

    def leave_SimpleStatementLine(self, original, updated):
        return updated if updated.body else cst.RemovalSentinel.REMOVE

    def leave_IndentedBlock(self, original, updated):
        if updated.body:
            return updated
        return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])


class UnreadLocals(Rule):
    """A local the conversion left unread (its only reader was a dropped PyTorch argument) goes.

    Pure values (names, attribute chains, literals) are dropped with the assignment; any other
    value stays as an expression statement so its effect is kept. Repeats until nothing changes,
    since dropping ``b = a.x`` may leave ``a`` unread in turn.
    """

    name = "unread-locals"
    phase = "scopes"
    summary = "a, b = config.x, config.y with a no longer read -> b = config.y; f() assigned and unread -> f()."
    examples = (
        Example(
            before="""
def __init__(self, config):
    padding_idx, vocab_size = config.pad_token_id, config.vocab_size
    scale = config.scale_embedding
    self.shared = keras.layers.Embedding(vocab_size, config.d_model, name="shared")
""",
            after="""
def __init__(self, config):
    vocab_size = config.vocab_size
    self.shared = keras.layers.Embedding(vocab_size, config.d_model, name="shared")
""",
        ),
        Example(
            before="""
def call(self, x):
    out = self.layer(x)
    y = x
    return helper(lambda: y)
""",
            after="""
def call(self, x):
    self.layer(x)
    y = x
    return helper(lambda: y)
""",
            note="a call's effect is kept; a name read in a nested function or lambda is read",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        for _ in range(10):
            reads = _Reads()
            walk(updated.body, reads)
            if {"locals", "vars", "eval", "exec"} & reads.names:
                return updated
            drop = _Drop(reads.names)
            body = walk(updated.body, drop)
            if not drop.changed:
                break
            updated = updated.with_changes(body=body)
        return updated


RULES: list[type[Rule]] = [UnreadLocals]
