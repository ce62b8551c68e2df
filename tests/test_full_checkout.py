"""A full checkout: the 4.46.3 source distribution with upstream's utils/, TF test files and docs/ over it.

The source distribution lacks exactly the files where registrations of a real contributor's tree go
wrong (hand-written test files, doc pages) and the scripts transformers' CI runs on them
(``utils/check_repo.py``, ``check_dummies.py``, ``check_inits.py``). These tests run tfscaffold on
such a tree, built once from the corpus (``../shared/corpus``) into the cache; they skip only when
the corpus is absent.

- On the unmodified tree ``check --all`` and ``apply --all --dry-run`` print nothing.
- Seeded faults (hypothesis picks the model, the fault and the name): ``apply`` never leaves a
  name undefined that was defined (ruff F821 on every Python file it changed), and ``check``
  passes afterwards.
- A head added to a port (``TFGPT2ForQuestionAnswering``) is registered everywhere transformers'
  own scripts look: they report after ``apply`` exactly what they report on the unmodified tree.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS, tree_hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint import undefined_names
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.registry.testfile import listed_classes
from scaffold.tree_cache import FULL_CHECKOUT_STAMP, copy_tree, full_tree, replace_text

pytestmark = pytest.mark.tree

MAIN = "src/transformers/__init__.py"
DUMMY = "src/transformers/utils/dummy_tf_objects.py"
AUTO = "src/transformers/models/auto/modeling_tf_auto.py"


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_full_tree_is_built_once_with_the_corpus(full_pristine: Path) -> None:
    for rel in (
        "src/transformers/__init__.py",
        "utils/check_repo.py",
        "tests/models/gpt2/test_modeling_tf_gpt2.py",
        "tests/test_modeling_tf_common.py",
        "docs/source/en/index.md",
        "docs/source/en/model_doc/gpt2.md",
    ):
        assert (full_pristine / rel).is_file(), rel
    stamp = full_pristine / FULL_CHECKOUT_STAMP
    built = stamp.stat().st_mtime_ns
    assert full_tree(CORPUS) == full_pristine
    assert stamp.stat().st_mtime_ns == built, "the cached full checkout was rebuilt"


def test_private_copies_do_not_reach_the_cache(full_pristine: Path, tmp_path: Path) -> None:
    """A hard-linked copy is written by replacing files (as tfscaffold writes): the cache keeps its bytes."""
    rel = "tests/models/gpt2/test_modeling_tf_gpt2.py"
    original = (full_pristine / rel).read_bytes()
    copy = copy_tree(full_pristine, tmp_path / "linked", link=True)
    assert not (copy / FULL_CHECKOUT_STAMP).exists()
    replace_text(copy / rel, "changed\n")
    assert (full_pristine / rel).read_bytes() == original


def test_pristine_full_checkout_check_and_apply_print_nothing(full_pristine: Path) -> None:
    """The goal of a pre-commit check on a contributor's tree: silence on upstream."""
    result = run("check", "--all", "--repo", str(full_pristine))
    assert (result.exit_code, result.stdout) == (0, ""), result.stdout
    result = run("apply", "--all", "--dry-run", "--repo", str(full_pristine))
    assert (result.exit_code, result.stdout) == (0, ""), result.stdout


def test_opt_keeps_its_tested_classes(full_tree: Path) -> None:
    """Upstream's TFOPTModel is @keras_serializable and a TFPreTrainedModel: a model its test file lists."""
    before = tree_hashes(full_tree / "tests" / "models" / "opt")
    assert run("check", "opt", "--repo", str(full_tree)).exit_code == 0
    assert run("apply", "opt", "--repo", str(full_tree)).exit_code == 0
    assert tree_hashes(full_tree / "tests" / "models" / "opt") == before


def test_gpt2_test_file_gets_its_import_from_the_modeling_module(full_tree: Path) -> None:
    """Upstream's gpt2 test imports its port from modeling_tf_gpt2: a class added back joins that import."""
    path = full_tree / "tests" / "models" / "gpt2" / "test_modeling_tf_gpt2.py"
    pristine = path.read_text()
    text = pristine.replace("        TFGPT2ForSequenceClassification,\n", "", 1)
    text = text.replace(", TFGPT2ForSequenceClassification, ", ", ", 1)
    assert text.count("TFGPT2ForSequenceClassification") == pristine.count("TFGPT2ForSequenceClassification") - 2
    path.write_text(text)
    assert run("apply", "gpt2", "--repo", str(full_tree)).exit_code == 0
    assert undefined_names([path]) == set()
    after = path.read_text()
    assert "TFGPT2ForSequenceClassification" in listed_classes(after)[0]
    assert "TFGPT2ForSequenceClassification," in after.split("modeling_tf_gpt2 import (")[1].split(")")[0]


