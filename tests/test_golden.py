"""Generated files compared byte for byte with the reviewed copies in ``golden/``.

For each model: a copy of the 4.46.3 tree with its ``tests/`` and an empty ``docs/`` folder, the
model's hand-written TF file removed (llama has none: a fresh port), ``tfscaffold new`` run (with
reuse, as the command runs by default), and every generated file of the list below compared with
``golden/<model>/<name>``: the modeling file ``modeling_tf_<model>.py``, the test file and the doc
page. A difference fails with a unified diff.

Refresh after an intended change, then review the diff of ``golden/`` before committing it (the
modeling files' diff is the converter's change, line by line):

    TFSCAFFOLD_REFRESH_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT

from scaffold.checkout import Checkout
from scaffold.new import plan_new

pytestmark = [pytest.mark.tree, pytest.mark.slow]

GOLDEN = PROJECT / "golden"
MODELS = ["bert", "gpt2", "vit", "llama"]
REFRESH = os.environ.get("TFSCAFFOLD_REFRESH_GOLDEN") == "1"
# 2026-01-01: the licence headers' year, fixed so the files do not change with the calendar
EPOCH = "1767225600"


def generated(model: str) -> dict[str, str]:
    """Golden name -> the path ``new`` writes it to, relative to the tree."""
    return {
        f"modeling_tf_{model}.py": f"src/transformers/models/{model}/modeling_tf_{model}.py",
        f"test_modeling_tf_{model}.py": f"tests/models/{model}/test_modeling_tf_{model}.py",
        f"{model}.md": f"docs/source/en/model_doc/{model}.md",
    }


@pytest.fixture
def full_tree(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "transformers"
    shutil.copytree(pristine / "src", target / "src")
    shutil.copytree(pristine / "tests", target / "tests")
    shutil.copy2(pristine / "pyproject.toml", target / "pyproject.toml")
    (target / "docs" / "source" / "en" / "model_doc").mkdir(parents=True)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return target


@pytest.mark.parametrize("model", MODELS)
def test_generated_files_match_golden(model: str, full_tree: Path) -> None:
    (full_tree / "src" / "transformers" / "models" / model / f"modeling_tf_{model}.py").unlink(missing_ok=True)
    checkout = Checkout(full_tree)
    plan_new(checkout, checkout.model(model)).changes.commit()
    problems = []
    for name, rel in generated(model).items():
        golden = GOLDEN / model / name
        actual = (full_tree / rel).read_text()
        if REFRESH:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(actual)
            continue
        expected = golden.read_text() if golden.is_file() else ""
        if actual != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True), f"golden/{model}/{name}", rel
            )
            problems.append("".join(diff))
    assert not problems, "generated output differs from golden/ (refresh: see this module's docstring)\n" + "\n".join(
        problems
    )
