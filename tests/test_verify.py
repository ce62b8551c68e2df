"""verify: the tiny config, the comparison rules, bad input, and the pristine 4.46.3 ports.

The rule tests build no model and run in milliseconds. The tests marked ``slow`` build every
public model class of the benchmark models in a child process, as ``verify`` does for a user;
they run in CI like the others.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import typer
from conftest import BENCHMARK_MODELS
from typer.testing import CliRunner

from scaffold.checkout import open_checkout
from scaffold.errors import ScaffoldError
from scaffold.verify import (
    Tolerance,
    VerifyResult,
    _abstract,
    _defined_model_classes,
    public_model_classes,
    verify_model,
    verify_models,
)
from scaffold.verify.command import register
from scaffold.verify.compare import array_diff, localise, path_candidates, tf_path
from scaffold.verify.report import render
from scaffold.verify.tinyconfig import TinyConfig, parse_override, read_config_signatures, shrink, tiny_config


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """tfscaffold"""

    register(app)
    return app


def _invoke(*args: str):
    return CliRunner().invoke(_app(), list(args))


# --- the tiny config ---------------------------------------------------------------------------


def test_tiny_config_from_the_config_signature(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    tiny = tiny_config(checkout, checkout.model("bert"))
    assert tiny.roots == ["BertConfig"]
    values = tiny.configs["BertConfig"]
    assert values["hidden_size"] == 32
    assert values["num_hidden_layers"] == 2
    assert values["num_attention_heads"] == 4
    assert values["vocab_size"] == 99
    assert values["intermediate_size"] < 64
    assert "hidden_act" not in values  # untouched parameters keep their defaults
    assert tiny.sources["BertConfig"].startswith("signature of BertConfig")


def test_special_token_ids_stay_inside_the_tiny_vocabulary(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    marian = tiny_config(checkout, checkout.model("marian")).configs["MarianConfig"]
    # Marian pads with the last id of 58101: the tiny vocabulary keeps it as its last id.
    assert marian["vocab_size"] == 99
    assert marian["pad_token_id"] == 98 and marian["decoder_start_token_id"] == 98
    gpt2 = tiny_config(checkout, checkout.model("gpt2")).configs["GPT2Config"]
    assert gpt2["eos_token_id"] == gpt2["bos_token_id"] == gpt2["vocab_size"] - 1
    # Distinct special ids stay distinct and ordered (Whisper: pad 50256, start 50257).
    whisper = tiny_config(checkout, checkout.model("whisper")).configs["WhisperConfig"]
    assert (whisper["pad_token_id"], whisper["decoder_start_token_id"]) == (97, 98)


def test_nested_configs_and_body_defaults(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    clip = tiny_config(checkout, checkout.model("clip"))
    assert clip.roots == ["CLIPConfig"]
    assert clip.configs["CLIPConfig"]["text_config"]["hidden_size"] == 32
    assert clip.configs["CLIPConfig"]["vision_config"]["patch_size"] == 4
    assert clip.configs["CLIPTextConfig"] == clip.configs["CLIPConfig"]["text_config"]
    # ConvNext's stage lists default to None and are filled in the body: shrunk element-wise.
    convnext = tiny_config(checkout, checkout.model("convnext")).configs["ConvNextConfig"]
    assert convnext["hidden_sizes"] == [32, 32, 32, 32]
    assert convnext["depths"] == [2, 2, 2, 2]


def test_equal_defaults_stay_equal_and_heads_divide_the_width(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    vit = tiny_config(checkout, checkout.model("vit")).configs["ViTConfig"]
    assert vit["encoder_stride"] == vit["patch_size"] == 4
    swin = read_config_signatures(checkout.model("swin").folder / "configuration_swin.py")["SwinConfig"]
    swin_tiny = shrink(swin.defaults)
    assert "encoder_stride" not in swin_tiny  # 32 != patch size 4 by default: not tied
    assert all(swin_tiny["embed_dim"] % heads == 0 for heads in swin_tiny["num_heads"])
    out = shrink({"hidden_size": 768, "num_attention_heads": 12}, {"hidden_size": 30})
    assert out["hidden_size"] == 30 and 30 % out["num_attention_heads"] == 0
    # per-stage widths and heads (CvT): each stage's heads divide that stage's width
    cvt = shrink({"embed_dim": [64, 192, 384], "num_heads": [1, 3, 6]})
    assert all(width % heads == 0 for width, heads in zip(cvt["embed_dim"], cvt["num_heads"], strict=True))


def test_windowed_pyramids_get_an_image_that_holds_whole_windows(pristine: Path) -> None:
    """Swin on a 32-pixel image with four stages left 1x1 maps against a window of 7: both frameworks fail."""
    checkout = open_checkout(pristine)
    swin = tiny_config(checkout, checkout.model("swin")).configs["SwinConfig"]
    patch, window, depths = 4, swin["window_size"], swin["depths"]  # patch 4 is Swin's default, kept
    assert window <= 2 and len(depths) == 4
    image = swin["image_size"]
    for stage in range(len(depths)):
        side = image // patch // 2**stage
        assert side >= window and side % window == 0, (stage, side, window)
    assert "encoder_stride" not in swin  # 32 = 4 * 2**3 by default, and still
    # The same rule on a flat model: the encoder stride follows the shrunk patch (ViT: 16 -> 4).
    vit = shrink({"image_size": 224, "patch_size": 16, "encoder_stride": 16, "hidden_size": 768})
    assert vit["patch_size"] == vit["encoder_stride"] == 4 and vit["image_size"] == 32
    # A pyramid whose patch shrinks: image and stride follow it; a tester's image is kept.
    defaults = {"image_size": 224, "patch_size": 8, "window_size": 7, "depths": [2, 2, 6], "encoder_stride": 32}
    out = shrink(defaults)
    assert out["encoder_stride"] == 4 * 2**2 and out["image_size"] % (16 * out["window_size"]) == 0
    assert shrink(defaults, {"image_size": 40})["image_size"] == 40


def test_layer_indices_stay_inside_the_tiny_depth(pristine: Path) -> None:
    """Data2VecVision's decode head reads out_indices [3, 5, 7, 11]: past 2 layers PyTorch fails too."""
    checkout = open_checkout(pristine)
    config = tiny_config(checkout, checkout.model("data2vec_vision")).configs["Data2VecVisionConfig"]
    assert config["out_indices"] == [0, 1, 2, 3] and config["num_hidden_layers"] == 4  # one layer per index
    dpt = shrink({"num_hidden_layers": 12, "backbone_out_indices": [2, 5, 8, 11]})
    assert dpt == {"num_hidden_layers": 4, "backbone_out_indices": [0, 1, 2, 3]}
    assert shrink({"num_hidden_layers": 12, "out_indices": [0, 1]}) == {"num_hidden_layers": 2}  # inside already
    # a tester's depth is kept: indices that cannot fit in it stay as they are
    assert shrink({"num_hidden_layers": 12, "out_indices": [3, 5, 7, 11]}, {"num_hidden_layers": 2}) == {
        "num_hidden_layers": 2
    }
    assert shrink({"num_hidden_layers": 12, "out_indices": [7, 11]}, {"num_hidden_layers": 3})["out_indices"] == [1, 2]