# ----------------------------------------------------------------------------- seeded faults, any model

# Models with a hand-written TF test file and doc page, each with its own quirk: module-path imports
# (gpt2), @keras_serializable models (opt), exempted classes (roberta), several towers (clip), a
# building-block head (segformer), pretrained bases in the init (dpr), an encoder-decoder (bart).
MODELS = ["bert", "gpt2", "opt", "roberta", "clip", "segformer", "dpr", "bart"]


@dataclass
class Seeded:
    files: list[str]  # the files the fault changed, relative to the tree
    description: str


def _read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def _test_rel(model: str) -> str:
    return f"tests/models/{model}/test_modeling_tf_{model}.py"


def _listed(root: Path, model: str) -> list[str]:
    found = listed_classes(_read(root, _test_rel(model)))
    return found[0] if found else []


def _remove_from_list(root: Path, model: str, name: str) -> Seeded:
    """Take ``name`` out of the all_model_classes tuple (its import stays)."""
    rel = _test_rel(model)
    text = _read(root, rel)
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "all_model_classes" for t in node.targets):
            start, end = node.lineno - 1, node.end_lineno
            segment = "".join(lines[start:end])
            edited = re.sub(rf"\b{name}\b,?\s*", "", segment, count=1)
            if edited != segment:
                replace_text(root / rel, "".join(lines[:start]) + edited + "".join(lines[end:]))
                return Seeded([rel], f"{name} removed from all_model_classes")
    raise AssertionError(f"{name} is not in an all_model_classes of {rel}")


def _add_to_list(root: Path, model: str, name: str) -> Seeded:
    """Put ``name`` at the front of the first all_model_classes tuple, not imported."""
    rel = _test_rel(model)
    text = _read(root, rel)
    match = re.search(r"all_model_classes = \(\s*\(?\s*", text)
    assert match is not None, rel
    at = match.end()
    replace_text(root / rel, text[:at] + f"{name}, " + text[at:])
    return Seeded([rel], f"{name} added to all_model_classes")


def _drop_import(root: Path, model: str, name: str) -> Seeded:
    """Remove ``name`` from the statement that imports it (the whole statement when it is the only name)."""
    rel = _test_rel(model)
    text = _read(root, rel)
    lines = text.splitlines(keepends=True)
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            kept = [a.name + (f" as {a.asname}" if a.asname else "") for a in node.names if a.name != name]
            source = "." * node.level + (node.module or "")
            statement = f"{' ' * node.col_offset}from {source} import {', '.join(kept)}\n" if kept else ""
            start, end = node.lineno - 1, node.end_lineno
            replace_text(root / rel, "".join(lines[:start]) + statement + "".join(lines[end:]))
            return Seeded([rel], f"import of {name} dropped")
    raise AssertionError(f"{rel} does not import {name}")


def _drop_line(root: Path, rel: str, line: str, what: str) -> Seeded:
    text = _read(root, rel)
    assert line in text, f"{rel}: {line!r}"
    replace_text(root / rel, text.replace(line, "", 1))
    return Seeded([rel], what)


def _drop_dummy(root: Path, model: str, name: str) -> Seeded:
    text = _read(root, DUMMY)
    block = re.search(rf"\nclass {name}\(metaclass=DummyObject\):\n(?:    .*\n|\n)*?(?=\n\S|\Z)", text)
    assert block is not None, name
    replace_text(root / DUMMY, text[: block.start()] + text[block.end() :])
    return Seeded([DUMMY], f"dummy of {name} removed")


def _drop_auto_entry(root: Path, model: str, name: str) -> Seeded:
    text = _read(root, AUTO)
    found = re.search(rf'^        \("[\w-]+", "{name}"\),\n', text, re.MULTILINE)
    assert found is not None, name
    replace_text(root / AUTO, text[: found.start()] + text[found.end() :])
    return Seeded([AUTO], f"one auto mapping entry of {name} removed")


def _drop_doc_entry(root: Path, model: str, name: str) -> Seeded:
    page = next(
        p for p in sorted((root / "docs/source/en/model_doc").glob("*.md")) if f"[[autodoc]] {name}\n" in p.read_text()
    )
    rel = page.relative_to(root).as_posix()
    text = page.read_text()
    entry = re.search(rf"(## {name}\n\n)?\[\[autodoc\]\] {name}\n(    - .*\n)*\n?", text)
    assert entry is not None, name
    replace_text(page, text[: entry.start()] + text[entry.end() :])
    return Seeded([rel], f"doc entry of {name} removed")


