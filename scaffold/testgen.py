"""The TF test file of a port: ``tests/models/<m>/test_modeling_tf_<m>.py``, from a Jinja template.

A port is not done until transformers' own ``TFModelTesterMixin`` runs on it, and the mixin alone
is not enough: it passes on a port whose LayerNorm epsilon was left at the Keras default. So the
generated file also carries a strict PyTorch/TF equivalence test (weights nudged off their
initial values, every output within ``1e-5 + 1e-5 * max|pt|``, as ``verify`` judges) that is not
gated by ``RUN_PT_TF_CROSS_TESTS``.

Everything model-specific is derived here, in Python, as data for the template: the tiny config
(the same :func:`scaffold.verify.tinyconfig.tiny_config` that ``verify`` builds from), the inputs
(from the PyTorch ``forward`` signatures), the expected output shapes (from a table keyed by head
kind), the pipeline mapping (from the TF auto mappings, read through the ChangeSet because ``new``
writes them in the same change). No model name appears in this module or in the template.
What cannot be derived becomes a ``# TODO(tfscaffold): ...`` line in a file that stays valid.

The generated file never imports tfscaffold: it must run in a plain transformers checkout.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from scaffold.changeset import ChangeSet, read_text
from scaffold.checkout import Checkout, Model
from scaffold.errors import ScaffoldError
from scaffold.formatting import ruff_format
from scaffold.names import sort_imports
from scaffold.portfacts import (
    PTFacts,
    attribute_maps,
    config_archive_checkpoint,
    config_writers,
    read_pt_facts,
    refuses_head_mask,
    refusing_inputs_embeds,
    serializable_layers,
    shares_head_masks,
    testable_model_classes,
    tf_call_params,
)
from scaffold.resources import copyright_year, templates_dir
from scaffold.verify.tinyconfig import read_config_signatures, tiny_config

TEMPLATE = "test_modeling_tf.py.j2"
TODO = "TODO(tfscaffold)"
BATCH_SIZE = 13
SEQ_LENGTH = 7
NUM_LABELS = 3
NUM_CHOICES = 4

# What a head returns, by the part of the class name after the model prefix: output name ->
# shape in symbols the tester knows (see SYMBOLS). ``choices``: the head takes inputs of shape
# (batch, num_choices, ...). ``choice_mask`` False: its check gives it no attention mask, since a
# double-heads PyTorch model flattens input_ids but may take the mask as (batch, seq) only (the mixin
# still tests multiple-choice heads with every input tiled). ``labels``: the head's width is
# config.num_labels. Longer keys win (ForImageClassificationWithTeacher before ForImageClassification).
HEADS: dict[str, dict[str, Any]] = {
    "Model": {"outputs": {"last_hidden_state": ("batch", "seq", "hidden")}},
    "ForMaskedLM": {"outputs": {"logits": ("batch", "seq", "vocab")}},
    "ForCausalLM": {"outputs": {"logits": ("batch", "seq", "vocab")}},
    "LMHeadModel": {"outputs": {"logits": ("batch", "seq", "vocab")}},
    # the outputs a model's pre-training head has (next sentence, sentence order, per-token
    # discriminator logits): the PyTorch forward's output fields choose among them
    "ForPreTraining": {
        "outputs": {
            "prediction_logits": ("batch", "seq", "vocab"),
            "seq_relationship_logits": ("batch", "2"),
            "sop_logits": ("batch", "2"),
            "logits": ("batch", "seq"),
        }
    },
    "ForNextSentencePrediction": {"outputs": {"logits": ("batch", "2")}},
    "ForSequenceClassification": {"outputs": {"logits": ("batch", "labels")}, "labels": True},
    "ForTokenClassification": {"outputs": {"logits": ("batch", "seq", "labels")}, "labels": True},
    "ForQuestionAnswering": {"outputs": {"start_logits": ("batch", "seq"), "end_logits": ("batch", "seq")}},
    "ForMultipleChoice": {"outputs": {"logits": ("batch", "choices")}, "choices": True},
    "DoubleHeadsModel": {
        "outputs": {"logits": ("batch", "choices", "seq", "vocab"), "mc_logits": ("batch", "choices")},
        "choices": True,
        "choice_mask": False,
    },
    "ForImageClassification": {"outputs": {"logits": ("batch", "labels")}, "labels": True},
    "ForImageClassificationWithTeacher": {"outputs": {"logits": ("batch", "labels")}, "labels": True},
    "ForMaskedImageModeling": {"outputs": {"reconstruction": ("batch", "channels", "image", "image")}},
    "ForConditionalGeneration": {"outputs": {"logits": ("batch", "decoder_seq", "vocab")}},
}

# Shape symbols of HEADS -> the tester attribute (or literal) that gives the size.
SYMBOLS: dict[str, str] = {
    "batch": "self.batch_size",
    "seq": "self.seq_length",
    "decoder_seq": "self.decoder_seq_length",
    "vocab": "self.vocab_size",
    "hidden": "self.hidden_size",
    "labels": "self.num_labels",
    "choices": "self.num_choices",
    "channels": "self.num_channels",
    "image": "self.image_size",
    "2": "2",
}

# Pipeline task -> TF auto mappings whose classes serve it (transformers' pipelines/__init__.py,
# the "tf" entries of SUPPORTED_TASKS). First mapping that has a class of the model wins.
PIPELINE_TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("feature-extraction", ("TF_MODEL_MAPPING_NAMES",)),
    ("fill-mask", ("TF_MODEL_FOR_MASKED_LM_MAPPING_NAMES",)),
    ("image-classification", ("TF_MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",)),
    ("image-feature-extraction", ()),  # PyTorch-only pipeline in 4.46
    ("question-answering", ("TF_MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",)),
    ("summarization", ("TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",)),
    ("text-classification", ("TF_MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",)),
    ("text-generation", ("TF_MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",)),
    ("text2text-generation", ("TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",)),
    ("token-classification", ("TF_MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",)),
    ("translation", ("TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",)),
    ("zero-shot", ("TF_MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",)),
    ("zero-shot-image-classification", ("TF_MODEL_FOR_ZERO_SHOT_IMAGE_CLASSIFICATION_MAPPING_NAMES",)),
)

# Mappings whose classes generate text: the mixin's generate tests run on them.
GENERATIVE_MAPPINGS = ("TF_MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES")

# The image size of the tester when the config has none (``scaffold.verify`` builds such models with it too).
IMAGE_SIZE_WITHOUT_CONFIG = 32

# Attributes the mixin reads from the tester -> config parameter names that may hold them
# (besides the config's own attribute_map).
MIXIN_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "vocab_size": ("vocab_size",),
    "hidden_size": ("hidden_size", "n_embd", "d_model", "embed_dim", "dim"),
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "encoder_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "encoder_attention_heads"),
    "image_size": ("image_size",),
    "patch_size": ("patch_size",),
    "num_channels": ("num_channels",),
    "type_vocab_size": ("type_vocab_size",),
    # Convolutional stages: how many feature maps, and the width of the first.
    "num_stages": ("num_stages",),
    "depths": ("depths",),
    "hidden_sizes": ("hidden_sizes",),
}


_UNKNOWN = object()


def _head_of(name: str, prefix: str) -> str:
    """``TFBertForMaskedLM`` -> ``ForMaskedLM``: the part after the model prefix."""
    rest = name[2:] if name.startswith("TF") else name
    return rest[len(prefix) :] if rest.startswith(prefix) else rest


def _head_kind(head: str) -> str | None:
    if head in HEADS:
        return head
    for key in sorted(HEADS, key=len, reverse=True):
        if key != "Model" and head.endswith(key):
            return key
    return None


def _prefix(model_classes: list[str]) -> str:
    """The model prefix (``Bert``): from the shortest ``TF<Prefix>Model`` class."""
    bases = sorted((n for n in model_classes if n.endswith("Model") and n.startswith("TF")), key=len)
    if bases:
        return bases[0][2 : -len("Model")]
    return model_classes[0][2:] if model_classes else ""


def _module_importable(tests_dir: Path, module_file: Path) -> bool:
    """Whether a test helper module of the tree imports: every relative import and data file it names is there.

    Why not try importing it: that needs transformers, torch and TensorFlow in this process. The
    4.46.3 sdist has ``tests/test_pipeline_mixin.py`` but not the ``tests/pipelines/`` package it
    imports, nor ``tests/utils/`` that ``test_configuration_common.py`` imports.
    """
    if not module_file.is_file():
        return False
    try:
        tree = ast.parse(read_text(module_file))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module_file.parent
            for _ in range(node.level - 1):
                base = base.parent
            parts = (node.module or "").split(".") if node.module else []
            target = base.joinpath(*parts)
            if not (target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()):
                if parts or not all((base / f"{a.name}.py").is_file() for a in node.names):
                    return False
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if re.fullmatch(r"tests/[\w/.-]+\.json", value) and not (tests_dir.parent / value).is_file():
                return False
    return True


# --- the data the template renders ------------------------------------------------------------


def _literal(value: Any) -> str:
    return repr(value)


@dataclass
class Group:
    """One tester and one test class: the model classes built from the same config class."""

    config_class: str
    tester: str
    test: str
    classes: list[str]
    params: list[tuple[str, str]]  # tester keyword parameters (name, literal) that go into the config
    aliases: list[tuple[str, str]]  # mixin attribute -> expression over the tester's attributes
    inputs: list[dict[str, str]]
    heads: list[dict[str, Any]]
    generative: list[str]
    pipeline: list[tuple[str, str]]
    flags: dict[str, Any]
    seq_length: str
    todos: list[str]
    extra_tokens: list[str]
    is_vision: bool
    is_text: bool
    is_encoder_decoder: bool
    uses_choices: bool
    extra_labels: bool
    unlabelled_heads: list[str]
    mixed_inputs: list[str]  # classes that take only some of the group's inputs
    main_inputs: dict[str, str]  # class -> its first input
    refuse_embeds: list[str] = field(default_factory=list)  # classes whose call refuses inputs_embeds
    config_writers: dict[str, list[str]] = field(default_factory=dict)  # class -> config attributes it sets
    # encoder-decoder classes returning start and end logits: the mixin's attention test counts
    # seq2seq output fields by a rule (a multiple of 2 or 5) that their seven fields break
    two_logit_seq2seq: list[str] = field(default_factory=list)


def _resolve(name: str, values: dict[str, Any], defaults: dict[str, Any], amap: dict[str, str]) -> Any:
    for key in (name, amap.get(name)):
        if key is None:
            continue
        if key in values:
            return values[key]
        if key in defaults and defaults[key] is not _UNKNOWN:
            return defaults[key]
    return _UNKNOWN


def _mappings(checkout: Checkout, changes: ChangeSet | None) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    from scaffold.registry.auto import read_mappings

    path = checkout.tf_auto
    text = changes.current(path) if changes is not None else (read_text(path) if path.is_file() else None)
    if text is None:
        return {}
    found = read_mappings(path, text, checkout.root)
    return {name: [(e.key, e.classes) for e in entries] for name, entries in found.entries.items()}


def _split_standalone(
    pt: PTFacts,
    config_class: str,
    classes: list[str],
    tiny: Any,
    signatures: dict[str, Any],
    amaps: dict[str, dict[str, str]],
) -> tuple[list[str], list[str]]:
    """The classes of an encoder-decoder config that run both stacks, and those that run one alone.

    Why apart: the mixin reads ``is_encoder_decoder`` per test class, and a decoder run alone
    (``ForCausalLM``) or an encoder run alone returns no encoder/decoder pairs of outputs; its
    tests are those of a decoder-only (or encoder-only) model, as transformers' own tests of
    such models keep them in a second test class.
    """
    sig = signatures.get(config_class)
    defaults = dict(sig.defaults) if sig is not None else {}
    values = dict(tiny.for_class(config_class))
    if _resolve("is_encoder_decoder", values, defaults, amaps.get(config_class, {})) is not True:
        return classes, []
    both = [n for n in classes if "decoder_input_ids" in pt.forward(n[2:])]
    if not both:
        return classes, []
    return both, [n for n in classes if n not in both]


def _standalone_kind(pt: PTFacts, classes: list[str]) -> str | None:
    """``StandaloneDecoder`` when the classes run the decoder alone (they take encoder states), else ``EncoderOnly``."""
    if not classes:
        return None
    takes_encoder_states = any("encoder_hidden_states" in pt.forward(n[2:]) for n in classes)
    return "StandaloneDecoder" if takes_encoder_states else "EncoderOnly"


def _eos_ended_ids(values: dict[str, Any], defaults: dict[str, Any], amap: dict[str, str]) -> str | None:
    """input_ids that end in one eos token and hold no other special token, or None without an eos id.

    Why: a head that pools the hidden state at the eos token (BART's sequence classification,
    as its PyTorch forward does) needs the same number of them in every row; random ids would
    hold any number. Ids below the largest special id are left out so none is drawn by chance.
    """
    eos = _resolve("eos_token_id", values, defaults, amap)
    if not isinstance(eos, int) or isinstance(eos, bool):
        return None
    special = [eos]
    for key in ("pad_token_id", "bos_token_id", "decoder_start_token_id"):
        value = _resolve(key, values, defaults, amap)
        if isinstance(value, int) and not isinstance(value, bool):
            special.append(value)
    low = max(special) + 1
    return (
        f"tf.concat([ids_tensor([self.batch_size, self.seq_length - 1], self.vocab_size - {low}, rng=self.rng) + {low}, "
        f"tf.fill([self.batch_size, 1], {eos})], axis=1)"
    )


def _sequence_length(
    pt: PTFacts, names: set[str], is_text: bool, is_vision: bool, todos: list[str]
) -> tuple[str, list[str]]:
    """The tester's sequence length as code, and the embeddings' extra tokens.

    Text takes the tester's; vision has one token per patch plus the unconditional ``*_token``
    parameters of the embeddings (a class token, a distillation token).
    """
    extra_tokens: list[str] = []
    for cls in pt.classes.values():
        if cls.name.endswith("Embeddings"):
            extra_tokens.extend(t for t in cls.tokens if t not in extra_tokens)
    if is_text:
        return "seq_length", extra_tokens
    if is_vision and {"image_size", "patch_size"} <= names:
        patches = "(self.image_size // self.patch_size) ** 2"
        return patches + (f" + {len(extra_tokens)}" if extra_tokens else ""), extra_tokens
    if is_vision:
        todos.append("the sequence length of the hidden states (no image_size and patch_size in the config)")
    return "seq_length", extra_tokens


def _build_group(
    checkout: Checkout,
    model: Model,
    pt: PTFacts,
    config_class: str,
    classes: list[str],
    prefix: str,
    tf_calls: dict[str, list[str]],
    mappings: dict[str, list[tuple[str, tuple[str, ...]]]],
    tiny: Any,
    signatures: dict[str, Any],
    amaps: dict[str, dict[str, str]],
    head_mask_departure: str | None,
    standalone: str | None = None,
) -> Group:
    todos: list[str] = []
    values = dict(tiny.for_class(config_class))
    if standalone:  # one stack of an encoder-decoder config, run alone
        values["is_encoder_decoder"] = False
    sig = signatures.get(config_class)
    defaults = dict(sig.defaults) if sig is not None else {}
    amap = amaps.get(config_class, {})

    # Inputs: the modalities the PyTorch forwards take (a two-tower model needs text and pixels).
    forward: set[str] = set()
    for name in classes:
        forward.update(pt.forward(name[2:]))
    is_text = "input_ids" in forward
    is_vision = "pixel_values" in forward
    is_encoder_decoder = "decoder_input_ids" in forward and bool(
        _resolve("is_encoder_decoder", values, defaults, amap) is True
    )
    inputs = _group_inputs(forward, values, defaults, amap, is_text, is_vision, is_encoder_decoder, todos)
    _pad_and_eos(pt, classes, values, defaults, amap, is_text, inputs)
    _ignore_index_as_mixin(pt, values, defaults)
    _initializer_factor_as_upstream(values, defaults)
    if is_encoder_decoder:
        _decoder_start(values, defaults, amap)
    params = [(k, _literal(v)) for k, v in values.items() if k.isidentifier()]
    have = {k for k, _ in params}
    aliases = _mixin_aliases(have, values, defaults, amap, sig, signatures, amaps)
    if is_vision and "image_size" not in have | {a for a, _ in aliases}:
        # a config without an image size (convolutional models take any): the size verify feeds them
        aliases.append(("image_size", str(IMAGE_SIZE_WITHOUT_CONFIG)))

    names = have | {a for a, _ in aliases}
    seq_length, extra_tokens = _sequence_length(pt, names, is_text, is_vision, todos)

    # Several towers (sub-configs): outputs and hidden states come per tower.
    composite = bool(sig is not None and any(p in values for p in sig.sub_configs))
    convolutional = is_vision and "output_attentions" not in forward
    # text and pixels in one forward of one tower: one sequence of tokens and patches
    mixed_sequence = is_text and is_vision and not composite
    heads = _group_heads(pt, classes, prefix, tf_calls, names, inputs, convolutional, composite, mixed_sequence)
    pipeline, generative = _pipelines_and_generation(mappings, classes, prefix)

    # no depth the mixin could count hidden states and attentions by (stages of several depths,
    # whether or not the config also has a num_hidden_layers)
    depth_unknown = not composite and not convolutional and ("num_hidden_layers" not in names or pt.stage_depths)
    depth_unknown = depth_unknown or mixed_sequence  # counted right, but shaped by the model's layout
    takes_head_mask = any("head_mask" in tf_calls.get(n, []) for n in classes)
    head_mask = takes_head_mask and head_mask_departure is None
    flags = {
        "has_attentions": "output_attentions" in forward,
        # a head mask has config.num_attention_heads rows; attention modules that divide them take none
        "test_head_masking": head_mask and "output_attentions" in forward and not pt.divides_heads,
        "head_mask_note": head_mask_departure if takes_head_mask and head_mask_departure != "refused" else None,
        "test_resize_embeddings": is_text
        and _resolve("vocab_size", values, defaults, amap) is not _UNKNOWN
        and any(pt.defines(n[2:], "get_input_embeddings") for n in classes),
        "inputs_embeds": "inputs_embeds" in forward,
        "composite": composite,
        "test_onnx": (checkout.root / "utils" / "tf_ops" / "onnx.json").is_file(),
        "is_encoder_decoder": is_encoder_decoder,
        "convolutional": convolutional,
        # newer trees' PreTrainedModel returns a text model's embed_tokens itself
        "input_embeddings": any(pt.defines(n[2:], "get_input_embeddings") for n in classes)
        or (checkout.implies_embedding_accessors and is_text),
        # the mixin's generate-with-head-masks test reads config.encoder_layers and friends
        "depth_unknown": depth_unknown,
        "headmask_sizes": is_encoder_decoder and _resolve("encoder_layers", values, defaults, amap) is _UNKNOWN,
        # PyTorch returns its cache object, the port the object's (key, value) tuples
        "cache_object": pt.returns_cache_object,
        # attentions have fewer heads than config.num_attention_heads, which the mixin expects
        "heads_divided": pt.divides_heads and not depth_unknown and "output_attentions" in forward,
        # the classes take several of the inputs the mixin's loss test feeds by position
        "mixed_sequence": mixed_sequence,
        # a test compares hidden states or attentions with the PyTorch model's (count and shapes)
        "stack_checks": depth_unknown or convolutional or composite or pt.divides_heads,
    }
    base = f"TF{config_class[: -len('Config')]}" if config_class.endswith("Config") else f"TF{prefix}"
    base += standalone or ""
    return Group(
        config_class=config_class,
        tester=f"{base}ModelTester",
        test=f"{base}ModelTest",
        classes=classes,
        params=params,
        aliases=aliases,
        inputs=inputs,
        heads=heads,
        generative=generative,
        pipeline=pipeline,
        flags=flags,
        seq_length=seq_length,
        todos=todos,
        extra_tokens=extra_tokens,
        is_vision=is_vision,
        is_text=is_text,
        is_encoder_decoder=is_encoder_decoder,
        uses_choices=any(h.get("choices") for h in heads if h["new"]),
        extra_labels=any(p.endswith("_label") for n in classes for p in tf_calls.get(n, [])),
        mixed_inputs=[n for n in classes if any(i["name"] not in pt.forward(n[2:]) for i in inputs)],
        main_inputs={
            n: next((i["name"] for i in inputs if i["name"] in pt.forward(n[2:])), "input_ids") for n in classes
        },
        unlabelled_heads=[
            n for n in classes if _head_of(n, prefix) != "Model" and "labels" not in tf_calls.get(n, [])
        ],
    )


# A config whose only initialisation scale is a factor (``initializer_factor`` and no
# ``initializer_range``: T5 and its family) draws an untied LM head with std = factor: at the default
# 1.0 the tiny config's logits reach about 17, while the mixin compares the frameworks' outputs with an
# absolute 1e-5. transformers' own testers of these configs use this factor.
TESTER_INITIALIZER_FACTOR = 0.002


def _initializer_factor_as_upstream(values: dict[str, Any], defaults: dict[str, Any]) -> None:
    if "initializer_factor" in defaults and "initializer_range" not in defaults and "initializer_factor" not in values:
        values["initializer_factor"] = TESTER_INITIALIZER_FACTOR


def _ignore_index_as_mixin(pt: PTFacts, values: dict[str, Any], defaults: dict[str, Any]) -> None:
    """The mixin masks label positions with -100, PyTorch's default ignore_index; a loss that takes
    its ignore_index from the config (a segmentation head's 255) would read -100 as a class."""
    for attr in sorted(pt.ignore_index_attributes):
        if attr in defaults or attr in values:
            values[attr] = -100


def _group_inputs(
    forward: set[str],
    values: dict[str, Any],
    defaults: dict[str, Any],
    amap: dict[str, str],
    is_text: bool,
    is_vision: bool,
    is_encoder_decoder: bool,
    todos: list[str],
) -> list[dict[str, str]]:
    """The tester's inputs, for the modalities the PyTorch forwards take."""
    inputs: list[dict[str, str]] = []
    if is_text:
        inputs.append(
            {
                "name": "input_ids",
                "make": "ids_tensor([self.batch_size, self.seq_length], self.vocab_size, rng=self.rng)",
            }
        )
        if "attention_mask" in forward:
            inputs.append(
                {
                    "name": "attention_mask",
                    "make": "random_attention_mask([self.batch_size, self.seq_length], rng=self.rng)",
                }
            )
        types = _resolve("type_vocab_size", values, defaults, amap)
        if "token_type_ids" in forward and isinstance(types, int) and types > 0:
            inputs.append(
                {
                    "name": "token_type_ids",
                    "make": "ids_tensor([self.batch_size, self.seq_length], self.type_vocab_size, rng=self.rng)",
                }
            )
    if is_vision:
        inputs.append(
            {
                "name": "pixel_values",
                "make": "floats_tensor([self.batch_size, self.num_channels, self.image_size, self.image_size], rng=self.rng)",
            }
        )
    if is_encoder_decoder:
        inputs.append(
            {
                "name": "decoder_input_ids",
                "make": "ids_tensor([self.batch_size, self.decoder_seq_length], self.vocab_size, rng=self.rng)",
            }
        )
    for other in ("input_values", "input_features"):
        if other in forward:
            todos.append(f"the models take {other}: make them in prepare_config_and_inputs")
    if not inputs:
        todos.append("no input this template knows (input_ids, pixel_values): write prepare_config_and_inputs")
    return inputs


def _pad_and_eos(
    pt: PTFacts,
    classes: list[str],
    values: dict[str, Any],
    defaults: dict[str, Any],
    amap: dict[str, str],
    is_text: bool,
    inputs: list[dict[str, str]],
) -> None:
    """Config values: the tiny config, and a padding id where the heads pool the last real token."""
    if _resolve("pad_token_id", values, defaults, amap) in (None, _UNKNOWN) and is_text:
        eos = _resolve("eos_token_id", values, defaults, amap)
        values["pad_token_id"] = eos if isinstance(eos, int) and not isinstance(eos, bool) else 0
    eos_heads = [n for n in classes if n[2:] in pt.classes and pt.classes[n[2:]].eos_in_forward]
    eos_ids = _eos_ended_ids(values, defaults, amap) if is_text and eos_heads else None
    if eos_ids is not None:
        inputs[0] = {
            "name": "input_ids",
            "make": eos_ids,
            "note": f"One eos token per row, at the end, where {', '.join(eos_heads)} pool(s) the hidden state.",
        }


def _main_layer_alone(classes: list[str], serializable: dict[str, list[str]], mixin: Path) -> str | None:
    """A main layer the mixin's Keras save/load test would build with a keyword it does not take.

    Why: the mixin builds a main layer whose name holds a given word with extra keywords (a shared
    embedding as ``embed_tokens``, for one hand-written port); a port whose main layer makes its own
    is built from the config alone by the test file's own save/load test. The words and keywords
    are read from the tree's mixin.
    """
    quirks = _save_load_keywords(mixin)
    for name in classes:
        if not name.endswith("Model"):
            continue
        layer = name[: -len("Model")] + "MainLayer"
        if layer not in serializable:
            continue
        if any(word in layer and not keywords <= set(serializable[layer]) for word, keywords in quirks.items()):
            return layer
    return None


def _save_load_keywords(mixin: Path) -> dict[str, set[str]]:
    """``if "<word>" in main_layer_class.__name__:`` branches of the mixin's test_keras_save_load -> keywords passed."""
    try:
        tree = ast.parse(read_text(mixin)) if mixin.is_file() else None
    except SyntaxError:
        return {}
    test = (
        next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "test_keras_save_load"), None)
        if tree is not None
        else None
    )
    found: dict[str, set[str]] = {}
    for node in ast.walk(test) if test is not None else ():
        if not (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Constant)
            and isinstance(node.test.left.value, str)
            and isinstance(node.test.ops[0], ast.In)
            and ast.unparse(node.test.comparators[0]).endswith(".__name__")
        ):
            continue
        layer_class = ast.unparse(node.test.comparators[0])[: -len(".__name__")]
        keywords = {
            k.arg
            for stmt in node.body
            for call in ast.walk(stmt)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == layer_class
            for k in call.keywords
            if k.arg is not None
        }
        if keywords:
            found.setdefault(node.test.left.value, set()).update(keywords)
    return found


