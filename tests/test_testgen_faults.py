"""Seeded faults: the generated test file must catch a wrong port that the mixin lets through.

The fault is the one hand-written ports got wrong and transformers' own TF tests did not notice:
a LayerNorm epsilon left at the Keras default (1e-3 instead of BERT's 1e-12). Shapes, saving,
loading and the mixin's checks all stay green; the strict PyTorch/TF equivalence test must not.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scaffold.checkout import open_checkout
from scaffold.new import plan_new
from scaffold.registry.exports import read_exports
from scaffold.testgen import render_test_file
from scaffold.testgen import test_file_path as tf_test_path
from scaffold.testrun import run_test_file

STRICT = "tests/models/bert/test_modeling_tf_bert.py::TFBertModelTest::test_pt_tf_strict_equivalence"
MIXIN_SAMPLE = [
    "test_model_outputs_equivalence",
    "test_save_load",
    "test_keras_fit",
    "test_determinism",
    "test_for_masked_lm",
]
EPSILON = re.compile(r"LayerNormalization\(epsilon=config\.layer_norm_eps")


def _generated_bert(tree: Path, pristine: Path) -> Path:
    """A tree whose TF BERT port and test file were written by ``new``, with the sdist's test helpers."""
    shutil.copytree(pristine / "tests", tree / "tests", dirs_exist_ok=True)
    checkout = open_checkout(tree)
    model = checkout.model("bert")
    folder = tree / "tests" / "models" / "bert"
    folder.mkdir(parents=True, exist_ok=True)
    for d in (tree / "tests", tree / "tests" / "models", folder):
        (d / "__init__.py").touch()
    (model.folder / "modeling_tf_bert.py").unlink()
    plan_new(checkout, model).changes.commit()
    path = tf_test_path(checkout, model)
    path.write_text(render_test_file(checkout, model, read_exports(checkout, model).names), encoding="utf-8")
    return model.folder / "modeling_tf_bert.py"


@pytest.mark.slow
@pytest.mark.tree
def test_keras_default_layer_norm_epsilon_fails_the_strict_equivalence_test(tree: Path, pristine: Path) -> None:
    # without the fault the same generated files pass in full: tests/test_ports.py runs them on BERT
    port = _generated_bert(tree, pristine)
    text = port.read_text(encoding="utf-8")
    assert len(EPSILON.findall(text)) >= 3  # embeddings, attention output, layer output, head transform
    port.write_text(EPSILON.sub("LayerNormalization(epsilon=1e-3", text), encoding="utf-8")
    # the strict test, and a sample of the mixin's that exercise the same layers (outputs, saving and
    # loading, training): only the strict one notices
    result = run_test_file(tree, "bert", timeout=1800, select=f"strict_equivalence or {' or '.join(MIXIN_SAMPLE)}")
    assert result["passed"] >= len(MIXIN_SAMPLE), result["messages"]
    assert result["failed_ids"] == [STRICT] and result["errors"] == 0, result["messages"]
    assert "max |tf - pt|" in result["messages"][STRICT]
