"""``tfscaffold weights``: real small random checkpoints through the tree's ports, and back.

The checkpoints are written by transformers' own ``save_pretrained`` (safetensors and ``.bin``,
sharded and not) in one child process; every conversion is the command itself (the tfscaffold
process in-process, its runner a real child with torch and TensorFlow); the written TF weights
are then loaded again in another child, without ``from_pt`` and with ``use_safetensors=False`` so
nothing but ``tf_model.h5`` can be read, and run against the PyTorch checkpoint. A copy of the
tree gets a generated port (``new llama``: the tree has none) and a planted fault in a hand port
(distilbert's feed-forward activation), which must be refused with the outputs named.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, tree_hashes
from typer.testing import CliRunner

from scaffold.checkout import open_checkout
from scaffold.cli import app
from scaffold.verify.tinyconfig import tiny_config
from scaffold.weights import OutputDiff, WeightsResult
from scaffold.weights.checkpoint import open_checkpoint

pytestmark = pytest.mark.tree
CHILD = PROJECT / "tests" / "weights_child.py"

# name: (model folder, config class, PyTorch class, safetensors?, shard size of the checkpoint)
CHECKPOINTS = {
    "bert": ("bert", "BertConfig", "BertForMaskedLM", True, None),
    "gpt2": ("gpt2", "GPT2Config", "GPT2LMHeadModel", False, None),
    "vit": ("vit", "ViTConfig", "ViTForImageClassification", True, "20KB"),
    "bart": ("bart", "BartConfig", "BartForConditionalGeneration", False, "40KB"),
    "wav2vec2": ("wav2vec2", "Wav2Vec2Config", "Wav2Vec2ForCTC", True, None),
    "llama": ("llama", "LlamaConfig", "LlamaForCausalLM", True, None),
    "distilbert": ("distilbert", "DistilBertConfig", "DistilBertForMaskedLM", True, None),
}


def _child(tree: Path, mode: str, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    """Run tests/weights_child.py with ``tree``'s transformers; its JSON answer."""
    spec_path = work / f"{mode}-{len(list(work.glob('*.json')))}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"PYTHONPATH": os.pathsep.join([str(tree / "src"), str(PROJECT)]), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, str(CHILD), mode, str(spec_path)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(spec_path.with_suffix(".out.json").read_text(encoding="utf-8"))


def _weights(*args: str):
    return CliRunner().invoke(app, ["weights", *args])


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("weights")


@pytest.fixture(scope="module")
def checkpoints(pristine: Path, work: Path) -> dict[str, Path]:
    """Every checkpoint of :data:`CHECKPOINTS`, on the tiny config ``verify`` uses, in one child process."""
    checkout = open_checkout(pristine)
    items, out = [], {}
    for name, (model, config_class, pt_class, safe, shard) in CHECKPOINTS.items():
        folder = work / "checkpoints" / name
        config = tiny_config(checkout, checkout.model(model)).configs[config_class]
        items.append(
            {
                "folder": str(folder),
                "config_class": config_class,
                "config": config,
                "pt_class": pt_class,
                "safe": safe,
                "max_shard_size": shard,
            }
        )
        out[name] = folder
    _child(pristine, "make", {"items": items}, work)
    return out


