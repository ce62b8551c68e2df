"""The part of ``verify`` that runs PyTorch and TensorFlow: one process per tree, JSON in and out.

Run as ``python -m scaffold.verify.runner SPEC.json`` with the tree's ``src`` first on
``PYTHONPATH``, so that ``import transformers`` is the tree's own copy (with the seeded fault, or
the port tfscaffold just generated) and never the installed one. The separate process also keeps
torch and TensorFlow (seconds to import, hundreds of megabytes) out of the command line tool.

The numbers are computed here, the judging is not: every row carries its raw difference and the
scale it is relative to, and the parent applies the tolerance (:mod:`scaffold.verify.compare`).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.verify.compare import array_diff, path_candidates, tf_path
from scaffold.verify.inputs import (
    MODALITIES,
    make_inputs,
    orient_to_signature,
    random_draw_inputs,
    shaped_inputs,
    signature_inputs,
    sub_configs,
)

PROGRESS = "@@tfscaffold-progress "  # stderr lines with this prefix are shown to the user


def progress(message: str) -> None:
    print(PROGRESS + message, file=sys.stderr, flush=True)


def _short_error(exc: BaseException) -> str:
    """The exception and the innermost frame inside transformers: enough to find the line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "transformers" in frame.filename:
            where = f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"
            break
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    message = lines[0] if lines else ""
    # Keras wraps an error raised inside a layer's call: "Exception encountered when calling layer
    # 'x' (type Y)." then the error itself, then the call's arguments. Name the layer and the error.
    if message.startswith("Exception encountered when calling layer") and len(lines) > 1:
        layer = message.removeprefix("Exception encountered when calling layer").strip().rstrip(".")
        message = f"{lines[1]} [in layer {layer}]"
    return f"{type(exc).__name__}: {message[:500]}{where}"


# --- values ------------------------------------------------------------------------------------


def _to_numpy(value: Any) -> Any:
    """A host copy of a tensor, or None for one that has no value (symbolic, inside a tf.function).

    A copy, not a view: ``tensor.numpy()`` shares the tensor's memory, and a model that later
    updates the tensor in place (GroupViT's ``new_image_tokens += projected_group_tokens`` on the
    output of its assign layer) would rewrite what the hook recorded, so the layer would seem to
    diverge while the model agrees.
    """
    import numpy as np

    if value is None:
        return None
    try:
        if hasattr(value, "detach"):
            return value.detach().cpu().numpy().copy()
        if hasattr(value, "numpy"):
            return value.numpy()
        return np.asarray(value)
    except Exception:
        return None


def _is_tensor(value: Any) -> bool:
    import numpy as np
    import tensorflow as tf
    import torch

    return isinstance(value, torch.Tensor | tf.Tensor | tf.Variable | np.ndarray)


def legacy_cache(value: Any) -> Any:
    """A cache object as the tuples of (key, value) per layer it stands for; anything else as it is."""
    if hasattr(value, "to_legacy_cache"):
        return value.to_legacy_cache()
    if hasattr(value, "key_cache") and hasattr(value, "value_cache"):  # a cache with no legacy form (hybrid)
        return tuple(zip(value.key_cache, value.value_cache, strict=True))
    return value