def test_sizes_that_default_to_none_get_the_tiny_value(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    esm = tiny_config(checkout, checkout.model("esm")).configs["EsmConfig"]
    assert esm["vocab_size"] == 99  # None by default (read from a checkpoint): nn.Embedding(None, ...) fails
    assert shrink({"vocab_size": None}, {"vocab_size": 33})["vocab_size"] == 33  # a tester's value wins


def test_the_tf_tester_is_read_when_the_pytorch_tester_is_absent(tree: Path) -> None:
    tests = tree / "tests" / "models" / "swin"
    tests.mkdir(parents=True)
    (tests / "test_modeling_tf_swin.py").write_text(
        "from transformers import SwinConfig\n\n\n"
        "class TFSwinModelTester:\n"
        "    def __init__(self, parent, image_size=32, patch_size=2, depths=[1, 2, 1], window_size=2):\n"
        "        self.image_size = image_size\n"
        "        self.patch_size = patch_size\n"
        "        self.depths = depths\n"
        "        self.window_size = window_size\n\n"
        "    def get_config(self):\n"
        "        return SwinConfig(image_size=self.image_size, patch_size=self.patch_size, depths=self.depths,\n"
        "                          window_size=self.window_size, encoder_stride=8)\n",
        encoding="utf-8",
    )
    checkout = open_checkout(tree)
    tiny = tiny_config(checkout, checkout.model("swin"))
    values = tiny.configs["SwinConfig"]
    assert (values["image_size"], values["patch_size"], values["depths"], values["encoder_stride"]) == (
        32,
        2,
        [1, 2, 1],
        8,
    )
    assert tiny.sources["SwinConfig"] == "tester in tests/models/swin/test_modeling_tf_swin.py"
    # A PyTorch test file, when there is one, is the reference model's own: it wins.
    (tests / "test_modeling_swin.py").write_text(
        "from transformers import SwinConfig\n\n\n"
        "class SwinModelTester:\n"
        "    def get_config(self):\n"
        "        return SwinConfig(image_size=64, window_size=2)\n",
        encoding="utf-8",
    )
    tiny = tiny_config(checkout, checkout.model("swin"))
    assert tiny.configs["SwinConfig"]["image_size"] == 64
    assert tiny.sources["SwinConfig"] == "tester in tests/models/swin/test_modeling_swin.py"


def test_image_configs_get_the_shape_tf_builds_with() -> None:
    """TF builds a model on dummy inputs shaped from the config; PyTorch configs may lack the shape."""
    from scaffold.verify.runner import image_shape_for_tf

    class Vision:
        def forward(self, pixel_values=None):
            return pixel_values

    class Text:
        def forward(self, input_ids=None):
            return input_ids

    cvt_like = SimpleNamespace(num_channels=3)
    assert image_shape_for_tf(Vision, cvt_like) == {"image_size": 32}
    assert cvt_like.image_size == 32
    blip_like = SimpleNamespace(vision_config=SimpleNamespace(image_size=24))
    assert image_shape_for_tf(Vision, blip_like) == {"num_channels": 3}
    assert blip_like.vision_config.num_channels == 3 and not hasattr(blip_like, "num_channels")
    complete = SimpleNamespace(num_channels=1, input_size=16)
    assert image_shape_for_tf(Vision, complete) == {}
    assert image_shape_for_tf(Text, SimpleNamespace()) == {}


def test_tester_values_win_over_the_rules(tree: Path) -> None:
    tests = tree / "tests" / "models" / "bert"
    tests.mkdir(parents=True)
    (tests / "test_modeling_bert.py").write_text(
        "from transformers import BertConfig\n\n\n"
        "class BertModelTester:\n"
        "    def __init__(self, parent, batch_size=13, hidden_size=24, num_hidden_layers=3, vocab_size=77):\n"
        "        self.parent = parent\n"
        "        self.hidden_size = hidden_size\n"
        "        self.num_hidden_layers = num_hidden_layers\n"
        "        self.vocab_size = vocab_size\n"
        "        self.type_vocab = 5\n\n"
        "    def get_config(self):\n"
        "        return BertConfig(\n"
        "            vocab_size=self.vocab_size,\n"
        "            hidden_size=self.hidden_size,\n"
        "            num_hidden_layers=self.num_hidden_layers,\n"
        "            type_vocab_size=self.type_vocab,\n"
        "            is_decoder=False,\n"
        "            initializer_range=self.not_an_attribute,\n"
        "        )\n",
        encoding="utf-8",
    )
    checkout = open_checkout(tree)
    tiny = tiny_config(checkout, checkout.model("bert"))
    values = tiny.configs["BertConfig"]
    assert values["hidden_size"] == 24
    assert values["num_hidden_layers"] == 3
    assert values["vocab_size"] == 77
    assert values["type_vocab_size"] == 5
    assert values["is_decoder"] is False
    assert "initializer_range" not in values
    assert values["num_attention_heads"] == 4  # not in the tester: the rule, then divides 24
    assert tiny.sources["BertConfig"] == "tester in tests/models/bert/test_modeling_bert.py"


def test_overrides() -> None:
    assert parse_override("hidden_act=relu") == ("hidden_act", "relu")
    assert parse_override("num_hidden_layers=3") == ("num_hidden_layers", 3)
    assert parse_override("layer_norm_eps=1e-3") == ("layer_norm_eps", 1e-3)
    assert parse_override("use_cache=false") == ("use_cache", False)
    with pytest.raises(ScaffoldError):
        parse_override("hidden_size")
    with pytest.raises(ScaffoldError):
        parse_override("bad key=1")
    tiny = TinyConfig("clip", {"CLIPConfig": {"text_config": {"hidden_size": 32}}}, ["CLIPConfig"], {})
    tiny.apply({"text_config.hidden_size": 64, "projection_dim": 8})
    assert tiny.configs["CLIPConfig"] == {"text_config": {"hidden_size": 64}, "projection_dim": 8}


# --- comparison rules ---------------------------------------------------------------------------


def test_tolerance() -> None:
    tol = Tolerance(atol=1e-5, rtol=1e-5)
    assert tol.within(1.9e-5, scale=1.0)
    assert not tol.within(2.1e-5, scale=1.0)
    assert not tol.within(None, scale=1.0)
    assert not tol.within(math.inf, scale=1.0)
    relaxed = Tolerance(max_error=1e-3)
    assert relaxed.within(9e-4, scale=0.0) and not relaxed.within(2e-3, scale=0.0)


def test_paths() -> None:
    assert tf_path(["bert", "encoder", "layer_._0", "attention", "self"]) == "bert.encoder.layer.0.attention.self"
    assert tf_path(["mlm___cls", "predictions"]) == "cls.predictions"
    assert path_candidates("bert.encoder", "bert") == ["bert.encoder", "encoder"]
    assert path_candidates("classifier", "bert") == ["classifier", "bert.classifier"]


def test_layouts_are_matched_but_swapped_axes_are_not() -> None:
    rng = np.random.default_rng(0)
    nchw = rng.standard_normal((2, 3, 4, 5))
    assert array_diff(nchw, np.transpose(nchw, (0, 2, 3, 1))).max_abs_diff == 0.0
    # A square feature map fits both layouts: the closer one wins.
    square = rng.standard_normal((2, 6, 6))
    assert array_diff(square, np.transpose(square, (0, 2, 1))).max_abs_diff == 0.0
    # Swapped spatial axes are a fault, not a layout.
    image = rng.standard_normal((2, 3, 4, 4))
    assert array_diff(image, np.transpose(image, (0, 3, 2, 1))).max_abs_diff > 0.1
    # Broadcast tables and flattened leading axes.
    table = rng.standard_normal((7, 8))
    assert array_diff(np.broadcast_to(table, (2, 7, 8)), table).max_abs_diff == 0.0
    flat = rng.standard_normal((14, 8))
    assert array_diff(flat, flat.reshape(2, 7, 8)).max_abs_diff == 0.0
    # Model outputs: the layout must be PyTorch's.
    strict = array_diff(nchw, np.transpose(nchw, (0, 2, 3, 1)), layout=False)
    assert strict.max_abs_diff is None and "shape" in strict.note
    nan = np.array([1.0, np.nan])
    assert array_diff(nan, np.array([1.0, 2.0])).max_abs_diff == math.inf
    assert array_diff(nan, nan.copy()).max_abs_diff == 0.0


def _row(path: str, parent: str | None, start: int, end: int, diff: float, input_diff: float = 0.0, tf: bool = True):
    return SimpleNamespace(
        path=path,
        call=0,
        parent=(parent, 0) if parent else None,
        start=start,
        end=end,
        tf_path=path if tf else None,
        max_abs_diff=diff,
        scale=1.0,
        note="",
        input_diff=input_diff,
        input_scale=1.0,
    )


def test_localise() -> None:
    tol = Tolerance()
    # A layer that gets the same input and gives a different output is the culprit.
    rows = [
        _row("layer", None, 1, 8, 0.1),
        _row("layer.attn", "layer", 2, 5, 0.1),
        _row("layer.attn.q", "layer.attn", 3, 4, 0.0),
        _row("layer.out", "layer", 6, 7, 0.1, input_diff=0.1),
    ]
    assert localise(rows, tol).path == "layer.attn"
    # A child fed a different input: the blame goes to the caller whose input agreed.
    rows = [
        _row("layer", None, 1, 8, 0.1),
        _row("layer.attn", "layer", 2, 5, 0.0),
        _row("layer.out", "layer", 6, 7, 0.1, input_diff=0.1),
    ]
    found = localise(rows, tol)
    assert found.path == "layer" and "layer.out" in found.reason
    # A child whose caller agrees is absorbed (TF fuses an activation into its Dense).
    rows = [_row("pooler", None, 1, 4, 0.0), _row("pooler.dense", "pooler", 2, 3, 0.05)]
    assert localise(rows, tol) is None
    # Weights that did not load count where the layer finishes, even with equal numbers.
    rows = [_row("a", None, 1, 4, 0.1), _row("a.b", "a", 2, 3, 0.0, tf=False)]
    found = localise(rows, tol, {"a.b": "its PyTorch weights were not loaded into TF"})
    assert found.path == "a.b" and "not loaded" in found.reason


# --- bad input: exit 2 before any model is built -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_model"], "no model 'no_such_model'"),
        (["llama"], "has no TF port"),
        (["bert", "--class", "TFBertForSomething"], "no class TFBertForSomething"),
        (["bert", "--allow-missing", "("], "is not a regular expression"),
        (["bert", "--set", "hidden_size"], "--set takes key=value"),
        (["bert", "--atol", "-1"], "--atol must be a finite number"),
        (["bert", "--input", "pixel_values=2x0x3"], "--input takes name=SHAPE[:KIND]"),
        (["bert", "--input", "pixel_values=2x3:bytes"], "--input takes name=SHAPE[:KIND]"),
    ],
)
def test_bad_input_exits_2(pristine: Path, args: list[str], message: str) -> None:
    result = _invoke("verify", *args, "--repo", str(pristine))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "verify bert: importing" not in result.stderr  # refused before starting any process