def _decoder_start(values: dict[str, Any], defaults: dict[str, Any], amap: dict[str, str]) -> None:
    """A decoder start id where the config has neither one nor a bos id (T5-style configs).

    Why: TF's generate() and the heads that shift labels right need one, and a config that leaves
    it to the checkpoint (T5 starts decoding from the padding id) raises without it.
    """
    unset = (None, _UNKNOWN)
    if _resolve("decoder_start_token_id", values, defaults, amap) in unset and (
        _resolve("bos_token_id", values, defaults, amap) in unset
    ):
        pad = _resolve("pad_token_id", values, defaults, amap)
        values["decoder_start_token_id"] = pad if isinstance(pad, int) and not isinstance(pad, bool) else 0


def _mixin_aliases(
    have: set[str],
    values: dict[str, Any],
    defaults: dict[str, Any],
    amap: dict[str, str],
    sig: Any,
    signatures: dict[str, Any],
    amaps: dict[str, dict[str, str]],
) -> list[tuple[str, str]]:
    """Attributes the mixin reads, from the parameters (or their defaults) under any of their names."""
    aliases: list[tuple[str, str]] = []
    for attr, candidates in MIXIN_ATTRIBUTES.items():
        if attr in have:
            continue
        for key in (*candidates, amap.get(attr)):
            if key is None:
                continue
            if key in have:
                aliases.append((attr, f"self.{key}"))
                break
            if key in defaults and defaults[key] is not _UNKNOWN and isinstance(defaults[key], int | list | tuple):
                aliases.append((attr, _literal(defaults[key])))
                break
        else:
            # A model of several towers keeps the sizes in its sub-configs (the first tower that has one).
            found = _from_sub_configs(attr, candidates, values, sig, signatures, amaps)
            if found is not None:
                aliases.append((attr, found))
    return aliases


