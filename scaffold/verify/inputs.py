"""The inputs ``verify`` (and ``weights``) give both frameworks: made from the forward's signature and the config.

Every modality the forward takes, sized from the tiny config; the extra float inputs a port
declares in its ``input_signature``; the random arrays a forward would draw itself; and arrays
shaped as a model's tester makes them, or as ``--input`` says. Runs in the child process (numpy
and torch are imported inside the functions that need them).
"""

from __future__ import annotations

import inspect
import math
import sys
from pathlib import Path
from typing import Any

BATCH = 2
SEQ_LENGTH = 7
DECODER_LENGTH = SEQ_LENGTH  # heads that pool decoder states at the encoder's eos need equal lengths
AUDIO_FRAMES = 8
MODALITIES = ("input_ids", "pixel_values", "input_values", "input_features")


def sub_configs(config: Any) -> list[Any]:
    from transformers import PretrainedConfig

    return [v for v in vars(config).values() if isinstance(v, PretrainedConfig)]


def find_attr(config: Any, name: str, default: Any = None) -> Any:
    """A config attribute, looked up in the config and then in its sub-configs (text, vision)."""
    value = getattr(config, name, None)
    if value is not None:
        return value
    for sub in sub_configs(config):
        value = getattr(sub, name, None)
        if value is not None:
            return value
    return default


def _special_ids(config: Any) -> set[int]:
    ids: set[int] = set()
    for cfg in (config, *sub_configs(config)):
        for key, value in vars(cfg).items():
            if key.endswith("_token_id") or key.endswith("_token_ids"):
                for v in value if isinstance(value, list | tuple) else [value]:
                    if isinstance(v, int) and not isinstance(v, bool):
                        ids.add(v)
    return ids


def _audio_length(config: Any) -> int:
    """Enough samples for a few frames after the convolutional feature extractor."""
    kernels = find_attr(config, "conv_kernel")
    strides = find_attr(config, "conv_stride")
    if not kernels or not strides:
        return 1024
    length = AUDIO_FRAMES
    for kernel, stride in reversed(list(zip(kernels, strides, strict=False))):
        length = (length - 1) * stride + kernel
    return length


# where a speech config keeps the feature count of a frame: one name, or a product of names
FEATURE_COUNTS: tuple[tuple[str, ...], ...] = (
    ("num_mel_bins",),  # Whisper
    ("feature_size",),
    ("input_feat_per_channel", "input_channels"),  # Speech2Text: features per channel times channels
)


def _feature_count(config: Any) -> int:
    for names in FEATURE_COUNTS:
        values = [find_attr(config, name) for name in names]
        if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            return math.prod(values)
    return 80