def test_public_model_classes(pristine: Path) -> None:
    checkout = open_checkout(pristine)
    bert = public_model_classes(checkout, checkout.model("bert"))
    assert "TFBertModel" in bert and "TFBertForMaskedLM" in bert and len(bert) == 9
    assert not {"TFBertPreTrainedModel", "TFBertMainLayer", "TFBertEmbeddings"} & set(bert)
    # TFOPTModel is also @keras_serializable: still a model.
    assert public_model_classes(checkout, checkout.model("opt")) == ["TFOPTForCausalLM", "TFOPTModel"]
    assert "TFBartPretrainedModel" not in public_model_classes(checkout, checkout.model("bart"))
    # A port not registered yet: its model classes in definition order.
    assert sorted(_defined_model_classes(checkout.model("bert"))) == sorted(bert)


def test_deprecated_aliases_of_the_pretrained_base_are_not_verified(tmp_path: Path) -> None:
    """``class TFPretrainedBartModel(TFBartPreTrainedModel)`` with only a warning has no call: nothing to run."""
    path = tmp_path / "modeling_tf_x.py"
    path.write_text(
        "class TFXPreTrainedModel(TFPreTrainedModel):\n    pass\n\n\n"
        "class TFPretrainedXModel(TFXPreTrainedModel):\n    def __init_subclass__(self):\n        pass\n\n\n"
        "class TFXModel(TFXPreTrainedModel):\n    def call(self, x):\n        return x\n\n\n"
        "class TFXForY(TFXModel):\n    pass\n\n\n"
        "class TFXFromElsewhere(TFOtherModel):\n    pass\n"
    )
    assert _abstract(path, "TFPretrainedXModel")
    assert not _abstract(path, "TFXModel")
    assert not _abstract(path, "TFXForY")  # inherits its call
    assert not _abstract(path, "TFXFromElsewhere")  # an imported base may bring one


