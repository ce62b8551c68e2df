"""``tfscaffold new <m>``: write the TF port, declare its public names, register them.

One ChangeSet holds the new ``modeling_tf_<m>.py``, the model ``__init__`` and everything the
registration sync derives, so ``--dry-run`` shows the whole change and a failure writes nothing.
"""

from __future__ import annotations

import ast
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import ChangeSet, read_text
from scaffold.checkout import Checkout, Model
from scaffold.convert.assemble import Conversion, convert_model, dotted_module
from scaffold.convert.reanchor import MarkerEdit, apply_edits, reanchor
from scaffold.convert.rules.base import TODO_PREFIX
from scaffold.errors import ScaffoldError
from scaffold.problems import Problem
from scaffold.pysource import parsed
from scaffold.registry import auto, model_init, testfile
from scaffold.registry.repo_check import with_auto_exemptions, with_twin_exemptions
from scaffold.registry.sync import sync


@dataclass
class NewResult:
    conversion: Conversion
    changes: ChangeSet
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    test_file: Path | None = None  # the TF test file written, None when the tree has no tests/
    test_todos: list[tuple[int, str]] = field(default_factory=list)  # (line, text) left in it
    marker_edits: list[MarkerEdit] = field(default_factory=list)  # other ports' markers re-pointed or removed
    exempted: list[str] = field(default_factory=list)  # classes listed beside their twins in utils/check_repo.py


def _dirty(checkout: Checkout, path) -> bool:
    """Whether git knows uncommitted edits of ``path`` (False outside a git checkout)."""
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--", str(path)],
            cwd=checkout.root,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())


def plan_new(checkout: Checkout, model: Model, *, force: bool = False, reuse: bool = True) -> NewResult:
    start = time.perf_counter()
    target = model.folder / f"modeling_tf_{model.name}.py"
    if target.exists():
        if not force:
            raise ScaffoldError(f"{checkout.rel(target)} exists; pass --force to overwrite it")
        if _dirty(checkout, target):
            raise ScaffoldError(f"{checkout.rel(target)} has uncommitted changes; commit or stash them first")
    conversion = convert_model(checkout, model, reuse=reuse)
    changes = ChangeSet(checkout.root)
    init_text = read_text(model.init)
    if "define_import_structure" in init_text:
        # the newer layout: the model __init__ finds the names in the TF file's own __all__, and imports the
        # module with * under TYPE_CHECKING for type checkers
        conversion.code = with_all(conversion.code, conversion.declared)
        changes.write(target, conversion.code)
        with_star = model_init.set_star_import(init_text, target.stem, present=True)
        if with_star != init_text:
            changes.write(model.init, with_star)
    else:
        changes.write(target, conversion.code)
        changes.write(
            model.init,
            model_init.set_tf_exports(init_text, target.stem, f"modeling_{model.name}", conversion.public_names),
        )
    edits = _remark_copies(checkout, target, conversion, changes)
    exempted = _exempt_like_twins(checkout, conversion, changes)
    result = sync(checkout, [model], changes=changes)
    problems = [p for p in result.errors if not p.fixable]
    outcome = NewResult(conversion, changes, problems, marker_edits=edits, exempted=exempted)
    if (checkout.root / "tests").is_dir():
        _write_test_file(checkout, model, conversion, changes, outcome, force)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _remark_copies(checkout: Checkout, target: Path, conversion: Conversion, changes: ChangeSet) -> list[MarkerEdit]:
    """Other ports' copies of what the regenerated port no longer defines as they copied it: their markers
    point at one of them, or go (:mod:`scaffold.convert.reanchor`), so transformers' check_copies
    accepts the tree again. Each object whose copies check again is no longer reported as breaking."""
    broken = {c.name: [checkout.root / f for f in c.files] for c in conversion.copies if c.breaks}
    if not broken:
        return []
    edits = reanchor(dotted_module(checkout, target), conversion.code, broken, lambda p: dotted_module(checkout, p))
    for path in sorted({e.path for e in edits}):
        changes.write(path, apply_edits(read_text(path), [e for e in edits if e.path == path]))
    for copied in conversion.copies:
        if copied.breaks:
            copied.remarked = True
    return edits


def _exempt_like_twins(checkout: Checkout, conversion: Conversion, changes: ChangeSet) -> list[str]:
    """The port's classes whose PyTorch twins transformers' ``utils/check_repo.py`` exempts (a private
    stack, a model in no auto mapping on purpose) get the same exemption, so the script passes."""
    path = checkout.root / "utils" / "check_repo.py"
    if not path.is_file():
        return []
    classes = [n.name for n in parsed(conversion.code).body if isinstance(n, ast.ClassDef)]
    text, added = with_twin_exemptions(read_text(path), classes)
    text, orphans = with_auto_exemptions(text, _auto_orphans(checkout, conversion.public_names))
    if added or orphans:
        changes.write(path, text)
    return sorted(added + orphans)


def _auto_orphans(checkout: Checkout, names: list[str]) -> list[str]:
    """Public classes whose PyTorch twin is in an auto mapping ``modeling_tf_auto.py`` has no twin of."""
    tf_path, pt_path = checkout.tf_auto, checkout.pt_auto
    if not (tf_path.is_file() and pt_path.is_file()):
        return []
    tf = auto.read_mappings(tf_path, read_text(tf_path), checkout.root)
    pt = auto.read_mappings(pt_path, read_text(pt_path), checkout.root)
    placeable = auto.twin_index(pt, tf)
    in_pt = {c for entries in pt.entries.values() for e in entries for c in e.classes}
    return sorted(n for n in names if n not in placeable and n.removeprefix("TF") in in_pt)


def with_all(code: str, names: list[str]) -> str:
    """The module with ``__all__`` declaring ``names`` at its end, as transformers writes it (one per line)."""
    code = re.sub(r"\n+__all__ = \[[^\]]*\]\n*\Z", "\n", code)
    listed = "".join(f'    "{name}",\n' for name in names)
    return f"{code.rstrip()}\n\n\n__all__ = [\n{listed}]\n"


def _write_test_file(
    checkout: Checkout, model: Model, conversion: Conversion, changes: ChangeSet, outcome: NewResult, force: bool
) -> None:
    """The port's test file, written after the sync so it can read the TF auto mappings just made.

    An existing test file is the contributor's: kept unless ``--force`` (and never when it has
    uncommitted edits); ``apply`` keeps its ``all_model_classes`` in line with the port either way.
    The package ``__init__`` files the test module's relative imports need are created if missing.
    """
    from scaffold.registry.exports import Kinds, read_exports
    from scaffold.testgen import render_test_file

    path = testfile.test_file_path(checkout, model)
    if path.exists():
        if not force:
            return
        if _dirty(checkout, path):
            raise ScaffoldError(f"{checkout.rel(path)} has uncommitted changes; commit or stash them first")
    names = testfile.public_model_classes(read_exports(checkout, model, changes), Kinds(changes))
    text = render_test_file(checkout, model, names, changes)
    for folder in (path.parent.parent.parent, path.parent.parent, path.parent):
        if not (folder / "__init__.py").exists():
            changes.write(folder / "__init__.py", "")
    changes.write(path, text)
    outcome.test_file = path
    outcome.test_todos = [
        (i, line.split(TODO_PREFIX, 1)[1].strip())
        for i, line in enumerate(text.splitlines(), 1)
        if TODO_PREFIX in line
    ]