def _group_heads(
    pt: PTFacts,
    classes: list[str],
    prefix: str,
    tf_calls: dict[str, list[str]],
    names: set[str],
    inputs: list[dict[str, str]],
    convolutional: bool,
    composite: bool,
    mixed_sequence: bool = False,
) -> list[dict[str, Any]]:
    """Heads: one create_and_check per head kind.

    ``mixed_sequence``: text and image patches share one sequence, whose length is the model's
    own layout (tokens, patches, a visual class token): the outputs along it are not checked.
    """
    heads: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name in classes:
        head = _head_of(name, prefix)
        kind = _head_kind(head)
        check = "create_and_check_" + _snake(head if kind is None else kind)
        entry: dict[str, Any] = {"class": name, "head": head, "check": check, "test": "test_" + _snake(head)}
        heads.append(entry)
        if check in seen:
            entry["new"] = False
            continue
        seen.add(check)
        entry["new"] = True
        spec = HEADS.get(kind or "", {})
        outputs = dict(spec.get("outputs", {}))
        entry["todo"] = None
        if kind is None:
            entry["todo"] = f"{head} is a head kind this template has no shapes for: check its outputs"
            outputs = {}
        elif kind == "Model" and convolutional:
            entry["todo"] = "the feature map shape of a convolutional base model: only the batch size is checked"
            outputs = {}
        elif kind == "Model" and composite:
            entry["todo"] = "the output shapes of a model of several towers: only the batch size is checked"
            outputs = {}
        returned = pt.returns(name[2:])
        if returned is not None and outputs and not returned & set(outputs):
            entry["todo"] = (
                f"none of the {head} outputs this template knows is among those its PyTorch forward returns"
            )
        if returned is not None:
            outputs = {key: shape for key, shape in outputs.items() if key in returned}
        if mixed_sequence and any("seq" in shape for shape in outputs.values()):
            outputs = {key: shape for key, shape in outputs.items() if "seq" not in shape}
            if not outputs and entry["todo"] is None:
                entry["todo"] = "the length of a sequence of text and image patches: only the batch size is checked"
        call = tf_calls.get(name, [])
        entry["outputs"] = [
            (key, ", ".join(SYMBOLS.get(s, s) for s in shape))
            for key, shape in outputs.items()
            if _known(shape, names)
        ]
        if not entry["outputs"] and entry["todo"] is None:
            entry["todo"] = f"the config gives none of the sizes of the {head} outputs: only the batch size is checked"
        entry["choices"] = bool(spec.get("choices"))
        entry["choice_mask"] = "attention_mask" not in {i["name"] for i in inputs} or spec.get("choice_mask", True)
        entry["labels"] = bool(spec.get("labels"))
        entry["first_output"] = "last_hidden_state" if kind == "Model" else None
        entry["call"] = call
    return heads


