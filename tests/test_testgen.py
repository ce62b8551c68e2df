"""The generated TF test file: rendering, keeping all_model_classes in line, running it (L5).

Rendering tests read the pristine 4.46.3 tree (its hand-written TF ports give the public names)
and take well under a second each. The tests marked ``slow`` run a generated test file under
transformers' own ``TFModelTesterMixin`` in a child process, as a contributor would.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
from conftest import BENCHMARK_MODELS

from scaffold.changeset import ChangeSet
from scaffold.checkout import open_checkout
from scaffold.errors import ScaffoldError
from scaffold.formatting import ruff_binary
from scaffold.portfacts import config_writers, shares_head_masks, tf_model_classes
from scaffold.registry.exports import read_exports
from scaffold.registry.testfile import sync_all_model_classes
from scaffold.resources import templates_dir
from scaffold.testgen import (
    HEADS,
    SYMBOLS,
    _main_layer_alone,
    _module_importable,
    render_test_file,
)
from scaffold.testgen import (
    test_file_path as tf_test_path,
)
from scaffold.testrun import run_test_file

PROJECT = Path(__file__).resolve().parents[1]
FRESH_MODELS = ["llama", "gpt_neox", "qwen2", "phi", "gemma"]


def _render(pristine: Path, name: str) -> str:
    checkout = open_checkout(pristine)
    model = checkout.model(name)
    return render_test_file(checkout, model, read_exports(checkout, model).names)


def _class_body_assign(text: str, cls: str, attr: str) -> ast.expr:
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.Assign) and ast.unparse(item.targets[0]) == attr:
                    return item.value
    raise AssertionError(f"no {cls}.{attr}")


def _tuple_names(value: ast.expr) -> list[str]:
    if isinstance(value, ast.IfExp):
        value = value.body
    assert isinstance(value, ast.Tuple)
    return [ast.unparse(e) for e in value.elts]


def _ruff_clean(text: str, root: Path, tmp_path: Path) -> None:
    path = tmp_path / "test_modeling_tf_x.py"
    path.write_text(text, encoding="utf-8")
    config = ["--config", str(root / "pyproject.toml")]
    check = subprocess.run([ruff_binary(), "check", *config, str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([ruff_binary(), "format", "--check", *config, str(path)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


# --- rendering ---------------------------------------------------------------------------------


def test_text_encoder_file(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "bert")
    _ruff_clean(text, pristine, tmp_path)
    classes = _tuple_names(_class_body_assign(text, "TFBertModelTest", "all_model_classes"))
    assert classes[0] == "TFBertModel"  # the mixin's saved-model check takes the first
    assert set(classes) == {
        "TFBertModel",
        "TFBertForMaskedLM",
        "TFBertForMultipleChoice",
        "TFBertForNextSentencePrediction",
        "TFBertForPreTraining",
        "TFBertForQuestionAnswering",
        "TFBertForSequenceClassification",
        "TFBertForTokenClassification",
        "TFBertLMHeadModel",
    }
    assert '"token_type_ids": ids_tensor' in text  # BertConfig has type_vocab_size
    assert "vocab_size=99" in text and "hidden_size=32" in text  # the tiny config verify uses
    # One check per head kind, with the shape of the table.
    assert "def create_and_check_for_masked_lm(" in text
    assert "(self.batch_size, self.seq_length, self.vocab_size)" in text
    assert "(self.batch_size, self.num_choices)" in text
    assert "def test_pt_tf_strict_equivalence(self):" in text
    assert '"fill-mask": TFBertForMaskedLM' in text
    assert 'from_pretrained("google-bert/bert-base-uncased", from_pt=True)' in text
    # The hand-written port refuses head masks: the mixin's head-masking test is off.
    assert "test_head_masking = False" in text
    # The next-sentence label of the pre-training head is added for the loss tests.
    assert 'name.endswith("_label")' in text


def test_decoder_only_file(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "gpt2")
    _ruff_clean(text, pristine, tmp_path)
    assert _tuple_names(_class_body_assign(text, "TFGPT2ModelTest", "all_generative_model_classes")) == [
        "TFGPT2LMHeadModel"
    ]
    assert "token_type_ids" not in text.split("def prepare_config_and_inputs(")[1].split("return")[0]
    assert "self.hidden_size = self.n_embd" in text  # the mixin's name for GPT-2's n_embd
    assert "pad_token_id=98" in text  # no pad id in the config: eos, remapped into the tiny vocabulary
    assert "(self.batch_size, self.num_choices, self.seq_length, self.vocab_size)" in text  # double heads
    assert '"text-generation": TFGPT2LMHeadModel' in text


def test_heads_that_change_their_config_are_listed_last(pristine: Path, tmp_path: Path) -> None:
    """The mixin builds every class of a test from one config: a head that sets ``config.num_labels``
    when built would hand its value to every class built after it, so it comes last."""
    text = _render(pristine, "gpt2")
    _ruff_clean(text, pristine, tmp_path)
    classes = _tuple_names(_class_body_assign(text, "TFGPT2ModelTest", "all_model_classes"))
    assert classes[0] == "TFGPT2Model"  # the base model stays first
    assert classes[-1] == "TFGPT2DoubleHeadsModel"  # its __init__ sets config.num_labels = 1
    assert set(classes) == {
        "TFGPT2Model",
        "TFGPT2LMHeadModel",
        "TFGPT2ForSequenceClassification",
        "TFGPT2DoubleHeadsModel",
    }
    assert "    # TFGPT2DoubleHeadsModel sets num_labels.\n    all_model_classes = (" in text
    assert "sets attributes of the config" not in _render(pristine, "bert")  # no such class: no note


def test_double_heads_check_gives_no_attention_mask_per_choice(pristine: Path) -> None:
    """A double-heads PyTorch model may flatten input_ids and not the mask: its check tiles the ids only.

    Multiple-choice heads flatten every input, and keep a tiled mask in their check.
    """
    text = _render(pristine, "gpt2")
    check = text.split("def create_and_check_double_heads_model(")[1].split("\n    def ")[0]
    assert 'self.tile_choices({key: value for key, value in inputs_dict.items() if key != "attention_mask"})' in check
    multiple_choice = _render(pristine, "bert").split("def create_and_check_for_multiple_choice(")[1]
    assert "result = model(self.tile_choices(inputs_dict))" in multiple_choice.split("\n    def ")[0]


@pytest.mark.parametrize(
    ("name", "expected", "absent"),
    [
        ("bert", "tuple(result.seq_relationship_logits.shape), (self.batch_size, 2)", "sop_logits"),
        ("albert", "tuple(result.sop_logits.shape), (self.batch_size, 2)", "seq_relationship_logits"),
        ("electra", "tuple(result.logits.shape), (self.batch_size, self.seq_length)", "prediction_logits"),
    ],
)
def test_pre_training_outputs_are_those_the_pytorch_forward_returns(
    pristine: Path, name: str, expected: str, absent: str
) -> None:
    """A pre-training head returns next-sentence, sentence-order or per-token logits, as its model has."""
    text = _render(pristine, name)
    check = text.split("def create_and_check_for_pre_training(")[1].split("\n    def ")[0]
    assert expected in check
    assert absent not in check


def test_head_masks_shared_by_groups_of_layers_turn_the_mixin_check_off(tree: Path, tmp_path: Path) -> None:
    """Layers that share weights by group take ``head_mask[a:b]``: the mixin's per-layer mask check does not hold.

    The hand-written port refuses head masks; the generated one takes them as PyTorch does.
    """
    from scaffold.new import plan_new

    assert shares_head_masks("def f(head_mask, a, b):\n    g(head_mask[a:b])\n")
    assert not shares_head_masks("def f(head_mask, i):\n    g(head_mask[i], head_mask[:, None, :, None])\n")
    checkout = open_checkout(tree)
    model = checkout.model("albert")
    (model.folder / "modeling_tf_albert.py").unlink()
    result = plan_new(checkout, model)
    text = render_test_file(checkout, model, read_exports(checkout, model, result.changes).names, result.changes)
    _ruff_clean(text, tree, tmp_path)
    assert (
        "the mixin's check that the last layer takes its own mask does not hold.\n    test_head_masking = False"
        in text
    )
    assert "head masks by group" not in _render(tree, "bert")


CONFIG_WRITING_PORT = """
class TFXPreTrainedModel(TFPreTrainedModel):
    pass