def make_inputs(pt_cls: Any, config: Any, seed: int) -> dict[str, Any]:
    """Numpy inputs for a model class, from the arguments its ``forward`` takes and its config.

    Every modality the forward accepts is given (a two-tower model needs text and pixels), with a
    padded attention mask so that a mask applied the wrong way shows, and token type ids when the
    config has more than one type. Random ids avoid the special ids, and each text ends with the
    end-of-sequence id when the config has one, as real inputs do.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    params = inspect.signature(pt_cls.forward).parameters
    wanted = [name for name in MODALITIES if name in params]
    choices = "MultipleChoice" in pt_cls.__name__
    lead = (BATCH, 2) if choices else (BATCH,)
    inputs: dict[str, Any] = {}

    def ids(shape: tuple[int, ...]) -> Any:
        vocab = int(find_attr(config, "vocab_size", 99))
        allowed = np.array([i for i in range(vocab) if i not in _special_ids(config)] or list(range(vocab)))
        return allowed[rng.integers(0, len(allowed), size=shape)].astype(np.int64)

    if "input_ids" in wanted:
        inputs["input_ids"] = ids((*lead, SEQ_LENGTH))
        eos = find_attr(config, "eos_token_id")
        if isinstance(eos, list | tuple):
            eos = eos[0] if eos else None
        if isinstance(eos, int) and not isinstance(eos, bool):
            # Sentences end with eos: classification heads of encoder-decoders pool there.
            inputs["input_ids"][..., -1] = eos
        if "attention_mask" in params:
            mask = np.ones((*lead, SEQ_LENGTH), dtype=np.int64)
            mask[-1, ..., -2:] = 0
            inputs["attention_mask"] = mask
        if "global_attention_mask" in params:
            # Local-attention models (Longformer, LED) attend globally where this says; left out,
            # question answering and multiple choice heads derive it from exactly three separator
            # tokens per sample, which random ids lack. Global attention on the first token (the
            # classification token) is the common use, and runs the global path in both frameworks.
            glob = np.zeros((*lead, SEQ_LENGTH), dtype=np.int64)
            glob[..., 0] = 1
            inputs["global_attention_mask"] = glob
        types = getattr(config, "type_vocab_size", None)
        if "token_type_ids" in params and isinstance(types, int) and types > 1:
            inputs["token_type_ids"] = rng.integers(0, types, size=(*lead, SEQ_LENGTH)).astype(np.int64)
    if "pixel_values" in wanted:
        # the image's size: ``image_size``, or ``input_size`` beside a patch size (LayoutLMv3)
        size = find_attr(config, "image_size", None)
        if size is None and find_attr(config, "patch_size", None) is not None:
            size = find_attr(config, "input_size", None)
        size = 32 if size is None else size
        height, width = (size, size) if isinstance(size, int) else tuple(size)[:2]
        channels = find_attr(config, "num_channels", 3)
        inputs["pixel_values"] = rng.standard_normal((BATCH, channels, height, width)).astype(np.float32)
    if "input_values" in wanted:
        length = _audio_length(config)
        inputs["input_values"] = rng.standard_normal((BATCH, length)).astype(np.float32)
        if "attention_mask" in params and "attention_mask" not in inputs:
            inputs["attention_mask"] = np.ones((BATCH, length), dtype=np.int64)
    if "input_features" in wanted:
        bins = _feature_count(config)
        frames = 2 * int(find_attr(config, "max_source_positions", 16))
        inputs["input_features"] = rng.standard_normal((BATCH, bins, frames)).astype(np.float32)
    if not inputs:
        raise ValueError(
            f"cannot make inputs for {pt_cls.__name__}: its forward takes none of {', '.join(MODALITIES)}"
        )
    if "decoder_input_ids" in params and getattr(config, "is_encoder_decoder", False):
        inputs["decoder_input_ids"] = ids((BATCH, DECODER_LENGTH))
    return inputs


def orient_to_signature(tf_model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Swap the last two axes of a float input whose sizes the port's ``input_signature`` fixes the other way.

    Speech features come as (batch, mel bins, frames) for Whisper and (batch, frames, bins) for
    Speech2Text; the TF port's signature fixes the bins axis, so the inputs follow it (the
    PyTorch model takes the same layout: both frameworks get the same array).
    """
    try:
        signature = dict(tf_model.input_signature)
    except Exception:
        return inputs

    def fits(shape: tuple[int, ...], dims: list[Any]) -> bool:
        return len(shape) == len(dims) and all(d is None or int(d) == n for n, d in zip(shape, dims, strict=True))

    out = dict(inputs)
    for name, value in inputs.items():
        spec = signature.get(name)
        if spec is None or not spec.dtype.is_floating or value.ndim < 3:
            continue
        dims = list(spec.shape)
        swapped = value.swapaxes(-1, -2)
        if not fits(value.shape, dims) and fits(swapped.shape, dims):
            out[name] = swapped.copy()
    return out


def signature_inputs(pt_cls: Any, tf_model: Any, inputs: dict[str, Any], seed: int) -> dict[str, Any]:
    """Float inputs the port declares in its ``input_signature`` that :func:`make_inputs` did not make.

    A model may need inputs beyond the usual modalities (LXMERT's ``visual_feats`` and
    ``visual_pos``: region features from a detector). The TF port declares their shapes, from the
    config, in ``input_signature`` (what transformers builds and serves the model with); each one
    the PyTorch ``forward`` takes too gets uniform random values in [0, 1), a batch of
    :data:`BATCH` and a few items where the signature leaves a size open. Integer inputs are left
    out: ids and boxes have constraints random values would break, and masks are optional.
    """
    import numpy as np

    try:
        signature = dict(tf_model.input_signature)
    except Exception:
        return {}
    params = inspect.signature(pt_cls.forward).parameters
    rng = np.random.default_rng(seed + 2)
    out: dict[str, Any] = {}
    for name, spec in signature.items():
        if name in inputs or name not in params or not spec.dtype.is_floating:
            continue
        dims = list(spec.shape)
        shape = [BATCH if i == 0 and d is None else (5 if d is None else int(d)) for i, d in enumerate(dims)]
        out[name] = rng.random(shape).astype(np.float32)
    return out