# --- the pristine ports -------------------------------------------------------------------------


@pytest.fixture
def pristine_runs(pristine_verdicts: dict) -> dict[str, VerifyResult]:
    """Every benchmark model verified on the pristine tree (conftest's batches)."""
    return pristine_verdicts


@pytest.mark.slow
@pytest.mark.parametrize("model", [m for m in BENCHMARK_MODELS if m != "marian"])
def test_pristine_ports_pass(pristine: Path, pristine_runs: dict, model: str) -> None:
    checkout = open_checkout(pristine)
    result = pristine_runs[model]
    report = render(result)
    assert result.ok, report
    assert result.exit_code == 0
    assert result.transformers_file == str(pristine / "src" / "transformers" / "__init__.py")
    assert [c.tf_class for c in result.classes] == public_model_classes(checkout, checkout.model(model))
    for cls in result.classes:
        assert cls.outputs and all(o.ok for o in cls.outputs)
        assert not cls.weights, report
        matched = [r for r in cls.layers if r.tf_path is not None]
        assert len(matched) >= 5, f"{cls.tf_class}: only {len(matched)} layers matched"
        assert cls.first_divergence is None, report
    assert report.splitlines()[-1].startswith("verdict: ok")


@pytest.mark.slow
def test_marian_position_tables_pytorch_never_saves_are_notes(pristine_runs: dict) -> None:
    """MarianMTModel does not save its sinusoidal tables (``_keys_to_ignore_on_save``); TF computes them.

    They pass with no flag, because the PyTorch class itself declares them unsaved, and stay
    visible in the report and the JSON.
    """
    result = pristine_runs["marian"]
    report = render(result)
    assert result.ok and result.exit_code == 0, report
    assert all(not c.weight_failures for c in result.classes)
    notes = {c.tf_class: sorted(w.name for w in c.weights if w.not_saved) for c in result.classes}
    assert notes == {
        "TFMarianModel": [],
        "TFMarianMTModel": ["model.decoder.embed_positions.weight", "model.encoder.embed_positions.weight"],
    }
    assert "note: missing (in TF, not in the PyTorch checkpoint): model.decoder.embed_positions.weight" in report
    assert "PyTorch never saves it (_keys_to_ignore_on_save)" in report
    assert "model.encoder.embed_positions.weight" in report.splitlines()[-2]
    assert report.splitlines()[-1].startswith("verdict: ok")
    data = result.to_json()
    (mt,) = [c for c in data["classes"] if c["tf_class"] == "TFMarianMTModel"]
    assert {w["name"]: (w["not_saved"], w["fails"]) for w in mt["weights"]} == {
        "model.decoder.embed_positions.weight": (True, False),
        "model.encoder.embed_positions.weight": (True, False),
    }
    allowed = result.rejudge(allow_missing=["embed_positions"])
    assert allowed.ok
    assert "allowed by --allow-missing 'embed_positions'" in render(allowed)


