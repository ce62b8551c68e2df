"""Keep the TF test file's ``all_model_classes`` in line with the port's public model classes.

``TFModelTesterMixin`` runs its common tests on exactly the classes listed there, so a head added
to the port and not to the list is never tested, and a name the port no longer defines breaks the
import of the whole test module. The second is an error; the first a warning, because hand-written
test files sometimes leave a class out on purpose. ``apply`` fixes both: stale names are removed,
missing ones appended in the port's order, the rest of the file is left byte for byte.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import libcst as cst

from scaffold.changeset import ChangeSet
from scaffold.checkout import Checkout, Model
from scaffold.formatting import format_like
from scaffold.names import is_abstract_pretrained, sort_imports
from scaffold.problems import Problem
from scaffold.registry.exports import Kinds, TFExports

LIST_NAME = "all_model_classes"


def test_file_path(checkout: Checkout, model: Model) -> Path:
    """Where transformers keeps a model's TF tests (``tests/models/<m>/test_modeling_tf_<m>.py``)."""
    return checkout.root / "tests" / "models" / model.name / f"test_modeling_tf_{model.name}.py"


def public_model_classes(exports: TFExports, kinds: Kinds) -> list[str]:
    """Exported TF models and heads, without the abstract pretrained base the mixin cannot build."""
    out: list[str] = []
    for module, names in exports.modules.items():
        path = exports.module_path(module)
        for name in names:
            if name not in out and not is_abstract_pretrained(name) and kinds.kind(path, name) == "model":
                out.append(name)
    return out


def listed_classes(text: str) -> tuple[list[str], int | None] | None:
    """The names of every ``all_model_classes`` assignment and the first one's line; None without one.

    Upstream writes ``(TFX, TFY) if is_tf_available() else ()``; only the names of the first tuple
    or list count (the ``else`` branch is the empty fallback). A file with a test class per tower
    (a two-tower model) has several assignments: together they list the port's classes.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    names: list[str] = []
    line = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == LIST_NAME for t in targets) or node.value is None:
            continue
        line = node.lineno if line is None else min(line, node.lineno)
        value = node.value.body if isinstance(node.value, ast.IfExp) else node.value
        if isinstance(value, ast.Tuple | ast.List):
            names += [e.id for e in value.elts if isinstance(e, ast.Name) and e.id not in names]
    return (names, line) if line is not None else None


def sync_test_classes(
    checkout: Checkout,
    model: Model,
    exports: TFExports,
    kinds: Kinds,
    changes: ChangeSet,
    problems: list[Problem],
) -> None:
    """Report and fix the differences between ``all_model_classes`` and the public model classes."""
    path = test_file_path(checkout, model)
    text = changes.current(path)
    if text is None:
        return
    found = listed_classes(text)
    if found is None:
        return
    listed, line = found
    wanted = public_model_classes(exports, kinds)
    rel = checkout.rel(path)
    fix = f"tfscaffold apply {model.name}"
    stale = [n for n in listed if n.startswith("TF") and n not in wanted]
    missing = [n for n in wanted if n not in listed]
    for name in stale:
        problems.append(Problem(rel, line, name, f"{LIST_NAME} names a class the port does not export", fix))
    for name in missing:
        problems.append(Problem(rel, line, name, f"public TF model class is missing from {LIST_NAME}", fix, "warning"))
    if stale or missing:
        kept = [n for n in listed if n not in stale]
        edited = set_model_classes(text, kept + missing, stale)
        changes.write(path, format_like(text, edited, path.name, checkout.root))


class _ImportEditor(cst.CSTTransformer):
    """Makes ``from transformers import`` statements import the listed classes and no stale one."""

    def __init__(self, names: Sequence[str], stale: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)
        self.stale = set(stale)
        self.imported: set[str] = set()
        self.added = False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.BaseSmallStatement:
        module = cst.Module([]).code_for_node(updated.module) if updated.module else ""
        if module != "transformers" or isinstance(updated.names, cst.ImportStar):
            return updated
        aliases = [a for a in updated.names if a.evaluated_name not in self.stale]
        tf = [a for a in updated.names if a.evaluated_name.startswith("TF")]
        self.imported |= {a.evaluated_name for a in aliases}
        if tf and not self.added:
            self.added = True
            wanted = [n for n in self.names if n not in self.imported]
            aliases += [cst.ImportAlias(cst.Name(n)) for n in wanted]
            self.imported |= set(wanted)
        if len(aliases) == len(updated.names) and not any(a not in updated.names for a in aliases):
            return updated
        if not aliases:
            return cst.RemovalSentinel.REMOVE
        order = {name: i for i, name in enumerate(sort_imports([a.evaluated_name for a in aliases]))}
        aliases.sort(key=lambda a: order[a.evaluated_name])  # ruff's isort order
        # keep the statement's layout: every alias takes the first one's comma (with its newline
        # and indent in an exploded import), the last one the original last comma
        first, last = updated.names[0].comma, updated.names[-1].comma
        if len(updated.names) == 1 or not isinstance(first, cst.Comma):
            first = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        fixed = [a.with_changes(comma=first) for a in aliases[:-1]] + [aliases[-1].with_changes(comma=last)]
        return updated.with_changes(names=fixed)


def set_model_classes(text: str, names: Sequence[str], stale: Sequence[str] = ()) -> str:
    """``text`` with its ``all_model_classes`` listing exactly ``names``, and imports to match.

    The tuples are edited by the test generator's own editor (each tower keeps its classes, new
    ones join the first tuple); stale names also leave the ``from transformers import``
    statements, and names not imported yet join the first one that imports TF classes. libcst
    keeps every other byte; the caller formats the result when the file was formatted before.
    """
    from scaffold.testgen import sync_all_model_classes

    listed = sync_all_model_classes(text, list(names))
    return cst.parse_module(listed).visit(_ImportEditor(names, stale)).code
