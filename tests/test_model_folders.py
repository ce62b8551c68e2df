"""A folder holding several models (``data2vec``: ``modeling_data2vec_audio.py``, ``_text``, ``_vision``).

Each model of such a folder is named by its files; the folder's name alone does not say which
one to port, so ``new`` asks, without writing anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tree_hashes
from typer.testing import CliRunner

from scaffold.checkout import Checkout
from scaffold.cli import app
from scaffold.errors import ScaffoldError

pytestmark = pytest.mark.tree


def test_a_model_of_a_shared_folder_is_found_by_its_file_name(pristine: Path) -> None:
    checkout = Checkout(pristine)
    model = checkout.model("data2vec_vision")
    assert model.folder == checkout.src / "models" / "data2vec"
    assert checkout.models_in_folder(checkout.model("data2vec")) == [
        "data2vec_audio",
        "data2vec_text",
        "data2vec_vision",
    ]
    assert checkout.tf_test_file(model) == pristine / "tests/models/data2vec/test_modeling_tf_data2vec_vision.py"
    with pytest.raises(ScaffoldError, match="data2vec_nothing"):
        checkout.model("data2vec_nothing")


def test_new_on_a_shared_folder_asks_which_model_and_writes_nothing(tree: Path) -> None:
    before = tree_hashes(tree)
    result = CliRunner().invoke(app, ["new", "data2vec", "--repo", str(tree)])
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("tfscaffold: error: ") and "data2vec_audio, data2vec_text, data2vec_vision" in last
    assert tree_hashes(tree) == before


def test_new_ports_one_model_of_a_shared_folder(tree: Path) -> None:
    """The vision model's hand-written port removed, ``new`` writes it again beside its siblings' files."""
    folder = tree / "src/transformers/models/data2vec"
    (folder / "modeling_tf_data2vec_vision.py").unlink()
    result = CliRunner().invoke(app, ["new", "data2vec_vision", "--repo", str(tree)])
    assert result.exit_code == 0, result.output
    text = (folder / "modeling_tf_data2vec_vision.py").read_text(encoding="utf-8")
    assert "class TFData2VecVisionModel(" in text
    assert not (folder / "modeling_tf_data2vec_audio.py").exists()
    check = CliRunner().invoke(app, ["check", "data2vec_vision", "--repo", str(tree)])
    assert check.exit_code == 0, check.output
