"""Registrations on the newer layouts: transformers 4.48-4.51 (model ``__init__`` files built by
``define_import_structure``, the TF file's ``__all__`` as the truth) and 4.52-4.57 (the main ``__init__``
and the dummy objects no longer name model classes).

Each source distribution is downloaded once into the cache (git-ignored). On the pristine trees ``check``
and ``apply --dry-run`` say nothing; a model's registrations stripped by plain line surgery (independent of
tfscaffold) come back byte for byte.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import tree_hashes
from test_registration_roundtrip import model_tf_names, run, src, strip_model

from scaffold.tree_cache import copy_tree, default_tree

NEWER = ["4.48.3", "4.51.3", "4.52.4", "4.57.1"]
ROUND_TRIP = [(v, m) for v in ("4.51.3", "4.57.1") for m in ("bert", "gpt2", "vit", "wav2vec2")]
REGISTRATION_FILES = ("__init__.py", "utils/dummy_tf_objects.py", "models/auto/modeling_tf_auto.py")


@pytest.mark.parametrize("version", NEWER)
def test_pristine_newer_tree_is_consistent(version: str) -> None:
    tree = default_tree(version, quiet=True)
    before = tree_hashes(tree / "src")
    result = run("check", "--all", "--repo", str(tree))
    assert (result.exit_code, result.stdout) == (0, ""), result.output
    result = run("apply", "--all", "--dry-run", "--repo", str(tree))
    assert (result.exit_code, result.stdout) == (0, ""), result.output
    assert tree_hashes(tree / "src") == before


@pytest.mark.parametrize(("version", "model"), ROUND_TRIP)
def test_strip_and_restore_on_newer_trees(version: str, model: str, tmp_path: Path) -> None:
    pristine = default_tree(version, quiet=True)
    tree = copy_tree(pristine, tmp_path / "tree")  # a real copy: the strip writes in place
    assert model_tf_names(tree, model), f"{model} declares no TF names in {version}"
    strip_model(tree, model)
    init = f"models/{model}/__init__.py"
    assert tree_hashes(tree / "src") != tree_hashes(pristine / "src"), "the strip changed nothing"
    result = run("check", model, "--repo", str(tree))
    assert result.exit_code == 1, result.output
    result = run("apply", model, "--repo", str(tree))
    assert result.exit_code == 0, result.output
    for rel in (*REGISTRATION_FILES, init):
        assert (src(tree) / rel).read_text() == (src(pristine) / rel).read_text(), rel
    assert run("apply", model, "--dry-run", "--repo", str(tree)).stdout == ""


def test_a_star_import_of_a_deleted_tf_file_goes(tmp_path: Path) -> None:
    """4.57: the TF file is gone, its ``from .modeling_tf_<m> import *`` under TYPE_CHECKING goes too."""
    tree = copy_tree(default_tree("4.57.1", quiet=True), tmp_path / "tree")
    (src(tree) / "models/gpt2/modeling_tf_gpt2.py").unlink()
    assert run("check", "gpt2", "--repo", str(tree)).exit_code == 1
    assert run("apply", "gpt2", "--repo", str(tree)).exit_code == 0
    init = (src(tree) / "models/gpt2/__init__.py").read_text()
    assert "modeling_tf_gpt2" not in init and "    from .modeling_gpt2 import *\n" in init


def test_new_writes_a_fresh_port_and_its_own_checks_on_4_57(tmp_path: Path) -> None:
    """4.57 (no TFModelTesterMixin, masking_utils, @check_model_inputs, generic heads): new qwen3 registers a port
    with no undefined name left, whose test file checks itself what the mixin did; check and apply agree."""
    tree = copy_tree(default_tree("4.57.1", quiet=True), tmp_path / "tree", link=True)
    result = run("new", "qwen3", "--repo", str(tree))
    assert result.exit_code == 0, result.output
    port = (src(tree) / "models/qwen3/modeling_tf_qwen3.py").read_text()
    assert "noqa: F821" not in port and "import torch" not in port
    for head in ("ForCausalLM", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering"):
        assert f"class TFQwen3{head}(TFQwen3PreTrainedModel" in port, head
    test_file = (tree / "tests/models/qwen3/test_modeling_tf_qwen3.py").read_text()
    assert "test_modeling_tf_common import" not in test_file
    assert "class TFQwen3ModelTest(unittest.TestCase):" in test_file
    for check in (
        "test_pt_tf_strict_equivalence",
        "test_save_load",
        "test_attention_outputs",
        "test_generate_matches_pytorch",
    ):
        assert f"def {check}(self)" in test_file, check
    assert run("check", "--all", "--repo", str(tree)).exit_code == 0
    assert run("apply", "--all", "--dry-run", "--repo", str(tree)).stdout == ""


def test_new_registers_a_fresh_port_on_4_51(tmp_path: Path) -> None:
    """4.51: the model __init__ gains the TYPE_CHECKING star import, the main __init__ both halves; check agrees."""
    pristine = default_tree("4.51.3", quiet=True)
    tree = copy_tree(pristine, tmp_path / "tree", link=True)
    result = run("new", "llama", "--repo", str(tree))
    assert result.exit_code == 0, result.output
    init = (src(tree) / "models/llama/__init__.py").read_text()
    assert init == (src(pristine) / "models/llama/__init__.py").read_text().replace(
        "    from .modeling_llama import *\n",
        "    from .modeling_llama import *\n    from .modeling_tf_llama import *\n",
    )
    assert "TFLlamaModel" in (src(tree) / "__init__.py").read_text()
    assert run("check", "--all", "--repo", str(tree)).exit_code == 0


def test_transformers_option_picks_the_default_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside any tree, ``--transformers`` (or TFSCAFFOLD_TRANSFORMERS) names the distribution worked on."""
    monkeypatch.chdir(tmp_path)
    default_tree("4.57.1", quiet=True)  # fetched already: the command reads it from the cache
    result = run("--transformers", "4.57.1", "check", "bert", "--json")
    assert result.exit_code == 0, result.output
    assert "transformers-4.57.1" in result.stdout
    bad = run("--transformers", "4.57", "check", "--all")
    assert bad.exit_code == 2 and "--transformers takes a release such as 4.57.1" in bad.output
    assert "transformers-4.46.3" in run("check", "bert", "--json").stdout  # the next run is back on the pin