@pytest.fixture(scope="module")
def altered_tree(pristine: Path, work: Path) -> Path:
    """A copy of the tree with a generated port of llama and a planted fault in distilbert's hand port."""
    tree = work / "transformers"
    shutil.copytree(pristine / "src", tree / "src")
    shutil.copy2(pristine / "pyproject.toml", tree / "pyproject.toml")
    result = CliRunner().invoke(app, ["new", "llama", "--repo", str(tree)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    tf_file = tree / "src" / "transformers" / "models" / "distilbert" / "modeling_tf_distilbert.py"
    text = tf_file.read_text(encoding="utf-8")
    fault = 'self.activation = get_tf_activation("relu")  # planted: the config says gelu'
    assert text.count("self.activation = get_tf_activation(config.activation)") == 1
    tf_file.write_text(text.replace("self.activation = get_tf_activation(config.activation)", fault), encoding="utf-8")
    return tree


# --- conversions that pass -----------------------------------------------------------------------

# name: (checkpoint, extra arguments). Hand ports of the pristine tree, each checkpoint format.
HAND = {
    "bert": ("bert", ["--json"]),
    "gpt2": ("gpt2", []),
    "vit": ("vit", ["--max-shard-size", "30KB"]),
    "bart": ("bart", []),
    "wav2vec2": ("wav2vec2", []),
    "gpt2-base": ("gpt2", ["--class", "TFGPT2Model"]),
}


@pytest.fixture(scope="module")
def converted(checkpoints: dict[str, Path], pristine: Path, work: Path) -> dict[str, Any]:
    """Every conversion of :data:`HAND`, then TF back to PyTorch for two of them (one sharded)."""
    out: dict[str, Any] = {}
    stale = work / "out" / "vit"
    stale.mkdir(parents=True)
    (stale / "tf_model-00009-of-00009.h5").write_bytes(b"left by an earlier save")
    (stale / "notes.txt").write_text("not ours", encoding="utf-8")
    for name, (source, extra) in HAND.items():
        target = work / "out" / name
        if name == "gpt2":  # no --out: the TF weights go beside the PyTorch ones, as pt-to-tf put them
            shutil.copytree(checkpoints[source], target)
            out[name] = (_weights(str(target), "--repo", str(pristine), *extra), target)
            continue
        out[name] = (_weights(str(checkpoints[source]), "--out", str(target), "--repo", str(pristine), *extra), target)
    for name in ("bert", "vit"):
        target = work / "out" / f"{name}-pt"
        source = work / "out" / name
        out[f"{name}-pt"] = (_weights(str(source), "--to-pt", "--out", str(target), "--repo", str(pristine)), target)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HAND) + ["bert-pt", "vit-pt"])
def test_conversion_passes_and_writes(converted: dict[str, Any], name: str) -> None:
    result, target = converted[name]
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in target.iterdir())
    if name.endswith("-pt"):
        assert "model.safetensors" in files and "config.json" in files
        assert not any(f.startswith("tf_model") for f in files)
        pt_class = CHECKPOINTS[name.removesuffix("-pt")][2]
        assert f"TF{pt_class} -> {pt_class}" in result.stdout.splitlines()[0]
    elif name == "vit":
        # sharded on request, with its index; a stale shard of an earlier save is gone, other files stay
        shards = [f for f in files if f.startswith("tf_model-")]
        assert len(shards) >= 2 and "tf_model.h5.index.json" in files and "tf_model.h5" not in files
        assert "tf_model-00009-of-00009.h5" not in files and "notes.txt" in files
    elif name == "gpt2":
        assert files == ["config.json", "generation_config.json", "pytorch_model.bin", "tf_model.h5"]
        assert "wrote" in result.stdout and "config.json" not in result.stdout  # the config is the checkpoint's own
    else:
        assert "tf_model.h5" in files and "config.json" in files
        assert not any(f.endswith((".safetensors", ".bin")) for f in files)
    if name == "bert":
        report = json.loads(result.stdout)
        assert report["ok"] and report["direction"] == "pt-to-tf"
        assert report["pt_class"] == "BertForMaskedLM" and report["tf_class"] == "TFBertForMaskedLM"
        names = [o["name"] for o in report["outputs"]]
        assert names[0] == "logits" and "hidden_states.2" in names
        assert all(o["ok"] and o["converted"] <= 5e-5 and o["reloaded"] <= 5e-5 for o in report["outputs"])
        assert report["largest_difference"] <= 5e-5 and report["written"]
    elif name == "gpt2-base":
        assert "GPT2Model -> TFGPT2Model" in result.stdout and "last_hidden_state" in result.stdout
    elif not name.endswith("-pt"):
        assert "hidden_states.1" in result.stdout and "BEYOND" not in result.stdout


@pytest.mark.slow
def test_written_tf_weights_load_without_from_pt_and_match(
    converted: dict[str, Any], checkpoints: dict[str, Path], pristine: Path, work: Path
) -> None:
    """The files on disk, read by plain ``from_pretrained``, give PyTorch's outputs."""
    items = []
    for name, (source, extra) in HAND.items():
        pt_class = "GPT2Model" if "--class" in extra else CHECKPOINTS[source][2]
        item = {"name": name, "pt_folder": str(checkpoints[source]), "tf_folder": str(converted[name][1])}
        items.append(item | {"pt_class": pt_class, "tf_class": f"TF{pt_class}"})
    for name in ("bert", "vit"):
        pt_class = CHECKPOINTS[name][2]
        item = {
            "name": f"{name}-pt",
            "pt_folder": str(converted[f"{name}-pt"][1]),
            "tf_folder": str(converted[name][1]),
        }
        items.append(item | {"pt_class": pt_class, "tf_class": f"TF{pt_class}"})
    found = _child(pristine, "check", {"items": items}, work)
    assert set(found) == {item["name"] for item in items}
    for name, entry in found.items():
        assert entry["diff"] <= 5e-5, (name, entry)
        assert entry["tf_weights"] > 0


