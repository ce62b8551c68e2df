"""Seeded faults in copies of hand-written 4.46.3 ports: verify must fail and point at the layer.

Each fault is one edit of a known source line, inside one class of the TF modeling file of a
private copy of the tree; verify runs that copy's transformers (not the installed one) and must
name the layer whose code holds the fault (for wiring faults: the layer that wires its children).
Paths are PyTorch module paths of the verified class.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from scaffold.checkout import open_checkout
from scaffold.verify import Divergence, Tolerance, VerifyResult, verify_model
from scaffold.verify.command import register
from scaffold.verify.report import render

NO_PATH = Divergence("<none>", "", None)


@dataclass(frozen=True)
class Fault:
    kind: str
    model: str
    tf_class: str  # the class verified
    scope: str  # the class of the TF file whose code is edited
    old: str
    new: str
    layer: str  # where verify must point

    @property
    def id(self) -> str:
        return self.kind.replace(" ", "-")


LN = 'keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name="LayerNorm")'

FAULTS = [
    Fault(
        "layernorm epsilon left at the keras default",
        "bert",
        "TFBertModel",
        "TFBertSelfOutput",
        LN,
        'keras.layers.LayerNormalization(name="LayerNorm")',
        "encoder.layer.0.attention.output.LayerNorm",
    ),
    Fault(
        "missing transpose",
        "bert",
        "TFBertModel",
        "TFBertSelfAttention",
        "attention_output = tf.transpose(attention_output, perm=[0, 2, 1, 3])",
        "attention_output = attention_output",
        "encoder.layer.0.attention.self",
    ),
    Fault(
        "wrong activation",
        "bert",
        "TFBertModel",
        "TFBertIntermediate",
        "get_tf_activation(config.hidden_act)",
        'get_tf_activation("relu")',
        "encoder.layer.0.intermediate",
    ),
    Fault(
        "attention mask with the wrong sign",
        "bert",
        "TFBertModel",
        "TFBertSelfAttention",
        "attention_scores = tf.add(attention_scores, attention_mask)",
        "attention_scores = tf.subtract(attention_scores, attention_mask)",
        "encoder.layer.0.attention.self",
    ),
    Fault(
        "misnamed sublayer",
        "bert",
        "TFBertModel",
        "TFBertIntermediate",
        'name="dense"',
        'name="dense_in"',
        "encoder.layer.0.intermediate.dense",
    ),
    Fault(
        "softmax over the wrong axis",
        "bert",
        "TFBertModel",
        "TFBertSelfAttention",
        "stable_softmax(logits=attention_scores, axis=-1)",
        "stable_softmax(logits=attention_scores, axis=2)",
        "encoder.layer.0.attention.self",
    ),
    Fault(
        "swapped residual",
        "bert",
        "TFBertModel",
        "TFBertAttention",
        "hidden_states=self_outputs[0], input_tensor=input_tensor",
        "hidden_states=input_tensor, input_tensor=self_outputs[0]",
        "encoder.layer.0.attention",
    ),
    Fault(
        "wrong attention scale",
        "bert",
        "TFBertModel",
        "TFBertSelfAttention",
        "self.sqrt_att_head_size = math.sqrt(self.attention_head_size)",
        "self.sqrt_att_head_size = math.sqrt(self.all_head_size)",
        "encoder.layer.0.attention.self",
    ),
    Fault(
        "missing bias",
        "bert",
        "TFBertModel",
        "TFBertSelfOutput",
        'name="dense"',
        'name="dense", use_bias=False',
        "encoder.layer.0.attention.output.dense",
    ),
    Fault(
        "wrong position offset",
        "bert",
        "TFBertModel",
        "TFBertEmbeddings",
        "tf.range(start=past_key_values_length, limit=input_shape[1] + past_key_values_length)",
        "tf.range(start=past_key_values_length + 1, limit=input_shape[1] + past_key_values_length + 1)",
        "embeddings",
    ),
    Fault(
        "wrong learned position offset",
        "opt",
        "TFOPTModel",
        "TFOPTLearnedPositionalEmbedding",
        "return super().call(positions + self.offset)",
        "return super().call(positions + self.offset - 1)",
        "decoder.embed_positions",
    ),
    Fault(
        "spatial axes swapped when going channels last",
        "vit",
        "TFViTModel",
        "TFViTPatchEmbeddings",
        "pixel_values = tf.transpose(pixel_values, perm=(0, 2, 3, 1))",
        "pixel_values = tf.transpose(pixel_values, perm=(0, 3, 2, 1))",
        "embeddings.patch_embeddings",
    ),
]


def seed_fault(tree: Path, fault: Fault) -> Path:
    """Edit the first occurrence of ``fault.old`` inside class ``fault.scope`` of the TF file."""
    path = tree / "src" / "transformers" / "models" / fault.model / f"modeling_tf_{fault.model}.py"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\nclass {fault.scope}(")
    end = text.find("\nclass ", start + 1)
    end = len(text) if end < 0 else end
    scope = text[start:end]
    assert fault.old in scope, f"{fault.old!r} is not in {fault.scope}: the 4.46.3 source changed?"
    path.write_text(text[:start] + scope.replace(fault.old, fault.new, 1) + text[end:], encoding="utf-8")
    return path


def copy_tree(pristine: Path, target: Path) -> Path:
    """A private copy of the tree, as the ``tree`` fixture makes (``src/`` and ``pyproject.toml``)."""
    shutil.copytree(pristine / "src", target / "src")
    shutil.copy2(pristine / "pyproject.toml", target / "pyproject.toml")
    return target


@pytest.fixture(scope="module")
def fault_runs(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, VerifyResult]]:
    """Every fault seeded in its own copy, verified two at a time (each run is its own process)."""

    def run(fault: Fault) -> tuple[Path, VerifyResult]:
        tree = copy_tree(pristine, tmp_path_factory.mktemp(fault.id) / "transformers")
        seed_fault(tree, fault)
        return tree, verify_model(open_checkout(tree), fault.model, classes=[fault.tf_class])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([f.kind for f in FAULTS], pool.map(run, FAULTS), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_seeded_fault_is_reported_where_it_is(fault_runs: dict, fault: Fault) -> None:
    tree, result = fault_runs[fault.kind]
    report = render(result)
    # The copy's transformers ran, with the fault in it.
    assert result.transformers_file == str(tree / "src" / "transformers" / "__init__.py")
    assert not result.ok and result.exit_code == 1, report
    (cls,) = result.classes
    assert cls.error is None, report
    assert cls.first_divergence is not None
    assert cls.first_divergence.path == fault.layer, report
    assert f"first divergence: {fault.layer}:" in report
    marked = [line for line in report.splitlines() if line.lstrip().startswith(">")]
    assert len(marked) == 1 and f" {fault.layer} " in marked[0] + " ", report


@pytest.mark.slow
def test_at_least_nine_of_ten_kinds_are_localised(fault_runs: dict) -> None:
    right = [f.kind for f in FAULTS if (fault_runs[f.kind][1].classes[0].first_divergence or NO_PATH).path == f.layer]
    assert len({f.kind for f in FAULTS}) >= 10
    assert len(right) >= len(FAULTS) - 1, right


def _weights(result: VerifyResult) -> dict[str, list[str]]:
    (cls,) = result.classes
    out: dict[str, list[str]] = {}
    for issue in cls.weight_failures:
        out.setdefault(issue.kind, []).append(issue.name)
    return {k: sorted(v) for k, v in out.items()}


@pytest.mark.slow
def test_weight_faults_name_the_weights(fault_runs: dict) -> None:
    """A misnamed layer and a dropped bias: the weights are listed by name, beside the numbers."""
    _, misnamed = fault_runs["misnamed sublayer"]
    assert _weights(misnamed) == {
        "missing": [f"encoder.layer.{i}.intermediate.dense_in.{w}" for i in range(2) for w in ("bias", "weight")],
        "unexpected": [f"encoder.layer.{i}.intermediate.dense.{w}" for i in range(2) for w in ("bias", "weight")],
    }
    assert "bert.encoder.layer.0.intermediate.dense_in" in misnamed.classes[0].tf_unmatched
    _, no_bias = fault_runs["missing bias"]
    assert _weights(no_bias) == {"unexpected": [f"encoder.layer.{i}.attention.output.dense.bias" for i in range(2)]}
    # Allowing the weights does not make the numbers agree.
    relaxed = misnamed.rejudge(allow_missing=["intermediate"])
    assert not relaxed.classes[0].weight_failures
    assert not relaxed.ok and relaxed.classes[0].outputs_beyond
    assert "allowed by --allow-missing 'intermediate'" in render(relaxed)


@pytest.mark.slow
def test_max_error_relaxes_the_output_tolerance(fault_runs: dict) -> None:
    _, result = fault_runs[FAULTS[0].kind]  # epsilon 1e-3 instead of 1e-12: small, but far beyond 1e-5
    worst = max(o.max_abs_diff for o in result.classes[0].outputs)
    assert 1e-5 < worst < 0.1
    assert result.rejudge(Tolerance(max_error=0.1)).ok
    assert not result.rejudge(Tolerance(max_error=worst / 2)).ok


@pytest.mark.slow
def test_the_command_exits_1_on_a_fault(tree: Path) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    register(app)
    seed_fault(tree, FAULTS[0])
    run = CliRunner().invoke(app, ["verify", "bert", "--class", "TFBertModel", "--repo", str(tree)])
    assert run.exit_code == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == (
        "verdict: MISMATCH in 1 of 1 class(es) of bert: TFBertModel: first divergence "
        "encoder.layer.0.attention.output.LayerNorm"
    )
    assert any(line.startswith("    >") and "encoder.layer.0.attention.output.LayerNorm" in line for line in lines)