def _pipelines_and_generation(
    mappings: dict[str, list[tuple[str, tuple[str, ...]]]], classes: list[str], prefix: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """Pipelines and generation, from the TF auto mappings as the change leaves them."""
    in_mapping: dict[str, list[str]] = {}
    for mapping, entries in mappings.items():
        for _key, tf_classes in entries:
            for cls_name in tf_classes:
                if cls_name in classes:
                    in_mapping.setdefault(mapping, []).append(cls_name)
    pipeline: list[tuple[str, str]] = []
    for task, mapping_names in PIPELINE_TASKS:
        for mapping in mapping_names:
            if in_mapping.get(mapping):
                pipeline.append((task, in_mapping[mapping][0]))
                break
    has_masked_lm = any(_head_of(n, prefix).endswith("ForMaskedLM") for n in classes)
    generative: list[str] = []
    if not has_masked_lm:  # an encoder's LM head generates only as a decoder (is_decoder=True)
        for mapping in GENERATIVE_MAPPINGS:
            generative.extend(c for c in in_mapping.get(mapping, []) if c not in generative)
    return pipeline, generative


def _from_sub_configs(
    attr: str,
    candidates: tuple[str, ...],
    values: dict[str, Any],
    sig: Any,
    signatures: dict[str, Any],
    amaps: dict[str, dict[str, str]],
) -> str | None:
    """``self.text_config["vocab_size"]`` (or the sub-config's default) for a size a tower holds."""
    if sig is None:
        return None
    for param, sub in sig.sub_configs.items():
        sub_values = values.get(param) if isinstance(values.get(param), dict) else {}
        sub_sig = signatures.get(sub)
        sub_defaults = sub_sig.defaults if sub_sig is not None else {}
        for key in (*candidates, amaps.get(sub, {}).get(attr)):
            if key is None:
                continue
            if key in sub_values and param in values:
                return f'self.{param}["{key}"]'
            if key in sub_defaults and isinstance(sub_defaults[key], int) and not isinstance(sub_defaults[key], bool):
                return _literal(sub_defaults[key])
    return None


def _known(shape: tuple[str, ...], names: set[str]) -> bool:
    """Whether the tester has every size a shape needs (a vision model has no vocabulary)."""
    need = {"vocab": "vocab_size", "hidden": "hidden_size", "channels": "num_channels", "image": "image_size"}
    return all(need[s] in names for s in shape if s in need)


def _snake(name: str) -> str:
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return out.lower()


def test_file_path(checkout: Checkout, model: Model) -> Path:
    """Where transformers keeps the TF tests of a model: ``tests/models/<folder>/test_modeling_tf_<m>.py``."""
    return checkout.tf_test_file(model)


def _context(checkout: Checkout, model: Model, public_names: list[str], changes: ChangeSet | None) -> dict[str, Any]:
    for name in public_names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ScaffoldError(f"invalid public TF name {name!r}: expected a class name such as TF{model.name}Model")
    pt_file = model.folder / f"modeling_{model.name}.py"
    tf_file = model.folder / f"modeling_tf_{model.name}.py"
    if not pt_file.is_file():
        raise ScaffoldError(f"model {model.name!r} has no PyTorch modeling file {checkout.rel(pt_file)}")
    tf_text = changes.current(tf_file) if changes is not None else (read_text(tf_file) if tf_file.is_file() else None)
    if tf_text is None:
        raise ScaffoldError(f"model {model.name!r} has no TF port {checkout.rel(tf_file)}: run `tfscaffold new` first")
    try:
        classes = testable_model_classes(tf_text, public_names)
        tf_calls = tf_call_params(tf_text)
        departure = "refused" if refuses_head_mask(tf_text) else "shared" if shares_head_masks(tf_text) else None
        refusing_embeds = refusing_inputs_embeds(tf_text)
        writers = config_writers(tf_text)
        serializable = serializable_layers(tf_text)
    except SyntaxError as exc:
        raise ScaffoldError(f"{checkout.rel(tf_file)}:{exc.lineno}: does not parse: {exc.msg}") from None
    if not classes:
        raise ScaffoldError(
            f"none of the public TF names of {model.name} is a model class defined in {checkout.rel(tf_file)}"
        )
    pt = read_pt_facts(pt_file, checkout.root)
    config_file = model.folder / f"configuration_{model.name}.py"
    signatures = read_config_signatures(config_file) if config_file.is_file() else {}
    amaps = attribute_maps(config_file)
    tiny = tiny_config(checkout, model)
    mappings = _mappings(checkout, changes)
    prefix = _prefix(classes)
    # Base models first: the mixin builds its saved-model check from all_model_classes[0]. Classes
    # that set attributes of the config they are given last, so every class the mixin builds
    # before them from the test's one config sees the tester's values (hand-written tests list
    # such a double-heads model last too).
    classes.sort(key=lambda n: (_head_of(n, prefix) != "Model", n in writers))

    by_config: dict[str, list[str]] = {}
    for name in classes:
        config_class = pt.config_class(name[2:]) or (tiny.roots[0] if tiny.roots else f"{prefix}Config")
        by_config.setdefault(config_class, []).append(name)
    # The class of the root config first: its test class is the one named after the model.
    order = sorted(by_config, key=lambda c: (c not in tiny.roots, list(by_config).index(c)))
    groups = []
    for c in order:
        seq2seq, standalone = _split_standalone(pt, c, by_config[c], tiny, signatures, amaps)
        for part, alone in ((seq2seq, None), (standalone, _standalone_kind(pt, standalone))):
            if part:
                groups.append(
                    _build_group(
                        checkout,
                        model,
                        pt,
                        c,
                        part,
                        prefix,
                        tf_calls,
                        mappings,
                        tiny,
                        signatures,
                        amaps,
                        departure,
                        standalone=alone,
                    )
                )
    for group in groups:
        group.refuse_embeds = [n for n in group.classes if n in refusing_embeds]
        group.config_writers = {n: writers[n] for n in group.classes if n in writers}
        group.flags["main_layer_alone"] = _main_layer_alone(
            group.classes, serializable, checkout.root / "tests" / "test_modeling_tf_common.py"
        )
        if group.is_encoder_decoder:
            group.two_logit_seq2seq = [
                n for n in group.classes if _head_kind(_head_of(n, prefix)) == "ForQuestionAnswering"
            ]
    checkpoint = pt.checkpoint or config_archive_checkpoint(config_file)
    base_class = next((n for n in classes if _head_of(n, prefix) == "Model"), classes[0])
    tests_dir = checkout.root / "tests"
    makers = " ".join(item["make"] for g in groups for item in g.inputs)
    helpers = [h for h in ("floats_tensor", "ids_tensor", "random_attention_mask") if h + "(" in makers]
    return {
        "year": copyright_year(),
        "helpers": helpers,
        "composite": any(g.flags["composite"] for g in groups),
        "uses_inspect": any(
            # the labels of a test class's _prepare_for_class are the mixin's: not in a file without it
            ((g.extra_labels or g.unlabelled_heads) and checkout.ships_tf_test_mixin)
            or g.mixed_inputs
            or not g.is_text
            or not g.flags["inputs_embeds"]
            for g in groups
        ),
        "model": model.name,
        "prefix": prefix,
        "groups": groups,
        # ruff's isort order (case-insensitive within a type), so the file is lint-clean as written
        "config_classes": sort_imports(list(by_config)),
        "tf_classes": sort_imports(list({n for g in groups for n in g.classes})),
        # trees without TFModelTesterMixin (4.53+): the file checks what of it matters itself
        "standalone": not checkout.ships_tf_test_mixin,
        # 4.54+ records attentions only with eager attention (its default is SDPA, which returns none)
        "pt_model_of_config": (
            'pt_class._from_config(copy.deepcopy(config), attn_implementation="eager")'
            if not checkout.ships_tf_test_mixin
            else "pt_class(copy.deepcopy(config))"
        ),
        "tree_version": ".".join(map(str, checkout.version or ())) or "of this tree",
        "pipeline_mixin": checkout.ships_tf_test_mixin
        and _module_importable(tests_dir, tests_dir / "test_pipeline_mixin.py"),
        "checkpoint": checkpoint,
        "base_class": base_class,
        "base_group": next(g for g in groups if base_class in g.classes),
        "todo_marker": TODO,
        "batch_size": BATCH_SIZE,
        "seq_length": SEQ_LENGTH,
        "sources": tiny.sources,
        "module_depth": "..." + "." * (len(model.folder.relative_to(checkout.src / "models").parts) - 1),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    return env


def render_test_file(
    checkout: Checkout, model: Model, public_names: list[str], changes: ChangeSet | None = None
) -> str:
    """The text of ``tests/models/<m>/test_modeling_tf_<m>.py`` for the port, formatted under the tree's ruff settings.

    ``changes``: the ChangeSet of the command, when the port and its auto mappings are not on
    disk yet (``new`` renders the test file in the same change that writes them).
    """
    context = _context(checkout, model, list(public_names), changes)
    text = _environment().get_template(TEMPLATE).render(**context)
    path = test_file_path(checkout, model)
    try:
        ast.parse(text)
    except SyntaxError as exc:  # a template bug, never the user's: say where
        raise ScaffoldError(
            f"the generated {checkout.rel(path)} does not parse at line {exc.lineno}: {exc.msg}"
        ) from None
    return ruff_format(text, path.name, checkout.root)