# --- a generated port, and a planted fault ------------------------------------------------------


@pytest.mark.slow
def test_generated_port_converts(altered_tree: Path, checkpoints: dict[str, Path], work: Path) -> None:
    target = work / "out" / "llama"
    result = _weights(str(checkpoints["llama"]), "--out", str(target), "--repo", str(altered_tree), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tf_class"] == "TFLlamaForCausalLM" and report["ok"]
    assert any(o["name"].startswith("hidden_states.") for o in report["outputs"])
    item = {
        "name": "llama",
        "pt_folder": str(checkpoints["llama"]),
        "tf_folder": str(target),
        "pt_class": "LlamaForCausalLM",
        "tf_class": "TFLlamaForCausalLM",
    }
    found = _child(altered_tree, "check", {"items": [item]}, work)
    assert found["llama"]["diff"] <= 5e-5, found


@pytest.mark.slow
def test_planted_fault_is_refused_naming_the_outputs(
    altered_tree: Path, checkpoints: dict[str, Path], work: Path
) -> None:
    source = checkpoints["distilbert"]
    before = tree_hashes(source)
    target = work / "out" / "distilbert"
    result = _weights(str(source), "--out", str(target), "--repo", str(altered_tree))
    assert result.exit_code == 1, result.output
    refusal = [line for line in result.stderr.splitlines() if line.startswith("tfscaffold weights: refused")]
    assert len(refusal) == 1, result.stderr
    # The embeddings are untouched by the fault; every layer after the first feed-forward is not.
    assert "logits" in refusal[0] and "hidden_states.1" in refusal[0] and "hidden_states.0" not in refusal[0]
    assert "BEYOND" in result.stdout
    assert not target.exists()
    assert not list(target.parent.glob(".tfscaffold-weights-*"))
    assert tree_hashes(source) == before


@pytest.mark.slow
def test_checkpoint_without_the_class_weights_is_refused(
    checkpoints: dict[str, Path], pristine: Path, work: Path
) -> None:
    """A masked-LM checkpoint has no pooler: converting it as the base model would write random weights."""
    target = work / "out" / "bert-base"
    result = _weights(
        str(checkpoints["bert"]), "--class", "TFBertModel", "--out", str(target), "--repo", str(pristine)
    )
    assert result.exit_code == 1, result.output
    assert "the PyTorch checkpoint lacks weights of BertModel: " in result.stderr
    assert "pooler.dense.weight" in result.stderr
    assert not target.exists()


# --- bad input: one line, exit 2, nothing written -------------------------------------------------


def _break(kind: str, checkpoints: dict[str, Path], root: Path) -> tuple[Path, list[str]]:
    """A damaged copy of a checkpoint, and the extra arguments that go with it."""
    if kind == "missing-folder":
        return root / "nothere", []
    source = {"bin-garbage": "gpt2", "missing-shard": "bart", "bad-index": "vit", "to-pt-of-pt": "bert"}.get(
        kind, "bert"
    )
    folder = root / kind
    shutil.copytree(checkpoints[source], folder)
    if kind == "no-config":
        (folder / "config.json").unlink()
    elif kind == "config-no-model-type":
        (folder / "config.json").write_text('{"hidden_size": 32}', encoding="utf-8")
    elif kind == "config-not-json":
        (folder / "config.json").write_text("{hidden", encoding="utf-8")
    elif kind == "no-weights":
        (folder / "model.safetensors").unlink()
    elif kind == "truncated-safetensors":
        path = folder / "model.safetensors"
        os.truncate(path, path.stat().st_size - 64)
    elif kind == "empty-safetensors":
        (folder / "model.safetensors").write_bytes(b"")
    elif kind == "missing-shard":
        next(folder.glob("pytorch_model-00002-of-*.bin")).unlink()
    elif kind == "bad-index":
        (folder / "model.safetensors.index.json").write_text('{"metadata": {}}', encoding="utf-8")
    elif kind == "bin-garbage":
        # a pickle's first byte, then garbage: only torch can tell, in the child
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x02" + b"not a pickle at all" * 40)
    elif kind == "unknown-class":
        return folder, ["--class", "TFBertForNothing"]
    elif kind == "bad-max-error":
        return folder, ["--max-error", "nan"]
    elif kind == "bad-shard-size":
        return folder, ["--max-shard-size", "lots"]
    elif kind == "to-pt-of-pt":
        return folder, ["--to-pt"]
    return folder, []


BAD = {
    "missing-folder": "does not exist",
    "no-config": "has no config.json",
    "config-no-model-type": "names no model_type",
    "config-not-json": "is not valid JSON",
    "no-weights": "has no PyTorch weights",
    "truncated-safetensors": "is truncated",
    "empty-safetensors": "is empty",
    "missing-shard": "names 1 shard(s) the folder lacks",
    "bad-index": "is not a checkpoint index",
    "bad-max-error": "--max-error must be a finite number",
    "bad-shard-size": "--max-shard-size takes",
    "to-pt-of-pt": "convert them without --to-pt",
    "bin-garbage": "cannot load the PyTorch checkpoint",
    "unknown-class": "no class TFBertForNothing in its TF port of 'bert'",
}
# "bin-garbage" and "unknown-class" are found by the frameworks, in the child process: still one line.


@pytest.mark.slow  # the checkpoints are real ones (the fixture builds them); most cases stop before any child
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_is_one_line_and_writes_nothing(
    kind: str, checkpoints: dict[str, Path], pristine: Path, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    folder, extra = _break(kind, checkpoints, tmp_path / "in")
    before = tree_hashes(tmp_path)
    target = tmp_path / "out"
    result = _weights(str(folder), "--out", str(target), "--repo", str(pristine), *extra)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if not line.startswith("weights: ")]
    assert len(errors) == 1 and errors[0].startswith("tfscaffold: error: "), result.stderr
    assert BAD[kind] in errors[0]
    assert tree_hashes(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.slow
def test_out_that_is_a_file_is_refused(checkpoints: dict[str, Path], pristine: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("a file", encoding="utf-8")
    result = _weights(str(checkpoints["bert"]), "--out", str(target), "--repo", str(pristine))
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert target.read_text(encoding="utf-8") == "a file"


# --- rules without frameworks --------------------------------------------------------------------


@pytest.mark.slow
def test_checkpoint_formats_are_found_in_transformers_order(checkpoints: dict[str, Path]) -> None:
    bert = open_checkpoint(checkpoints["bert"], "pt")
    assert (bert.format, bert.index, bert.model_type, bert.architectures) == (
        "safetensors",
        None,
        "bert",
        ["BertForMaskedLM"],
    )
    bart = open_checkpoint(checkpoints["bart"], "pt")
    assert bart.format == "bin" and bart.index is not None and len(bart.files) >= 2
    assert "shards" in bart.describe()


def test_a_difference_must_be_known_and_within_the_limit() -> None:
    result = WeightsResult("in", "out", False, "safetensors", 5e-5)
    assert not result.ok  # nothing compared is no proof
    result.outputs = [OutputDiff("logits", [2], 1e-6, 2e-6), OutputDiff("hidden_states.0", [2], 0.0, 0.0)]
    assert result.ok and result.largest == 2e-6
    result.outputs.append(OutputDiff("hidden_states.1", [2], 1e-6, float("nan")))
    result.outputs.append(OutputDiff("past", [2], None, None, "missing from the TF output"))
    assert [o.name for o in result.beyond] == ["hidden_states.1", "past"]
    assert "2 output(s) beyond --max-error 5e-05: hidden_states.1 (no value), past (no value; missing" in (
        result.reasons[0]
    )
    result.outputs = [OutputDiff("logits", [2], 1e-6, 2e-6)]
    result.weights = {"missing": ["bert.pooler.dense.weight"]}
    assert result.reasons == ["the TF port has weights the checkpoint does not fill: bert.pooler.dense.weight"]


@pytest.mark.slow
def test_pytorch_weights_reach_tf_as_views_not_copies() -> None:
    """The PyTorch to TF copy holds no second copy of the weights: each array is the tensor's own memory."""
    import numpy as np

    torch = pytest.importorskip("torch")
    from scaffold.weights.runner import NumpyState, _Ticker

    layer = torch.nn.Linear(4, 3)
    state = layer.state_dict()
    arrays = NumpyState(state, _Ticker("test", len(state)))
    weight = arrays["weight"]
    assert np.shares_memory(weight, layer.weight.detach().numpy())
    with torch.no_grad():
        layer.weight[0, 0] = 5.0
    assert weight[0, 0] == 5.0
    assert arrays.read == {layer.weight.data_ptr()}
    half = NumpyState({"w": torch.ones(2, dtype=torch.bfloat16)}, _Ticker("test", 1))["w"]
    assert half.dtype == np.float32  # numpy has no bfloat16: upcast, one tensor at a time
