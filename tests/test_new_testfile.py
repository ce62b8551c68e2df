"""``new`` and the model's TF test file: written where the tree has ``tests/``, a contributor's file kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.cli import app

pytestmark = [pytest.mark.tree, pytest.mark.slow]

runner = CliRunner()


@pytest.fixture
def tree_with_tests(tree: Path, pristine: Path) -> Path:
    shutil.copytree(pristine / "tests", tree / "tests")
    (tree / "src" / "transformers" / "models" / "vit" / "modeling_tf_vit.py").unlink()
    return tree


def test_dry_run_lists_the_test_file_and_its_packages(tree_with_tests: Path) -> None:
    result = runner.invoke(app, ["new", "vit", "--repo", str(tree_with_tests), "--dry-run"])
    assert result.exit_code == 0, result.output
    for rel in ("tests/__init__.py", "tests/models/__init__.py", "tests/models/vit/test_modeling_tf_vit.py"):
        assert f"b/{rel}" in result.stdout
    assert not (tree_with_tests / "tests" / "models").exists()


def test_an_existing_test_file_is_kept_without_force(tree_with_tests: Path) -> None:
    mine = tree_with_tests / "tests" / "models" / "vit" / "test_modeling_tf_vit.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# written by hand\n")
    result = runner.invoke(app, ["new", "vit", "--repo", str(tree_with_tests)])
    assert result.exit_code == 0, result.output
    assert mine.read_text() == "# written by hand\n"
    assert "test_modeling_tf_vit.py" not in result.stdout