def _candidates(root: Path, model: str, kind: str) -> list[str]:
    """Names a fault of ``kind`` can be seeded with in this model, as the pristine tree has them."""
    listed = _listed(root, model)
    text = _read(root, _test_rel(model))
    if kind in ("remove-from-list", "drop-import"):
        imported = {a.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom) for a in n.names}
        return [n for n in listed if n.startswith("TF") and (kind != "drop-import" or n in imported)]
    if kind == "add-to-list":
        return [f"TF{model.title().replace('_', '')}ForGone"]
    if kind == "drop-main-structure":
        return [n for n in re.findall(r'^            "(TF\w+)",$', _read(root, MAIN), re.MULTILINE) if n in listed]
    if kind == "drop-main-type-checking":
        return [n for n in re.findall(r"^            (TF\w+),$", _read(root, MAIN), re.MULTILINE) if n in listed]
    if kind == "drop-dummy":
        return [n for n in listed if f"class {n}(metaclass=DummyObject)" in _read(root, DUMMY)]
    if kind == "drop-auto-entry":
        return [n for n in listed if re.search(rf'^        \("[\w-]+", "{n}"\),$', _read(root, AUTO), re.MULTILINE)]
    if kind == "drop-doc-entry":
        docs = "".join(p.read_text() for p in (root / "docs/source/en/model_doc").glob("*.md"))
        return [n for n in listed if f"[[autodoc]] {n}\n" in docs]
    raise AssertionError(kind)


SEEDERS: dict[str, Callable[[Path, str, str], Seeded]] = {
    "remove-from-list": _remove_from_list,
    "add-to-list": _add_to_list,
    "drop-import": _drop_import,
    "drop-main-structure": lambda root, m, n: _drop_line(
        root, MAIN, f'            "{n}",\n', f"{n} out of the structure"
    ),
    "drop-main-type-checking": lambda root, m, n: _drop_line(
        root, MAIN, f"            {n},\n", f"{n} out of TYPE_CHECKING"
    ),
    "drop-dummy": _drop_dummy,
    "drop-auto-entry": _drop_auto_entry,
    "drop-doc-entry": _drop_doc_entry,
}

