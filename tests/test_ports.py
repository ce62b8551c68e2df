"""End to end: ``tfscaffold new`` on real models, judged by ``verify`` alone (level L4).

Each test removes a hand-written TF port from a copy of the 4.46.3 tree, generates it again
with no hand edits, and requires every generated model class (base model and every head) to
load the PyTorch weights with nothing missing or unexpected and to match within 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.checkout import Checkout
from scaffold.cli import app

pytest.importorskip("torch")
pytest.importorskip("tensorflow")

runner = CliRunner()


@pytest.mark.slow
@pytest.mark.parametrize(
    "model, reuse",
    [("bert", True), ("roberta", True), ("gpt2", True), ("vit", True), ("bert", False)],
    ids=["bert", "roberta", "gpt2", "vit", "bert-no-reuse"],
)
def test_generated_port_matches_pytorch(tree: Path, model: str, reuse: bool):
    from scaffold.verify import verify_model

    tf_file = tree / "src" / "transformers" / "models" / model / f"modeling_tf_{model}.py"
    tf_file.unlink()
    args = ["new", model, "--repo", str(tree)] + ([] if reuse else ["--no-reuse"])
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert tf_file.is_file()
    assert runner.invoke(app, ["check", "--all", "--repo", str(tree)]).exit_code == 0

    verdict = verify_model(Checkout(tree), model)
    assert verdict.error is None, verdict.error
    assert len(verdict.classes) >= 2, "the base model and at least one head"
    failures = {
        c.tf_class: (c.error or c.stage, [w.name for w in c.weight_failures], c.outputs_beyond)
        for c in verdict.classes
        if not c.ok
    }
    assert not failures, failures