class TFXModel(TFXPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.main = TFXMainLayer(config, name="main")
        self.head.config = config  # binds another object's attribute: no write to the config

    def set_bias(self, value):
        self.config.vocab_size = 5  # not when built


class TFXDoubleHeadsModel(TFXPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        config.num_labels = 1


class TFXWideDoubleHeadsModel(TFXDoubleHeadsModel):
    pass


class TFXForQuestionAnswering(TFXPreTrainedModel):
    def __init__(self, cfg, *inputs, **kwargs):
        super().__init__(cfg, *inputs, **kwargs)
        self.config.num_labels = 2  # TFPreTrainedModel keeps the object it is handed
        setattr(cfg, "problem_type", None)
        if cfg.windows:
            cfg.windows[0] += 1


class TFXForCausalLM(TFXPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        config = copy.deepcopy(config)
        config.is_decoder = True
        super().__init__(config, *inputs, **kwargs)
        self.config.use_cache = False


class TFXForMaskedLM(TFXPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.config = copy.deepcopy(config)
        self.config.vocab_size = 5
"""


def test_config_writers_are_the_classes_that_change_the_object_they_are_handed() -> None:
    """Writes through the parameter or ``self.config`` in ``__init__``, inherited; a copy's writes do not count."""
    assert config_writers(CONFIG_WRITING_PORT) == {
        "TFXDoubleHeadsModel": ["num_labels"],
        "TFXWideDoubleHeadsModel": ["num_labels"],
        "TFXForQuestionAnswering": ["num_labels", "problem_type", "windows"],
    }
    assert config_writers("def __init__(config):\n    config.x = 1\n") == {}  # a function, not a class


@pytest.mark.parametrize(("name", "tokens"), [("vit", 1), ("deit", 2)])
def test_vision_file(pristine: Path, tmp_path: Path, name: str, tokens: int) -> None:
    text = _render(pristine, name)
    _ruff_clean(text, pristine, tmp_path)
    assert (
        '"pixel_values": floats_tensor(\n                [self.batch_size, self.num_channels, self.image_size, self.image_size], '
        "rng=self.rng\n            )" in text
    )
    assert f"self.seq_length = (self.image_size // self.patch_size) ** 2 + {tokens}" in text
    assert "input_ids" not in text.split("class TF")[1]
    assert "test_resize_embeddings = False" in text
    assert "def test_forward_signature(self):" in text
    assert '"image-classification": ' in text


def test_encoder_decoder_file(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "bart")
    _ruff_clean(text, pristine, tmp_path)
    assert (
        '"decoder_input_ids": ids_tensor([self.batch_size, self.decoder_seq_length], self.vocab_size, rng=self.rng)'
        in text
    )
    assert "is_encoder_decoder = True" in text
    # The exported abstract base (TFBartPretrainedModel) has no call: the mixin cannot build it.
    assert _tuple_names(_class_body_assign(text, "TFBartModelTest", "all_model_classes")) == [
        "TFBartModel",
        "TFBartForConditionalGeneration",
        "TFBartForSequenceClassification",
    ]
    # The classification head pools at the eos token: every row ends in exactly one, no other special id.
    ids = ast.unparse(ast.parse(text.split('"input_ids": ')[1].split('\n            "')[0].rstrip(",\n ")))
    assert ids == (
        "tf.concat([ids_tensor([self.batch_size, self.seq_length - 1], self.vocab_size - 3, rng=self.rng) + 3, "
        "tf.fill([self.batch_size, 1], 2)], axis=1)"
    )
    # It refuses input embeddings as its PyTorch twin does: the file checks the refusal.
    embeds = text.split("def test_inputs_embeds(self):")[1].split("\n    def ")[0]
    assert "refusing = (TFBartForSequenceClassification,)" in embeds
    assert "with self.assertRaises(NotImplementedError):" in embeds
    assert "StandaloneDecoder" not in text  # the hand-written port has no decoder-only head


def _render_bart_with(tree: Path, head: str, params: str) -> str:
    """The test file of the hand-written TF BART with one more head class (its call takes ``params``)."""
    checkout = open_checkout(tree)
    model = checkout.model("bart")
    port = model.folder / "modeling_tf_bart.py"
    changes = ChangeSet(tree)
    extra = f"\n\nclass {head}(TFBartPretrainedModel):\n    def call(self, {params}):\n        return None\n"
    changes.write(port, port.read_text(encoding="utf-8") + extra)
    return render_test_file(checkout, model, [*read_exports(checkout, model).names, head], changes)


def test_decoder_alone_of_an_encoder_decoder_config_gets_its_own_test_class(tree: Path, tmp_path: Path) -> None:
    """A causal LM on an encoder-decoder config runs the decoder alone: it is tested as a decoder-only model."""
    text = _render_bart_with(
        tree, "TFBartForCausalLM", "input_ids=None, attention_mask=None, encoder_hidden_states=None, labels=None"
    )
    _ruff_clean(text, tree, tmp_path)
    assert "TFBartForCausalLM" not in _tuple_names(_class_body_assign(text, "TFBartModelTest", "all_model_classes"))
    alone = text.split("class TFBartStandaloneDecoderModelTest(")[1].split("\nclass ")[0]
    assert _tuple_names(_class_body_assign(text, "TFBartStandaloneDecoderModelTest", "all_model_classes")) == [
        "TFBartForCausalLM"
    ]
    assert "is_encoder_decoder = False" in alone
    tester = text.split("class TFBartStandaloneDecoderModelTester:")[1].split("\nclass ")[0]
    assert "is_encoder_decoder=False," in tester  # the config says so too: generate() reads it
    assert "decoder_input_ids" not in tester


def test_seq2seq_question_answering_attentions_are_checked_by_field(tree: Path, tmp_path: Path) -> None:
    """Start and end logits give a seq2seq output 7 fields, which the mixin's attention test reads as wrong."""
    text = _render_bart_with(
        tree,
        "TFBartForQuestionAnswering",
        "input_ids=None, decoder_input_ids=None, start_positions=None, end_positions=None",
    )
    _ruff_clean(text, tree, tmp_path)
    seq2seq = text.split("class TFBartModelTest(")[1].split("\nclass ")[0]
    attention = seq2seq.split("def test_attention_outputs(self):")[1].split("\n    def ")[0]
    assert "two_logits = (TFBartForQuestionAnswering,)" in attention
    assert 'for name in ("encoder_attentions", "decoder_attentions", "cross_attentions"):' in attention
    assert "super().test_attention_outputs()" in attention  # the mixin still tests the other classes
    assert "def test_attention_outputs" not in _render(tree, "bert")


@pytest.mark.parametrize(
    ("name", "abstract"),
    [
        ("TFBertPreTrainedModel", True),
        ("TFBartPretrainedModel", True),
        ("TFPretrainedBartModel", True),  # a deprecated alias of the base, converted like any class
        ("TFBertForPreTraining", False),
        ("TFBertModel", False),
        ("TFBartForConditionalGeneration", False),
    ],
)
def test_abstract_pretrained_names(name: str, abstract: bool) -> None:
    from scaffold.names import is_abstract_pretrained

    assert is_abstract_pretrained(name) is abstract


TOWERS_PORT = """
class TFXPreTrainedModel(TFPreTrainedModel):
    pass


class TFXPretrainedEncoder(TFXPreTrainedModel):
    base_model_prefix = "x"


class TFXEncoder(TFXPretrainedEncoder):
    def call(self, input_ids=None):
        return input_ids


class TFXWideEncoder(TFXEncoder):
    pass


class TFXOutput:
    pass
"""


def test_model_classes_are_those_that_can_run() -> None:
    """A base without a call of its own or inherited (DPR's pretrained encoders) is not tested, whatever its name."""
    names = ["TFXPreTrainedModel", "TFXPretrainedEncoder", "TFXEncoder", "TFXWideEncoder", "TFXOutput", "TFXMissing"]
    assert tf_model_classes(TOWERS_PORT, names) == ["TFXEncoder", "TFXWideEncoder"]


def test_two_towers_get_a_test_class_each(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "clip")
    _ruff_clean(text, pristine, tmp_path)
    tests = {
        node.name: _tuple_names(_class_body_assign(text, node.name, "all_model_classes"))
        for node in ast.parse(text).body
        if isinstance(node, ast.ClassDef) and node.name.endswith("ModelTest")
    }
    assert tests == {
        "TFCLIPModelTest": ["TFCLIPModel"],
        "TFCLIPTextModelTest": ["TFCLIPTextModel"],
        "TFCLIPVisionModelTest": ["TFCLIPVisionModel"],
    }
    composite, text_tower, vision_tower = (
        text.split("class TFCLIPModelTest(")[1].split("\nclass ")[0],
        text.split("class TFCLIPTextModelTest(")[1].split("\nclass ")[0],
        text.split("class TFCLIPVisionModelTest(")[1].split("\nclass ")[0],
    )
    assert 'self.vocab_size = self.text_config["vocab_size"]' in text  # sizes of the towers' sub-configs
    assert "def test_hidden_states_output(self):" in composite and "_model_output" in composite
    assert "test_resize_embeddings = False" in composite  # no vocab_size of its own
    assert "def test_hidden_states_output(self):" not in text_tower
    assert "test_resize_embeddings = True" in text_tower
    assert "def test_inputs_embeds(self):" in text_tower  # the PyTorch text tower takes no inputs_embeds
    # The vision tower's class embedding is one more position in front of the patches.
    assert "self.seq_length = (self.image_size // self.patch_size) ** 2 + 1" in text
    assert "class_embedding" in text
    assert vision_tower


def test_every_benchmark_model_renders_valid_lint_clean_python(pristine: Path, tmp_path: Path) -> None:
    from scaffold.formatting import ruff_binary

    checkout = open_checkout(pristine)
    for name in BENCHMARK_MODELS:
        model = checkout.model(name)
        text = render_test_file(checkout, model, read_exports(checkout, model).names)
        written = tmp_path / f"test_modeling_tf_{name}.py"
        written.write_text(text)
        lint = subprocess.run(
            [ruff_binary(), "check", "--config", str(pristine / "pyproject.toml"), str(written)],
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout  # ruff-clean under the tree's settings, as `make style` wants
        tree = ast.parse(text)
        imported = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        modules = {(n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name for n in imported}
        assert not any("scaffold" in m for m in modules), name  # runs in a plain transformers checkout
        assert tf_test_path(checkout, model) == pristine / "tests" / "models" / name / f"test_modeling_tf_{name}.py"


def test_render_reads_the_port_and_mappings_through_the_changeset(tree: Path) -> None:
    """``new`` renders the test file before anything is written: the port exists only in the change."""
    checkout = open_checkout(tree)
    model = checkout.model("vit")
    port = model.folder / "modeling_tf_vit.py"
    text = port.read_text(encoding="utf-8")
    port.unlink()
    auto = checkout.tf_auto
    auto_text = auto.read_text(encoding="utf-8")
    auto.write_text(re.sub(r'\s*\("vit", "TFViT\w+"\),', "", auto_text), encoding="utf-8")
    with pytest.raises(ScaffoldError, match="no TF port"):
        render_test_file(checkout, model, ["TFViTModel", "TFViTForImageClassification"])
    changes = ChangeSet(tree)
    changes.write(port, text)
    without = render_test_file(checkout, model, ["TFViTModel", "TFViTForImageClassification"], changes)
    assert '"image-classification"' not in without  # the mappings on disk have no vit entry
    changes.write(auto, auto_text)
    rendered = render_test_file(checkout, model, ["TFViTModel", "TFViTForImageClassification"], changes)
    assert '"image-classification": TFViTForImageClassification' in rendered
    assert not port.exists()  # rendering writes nothing


def test_pipeline_mixin_only_when_the_tree_can_import_it(pristine: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    shutil.copy2(pristine / "tests" / "test_pipeline_mixin.py", tests / "test_pipeline_mixin.py")
    assert not _module_importable(tests, tests / "test_pipeline_mixin.py")  # the sdist has no tests/pipelines/
    assert "PipelineTesterMixin" not in _render(pristine, "bert")
    text = (tests / "test_pipeline_mixin.py").read_text(encoding="utf-8")
    (tests / "pipelines").mkdir()
    (tests / "pipelines" / "__init__.py").write_text("")
    for module in set(re.findall(r"from \.pipelines\.(\w+) import", text)):
        (tests / "pipelines" / f"{module}.py").write_text("")
    assert not _module_importable(tests, tests / "test_pipeline_mixin.py")  # the tiny model summary is missing
    (tests / "utils").mkdir()
    (tests / "utils" / "tiny_model_summary.json").write_text("{}")
    assert _module_importable(tests, tests / "test_pipeline_mixin.py")
    assert not _module_importable(tests, tests / "missing.py")


def test_unknown_head_kinds_leave_a_todo_and_a_valid_file(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "wav2vec2")  # audio input and heads the table has no shapes for
    _ruff_clean(text, pristine, tmp_path)
    assert "# TODO(tfscaffold): the models take input_values" in text
    assert "# TODO(tfscaffold): ForCTC is a head kind this template has no shapes for" in text


def test_config_without_start_id_or_stack_sizes(pristine: Path) -> None:
    """A T5-style config (no decoder start id, no bos id, no encoder_layers) gets what the mixin needs."""
    t5 = _render(pristine, "t5")
    assert "decoder_start_token_id=0," in t5  # its padding id, where T5 starts decoding
    assert "def test_generate_with_headmasking(self):" in t5
    bart = _render(pristine, "bart")  # has both: nothing added
    assert "def test_generate_with_headmasking(self):" not in bart
    assert "decoder_start_token_id=0," not in bart


def test_main_layer_the_mixin_builds_with_keywords(tmp_path: Path) -> None:
    """The mixin's name-keyed save/load branch is read from the tree; a main layer without that keyword gets its own test."""
    mixin = tmp_path / "test_modeling_tf_common.py"
    mixin.write_text(
        "class M:\n"
        "    def test_keras_save_load(self):\n"
        "        for main_layer_class in layers:\n"
        '            if "Word" in main_layer_class.__name__:\n'
        "                main_layer = main_layer_class(config, embed_tokens=shared)\n"
        '            if "Word" in main_layer_class.__name__:\n'
        "                model = load_model(path, custom_objects={})\n",
        encoding="utf-8",
    )
    assert _main_layer_alone(["TFWordModel"], {"TFWordMainLayer": ["config"]}, mixin) == "TFWordMainLayer"
    assert _main_layer_alone(["TFWordModel"], {"TFWordMainLayer": ["config", "embed_tokens"]}, mixin) is None
    assert _main_layer_alone(["TFOtherModel"], {"TFOtherMainLayer": ["config"]}, mixin) is None
    assert _main_layer_alone(["TFWordModel"], {"TFWordMainLayer": ["config"]}, tmp_path / "missing.py") is None
    mixin.write_text("def broken(:\n", encoding="utf-8")
    assert _main_layer_alone(["TFWordModel"], {"TFWordMainLayer": ["config"]}, mixin) is None


def test_no_model_name_in_the_code() -> None:
    """Everything model-specific is data derived from the tree: no model name in code or template."""
    names = set(BENCHMARK_MODELS) | set(FRESH_MODELS) | {"vit", "deit"}
    words: list[str] = []
    for module in ("testgen.py", "portfacts.py", "testrun.py"):
        source = (PROJECT / "scaffold" / module).read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                words.append(tok.string.lower())
            elif tok.type == tokenize.STRING and not tok.string.startswith(('"""', "'''")):
                words.extend(w.lower() for w in re.findall(r"[A-Za-z0-9]+", tok.string))
    template = (templates_dir() / "test_modeling_tf.py.j2").read_text(encoding="utf-8")
    code_lines = [line for line in template.splitlines() if not line.lstrip().startswith("#")]
    words.extend(w.lower() for w in re.findall(r"[A-Za-z0-9]+", "\n".join(code_lines)))
    assert not names & set(words)


def test_bad_input(pristine: Path, tree: Path) -> None:
    checkout = open_checkout(pristine)
    with pytest.raises(ScaffoldError, match="invalid public TF name"):
        render_test_file(checkout, checkout.model("bert"), ["TFBertModel", "not a name"])
    with pytest.raises(ScaffoldError, match="none of the public TF names"):
        render_test_file(checkout, checkout.model("bert"), ["TFBertMainLayer"])
    with pytest.raises(ScaffoldError, match="no TF port"):
        render_test_file(checkout, checkout.model("llama"), ["TFLlamaModel"])
    broken = open_checkout(tree)
    port = broken.model("bert").folder / "modeling_tf_bert.py"
    port.write_text("class TFBertModel(:\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="does not parse"):
        render_test_file(broken, broken.model("bert"), ["TFBertModel"])


# --- sync_all_model_classes --------------------------------------------------------------------

FILE = """import unittest  # keep me

from transformers import is_tf_available


class TFXModelTest(unittest.TestCase):
    all_model_classes = (
        (
            TFXModel,
            TFXForMaskedLM,
        )
        if is_tf_available()
        else ()
    )
    other = (TFXModel,)  # not the tuple

    def test_x(self):
        pass   # odd spacing stays
"""


def test_sync_adds_and_removes_classes_and_keeps_everything_else() -> None:
    out = sync_all_model_classes(FILE, ["TFXModel", "TFXForCausalLM"])
    assert _tuple_names(_class_body_assign(out, "TFXModelTest", "all_model_classes")) == ["TFXModel", "TFXForCausalLM"]
    before, after = FILE.split("all_model_classes")[0], FILE.split("if is_tf_available()")[1]
    assert out.startswith(before) and out.endswith(after)  # byte-identical outside the tuple
    assert "            TFXForCausalLM,\n" in out  # one per line, like the others
    assert sync_all_model_classes(out, ["TFXModel", "TFXForCausalLM"]) == out  # idempotent
    assert sync_all_model_classes(FILE, ["TFXModel", "TFXForMaskedLM"]) == FILE


def test_sync_one_line_tuples_and_single_names() -> None:
    text = "class T:\n    all_model_classes = (A, B)\n    x = 1\n"
    assert sync_all_model_classes(text, ["A"]) == "class T:\n    all_model_classes = (A,)\n    x = 1\n"
    assert sync_all_model_classes(text, ["A", "B", "C"]) == "class T:\n    all_model_classes = (A, B, C)\n    x = 1\n"
    empty = "class T:\n    all_model_classes = ()\n"
    assert sync_all_model_classes(empty, ["A"]) == "class T:\n    all_model_classes = (A,)\n"


def test_sync_keeps_each_tower_in_its_own_test_class() -> None:
    text = (
        "class TextTest:\n    all_model_classes = (TFXTextModel,)\n\n\n"
        "class VisionTest:\n    all_model_classes = (TFXVisionModel,)\n"
    )
    out = sync_all_model_classes(text, ["TFXTextModel", "TFXVisionModel", "TFXModel"])
    assert _tuple_names(_class_body_assign(out, "TextTest", "all_model_classes")) == ["TFXTextModel", "TFXModel"]
    assert _tuple_names(_class_body_assign(out, "VisionTest", "all_model_classes")) == ["TFXVisionModel"]


def test_sync_bad_input() -> None:
    with pytest.raises(ScaffoldError, match="does not parse"):
        sync_all_model_classes("class T(:\n", ["A"])
    with pytest.raises(ScaffoldError, match="no all_model_classes"):
        sync_all_model_classes("x = 1\n", ["A"])
    with pytest.raises(ScaffoldError, match="invalid class name"):
        sync_all_model_classes(FILE, ["TFXModel", "1bad"])


# --- running a test file -----------------------------------------------------------------------


def _fake_tree(root: Path, body: str) -> Path:
    (root / "src" / "transformers" / "models" / "foo").mkdir(parents=True)
    (root / "src" / "transformers" / "__init__.py").write_text("")
    (root / "src" / "transformers" / "models" / "foo" / "__init__.py").write_text("")
    folder = root / "tests" / "models" / "foo"
    folder.mkdir(parents=True)
    for d in (root / "tests", root / "tests" / "models", folder):
        (d / "__init__.py").write_text("")
    (folder / "test_modeling_tf_foo.py").write_text(body, encoding="utf-8")
    return root


def test_run_test_file_counts_and_reasons(tmp_path: Path) -> None:
    body = (
        "import os\nimport unittest\n\n\n"
        "class TFFooTest(unittest.TestCase):\n"
        "    def test_ok(self):\n"
        "        self.assertEqual(os.environ['HF_HUB_OFFLINE'], '1')\n"
        "        self.assertTrue(os.environ['PYTHONPATH'].startswith(os.path.join(os.getcwd(), 'src')))\n\n"
        "    def test_bad(self):\n        self.assertEqual(1, 2)\n\n"
        "    def test_error(self):\n        raise RuntimeError('boom')\n\n"
        "    @unittest.skip('test is slow')\n    def test_slow(self):\n        pass\n\n"
        "    @unittest.skip('something else')\n    def test_other(self):\n        pass\n"
    )
    root = _fake_tree(tmp_path / "t", body)
    result = run_test_file(root, "foo", timeout=300)
    assert (result["passed"], result["failed"], result["errors"], result["skipped"]) == (1, 2, 0, 2)
    prefix = "tests/models/foo/test_modeling_tf_foo.py::TFFooTest::"
    assert sorted(result["failed_ids"]) == [prefix + "test_bad", prefix + "test_error"]
    assert result["skip_reasons"] == {prefix + "test_slow": "test is slow", prefix + "test_other": "something else"}
    assert result["unexpected_skips"] == {prefix + "test_other": "something else"}
    assert "boom" in result["messages"][prefix + "test_error"]


def test_run_test_file_collection_error_and_bad_input(tmp_path: Path) -> None:
    root = _fake_tree(tmp_path / "t", "import no_such_module_anywhere\n")
    result = run_test_file(root, "foo", timeout=300)
    assert result["errors"] == 1 and result["passed"] == 0
    with pytest.raises(ScaffoldError, match="no model"):
        run_test_file(root, "bar", timeout=300)
    (root / "tests" / "models" / "foo" / "test_modeling_tf_foo.py").unlink()
    with pytest.raises(ScaffoldError, match="does not exist"):
        run_test_file(root, "foo", timeout=300)


# --- L5: the generated file under the tree's TFModelTesterMixin --------------------------------


# The generated file under the mixin (L5) runs in tests/test_ports.py (bert, vit, on their generated ports);
# the benchmark runs it for every model (bench/port_benchmark.py). Running it on hand-written ports as well
# (BART, BERT) cost two to three minutes of CI each and found nothing the generated ports' runs did not.


# The generated port's own L5 run is tests/test_ports.py (bert and vit), beside its L4 check.


def test_head_table_uses_only_known_sizes() -> None:
    for kind, spec in HEADS.items():
        for output, shape in spec["outputs"].items():
            assert shape[0] == "batch", (kind, output)
            assert all(symbol in SYMBOLS for symbol in shape), (kind, output)


def test_convolutional_file(pristine: Path, tmp_path: Path) -> None:
    text = _render(pristine, "convnext")
    _ruff_clean(text, pristine, tmp_path)
    assert "has_attentions = False" in text
    # feature maps, not (batch, seq, hidden), and as many per stage as the model's layout has (swiftformer
    # returns two per stage): counted and shaped against the PyTorch model, not guessed from the config
    hidden = text[text.index("def test_hidden_states_output(self):") :]
    assert hidden.index('self._check_stack_against_pytorch("hidden_states")') < hidden.index("\n    def ")
    assert "def _check_stack_against_pytorch(self, key):" in text
    assert "# TODO(tfscaffold): the feature map shape of a convolutional base model" in text


def test_classes_of_one_config_with_different_inputs(tree: Path, tmp_path: Path) -> None:
    """A generated two-tower port has an image classifier on the composite config: pixels only."""
    from scaffold.new import plan_new

    checkout = open_checkout(tree)
    model = checkout.model("clip")
    (model.folder / "modeling_tf_clip.py").unlink()
    result = plan_new(checkout, model)
    names = read_exports(checkout, model, result.changes).names
    assert "TFCLIPForImageClassification" in names
    text = render_test_file(checkout, model, names, result.changes)
    _ruff_clean(text, tree, tmp_path)
    composite = text.split("class TFCLIPModelTest(")[1].split("\nclass ")[0]
    assert "self.model_tester.inputs_for(model_class, inputs_dict)" in composite
    assert '"TFCLIPForImageClassification": "pixel_values",' in composite
    assert '"TFCLIPModel": "input_ids",' in composite


def test_no_checkpoint_leaves_a_todo(tree: Path, tmp_path: Path) -> None:
    checkout = open_checkout(tree)
    model = checkout.model("vit")
    pt_file = model.folder / "modeling_vit.py"
    text = pt_file.read_text(encoding="utf-8")
    pt_file.write_text(re.sub(r'^_CHECKPOINT_FOR_DOC = ".*"$', "", text, flags=re.M), encoding="utf-8")
    rendered = render_test_file(checkout, model, read_exports(checkout, model).names)
    _ruff_clean(rendered, tree, tmp_path)
    assert "# TODO(tfscaffold): no checkpoint found" in rendered
    assert 'self.skipTest("no checkpoint named for this model yet")' in rendered
    assert "from_pt=True" in rendered


def test_a_cache_object_pytorch_returns_is_compared_as_its_tuples(tree: Path, tmp_path: Path) -> None:
    """Gemma2 returns its HybridCache as it is; the port returns (key, value) tuples (TF outputs are tensors)."""
    from scaffold.new import plan_new
    from scaffold.portfacts import read_pt_facts

    models = open_checkout(tree).models
    facts = {
        m: read_pt_facts(models[m].folder / f"modeling_{m}.py").returns_cache_object
        for m in ("gemma2", "llama", "bert")
    }
    assert facts == {"gemma2": True, "llama": False, "bert": False}  # llama returns to_legacy_cache(); bert no cache
    checkout = open_checkout(tree)
    model = checkout.model("gemma2")
    result = plan_new(checkout, model)
    text = render_test_file(checkout, model, read_exports(checkout, model, result.changes).names, result.changes)
    _ruff_clean(text, tree, tmp_path)
    override = text.split("    def check_pt_tf_outputs(self, tf_outputs, pt_outputs,")[1].split("\n    def ")[0]
    assert "pt_outputs = _legacy_cache(pt_outputs)" in override
    bert = (
        _render(tree, "bert")
        .split("    def check_pt_tf_outputs(self, tf_outputs, pt_outputs,")[1]
        .split("\n    def ")[0]
    )
    assert "_legacy_cache" not in bert and "RTOL *" in bert  # every file scales the tolerance; only gemma2 converts


def test_stacks_the_mixin_cannot_count_are_checked_against_pytorch(pristine: Path, tmp_path: Path) -> None:
    """Heads divided by a config ratio, stages from config.depths, and towers: counted by PyTorch."""
    convbert = _render(pristine, "convbert")
    _ruff_clean(convbert, pristine, tmp_path)
    attention = convbert.split("def test_attention_outputs(self):")[1].split("\n    def ")[0]
    assert '_check_stack_against_pytorch("attentions")' in attention
    assert "test_head_masking = False" in convbert  # a mask of config.num_attention_heads rows fits no layer

    groupvit = _render(pristine, "groupvit")
    _ruff_clean(groupvit, pristine, tmp_path)
    vision = groupvit.split("class TFGroupViTVisionModelTest(")[1].split("\nclass ")[0]
    composite = groupvit.split("class TFGroupViTModelTest(")[1].split("\nclass ")[0]
    for body in (vision, composite):  # stages of config.depths, though the config has num_hidden_layers
        hidden = body.split("def test_hidden_states_output(self):")[1].split("\n    def ")[0]
        assert '_check_stack_against_pytorch("hidden_states")' in hidden
    assert "def _stacks(outputs, key):" in groupvit

    bert = _render(pristine, "bert")
    assert "_check_stack_against_pytorch" not in bert and "def _stacks" not in bert


def test_text_and_patches_in_one_sequence(pristine: Path, tmp_path: Path) -> None:
    """A tower that takes input_ids and pixel_values together: its sequence is the model's own layout."""
    text = _render(pristine, "layoutlmv3")
    _ruff_clean(text, pristine, tmp_path)
    hidden = text.split("def test_hidden_states_output(self):")[1].split("\n    def ")[0]
    assert '_check_stack_against_pytorch("hidden_states")' in hidden
    loss = text.split("def test_loss_computation(self):")[1].split("\n    def ")[0]
    assert "model(**prepared)" in loss and "model(prepared)" in loss  # every input, not one by position
    model_check = text.split("def create_and_check_model(")[1].split("\n    def ")[0]
    assert "self.seq_length" not in model_check and "only the batch size is checked" in model_check
    assert "def test_loss_computation" not in _render(pristine, "clip")  # two towers: no labels to feed
