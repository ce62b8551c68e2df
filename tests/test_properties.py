"""Properties of the readers and editors: they work on any input of their domain, or fail cleanly, writing nothing.

The fault tests pin known cases; these let hypothesis pick the names, subsets, orders and garbage. The oracles
are independent of the code under test where one exists: ruff's own isort for the ``TYPE_CHECKING`` order, the
upstream blocks of the real 4.46.3 ``__init__`` for the ``_import_structure`` order, ``ast`` for reading back
what libcst wrote, and the digest (or inode, size and mtime) of every file for "nothing was written".
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import tree_hashes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scaffold.changeset import ChangeSet, read_text
from scaffold.cli import app
from scaffold.errors import ScaffoldError
from scaffold.names import init_structure_key, isort_member_key, sort_imports, sort_structure
from scaffold.registry import auto, main_init

pytestmark = pytest.mark.tree

MAIN = Path("src/transformers/__init__.py")
TF_AUTO = Path("src/transformers/models/auto/modeling_tf_auto.py")
PT_AUTO = Path("src/transformers/models/auto/modeling_auto.py")
FLAX_SECTION = "# FLAX-backed objects\n"

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Digit runs with leading zeros (``TFAa00``) have their own property below; no 4.46 name has one.
LEADING_ZERO = re.compile(r"(?<![0-9])0[0-9]")


def _no_leading_zeros(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.filter(lambda n: not LEADING_ZERO.search(n))


# Names as transformers spells them: CamelCase classes, UPPER_CASE constants, lower_case functions, digits inside.
class_names = _no_leading_zeros(
    st.from_regex(r"TF[A-Z][a-z]{1,6}(?:[A-Z][a-z]{0,5}|0|[1-9][0-9]{0,2}){0,3}", fullmatch=True)
)
constant_names = _no_leading_zeros(st.from_regex(r"TF_[A-Z]{2,6}(?:_[A-Z0-9]{1,6}){0,2}", fullmatch=True))
function_names = _no_leading_zeros(st.from_regex(r"[a-z]{2,6}(?:_[a-z0-9]{1,6}){0,2}_tf", fullmatch=True))
identifiers = _no_leading_zeros(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))


# ----------------------------------------------------------------------------- fixtures on the real tree


@pytest.fixture(scope="module")
def main_text(pristine: Path) -> str:
    return read_text(pristine / MAIN)


@pytest.fixture(scope="module")
def main_info(pristine: Path, main_text: str) -> main_init.MainInit:
    return main_init.read_main_init(pristine / MAIN, main_text, pristine)


@pytest.fixture(scope="module")
def real_blocks(main_text: str) -> tuple[list[list[str]], list[list[str]]]:
    """Every ``_import_structure`` list before the Flax section, and every relative import under TYPE_CHECKING.

    Upstream's ``custom_init_isort`` leaves five lists of the Flax section unsorted; tfscaffold never writes
    there, so those are not evidence of the order.
    """
    tree = ast.parse(main_text)
    flax_line = main_text[: main_text.index(FLAX_SECTION)].count("\n") + 1
    structure: list[list[str]] = []
    imports: list[list[str]] = []
    for node in ast.walk(tree):
        lists: list[ast.List] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "extend":
            lists = [a for a in node.args if isinstance(a, ast.List)]
        elif isinstance(node, ast.Dict):
            lists = [v for v in node.values if isinstance(v, ast.List)]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            lists = [node.value]
        for lst in lists:
            names = [e.value for e in lst.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(names) > 1 and lst.lineno < flax_line:
                structure.append(names)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and len(node.names) > 1:
            imports.append([a.name for a in node.names])
    assert len(structure) > 500 and len(imports) > 500
    return structure, imports


def ruff_isort(names: list[str], root: Path) -> list[str]:
    """The order ruff's isort gives a ``from . import (...)`` list under the tree's own configuration."""
    from ruff.__main__ import find_ruff_bin

    source = "from .x import (\n" + "".join(f"    {n},\n" for n in names) + ")\n"
    proc = subprocess.run(
        [find_ruff_bin(), "check", "--config", str(root / "pyproject.toml"), "--select", "I", "--fix"]
        + ["--stdin-filename", "src/transformers/x.py", "-"],
        input=source,
        capture_output=True,
        text=True,
    )
    tree = ast.parse(proc.stdout)
    return [a.name for a in tree.body[0].names]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- (a) orders


def test_upstream_blocks_are_sorted_by_the_sort_keys(real_blocks: tuple[list[list[str]], list[list[str]]]) -> None:
    """Every upstream block already is in the order tfscaffold writes: 900 import lists, 600 structure lists."""
    structure, imports = real_blocks
    assert [b for b in structure if b != sort_structure(b)] == []
    assert [b for b in imports if b != sort_imports(b)] == []


@SETTINGS
@given(data=st.data())
def test_sorting_a_shuffled_upstream_block_restores_it(
    real_blocks: tuple[list[list[str]], list[list[str]]], data: st.DataObject
) -> None:
    """The keys order the real names totally: a shuffled block sorts back to upstream (structure: up to ties).

    ``custom_init_isort`` compares names lower-cased without underscores and keeps ties in place, so
    ``BartPretrainedModel`` and ``BartPreTrainedModel`` may stand in either order; nothing else may move.
    """
    structure, imports = real_blocks
    block = data.draw(st.sampled_from(imports))
    assert sort_imports(data.draw(st.permutations(block))) == block
    block = data.draw(st.sampled_from(structure))
    shuffled = sort_structure(data.draw(st.permutations(block)))
    assert [init_structure_key(n) for n in shuffled] == [init_structure_key(n) for n in block]
    assert sorted(shuffled) == sorted(block)


def _agrees_with_ruff(names: list[str], root: Path) -> None:
    names = list(dict.fromkeys(names))
    assume(len(names) > 1)
    keys = [isort_member_key(n) for n in names]
    assert len(set(keys)) == len(keys), f"two names share a sort key: {names}"
    assert sort_imports(names) == ruff_isort(names, root)


@SETTINGS
@given(names=st.lists(st.one_of(class_names, constant_names, function_names, identifiers), min_size=2, max_size=8))
def test_import_order_is_total_and_agrees_with_ruff(pristine: Path, names: list[str]) -> None:
    """The TYPE_CHECKING half is sorted by ruff's isort in ``make style``: tfscaffold's order must be ruff's.

    A tie in ``isort_member_key`` between two different names makes the written order depend on the order
    of the model's list, and ``make style`` then rewrites the block tfscaffold produced.
    """
    _agrees_with_ruff(names, pristine)


@SETTINGS
@given(
    stem=st.from_regex(r"TF[A-Z][a-z]{0,3}", fullmatch=True),
    tails=st.lists(
        st.from_regex(r"0[0-9]{0,2}[a-zA-Z]?[0-9]?|[1-9][0-9]?[a-zA-Z]?", fullmatch=True), min_size=2, max_size=5
    ),
)
def test_import_order_agrees_with_ruff_on_leading_zeros(pristine: Path, stem: str, tails: list[str]) -> None:
    """Digit runs with leading zeros (``TFAa00``, ``TFAa0a``): ruff compares them digit by digit, not as numbers.

    No 4.46 name has such a run, which is why the general property above leaves them out; a new model
    named like ``TFX01Model`` would have them.
    """
    _agrees_with_ruff([stem + tail for tail in tails], pristine)


# ----------------------------------------------------------------------------- (b) main __init__ editing


def _without(lines: list[str], spans: list[tuple[int, int]]) -> list[str]:
    drop = {i for start, end in spans for i in range(start - 1, end)}
    return [line for i, line in enumerate(lines) if i not in drop]


@SLOW_SETTINGS
@given(data=st.data())
def test_edit_main_init_round_trips(
    pristine: Path, main_text: str, main_info: main_init.MainInit, data: st.DataObject
) -> None:
    """Any names written for one package read back exactly, sorted; every other line stays byte for byte.

    The positional reader (what transformers' dummy generator sees) must agree with the ast reader on the
    result, or ``make fix-copies`` would generate different dummies from what tfscaffold wrote.
    """
    path = pristine / MAIN
    package = data.draw(
        st.sampled_from(sorted(main_info.structure) + ["models.a", "models.brand_new_bert", "models.zzz"]),
        label="package",
    )
    old_s = main_info.structure.get(package)
    old_t = main_info.type_checking.get(package)
    existing = sorted({*(old_s.names if old_s else []), *(old_t.names if old_t else [])})
    kept = data.draw(st.lists(st.sampled_from(existing), unique=True) if existing else st.just([]), label="kept")
    added = data.draw(st.lists(st.one_of(class_names, constant_names, function_names), max_size=4), label="added")
    names = data.draw(st.permutations(list(dict.fromkeys([*kept, *added]))), label="names")
    halves = data.draw(st.sampled_from(["both", "structure", "type_checking"]), label="halves")
    structure = {package: names} if halves != "type_checking" else {}
    type_checking = {package: names} if halves != "structure" else {}

    new_text = main_init.edit_main_init(main_text, structure, type_checking)
    info = main_init.read_main_init(path, new_text, pristine)

    new_s, new_t = info.structure.get(package), info.type_checking.get(package)
    if structure:
        assert (new_s.names if new_s else []) == sort_structure(names)
    else:
        assert (new_s.names if new_s else None) == (old_s.names if old_s else None)
    if type_checking:
        assert (new_t.names if new_t else []) == sort_imports(names)
    else:
        assert (new_t.names if new_t else None) == (old_t.names if old_t else None)
    assert not info.structure_duplicates and not info.tc_duplicates
    for other, block in main_info.structure.items():
        if other != package:
            assert info.structure[other].names == block.names
    for other, block in main_info.type_checking.items():
        if other != package:
            assert info.type_checking[other].names == block.names

    old_lines = main_text.splitlines(keepends=True)
    old_spans = []
    for old, new in ((old_s, new_s), (old_t, new_t)):
        if old is None:
            continue
        end = old.end_line
        # a statement removed whole takes the blank line that separated it from the next one with it
        if new is None and end < len(old_lines) and not old_lines[end].strip():
            end += 1
        old_spans.append((old.line, end))
    new_spans = [(b.line, b.end_line) for b in (new_s, new_t) if b is not None]
    assert _without(new_text.splitlines(keepends=True), new_spans) == _without(old_lines, old_spans)

    positional = main_init.MainInit(path, new_text, tc_span=info.tc_span).positional_names()
    assert positional == info.tc_names


# ----------------------------------------------------------------------------- (c) auto mapping editing


@pytest.fixture(scope="module")
def mappings(pristine: Path) -> tuple[str, auto.Mappings, auto.Mappings]:
    text = read_text(pristine / TF_AUTO)
    tf = auto.read_mappings(pristine / TF_AUTO, text, pristine)
    pt = auto.read_mappings(pristine / PT_AUTO, read_text(pristine / PT_AUTO), pristine)
    return text, tf, pt


def _top_level_segments(text: str) -> dict[str, str]:
    """Source of every top-level statement, keyed by its target name (or its position for the rest)."""
    tree = ast.parse(text)
    out = {}
    for i, node in enumerate(tree.body):
        key = f"#{i}"
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            key = node.targets[0].id
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            key = node.name
        out[key] = ast.get_source_segment(text, node, padded=True) or ""
    return out


@SLOW_SETTINGS
@given(data=st.data())
def test_edit_mappings_round_trips(
    pristine: Path, mappings: tuple[str, auto.Mappings, auto.Mappings], data: st.DataObject
) -> None:
    """Random removals and additions in a few mappings: the result parses and reads back as requested.

    Every statement of modeling_tf_auto.py other than the edited mappings (the other mappings, the imports,
    the auto classes) must come out byte-identical.
    """
    text, tf, pt = mappings
    edited = data.draw(st.lists(st.sampled_from(sorted(tf.entries)), min_size=1, max_size=3, unique=True))
    wanted: dict[str, list[auto.Entry]] = {}
    for name in edited:
        current = tf.entries[name]
        keep = data.draw(st.lists(st.booleans(), min_size=len(current), max_size=len(current)), label=f"keep {name}")
        entries = [e for e, k in zip(current, keep, strict=True) if k]
        taken = {e.key for e in entries}
        twins = sorted(
            {
                e.key: auto.tf_twin(e.value)
                for e in pt.entries.get(name.removeprefix("TF_"), [])
                if e.key not in taken
            }.items()
        )
        candidates = st.one_of(
            st.sampled_from(twins) if twins else st.nothing(),
            st.tuples(st.from_regex(r"[a-z][a-z0-9]{1,8}(?:-[a-z0-9]{1,6})?", fullmatch=True), class_names),
        )
        for key, value in data.draw(st.lists(candidates, max_size=3, unique_by=lambda kv: kv[0]), label=f"add {name}"):
            if key not in taken:
                entries.append(auto.Entry(key, value))
                taken.add(key)
        if data.draw(st.booleans(), label=f"sorted {name}"):
            entries.sort(key=lambda e: e.key)
        else:
            entries = data.draw(st.permutations(entries), label=f"order {name}")
        wanted[name] = list(entries)

    new_text = auto.edit_mappings(text, tf, wanted)
    new = auto.read_mappings(pristine / TF_AUTO, new_text, pristine)  # raises if it does not parse

    assert set(new.entries) == set(tf.entries)
    for name, entries in new.entries.items():
        assert entries == wanted.get(name, tf.entries[name]), name
    before, after = _top_level_segments(text), _top_level_segments(new_text)
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= set(wanted), f"statements changed that were not edited: {sorted(changed - set(wanted))}"


# ----------------------------------------------------------------------------- (d) ChangeSet


@SETTINGS
@given(
    files=st.lists(
        st.tuples(st.booleans(), st.text(max_size=50), st.sampled_from(["write", "delete", "create"])),
        min_size=1,
        max_size=8,
    ),
    fail_at=st.integers(min_value=0, max_value=8),
)
def test_commit_that_fails_midway_restores_everything(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[bool, str, str]], fail_at: int
) -> None:
    """A write that cannot happen (its folder is a file) after others did: every earlier file is put back.

    Files are committed in sorted order, so the blocked target, named to sort at ``fail_at``, fails after
    the changes that sort before it were already on disk.
    """
    root = tmp_path_factory.mktemp("changeset")
    changes = ChangeSet(root)
    for i, (exists, text, action) in enumerate(files):
        path = root / f"f{i:02d}.txt"
        if exists or action == "delete":
            path.write_text(f"old {i}\r\n" if i % 2 else f"old {i}\n", encoding="utf-8", newline="")
            os.chmod(path, 0o640 if i % 2 else 0o600)
        if action == "delete":
            changes.delete(path)
        elif action == "create":
            changes.write(root / f"f{i:02d}-new" / "x.txt", text)  # a new folder, sorted next to f{i}
        else:
            changes.write(path, text + "\n")
    blocker = root / f"f{min(fail_at, len(files)):02d}~blocked"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    changes.write(blocker / "x.txt", "never written\n")
    before = tree_hashes(root)

    with pytest.raises(ScaffoldError) as excinfo:
        changes.commit()

    assert "\n" not in str(excinfo.value) and blocker.name in str(excinfo.value), str(excinfo.value)
    assert tree_hashes(root) == before
    shutil.rmtree(root)


def _two_changes_then_blocked(root: Path) -> ChangeSet:
    """An executable script deleted and a file rewritten, then a write into a folder that is a file."""
    (root / "a-script.sh").write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    os.chmod(root / "a-script.sh", 0o755)
    (root / "b.txt").write_text("old\n", encoding="utf-8")
    os.chmod(root / "b.txt", 0o600)
    (root / "c").write_text("a file, not a folder\n", encoding="utf-8")
    changes = ChangeSet(root)
    changes.delete(root / "a-script.sh")
    changes.write(root / "b.txt", "new\n")
    changes.write(root / "c" / "x.txt", "never written\n")
    return changes


def test_rollback_restores_file_modes(tmp_path: Path) -> None:
    """Put back means put back: a deleted executable must come back executable, not 0644."""
    changes = _two_changes_then_blocked(tmp_path)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    with pytest.raises(ScaffoldError):
        changes.commit()
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == modes


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError], ids=["ctrl-c", "unexpected-error"])
def test_rollback_on_any_error_not_only_os_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    """All or nothing holds for every error: Ctrl-C between two renames must not leave a half-applied tree.

    The second rename raises; the first file must be back to its old text when the error propagates.
    """
    (tmp_path / "a.txt").write_text("old a\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("old b\n", encoding="utf-8")
    changes = ChangeSet(tmp_path)
    changes.write(tmp_path / "a.txt", "new a\n")
    changes.write(tmp_path / "b.txt", "new b\n")
    before = tree_hashes(tmp_path)
    real_replace = os.replace
    calls = []

    def replace_then_fail(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise interrupt()
        return real_replace(src, dst)

    monkeypatch.setattr("scaffold.changeset.os.replace", replace_then_fail)
    with pytest.raises((interrupt, ScaffoldError)):
        changes.commit()
    assert tree_hashes(tmp_path) == before


# ----------------------------------------------------------------------------- (e) garbage model __init__


@pytest.fixture(scope="module")
def scratch_tree(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("garbage") / "transformers"
    shutil.copytree(pristine / "src", root / "src")
    shutil.copy2(pristine / "pyproject.toml", root / "pyproject.toml")
    return root


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Inode, size and mtime of every file: any write, in place or by rename, changes one of them.

    Much cheaper than hashing 48 MB per command, which matters with a hundred CLI runs per test.
    """
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            st_ = os.stat(os.path.join(folder, name))
            out[os.path.relpath(os.path.join(folder, name), root)] = (st_.st_ino, st_.st_size, st_.st_mtime_ns)
    return out


def _restore(root: Path, pristine: Path, upstream: dict[str, tuple[int, int, int]]) -> None:
    now = snapshot(root)
    for rel in now.keys() | upstream.keys():
        if now.get(rel) != upstream.get(rel):
            if rel in upstream:
                shutil.copy2(pristine / rel, root / rel)
            else:
                (root / rel).unlink()
    assert set(snapshot(root)) == set(upstream)


def _mutations(original: str) -> st.SearchStrategy[str]:
    """Text near a real model ``__init__``: a slice cut out, junk spliced in, or the file cut short."""
    n = len(original)
    junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
    cut = st.tuples(st.integers(0, n), st.integers(0, n)).map(lambda ab: original[: min(ab)] + original[max(ab) :])
    splice = st.tuples(st.integers(0, n), junk).map(lambda p: original[: p[0]] + p[1] + original[p[0] :])
    truncate = st.integers(0, n).map(lambda i: original[:i])
    return st.one_of(cut, splice, truncate)


@CLI_SETTINGS
@given(data=st.data())
def test_garbage_model_init_never_crashes_and_never_half_writes(
    pristine: Path, scratch_tree: Path, data: st.DataObject
) -> None:
    """Whatever a model ``__init__.py`` holds, the CLI answers 0, 1 or 2, never a traceback.

    ``check`` and ``apply --dry-run`` never write; ``apply`` writes nothing when it refuses (exit 2).
    """
    upstream = snapshot(scratch_tree)
    model = data.draw(st.sampled_from(["bert", "convbert", "llama"]), label="model")
    init = scratch_tree / "src" / "transformers" / "models" / model / "__init__.py"
    original = read_text(init)
    garbage = data.draw(
        st.one_of(
            st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")), _mutations(original)
        ),
        label="garbage",
    )
    init.write_text(garbage, encoding="utf-8", newline="")
    try:
        seeded = snapshot(scratch_tree)
        repo = str(scratch_tree)
        for args in (["check"], ["apply", model, "--dry-run"], ["apply", model]):
            result = CliRunner().invoke(app, [*args, "--repo", repo])
            assert result.exception is None or isinstance(
                result.exception, SystemExit
            ), f"{args} raised {result.exception!r}"
            assert result.exit_code in (0, 1, 2), f"{args}: exit {result.exit_code}"
            assert "Traceback" not in result.output
            if result.exit_code == 2:
                assert len(result.stderr.splitlines()) == 1
                assert re.match(r"tfscaffold: error: ", result.stderr)
            if args[0] == "check" or "--dry-run" in args or result.exit_code == 2:
                assert snapshot(scratch_tree) == seeded, f"{args} wrote to the tree"
    finally:
        _restore(scratch_tree, pristine, upstream)


_modules = st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True)


@given(present=st.lists(_modules, unique=True, max_size=6), module=_modules, junk=st.text(max_size=40))
def test_star_import_edits_keep_order_and_round_trip(present: list[str], module: str, junk: str) -> None:
    """The newer layout's TYPE_CHECKING star imports: adding keeps module-name order, adding twice is adding
    once, and removing what was added gives the text back; text without such a block is left as it is."""
    from scaffold.registry.model_init import set_star_import, star_imports

    assume(module not in present)
    lines = "".join(f"    from .{m} import *\n" for m in sorted(present))
    text = f"from typing import TYPE_CHECKING\n\n\nif TYPE_CHECKING:\n{lines}else:\n    import sys\n"
    added = set_star_import(text, module, present=True)
    assert star_imports(added) == sorted([*present, module])
    assert set_star_import(added, module, present=True) == added
    assert set_star_import(added, module, present=False) == text
    assume("if TYPE_CHECKING:" not in junk)
    assert set_star_import(junk, module, present=True) == junk and star_imports(junk) is None