def first_tensor(value: Any, depth: int = 0) -> Any:
    """The main tensor of a layer's output: the first one, depth first (hidden states come first)."""
    if value is None or depth > 6:
        return None
    if _is_tensor(value):
        return value
    value = legacy_cache(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return None
    for item in items:
        found = first_tensor(item, depth + 1)
        if found is not None:
            return found
    return None


def flatten_outputs(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every tensor of a model output, named by its key path (``past_key_values.0.1``)."""
    if value is None:
        return []
    if _is_tensor(value):
        return [(prefix, value)]
    value = legacy_cache(value)
    out: list[tuple[str, Any]] = []
    if hasattr(value, "items"):
        for key, item in value.items():
            out.extend(flatten_outputs(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out.extend(flatten_outputs(item, f"{prefix}.{i}" if prefix else str(i)))
    return out


def unstack_like(tf_flat: dict[str, Any], pt_keys: list[str]) -> dict[str, Any]:
    """Split stacked TF outputs where PyTorch keeps a tuple.

    TF GPT-2 caches ``past_key_values.0`` as one tensor stacking key and value; PyTorch has
    ``past_key_values.0.0`` and ``.0.1``. A TF tensor whose first axis has as many entries as
    PyTorch has items under its key is split along that axis.
    """
    out = dict(tf_flat)
    for key, value in tf_flat.items():
        children = [k for k in pt_keys if k.startswith(key + ".") and k[len(key) + 1 :].isdigit()]
        if children and key not in pt_keys and len(value.shape) and value.shape[0] == len(children):
            del out[key]
            for i in range(len(children)):
                out[f"{key}.{i}"] = value[i]
    return out


def first_argument(fn: Any, args: tuple, kwargs: dict) -> Any:
    """The first argument a layer was given, positional or by keyword (its main input)."""
    if args:
        return args[0]
    try:
        names = [p for p in inspect.signature(fn).parameters if p != "self"]
    except (TypeError, ValueError):
        names = []
    for name in names:
        if kwargs.get(name) is not None:
            return kwargs[name]
    return next((v for v in kwargs.values() if v is not None), None)


# --- capture -----------------------------------------------------------------------------------


@dataclass
class Call:
    path: str
    call: int
    parent: tuple[str, int] | None
    start: int
    end: int = -1
    inp: Any = None
    out: Any = None
    has_params: bool = False


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    stack: list[Call] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    tick: int = 0

    def enter(self, path: str, inp: Any, has_params: bool) -> Call:
        index = self.counts.get(path, 0)
        self.counts[path] = index + 1
        parent = (self.stack[-1].path, self.stack[-1].call) if self.stack else None
        self.tick += 1
        record = Call(path, index, parent, self.tick, inp=_to_numpy(first_tensor(inp)))
        record.has_params = has_params
        self.calls.append(record)
        self.stack.append(record)
        return record

    def leave(self, record: Call, output: Any) -> None:
        record.out = _to_numpy(first_tensor(output))
        self.tick += 1
        record.end = self.tick
        if self.stack and self.stack[-1] is record:
            self.stack.pop()
        elif record in self.stack:
            self.stack.remove(record)


def capture_torch(model: Any, recorder: Recorder) -> list[Any]:
    """Forward hooks on every submodule; returns the handles to remove them."""
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue
        has_params = any(True for _ in module.parameters())
        forward = module.forward
        open_calls: list[Call] = []

        def pre(mod: Any, args: tuple, kwargs: dict, _n=name, _p=has_params, _f=forward, _o=open_calls) -> None:
            _o.append(recorder.enter(_n, first_argument(_f, args, kwargs), _p))

        def post(mod: Any, args: tuple, kwargs: dict, output: Any, _o=open_calls) -> None:
            if _o:
                recorder.leave(_o.pop(), output)

        handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(module.register_forward_hook(post, with_kwargs=True))
    return handles


def tf_layers(model: Any) -> list[tuple[Any, str]]:
    """Every sublayer once, with its dotted path built from the layer names (as weight names are)."""
    seen: set[int] = set()
    out: list[tuple[Any, str]] = []

    def walk(layer: Any, prefix: str) -> None:
        for child in layer._flatten_layers(include_self=False, recursive=False):
            if id(child) in seen:
                continue
            seen.add(id(child))
            # A layer shared between towers carries its absolute weight path (``model.shared``).
            absolute = getattr(child, "load_weight_prefix", None)
            if isinstance(absolute, str) and absolute:
                path = tf_path([absolute])
            else:
                path = tf_path([prefix, child.name])
            out.append((child, path))
            walk(child, path)

    walk(model, "")
    return out


def capture_tf(model: Any, recorder: Recorder) -> None:
    """Wrap ``call`` of every sublayer instance (the process ends after the run: nothing to undo)."""
    for layer, path in tf_layers(model):
        original = layer.call
        has_params = bool(layer.weights)

        def wrapped(*args: Any, _orig=original, _path=path, _p=has_params, **kwargs: Any) -> Any:
            record = recorder.enter(_path, first_argument(_orig, args, kwargs), _p)
            result = _orig(*args, **kwargs)
            recorder.leave(record, result)
            return result

        object.__setattr__(layer, "call", wrapped)


def _diff_fields(pt: Any, tf: Any, prefix: str = "", *, layout: bool = True) -> dict[str, Any]:
    if pt is None and tf is None:
        return {f"{prefix}max_abs_diff": None, f"{prefix}scale": 0.0}
    if pt is None or tf is None:
        side = "PyTorch" if pt is None else "TF"
        return {f"{prefix}max_abs_diff": None, f"{prefix}scale": 0.0, f"{prefix}note": f"no {side} tensor"}
    diff = array_diff(pt, tf, layout=layout)
    return {
        f"{prefix}max_abs_diff": diff.max_abs_diff,
        f"{prefix}scale": diff.scale,
        f"{prefix}perm": diff.perm,
        f"{prefix}note": diff.note,
    }


def match_rows(pt_calls: list[Call], tf_calls: list[Call], prefix: str) -> tuple[list[dict], list[str]]:
    """Pair PyTorch module calls with TF layer calls by path and call number."""
    pt_paths = {c.path for c in pt_calls}
    index: dict[tuple[str, int], Call] = {}
    tf_to_pt: dict[str, str] = {}
    for record in tf_calls:
        for candidate in path_candidates(record.path, prefix):
            if candidate in pt_paths:
                tf_to_pt[record.path] = candidate
                index.setdefault((candidate, record.call), record)
                break
    rows = []
    for record in pt_calls:
        twin = index.get((record.path, record.call))
        row: dict[str, Any] = {
            "path": record.path,
            "call": record.call,
            "parent": list(record.parent) if record.parent else None,
            "start": record.start,
            "end": record.end,
            "has_params": record.has_params,
            "pt_shape": None if record.out is None else list(record.out.shape),
            "tf_path": None,
            "tf_shape": None,
            "max_abs_diff": None,
            "scale": 0.0,
            "perm": None,
            "note": "",
            "input_diff": None,
            "input_scale": 0.0,
        }
        if twin is not None:
            row["tf_path"] = twin.path
            row["tf_shape"] = None if twin.out is None else list(twin.out.shape)
            row.update(_diff_fields(record.out, twin.out))
            inputs = _diff_fields(record.inp, twin.inp, "input_")
            row["input_diff"] = inputs["input_max_abs_diff"]
            row["input_scale"] = inputs["input_scale"]
        rows.append(row)
    unmatched = []
    for record in tf_calls:
        if record.path == prefix:
            continue  # the main layer: the PyTorch base model itself, which has no hook
        if record.path not in tf_to_pt and record.has_params and record.path not in unmatched:
            unmatched.append(record.path)
    return rows, unmatched


# --- configs and inputs ------------------------------------------------------------------------


def build_config(pt_cls: Any, spec: dict) -> Any:
    """The tiny config a class is built from: its root config, or the sub-config of a root it takes."""
    config_cls = pt_cls.config_class
    module = importlib.import_module(config_cls.__module__)
    configs, roots = spec["configs"], spec["roots"]
    if config_cls.__name__ in roots or config_cls.__name__ not in configs:
        config = config_cls(**configs.get(config_cls.__name__, {}))
    else:
        config = None
        for root in roots:
            root_cls = getattr(module, root, None)
            if root_cls is None:
                continue
            root_config = root_cls(**configs.get(root, {}))
            config = next((s for s in sub_configs(root_config) if type(s) is config_cls), None)
            if config is not None:
                break
        if config is None:
            config = config_cls(**configs[config_cls.__name__])
    # Decoder heads that pool the last non-padding token refuse a batch when there is no padding
    # id; the inputs never contain special ids, so any id will do.
    if hasattr(config, "pad_token_id") and config.pad_token_id is None:
        eos = getattr(config, "eos_token_id", None)
        config.pad_token_id = eos if isinstance(eos, int) else 0
    return config


def image_shape_for_tf(pt_cls: Any, config: Any) -> dict[str, Any]:
    """Give an image config the shape TensorFlow builds the model with, when it lacks one; returns what it set.

    A TF model is built by calling it on dummy inputs whose shape ``TFPreTrainedModel.input_signature``
    reads from the config (or its ``vision_config``): ``num_channels``, and ``image_size`` or
    ``input_size``. PyTorch needs neither (CvT's config has no image size, BLIP's vision config no
    channel count), so from_pretrained of the TF class fails on a config that PyTorch builds
    from. The values are the ones :func:`make_inputs` feeds both frameworks; set before the
    PyTorch model is saved, they reach TF through the checkpoint's config.json as any value does.
    """
    if "pixel_values" not in inspect.signature(pt_cls.forward).parameters:
        return {}
    vision = getattr(config, "vision_config", None) or config
    added: dict[str, Any] = {}
    if not hasattr(vision, "num_channels"):
        added["num_channels"] = 3
    if not hasattr(vision, "image_size") and not hasattr(vision, "input_size"):
        added["image_size"] = 32
    for key, value in added.items():
        setattr(vision, key, value)
    return added


# --- one class ---------------------------------------------------------------------------------


def _neutralise_ignores(tf_cls: Any) -> dict[str, list[str]]:
    """Read and switch off the port's own lists of weights to ignore on load.

    Ports declare them for loading checkpoints of *other* heads (a pooler a head does not use);
    verify loads the same class, so a hit is a real gap. They are reported, not trusted.
    """
    declared = {
        "missing": list(getattr(tf_cls, "_keys_to_ignore_on_load_missing", None) or []),
        "unexpected": list(getattr(tf_cls, "_keys_to_ignore_on_load_unexpected", None) or []),
    }
    tf_cls._keys_to_ignore_on_load_missing = None
    tf_cls._keys_to_ignore_on_load_unexpected = None
    return declared


def diagnose_load(tf_cls: Any, config: Any, folder: Path) -> dict[str, list]:
    """Missing, unexpected and mismatched weights when ``from_pretrained`` itself gave up.

    The loader stops at the first weight whose size cannot be reshaped (a table grown by one
    row); building the TF model alone and putting its weight names and sizes beside the
    checkpoint's names every culprit instead.
    """
    import numpy as np
    from safetensors import safe_open
    from transformers.modeling_tf_pytorch_utils import convert_tf_weight_name_to_pt_weight_name

    files = sorted(folder.glob("*.safetensors"))
    shapes: dict[str, list[int]] = {}
    for file in files:
        with safe_open(str(file), framework="np") as archive:
            for key in archive.keys():
                shapes[key] = list(archive.get_slice(key).get_shape())
    model = tf_cls(config)
    model.build_in_name_scope()
    prefix = ""
    if not any(k.startswith(model.base_model_prefix) for k in shapes):
        prefix = model.base_model_prefix + "."
    missing, mismatched = [], []
    used: set[str] = set()
    for weight in model.weights:
        name, _ = convert_tf_weight_name_to_pt_weight_name(
            weight.name, start_prefix_to_remove=prefix, tf_weight_shape=weight.shape
        )
        if name not in shapes:
            missing.append(name)
            continue
        used.add(name)
        if int(np.prod(shapes[name])) != int(np.prod(weight.shape)):
            mismatched.append([name, shapes[name], list(weight.shape)])
    unexpected = sorted(k for k in shapes if k not in used)
    return {"missing": sorted(missing), "unexpected": unexpected, "mismatched": mismatched}


def _perturb(model: Any, scale: float, seed: int) -> None:
    """Move every parameter off its initial value.

    Default initialisations zero biases and set norms to the identity, which hides a missing bias
    or a swapped norm parameter: both frameworks then agree by accident. Frozen parameters
    (sinusoidal position tables) are computed, not learned, and TF may compute them itself.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            if param.is_floating_point() and param.requires_grad:
                param.add_(torch.randn(param.shape, generator=generator, dtype=param.dtype) * scale)


def training_counters(model: Any) -> list[str]:
    """State-dict keys of PyTorch BatchNorm step counters (``num_batches_tracked``) that eval ignores.

    The counter only sets the running-average factor in training when ``momentum`` is None; with
    a momentum, and in eval always, no output depends on it, and Keras' BatchNormalization has no
    such variable. So TF leaving it unloaded is no gap (transformers' own loader reports it as
    unexpected all the same).
    """
    import torch

    out = []
    for name, module in model.named_modules():
        if (
            isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
            and module.track_running_stats
            and module.momentum is not None
        ):
            out.append(f"{name}.num_batches_tracked" if name else "num_batches_tracked")
    return out


def _load_tf(
    tf_cls: Any, pt_cls: Any, pt_model: Any, config: Any, folder: Path, seed: int, result: dict[str, Any]
) -> Any:
    """The TF class loaded from the saved PyTorch model; what did not load goes to ``result["weights"]``,
    with the PyTorch facts that excuse a weight (never saved, a step counter, frozen)."""
    import tensorflow as tf

    declared = _neutralise_ignores(tf_cls)
    tf.keras.utils.set_random_seed(seed)
    facts = {
        "not_saved": list(getattr(pt_cls, "_keys_to_ignore_on_save", None) or []),
        "counters": training_counters(pt_model),
        "frozen": [name for name, param in pt_model.named_parameters() if not param.requires_grad],
        "port_ignores": declared,
    }
    try:
        tf_model, info = tf_cls.from_pretrained(
            folder, from_pt=True, output_loading_info=True, ignore_mismatched_sizes=True
        )
    except Exception:
        try:
            found = diagnose_load(tf_cls, config, folder)
        except Exception:
            found = None
        if found is not None:
            result["weights"] = found | facts
        raise
    result["weights"] = facts | {
        "missing": sorted(info.get("missing_keys", [])),
        "unexpected": sorted(info.get("unexpected_keys", [])),
        "mismatched": [[k, list(a), list(b)] for k, a, b in info.get("mismatched_keys", [])],
    }
    return tf_model


def run_class(tf_name: str, pt_module: Any, tf_module: Any, spec: dict, work: Path) -> dict[str, Any]:
    import numpy as np
    import tensorflow as tf
    import torch

    pt_name = tf_name[2:]
    result: dict[str, Any] = {"tf_class": tf_name, "pt_class": pt_name, "error": None, "stage": "", "seconds": {}}
    timer = time.perf_counter()
    pt_cls = pt_model = config = seed = None

    def lap(stage: str) -> None:
        nonlocal timer
        now = time.perf_counter()
        result["seconds"][stage] = round(now - timer, 3)
        timer = now

    try:
        result["stage"] = "find classes"
        tf_cls = getattr(tf_module, tf_name, None)
        pt_cls = getattr(pt_module, pt_name, None)
        if tf_cls is None:
            raise LookupError(f"{tf_name} is not defined in {tf_module.__name__}")
        if pt_cls is None:
            raise LookupError(f"{pt_name} (the PyTorch twin of {tf_name}) is not defined in {pt_module.__name__}")
        seed = int(spec["seed"])

        result["stage"] = "build PyTorch model"
        progress(f"{tf_name}: building {pt_name}")
        config = build_config(pt_cls, spec)
        result["config_added"] = image_shape_for_tf(pt_cls, config)
        torch.manual_seed(seed)
        pt_model = pt_cls(config).eval()
        if spec.get("perturb"):
            _perturb(pt_model, float(spec["perturb"]), seed + 1)
        folder = work / pt_name
        pt_model.save_pretrained(folder)
        lap("build_pt")

        result["stage"] = "load TF model"
        progress(f"{tf_name}: loading it into {tf_name} (from_pt=True)")
        tf_model = _load_tf(tf_cls, pt_cls, pt_model, config, folder, seed, result)
        lap("load_tf")

        result["stage"] = "make inputs"
        inputs = make_inputs(pt_cls, config, seed)
        inputs = orient_to_signature(tf_model, inputs)
        inputs |= signature_inputs(pt_cls, tf_model, inputs, seed)
        inputs |= shaped_inputs(pt_cls, config, spec.get("given_inputs") or {}, seed)
        inputs |= random_draw_inputs(pt_cls, pt_model, inputs)
        result["inputs"] = {k: list(v.shape) for k, v in inputs.items()}

        result["stage"] = "run PyTorch model"
        progress(f"{tf_name}: running both on {', '.join(inputs)}")
        try:
            pt_rec, pt_out = _run_torch(pt_model, inputs)
        except Exception:
            # the model's own tester calls it otherwise (IDEFICS: a number-of-images axis, an image mask)
            inputs = shaped_inputs(pt_cls, config, spec.get("tester_inputs") or {}, seed)
            if not any(name in MODALITIES for name in inputs):
                raise
            inputs |= shaped_inputs(pt_cls, config, spec.get("given_inputs") or {}, seed)
            inputs |= random_draw_inputs(pt_cls, pt_model, inputs)
            result["inputs"] = {k: list(v.shape) for k, v in inputs.items()}
            result["inputs_from"] = "tester"
            progress(f"{tf_name}: PyTorch fails on verify's inputs; running both on its tester's")
            pt_rec, pt_out = _run_torch(pt_model, inputs)
        result["stage"] = "run TF model"
        tf_rec = Recorder()
        capture_tf(tf_model, tf_rec)
        tf_out = tf_model({k: tf.constant(v) for k, v in inputs.items()}, training=False)
        lap("run")

        result["stage"] = "compare"
        pt_flat = flatten_outputs(pt_out)
        tf_flat = unstack_like(dict(flatten_outputs(tf_out)), [k for k, _ in pt_flat])
        outputs = []
        for key, value in pt_flat:
            pt_arr = _to_numpy(value)
            entry: dict[str, Any] = {"name": key, "pt_shape": list(pt_arr.shape), "tf_shape": None}
            if key not in tf_flat:
                entry |= {"max_abs_diff": None, "scale": float(np.max(np.abs(pt_arr), initial=0.0))}
                entry["note"] = "missing from the TF output"
            else:
                tf_arr = _to_numpy(tf_flat[key])
                entry["tf_shape"] = list(tf_arr.shape)
                entry |= _diff_fields(pt_arr, tf_arr, layout=False)
            outputs.append(entry)
        pt_keys = {k for k, _ in pt_flat}
        result["outputs"] = outputs
        result["tf_only_outputs"] = [k for k in tf_flat if k not in pt_keys]
        rows, unmatched = match_rows(pt_rec.calls, tf_rec.calls, getattr(tf_model, "base_model_prefix", ""))
        result["layers"] = rows
        result["tf_unmatched"] = unmatched
        result["base_model_prefix"] = getattr(tf_model, "base_model_prefix", "")
        lap("compare")
        result["stage"] = "done"
    except Exception as exc:  # a broken port is a result to report, not a crash
        result["error"] = _short_error(exc)
        if result["stage"] == "run PyTorch model":
            result["pytorch_fails"] = result["error"]
        elif result["stage"] in ("load TF model", "make inputs", "run TF model") and pt_model is not None:
            given = spec.get("given_inputs") or {}
            result["pytorch_fails"] = _pytorch_failure(pt_cls, pt_model, config, seed, given)
    return result


def _run_torch(pt_model: Any, inputs: dict[str, Any]) -> tuple[Recorder, Any]:
    import torch

    recorder = Recorder()
    handles = capture_torch(pt_model, recorder)
    try:
        with torch.no_grad():
            out = pt_model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    finally:
        for handle in handles:
            handle.remove()
    return recorder, out


def _pytorch_failure(pt_cls: Any, pt_model: Any, config: Any, seed: int, given: dict[str, Any]) -> str | None:
    """Why the PyTorch model itself fails on the inputs verify makes, or None when it runs.

    Why: a public class PyTorch cannot run from its config alone (a stack that needs the token
    embeddings its parent hands it) has nothing to compare; its port failing the same way is a
    faithful port, reported as not comparable rather than as a mismatch.
    """
    import torch

    try:
        inputs = make_inputs(pt_cls, config, seed) | shaped_inputs(pt_cls, config, given, seed)
        with torch.no_grad():
            pt_model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    except Exception as exc:
        return _short_error(exc)
    return None


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result_path = Path(spec["result_path"])
    out: dict[str, Any] = {"environment_error": None, "error": None, "classes": [], "transformers_file": None}
    started = time.perf_counter()

    def write() -> None:
        out["seconds"] = round(time.perf_counter() - started, 3)
        result_path.write_text(json.dumps(out), encoding="utf-8")

    progress("importing torch and TensorFlow")
    try:
        import numpy  # noqa: F401
        import tensorflow as tf
        import torch
    except Exception as exc:
        from scaffold.verify.environment import INSTALL_HINT

        out["environment_error"] = (
            f"verify needs torch and TensorFlow: {_short_error(exc)}; install them with: {INSTALL_HINT}"
        )
        write()
        return 0
    torch.set_grad_enabled(False)
    tf.get_logger().setLevel("ERROR")
    try:
        import transformers
        from transformers.utils import logging as hf_logging
    except Exception as exc:
        out["environment_error"] = f"cannot import transformers from {spec['tree_src']}: {_short_error(exc)}"
        write()
        return 0
    hf_logging.set_verbosity_error()
    out["transformers_file"] = transformers.__file__
    tree_src = Path(spec["tree_src"])
    if not Path(os.path.abspath(transformers.__file__)).is_relative_to(tree_src):
        out["environment_error"] = f"imported transformers from {transformers.__file__}, not from {tree_src}"
        write()
        return 0
    out["import_seconds"] = round(time.perf_counter() - started, 3)
    with tempfile.TemporaryDirectory(prefix="tfscaffold-verify-") as work:
        if "batch" not in spec:
            out.update(run_model(spec, Path(work)))
        else:  # several models of the tree, one after the other: each entry as a single model's result
            shared = {k: out[k] for k in ("environment_error", "transformers_file", "import_seconds")}
            out["batch"] = []
            for i, entry in enumerate(spec["batch"], 1):
                progress(f"model {i}/{len(spec['batch'])}: {entry['pt_module'].rsplit('.', 1)[-1][len('modeling_'):]}")
                out["batch"].append({**shared, "error": None, "classes": [], **run_model(entry, Path(work))})
                write()  # a batch that dies later keeps what it finished
    write()
    return 0


def run_model(spec: dict, work: Path) -> dict[str, Any]:
    """Every class of one model's spec: ``{"classes": [...]}``, or ``{"error": ...}`` if its modules do not import."""
    import tensorflow as tf

    try:
        pt_module = importlib.import_module(spec["pt_module"])
        tf_modules = {c["module"]: importlib.import_module(c["module"]) for c in spec["classes"]}
    except Exception as exc:
        return {"error": f"cannot import the model's modules: {_short_error(exc)}"}
    classes = []
    for i, entry in enumerate(spec["classes"], 1):
        progress(f"[{i}/{len(spec['classes'])}] {entry['name']}")
        classes.append(run_class(entry["name"], pt_module, tf_modules[entry["module"]], spec, work))
        tf.keras.backend.clear_session()
    return {"classes": classes}


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main(sys.argv))