# torch's random draws a forward may make for an input left out (``noise = torch.rand(...)``)
RANDOM_DRAWS = ("rand", "randn", "rand_like", "randn_like")


def _draws_for_missing(path: str) -> dict[int, str]:
    """Line -> name of each ``if NAME is None: NAME = torch.rand(...)`` in a source file.

    Why: a forward that draws its own randomness when an argument is left out (ViTMAE's masking
    ``noise``) gives different outputs in the two frameworks however faithful the port is; the
    argument is the model's own way to make the run deterministic.
    """
    import ast

    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if not (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Is)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None
        ):
            continue
        for stmt in node.body:
            value = stmt.value if isinstance(stmt, ast.Assign) else None
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr in RANDOM_DRAWS
                and [getattr(t, "id", None) for t in stmt.targets] == [test.left.id]
            ):
                found[stmt.lineno] = test.left.id
    return found


def random_draw_inputs(pt_cls: Any, pt_model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The random arrays the PyTorch forward draws for arguments it takes but was not given.

    One PyTorch run records each draw made by an ``if NAME is None: NAME = torch.rand(...)``
    statement whose ``NAME`` the forward takes too; both frameworks then get that array as the
    argument, so the comparison does not depend on two random generators agreeing.
    """
    import torch

    params = inspect.signature(pt_cls.forward).parameters
    wanted = {name for name, p in params.items() if p.default is None and name not in inputs}
    if not wanted:
        return {}
    sites: dict[str, dict[int, str]] = {}
    drawn: dict[str, Any] = {}
    originals = {name: getattr(torch, name) for name in RANDOM_DRAWS}

    def recording(name: str) -> Any:
        def draw(*args: Any, **kwargs: Any) -> Any:
            value = originals[name](*args, **kwargs)
            caller = sys._getframe(1)
            path = caller.f_code.co_filename
            if path not in sites:
                sites[path] = _draws_for_missing(path)
            target = sites[path].get(caller.f_lineno)
            if target in wanted and target not in drawn:
                drawn[target] = value.detach().cpu().numpy().copy()
            return value

        return draw

    try:
        for name in RANDOM_DRAWS:
            setattr(torch, name, recording(name))
        with torch.no_grad():
            pt_model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    except Exception:
        return {}  # the real run reports the failure
    finally:
        for name, original in originals.items():
            setattr(torch, name, original)
    return drawn


def shaped_inputs(pt_cls: Any, config: Any, entries: dict[str, dict[str, Any]], seed: int) -> dict[str, Any]:
    """Arrays for the forward's arguments from entries of :mod:`scaffold.verify.tester_inputs` (what a
    model's tester makes, or ``--input``): floats uniform in [0, 1), ids below the entry's bound (else
    the vocabulary size), masks of ones. Labels are left out, as verify leaves them out of its own inputs.
    """
    import numpy as np

    rng = np.random.default_rng(seed + 3)
    params = inspect.signature(pt_cls.forward).parameters
    out: dict[str, Any] = {}
    for name, entry in entries.items():
        if name not in params or "label" in name:
            continue
        shape = tuple(entry["shape"])
        if entry["kind"] == "floats":
            out[name] = rng.random(shape).astype(np.float32)
        elif entry["kind"] == "ids":
            high = entry.get("high") or int(find_attr(config, "vocab_size", 99))
            out[name] = rng.integers(0, high, size=shape).astype(np.int64)
        else:
            out[name] = np.ones(shape, dtype=np.int64)
    return out