def test_towers_without_a_tf_port_leave_their_classes_out_on_4_57() -> None:
    """Gemma3 (4.57): the multimodal model holds a SigLIP vision tower (``AutoModel.from_config``), which has
    no TF port; it and the heads using it are not written, each marked and reported. The text model, its
    heads and the generic head (base model of *its* config, Gemma3TextConfig) are ported; no PyTorch auto
    class is left in the TF code."""
    from scaffold.checkout import Checkout
    from scaffold.convert.assemble import convert_model

    checkout = Checkout(default_tree("4.57.1", quiet=True))
    conversion = convert_model(checkout, checkout.model("gemma3"))
    code = conversion.code
    assert "AutoModel" not in {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    for gone in ("TFGemma3Model", "TFGemma3ForConditionalGeneration", "TFGemma3ForSequenceClassification"):
        assert f"class {gone}(" not in code and gone not in conversion.public_names, gone
    todos = [t.text for t in conversion.todos]
    assert any("Gemma3Model: not written: vision_tower" in t and "siglip_vision_model" in t for t in todos), todos
    assert any("Gemma3ForConditionalGeneration: not written: it uses Gemma3Model" in t for t in todos), todos
    assert conversion.public_names == [
        "TFGemma3ForCausalLM",
        "TFGemma3PreTrainedModel",
        "TFGemma3TextForSequenceClassification",
        "TFGemma3TextModel",
    ]
    head = code[code.index("class TFGemma3TextForSequenceClassification(") :]
    assert 'self.model = TFGemma3TextModel(config, name="model")' in head and "def call(" in head
