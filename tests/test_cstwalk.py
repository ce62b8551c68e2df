"""The converter's walk (scaffold/cstwalk.py) against libcst's own ``node.visit``: same hooks, same order,
same result, with nodes nothing changed kept as they were.

The inputs are tfscaffold's own modules (real Python of every construct the project uses); hypothesis
picks which statements and expressions a transformer removes, flattens into two, or replaces.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.cstwalk import walk

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "scaffold").rglob("*.py"))
SAMPLE = [p for p in SOURCES if p.name in {"cstwalk.py", "base.py", "checkout.py", "names.py", "changeset.py"}]


class Record(cst.CSTVisitor):
    """Every hook call, attribute hooks included, by node type and field."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.calls.append(f"visit {type(node).__name__}")
        return not isinstance(node, cst.Decorator)  # one kind of subtree is not entered

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.calls.append(f"leave {type(original_node).__name__}")

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.calls.append(f"enter {type(node).__name__}.{attribute}")

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.calls.append(f"exit {type(original_node).__name__}.{attribute}")


def _node_fields(calls: list[str]) -> list[str]:
    # libcst also enters fields holding no node (None, a sentinel, an empty tuple) and never enters
    # string fields; the walk enters the fields it meets: compare the fields that hold a visited node
    out = []
    for i, call in enumerate(calls):
        if call.startswith("visit ") or call.startswith("leave "):
            out.append(call)
        elif call.startswith("enter ") and i + 1 < len(calls) and calls[i + 1].startswith("visit "):
            out.append(call)
    return out


class NoOp(cst.CSTTransformer):
    pass


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.name)
def test_hooks_in_libcst_order(path: Path) -> None:
    module = cst.parse_module(path.read_text())
    theirs, ours = Record(), Record()
    module.visit(theirs)
    walk(module, ours)
    assert _node_fields(ours.calls) == _node_fields(theirs.calls)


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.name)
def test_unchanged_tree_is_the_same_object(path: Path) -> None:
    module = cst.parse_module(path.read_text())
    assert walk(module, NoOp()) is module
    assert module.visit(NoOp()) is not module  # what libcst does: a rebuilt copy


class Edit(cst.CSTTransformer):
    """Removes, flattens or replaces the statements and names hypothesis picked (by visiting order)."""

    def __init__(self, removed: set[int], flattened: set[int], renamed: set[int], dropped_args: set[int]) -> None:
        super().__init__()
        self.removed, self.flattened, self.renamed, self.dropped_args = removed, flattened, renamed, dropped_args
        self.statements = self.names = self.args = 0

    def leave_SimpleStatementLine(self, original_node, updated_node):
        self.statements += 1
        if self.statements in self.removed:
            return cst.RemoveFromParent()
        if self.statements in self.flattened:
            return cst.FlattenSentinel([updated_node, cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

    def leave_Expr(self, original_node, updated_node):
        # an expression statement removed from its line: the line, emptied, goes with it in a body
        return cst.RemoveFromParent() if self.statements + 1 in self.removed else updated_node

    def leave_Name(self, original_node, updated_node):
        self.names += 1
        return (
            updated_node.with_changes(value=f"{updated_node.value}_x") if self.names in self.renamed else updated_node
        )

    def leave_Arg(self, original_node, updated_node):
        self.args += 1
        return cst.RemoveFromParent() if self.args in self.dropped_args else updated_node

    def leave_Param(self, original_node, updated_node):
        # an optional field's node removed: libcst makes it None
        if updated_node.default is not None and self.names % 3 == 0:
            return updated_node.with_changes(default=None, equal=cst.MaybeSentinel.DEFAULT)
        return updated_node


@settings(max_examples=40, deadline=None)
@given(
    path=st.sampled_from(SAMPLE),
    removed=st.sets(st.integers(1, 300), max_size=20),
    flattened=st.sets(st.integers(1, 300), max_size=20),
    renamed=st.sets(st.integers(1, 2000), max_size=50),
    dropped_args=st.sets(st.integers(1, 300), max_size=20),
)
def test_edits_come_out_as_libcst_makes_them(path, removed, flattened, renamed, dropped_args) -> None:
    module = cst.parse_module(path.read_text())
    theirs = module.visit(Edit(removed, flattened, renamed, dropped_args))
    ours = walk(module, Edit(removed, flattened, renamed, dropped_args))
    assert ours.code == theirs.code
    assert ours.deep_equals(theirs)


def test_a_removed_required_node_fails_as_in_libcst() -> None:
    class DropCallee(cst.CSTTransformer):
        def leave_Name(self, original_node, updated_node):
            return cst.RemoveFromParent()

    module = cst.parse_module("f(x)\n")
    with pytest.raises(TypeError):
        module.visit(DropCallee())
    with pytest.raises(TypeError):
        walk(module, DropCallee())