@pytest.mark.slow
def test_command_json_progress_and_set(pristine: Path) -> None:
    result = _invoke(
        "verify", "bert", "--class", "TFBertModel", "--set", "num_hidden_layers=3", "--json", "--repo", str(pristine)
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "verify bert: TFBertModel: building BertModel" in result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["config"]["BertConfig"]["num_hidden_layers"] == 3
    (cls,) = data["classes"]
    assert cls["tf_class"] == "TFBertModel" and cls["ok"] is True
    paths = {row["path"]: row for row in cls["layers"]}
    assert paths["encoder.layer.2.attention.self"]["tf_path"] == "bert.encoder.layer.2.attention.self"
    assert {o["name"] for o in cls["outputs"]} == {"last_hidden_state", "pooler_output"}


def test_a_port_that_does_not_parse_is_a_mismatch(tree: Path) -> None:
    port = tree / "src" / "transformers" / "models" / "bert" / "modeling_tf_bert.py"
    port.write_text(port.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")
    result = verify_model(open_checkout(tree), "bert", classes=["TFBertModel"])
    assert not result.ok and result.exit_code == 1
    assert result.error is not None and result.error.startswith("the TF port does not parse: ")
    assert render(result).splitlines()[-1] == "verdict: MISMATCH: bert could not be verified"


@pytest.mark.slow
def test_a_port_that_does_not_import_is_a_mismatch(tree: Path) -> None:
    port = tree / "src" / "transformers" / "models" / "bert" / "modeling_tf_bert.py"
    port.write_text(port.read_text(encoding="utf-8") + "\nraise ImportError('half-written port')\n", encoding="utf-8")
    result = verify_model(open_checkout(tree), "bert", classes=["TFBertModel"])
    assert not result.ok and result.exit_code == 1
    assert result.error is not None
    assert result.error.startswith(
        "cannot import the model's modules: ImportError: half-written port (at modeling_tf_bert.py:"
    )
    assert result.transformers_file == str(tree / "src" / "transformers" / "__init__.py")


@pytest.mark.slow
def test_a_batch_keeps_each_model_to_itself(tree: Path, pristine_verdicts: dict) -> None:
    """One model's broken port fails that model only; the next one's result is what it is alone."""
    port = tree / "src" / "transformers" / "models" / "bert" / "modeling_tf_bert.py"
    port.write_text(port.read_text(encoding="utf-8") + "\nraise ImportError('half-written port')\n", encoding="utf-8")
    broken, vit = verify_models(open_checkout(tree), ["bert", "vit"])
    assert broken.model == "bert" and broken.exit_code == 1
    assert broken.error.startswith("cannot import the model's modules: ImportError: half-written port")
    assert vit.model == "vit" and vit.ok and vit.error is None
    assert vit.transformers_file == str(tree / "src" / "transformers" / "__init__.py")
    alone = pristine_verdicts["vit"]
    assert [c.tf_class for c in vit.classes] == [c.tf_class for c in alone.classes]
    for ours, theirs in zip(vit.classes, alone.classes, strict=True):
        assert [(o.name, o.max_abs_diff) for o in ours.outputs] == [(o.name, o.max_abs_diff) for o in theirs.outputs]


def test_a_run_that_does_not_finish_is_a_mismatch(pristine: Path) -> None:
    result = verify_model(open_checkout(pristine), "bert", classes=["TFBertModel"], timeout=0.5)
    assert result.exit_code == 1
    assert result.error == "gave up after 0 s: the models did not finish"


def test_inputs_the_port_declares_beyond_the_usual_modalities() -> None:
    """LXMERT takes region features: their shapes come from the TF port's input_signature."""
    from scaffold.verify.inputs import BATCH, signature_inputs

    def spec(shape: tuple, floating: bool) -> SimpleNamespace:
        return SimpleNamespace(shape=shape, dtype=SimpleNamespace(is_floating=floating))

    class PT:
        def forward(self, input_ids=None, visual_feats=None, visual_pos=None, visual_attention_mask=None):
            return input_ids

    tf_model = SimpleNamespace(
        input_signature={
            "input_ids": spec((None, None), False),
            "visual_feats": spec((None, None, 12), True),
            "visual_pos": spec((None, None, 4), True),
            "visual_attention_mask": spec((None, None), False),  # integers: optional, left out
            "not_in_pytorch": spec((None, 3), True),
        }
    )
    made = signature_inputs(PT, tf_model, {"input_ids": np.zeros((BATCH, 7))}, seed=0)
    assert sorted(made) == ["visual_feats", "visual_pos"]
    assert made["visual_feats"].shape[0] == made["visual_pos"].shape[0] == BATCH
    assert made["visual_feats"].shape[2] == 12 and made["visual_pos"].shape[1:] == (5, 4)
    assert made["visual_pos"].dtype == np.float32 and 0 <= made["visual_pos"].min() < 1


def test_local_attention_models_get_global_attention_on_the_first_token() -> None:
    """Longformer's QA and multiple-choice heads otherwise want three separator tokens per sample."""
    from scaffold.verify.inputs import SEQ_LENGTH, make_inputs

    class ForMultipleChoice:
        def forward(self, input_ids=None, attention_mask=None, global_attention_mask=None):
            return input_ids

    config = SimpleNamespace(vocab_size=99, eos_token_id=None, pad_token_id=1)
    inputs = make_inputs(ForMultipleChoice, config, seed=0)
    glob = inputs["global_attention_mask"]
    assert glob.shape == inputs["input_ids"].shape == (2, 2, SEQ_LENGTH)  # choices keep their axis
    assert (glob[..., 0] == 1).all() and glob[..., 1:].sum() == 0


def test_speech_features_follow_the_layout_the_port_declares() -> None:
    from scaffold.verify.inputs import orient_to_signature

    spec = SimpleNamespace(shape=(None, None, 80), dtype=SimpleNamespace(is_floating=True))
    tf_model = SimpleNamespace(input_signature={"input_features": spec})
    whisper_layout = np.zeros((2, 80, 128), dtype=np.float32)
    assert orient_to_signature(tf_model, {"input_features": whisper_layout})["input_features"].shape == (2, 128, 80)
    right = np.zeros((2, 128, 80), dtype=np.float32)
    assert orient_to_signature(tf_model, {"input_features": right})["input_features"] is right


def test_speech_features_have_as_many_bins_as_the_config_says() -> None:
    """Speech2Text's tester gives 24 features per channel (not a mel-bin count): the inputs follow it."""
    from scaffold.verify.inputs import make_inputs

    class PT:
        def forward(self, input_features=None, decoder_input_ids=None):
            return input_features

    def config(**values: object) -> SimpleNamespace:
        return SimpleNamespace(max_source_positions=8, is_encoder_decoder=False, **values)

    assert make_inputs(PT, config(input_feat_per_channel=24, input_channels=1), 0)["input_features"].shape[1] == 24
    assert make_inputs(PT, config(num_mel_bins=16, feature_size=80), 0)["input_features"].shape[1] == 16
    assert make_inputs(PT, config(), 0)["input_features"].shape[1] == 80


def test_a_cache_object_is_flattened_as_its_tuples() -> None:
    """A cache with ``to_legacy_cache`` gives those tuples; one without (hybrid) its key and value lists."""
    from scaffold.verify.runner import flatten_outputs

    class Hybrid:
        key_cache = [np.zeros((1, 2)), np.ones((1, 2))]
        value_cache = [np.ones((1, 3)), np.zeros((1, 3))]

    class Dynamic(Hybrid):
        def to_legacy_cache(self):
            return ((np.zeros(4), np.ones(4)),)

    hybrid = dict(flatten_outputs({"past_key_values": Hybrid()}))
    assert {k: v.shape for k, v in hybrid.items()} == {
        "past_key_values.0.0": (1, 2),
        "past_key_values.0.1": (1, 3),
        "past_key_values.1.0": (1, 2),
        "past_key_values.1.1": (1, 3),
    }
    assert list(dict(flatten_outputs({"past_key_values": Dynamic()}))) == [
        "past_key_values.0.0",
        "past_key_values.0.1",
    ]


def test_tower_widths_stay_tied_across_sub_configs(pristine: Path) -> None:
    """SAM's vision output is its prompt encoder's and mask decoder's width; shrunk apart, PyTorch fails."""
    checkout = open_checkout(pristine)
    sam = tiny_config(checkout, checkout.model("sam")).configs["SamConfig"]
    width = sam["prompt_encoder_config"]["hidden_size"]
    assert width == sam["mask_decoder_config"]["hidden_size"] == sam["vision_config"]["output_channels"]
    assert sam["vision_config"]["num_pos_feats"] * 2 == width  # sine and cosine halves
    # one config class has no other tower: nothing is tied (BERT has no size equal to its width)
    bert = tiny_config(checkout, checkout.model("bert")).configs["BertConfig"]
    assert set(bert) == set(
        shrink(read_config_signatures(checkout.model("bert").folder / "configuration_bert.py")["BertConfig"].defaults)
    )


def test_a_random_draw_the_forward_makes_is_given_to_both_frameworks() -> None:
    """ViTMAE draws its masking noise when it is left out: verify passes PyTorch's draw as the argument."""
    import torch

    from scaffold.verify.inputs import random_draw_inputs

    class Masking(torch.nn.Module):
        def forward(self, pixel_values, noise=None, other=None):
            if noise is None:
                noise = torch.rand(pixel_values.shape[0], 5)
            scale = torch.rand(1)  # a draw that fills no argument: not shared
            return pixel_values.sum() + noise.sum() * scale

    inputs = {"pixel_values": np.ones((2, 3), dtype=np.float32)}
    made = random_draw_inputs(Masking, Masking(), inputs)
    assert sorted(made) == ["noise"] and made["noise"].shape == (2, 5)
    assert random_draw_inputs(Masking, Masking(), inputs | made) == {}  # given: nothing drawn for it


def test_a_one_value_loss_compares_with_the_tf_shape() -> None:
    """TF heads return a scalar loss with shape (1,); any other shape difference stays a mismatch."""
    assert array_diff(np.float32(1.5), np.array([1.5], dtype=np.float32), layout=False).max_abs_diff == 0.0
    assert array_diff(np.float32(1.5), np.array([1.0], dtype=np.float32), layout=False).max_abs_diff == 0.5
    assert array_diff(np.ones(2), np.ones(1), layout=False).max_abs_diff is None


def test_a_frozen_parameter_tf_computes_is_not_a_lost_weight() -> None:
    """Speech2Text's sinusoidal table is a frozen PyTorch parameter; TF computes it, outputs compare them."""
    from scaffold.verify.result import judge

    raw = {
        "tf_class": "TFM",
        "pt_class": "M",
        "outputs": [{"name": "last_hidden_state", "max_abs_diff": 0.0, "scale": 1.0}],
        "weights": {
            "unexpected": ["encoder.embed_positions.weights", "encoder.proj.weight"],
            "frozen": ["model.encoder.embed_positions.weights"],
        },
        "base_model_prefix": "model",
    }
    result = judge(raw, Tolerance(), [])
    assert [w.name for w in result.weight_failures] == ["encoder.proj.weight"]
    assert next(w for w in result.weights if w.frozen).name == "encoder.embed_positions.weights"


def test_the_tester_says_how_to_call_a_model_verify_cannot_call_from_its_signature(tmp_path: Path) -> None:
    """IDEFICS: pixels with a number-of-images axis and an image mask, sized from the tester's own attributes."""
    from scaffold.verify.tester_inputs import parse_input, read_tester_inputs

    test_file = tmp_path / "test_modeling_m.py"
    test_file.write_text(
        """
class MModelTester:
    def __init__(self, parent, batch_size=2, seq_length=7, image_size=30, num_channels=3, vocab_size=99):
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.image_size = image_size
        self.num_channels = num_channels
        self.vocab_size = vocab_size

    def prepare_config_and_inputs(self, num_images=1, image_expansion=0):
        input_ids = ids_tensor([self.batch_size, self.seq_length], self.vocab_size)
        pixel_values = floats_tensor(
            [self.batch_size, num_images, self.num_channels, self.image_size + image_expansion, self.image_size]
        )
        image_attention_mask = random_attention_mask([self.batch_size, self.seq_length, num_images])
        unknown = floats_tensor([self.batch_size, self.not_an_attribute])
        return self.get_config(), input_ids, pixel_values, image_attention_mask
""",
        encoding="utf-8",
    )
    found = read_tester_inputs(test_file)
    assert found == {
        "input_ids": {"kind": "ids", "shape": [2, 7], "high": 99},
        "pixel_values": {"kind": "floats", "shape": [2, 1, 3, 30, 30]},
        "image_attention_mask": {"kind": "mask", "shape": [2, 7, 1]},
    }
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    assert read_tester_inputs(tmp_path / "broken.py") == {}
    assert parse_input("image_attention_mask=2x7x1:mask") == ("image_attention_mask", found["image_attention_mask"])
    assert parse_input("pixel_values=2x1x3x30x30") == ("pixel_values", found["pixel_values"])


@pytest.mark.slow
def test_given_inputs_let_verify_call_a_model_its_own_inputs_cannot(pristine: Path) -> None:
    """Without a tester (the source distribution), IDEFICS is verified with the inputs it needs given."""
    checkout = open_checkout(pristine)
    given = {"pixel_values": "2x1x3x32x32", "image_attention_mask": "2x7x1:mask"}
    from scaffold.verify.tester_inputs import parse_input

    result = verify_model(
        checkout,
        "idefics",
        classes=["TFIdeficsModel"],
        inputs=dict(parse_input(f"{k}={v}") for k, v in given.items()),
    )
    assert result.ok, render(result)
    assert result.classes[0].inputs["pixel_values"] == [2, 1, 3, 32, 32]