FAULT_SETTINGS = settings(
    max_examples=2,  # per kind of fault: each run seeds 16 faults
    deadline=None,
    derandomize=True,  # the same examples every run: a fault that fails is found again
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("kind", sorted(SEEDERS))
@FAULT_SETTINGS
@given(model=st.sampled_from(MODELS), pick=st.integers(0, 1000))
def test_apply_never_adds_an_undefined_name_and_check_then_passes(
    full_pristine: Path, kind: str, model: str, pick: int
) -> None:
    with tempfile.TemporaryDirectory(prefix="tfscaffold-fault-") as tmp:
        root = copy_tree(full_pristine, Path(tmp) / "transformers", link=True)
        names = _candidates(root, model, kind)
        if not names:
            return  # this model has nothing to seed this fault with (no doc entry of a listed class...)
        name = names[pick % len(names)]
        seeded = SEEDERS[kind](root, model, name)
        before = {p: root / p for p in seeded.files}
        undefined_seeded = undefined_names(before.values(), root)

        result = run("apply", model, "--repo", str(root))
        context = f"{model}: {seeded.description}"
        assert result.exit_code == 0, f"{context}: apply exited {result.exit_code}\n{result.output}"
        changed = [root / line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("updated ")]
        touched = {*before.values(), *changed}
        undefined_after = undefined_names(touched, root)
        undefined_upstream = undefined_names([full_pristine / p.relative_to(root) for p in touched], full_pristine)
        added = undefined_after - undefined_seeded - undefined_upstream
        assert not added, f"{context}: apply left undefined names {sorted(added)}"
        assert not undefined_after - undefined_upstream, f"{context}: apply did not fix {undefined_after}"

        result = run("check", model, "--repo", str(root))
        assert result.exit_code == 0, f"{context}: check fails after apply:\n{result.stdout}"


# ----------------------------------------------------------------------------- transformers' own scripts

# Runs each step of check_repo.py's check_repo_quality() on its own: on a checkout without the
# PyTorch tests (the corpus holds the TF ones) one step always fails, and the whole script stops at
# its first failure. Every step is offline; a step that fails for want of an optional dependency
# (PIL) fails the same way before and after, which the comparison allows.
STEPS = r"""
import ast, contextlib, io, json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, "utils")
source = open("utils/check_repo.py", encoding="utf-8").read()
steps = [
    s.value.func.id
    for node in ast.parse(source).body
    if isinstance(node, ast.FunctionDef) and node.name == "check_repo_quality"
    for s in node.body
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name)
]
import check_repo
out = {}
for name in steps:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            getattr(check_repo, name)()
        out[name] = []
    except Exception as exc:
        out[name] = sorted(set(str(exc).splitlines()))
print(json.dumps(out))
"""


def _script_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(root / "src"),
        PYTHONDONTWRITEBYTECODE="1",  # the pristine tree is the cache: leave no __pycache__ in it
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    return env


def transformers_checks(root: Path) -> dict[str, object]:
    """What check_dummies.py, check_inits.py and each step of check_repo.py report on ``root``."""
    env = _script_env(root)
    out: dict[str, object] = {}
    for script in ("check_dummies.py", "check_inits.py"):
        proc = subprocess.run(
            [sys.executable, f"utils/{script}"], cwd=root, env=env, capture_output=True, text=True, timeout=600
        )
        out[script] = (proc.returncode, proc.stdout.replace(str(root), "<tree>"))
    proc = subprocess.run(
        [sys.executable, "-c", STEPS], cwd=root, env=env, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    for step, lines in steps.items():
        out[f"check_repo.{step}"] = sorted(line.replace(str(root), "<tree>") for line in lines)
    return out


@pytest.fixture(scope="session")
def upstream_checks(full_pristine: Path) -> dict[str, object]:
    return transformers_checks(full_pristine)


GPT2_TF = "src/transformers/models/gpt2/modeling_tf_gpt2.py"
GPT2_INIT = "src/transformers/models/gpt2/__init__.py"


def _add_gpt2_head(root: Path) -> None:
    """What the converter does when the PyTorch file has GPT2ForQuestionAnswering: a class, and its name in the list."""
    path = root / GPT2_TF
    path.write_text(
        path.read_text()
        + "\n\nclass TFGPT2ForQuestionAnswering(TFGPT2PreTrainedModel):\n"
        + "    def __init__(self, config, *inputs, **kwargs):\n"
        + "        super().__init__(config, *inputs, **kwargs)\n"
    )
    init = root / GPT2_INIT
    text = init.read_text()
    anchor = '        "TFGPT2DoubleHeadsModel",\n'
    assert text.count(anchor) == 1
    init.write_text(text.replace(anchor, anchor + '        "TFGPT2ForQuestionAnswering",\n'))


def test_new_head_is_registered_everywhere(full_tree: Path) -> None:
    """The head joins its twin's auto mapping, the doc page among the heads, the test file and the init's import."""
    root = full_tree
    _add_gpt2_head(root)
    result = run("apply", "gpt2", "--repo", str(root))
    assert result.exit_code == 0, result.output
    changed = sorted(line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("updated "))
    assert changed == [
        "docs/source/en/model_doc/gpt2.md",
        MAIN,
        AUTO,
        GPT2_INIT,
        DUMMY,
        "tests/models/gpt2/test_modeling_tf_gpt2.py",
    ]
    assert run("check", "--all", "--repo", str(root)).stdout == ""
    assert run("apply", "--all", "--dry-run", "--repo", str(root)).stdout == ""
    assert undefined_names([root / rel for rel in changed], root) == set()
    auto = (root / AUTO).read_text()
    assert auto.count("TFGPT2ForQuestionAnswering") == 1
    qa = auto.split("TF_MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES")[1].split(")\n)")[0]
    assert '        ("gpt2", "TFGPT2ForQuestionAnswering"),\n        ("gptj",' in qa
    doc = (root / "docs/source/en/model_doc/gpt2.md").read_text()
    assert (
        "[[autodoc]] TFGPT2ForSequenceClassification\n    - call\n\n"
        "## TFGPT2ForQuestionAnswering\n\n[[autodoc]] TFGPT2ForQuestionAnswering\n    - call\n\n"
        "## TFSequenceClassifierOutputWithPast"
    ) in doc
    init = (root / GPT2_INIT).read_text()
    assert "            TFGPT2ForQuestionAnswering,\n" in init.split("if TYPE_CHECKING:")[1]
    test_file = (root / "tests/models/gpt2/test_modeling_tf_gpt2.py").read_text()
    assert "TFGPT2ForQuestionAnswering" in listed_classes(test_file)[0]


@pytest.mark.slow
def test_new_head_passes_transformers_own_checks(full_tree: Path, upstream_checks: dict[str, object]) -> None:
    """A head the converter adds (its PyTorch twin is mapped): after ``apply`` the scripts say what they said."""
    root = full_tree
    _add_gpt2_head(root)
    result = run("apply", "gpt2", "--repo", str(root))
    assert result.exit_code == 0, result.output
    after = transformers_checks(root)
    differences = {k: (upstream_checks.get(k), v) for k, v in after.items() if upstream_checks.get(k) != v}
    assert not differences, json.dumps(differences, indent=1)[:4000]
