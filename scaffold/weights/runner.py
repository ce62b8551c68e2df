"""The part of ``weights`` that runs PyTorch and TensorFlow: one checkpoint, JSON in and out.

Run as ``python -m scaffold.weights.runner SPEC.json`` with the tree's ``src`` first on
``PYTHONPATH`` (as :mod:`scaffold.verify.runner` is), so the port converted is the tree's own,
hand-written or generated. It loads the source checkpoint, fills the other framework's model from
it in memory, runs both on the inputs ``verify`` makes for the class, saves the converted weights
into a staging folder, frees the converted model, reloads what was saved and runs it again. The
parent judges the numbers and moves the files; this process never writes outside the staging folder.

Memory: the source model and the converted model each hold the weights once. The PyTorch to TF
copy reads the PyTorch tensors as numpy views one at a time (no state-dict copy), the TF to
PyTorch copy converts one variable at a time into the PyTorch tensor in place, and the converted
model is freed before its saved weights are reloaded.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import json
import os
import re
import resource
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from scaffold.verify.inputs import make_inputs, orient_to_signature, signature_inputs
from scaffold.verify.runner import _short_error, _to_numpy, flatten_outputs, progress, unstack_like

SEED = 0
TF_INDEX = "tf_model.h5.index.json"
TF_WEIGHTS = "tf_model.h5"


class InputError(Exception):
    """The checkpoint or the request is at fault (exit 2), not the port."""


class _Ticker:
    """Progress lines at most every two seconds while a long copy runs, so a big model shows life."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.done, self.last = what, total, 0, time.perf_counter()

    def tick(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if now - self.last >= 2.0:
            progress(f"{self.what}: {self.done} of {self.total} tensors")
            self.last = now

    def finish(self, started: float) -> None:
        progress(f"{self.what}: {self.done} tensors in {time.perf_counter() - started:.1f} s")


class NumpyState(Mapping):
    """A PyTorch state dict seen as numpy arrays, made one at a time when the loader asks.

    ``Tensor.numpy()`` shares the tensor's memory, so the PyTorch to TF copy holds no second copy of
    the weights (transformers' own ``load_pytorch_weights_in_tf2_model`` converts the whole dict up
    front). bfloat16 has no numpy type: such a tensor is upcast alone, as transformers does.
    """

    def __init__(self, state: Mapping[str, Any], ticker: _Ticker) -> None:
        self._state = state
        self._ticker = ticker
        self.read: set[int] = set()  # storages handed out: a key sharing one of them is a tied weight

    def __getitem__(self, key: str) -> Any:
        import torch

        tensor = self._state[key]
        self._ticker.tick()
        self.read.add(tensor.data_ptr())
        return tensor.float().numpy() if tensor.dtype == torch.bfloat16 else tensor.numpy()

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)


# --- classes and configs -------------------------------------------------------------------------


def _lookup(transformers: Any, module_name: str, name: str) -> Any:
    """A class of the tree by name: the public export, else the model package, else its TF modules.

    A generated port is exported once ``new`` has registered it; the fallbacks find a class that
    the model's files define but the main ``__init__`` does not export (yet).
    """
    found = getattr(transformers, name, None)
    if found is not None:
        return found
    package = importlib.import_module(f"transformers.models.{module_name}")
    found = getattr(package, name, None)
    if found is not None:
        return found
    folder = Path(package.__file__).parent
    prefix = "modeling_tf_" if name.startswith("TF") else "modeling_"
    for path in sorted(folder.glob(f"{prefix}*.py")):
        if not name.startswith("TF") and path.stem.startswith(("modeling_tf_", "modeling_flax_")):
            continue  # a PyTorch class: never import the other frameworks' modules (Flax may not be installed)
        module = importlib.import_module(f"{package.__name__}.{path.stem}")
        if isinstance(getattr(module, name, None), type):
            return getattr(module, name)
    return None


def resolve_classes(spec: dict[str, Any], transformers: Any) -> tuple[Any, Any]:
    """The PyTorch class and its TF twin: ``--class``, else the checkpoint's architecture, else the base model."""
    from transformers.models.auto.configuration_auto import model_type_to_module_name
    from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES

    model_type = spec["model_type"]
    wanted = spec.get("tf_class")
    if wanted:
        tf_name = wanted if wanted.startswith("TF") else f"TF{wanted}"
        pt_name = tf_name[2:]
    else:
        architectures = spec.get("architectures") or []
        pt_name = architectures[0] if architectures else MODEL_MAPPING_NAMES.get(model_type)
        if not pt_name:
            raise InputError(f"config.json names no architecture and model type {model_type!r} has no base model")
        tf_name = f"TF{pt_name}"
    module_name = model_type_to_module_name(model_type)
    try:
        importlib.import_module(f"transformers.models.{module_name}")
    except ImportError as exc:
        raise InputError(f"the tree has no model for model type {model_type!r}: {_short_error(exc)}") from None
    tf_cls = _lookup(transformers, module_name, tf_name)
    if tf_cls is None:
        hint = "" if wanted else " (--class converts with another class of the port)"
        raise InputError(f"the tree has no class {tf_name} in its TF port of {module_name!r}{hint}")
    pt_cls = _lookup(transformers, module_name, pt_name)
    if pt_cls is None:
        raise InputError(f"the tree has no PyTorch class {pt_name}, the twin of {tf_name}")
    return pt_cls, tf_cls


def load_config(pt_cls: Any, source: Path) -> Any:
    """The checkpoint's config, with a padding id where it has none (in memory only, never written).

    Decoder heads that pool the last non-padding token refuse a batch of two without one; the
    inputs hold no special ids, so any id serves (``verify`` does the same).
    """
    try:
        config = pt_cls.config_class.from_pretrained(str(source))
    except Exception as exc:
        raise InputError(f"cannot read {source / 'config.json'}: {_short_error(exc)}") from None
    if hasattr(config, "pad_token_id") and config.pad_token_id is None:
        eos = getattr(config, "eos_token_id", None)
        config.pad_token_id = eos if isinstance(eos, int) else 0
    return config


# --- loading -------------------------------------------------------------------------------------


def load_pt_checkpoint(pt_cls: Any, config: Any, source: Path) -> tuple[Any, list[str]]:
    """The PyTorch model of the checkpoint, in eval mode, and the weights the checkpoint lacked."""
    progress(f"loading PyTorch weights into {pt_cls.__name__} from {source}")
    started = time.perf_counter()
    try:
        model, info = pt_cls.from_pretrained(str(source), config=config, output_loading_info=True)
    except Exception as exc:
        raise InputError(f"cannot load the PyTorch checkpoint in {source}: {_short_error(exc)}") from None
    progress(f"loaded {pt_cls.__name__} in {time.perf_counter() - started:.1f} s")
    return model.eval(), sorted(info.get("missing_keys", []))


def pt_into_tf(tf_cls: Any, config: Any, pt_model: Any) -> tuple[Any, dict[str, Any]]:
    """Build the TF model and copy the PyTorch model's weights into it, as ``from_pt=True`` does."""
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    progress(f"building {tf_cls.__name__}")
    tf_model = tf_cls(config)
    state = pt_model.state_dict()
    ticker = _Ticker(f"copying weights into {tf_cls.__name__}", len(state))
    started = time.perf_counter()
    numpy_state = NumpyState(state, ticker)
    _, info = load_pytorch_state_dict_in_tf2_model(
        tf_model,
        numpy_state,
        allow_missing_keys=True,
        output_loading_info=True,
        ignore_mismatched_sizes=True,
        tf_to_pt_weight_rename=getattr(tf_model, "tf_to_pt_weight_rename", None),
        skip_logger_warnings=True,
    )
    ticker.finish(started)
    # A tied weight (GPT-2's lm_head.weight is wte.weight) has one variable in TF: not unused.
    unexpected = [k for k in info["unexpected_keys"] if state[k].data_ptr() not in numpy_state.read]
    return tf_model, {
        "missing": sorted(info["missing_keys"]),
        "unexpected": sorted(unexpected),
        "mismatched": [[k, list(a), list(b)] for k, a, b in info["mismatched_keys"]],
    }


def _tf_weight_files(source: Path) -> tuple[bool, list[str]]:
    index = source / TF_INDEX
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return True, [str(source / name) for name in sorted(set(weight_map.values()))]
    return False, [str(source / TF_WEIGHTS)]


def load_tf_checkpoint(tf_cls: Any, config: Any, source: Path) -> tuple[Any, list[str]]:
    """The TF model of a TF checkpoint and the layers the checkpoint lacked.

    The model is built before the file is read, so a port that does not build is the port's
    failure (exit 1) and a file that does not load is the checkpoint's (exit 2).
    """
    from transformers.modeling_tf_utils import load_tf_sharded_weights, load_tf_weights

    progress(f"building {tf_cls.__name__}")
    tf_model = tf_cls(config)
    tf_model.build_in_name_scope()
    sharded, files = _tf_weight_files(source)
    progress(f"loading TF weights into {tf_cls.__name__} from {source} ({len(files)} file(s))")
    try:
        if sharded:
            missing, _, mismatched = load_tf_sharded_weights(tf_model, files, ignore_mismatched_sizes=True)
        else:
            missing, _, mismatched = load_tf_weights(tf_model, files[0], ignore_mismatched_sizes=True)
    except Exception as exc:
        raise InputError(f"cannot load the TF checkpoint in {source}: {_short_error(exc)}") from None
    for pattern in tf_cls._keys_to_ignore_on_load_missing or []:
        missing = [k for k in missing if re.search(pattern, k) is None]
    return tf_model, sorted(missing) + [f"{k} (shape {a} in the file, {b} in the model)" for k, a, b in mismatched]


def _pt_key(key: str) -> str:
    """A PyTorch weight-norm key as TF names it (``weight_g``/``weight_v``), as transformers' loader reads it."""
    parts = key.split(".")
    if parts[-3::2] == ["parametrizations", "original0"]:
        return ".".join(parts[:-3] + [parts[-2] + "_g"])
    if parts[-3::2] == ["parametrizations", "original1"]:
        return ".".join(parts[:-3] + [parts[-2] + "_v"])
    return key


def tf_into_pt(pt_cls: Any, config: Any, tf_model: Any) -> tuple[Any, dict[str, Any]]:
    """Build the PyTorch model and copy the TF weights into it one variable at a time.

    Follows transformers' ``load_tf2_state_dict_in_pytorch_model`` (names, transposes, the base
    model prefix, tied weights) but copies each variable into the live PyTorch tensor, where
    transformers first converts every variable and only then loads them all. Persistent buffers
    (BatchNorm running statistics) are copied too. A parameter TF does not have is missing; a
    buffer TF does not have (position ids, step counters) is computed by the model and is a note.
    """
    import numpy as np
    import torch
    from transformers.modeling_tf_pytorch_utils import apply_transpose, convert_tf_weight_name_to_pt_weight_name

    progress(f"building {pt_cls.__name__}")
    pt_model = pt_cls(config).eval()
    state = pt_model.state_dict(keep_vars=True)
    params = {name for name, _ in pt_model.named_parameters(remove_duplicate=False)}
    prefix = "" if any(k.startswith(pt_model.base_model_prefix) for k in state) else pt_model.base_model_prefix + "."
    variables = {}
    for variable in tf_model.weights:
        name, transpose = convert_tf_weight_name_to_pt_weight_name(
            variable.name, start_prefix_to_remove=prefix, tf_weight_shape=variable.shape
        )
        variables[name] = (variable, transpose)
    ticker = _Ticker(f"copying weights into {pt_cls.__name__}", len(state))
    started = time.perf_counter()
    loaded: set[int] = set()
    used: set[str] = set()
    absent, mismatched = [], []
    with torch.no_grad():
        for key, tensor in state.items():
            ticker.tick()
            found = variables.get(_pt_key(key))
            if tensor.data_ptr() in loaded:
                continue  # a tied weight, loaded under its other name
            if found is None:
                absent.append(key)
                continue
            variable, transpose = found
            try:
                array = np.asarray(apply_transpose(transpose, variable.numpy(), tensor.shape, pt_to_tf=False))
            except Exception:
                mismatched.append([key, list(variable.shape), list(tensor.shape)])
                continue
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)).to(tensor.dtype))
            del array
            loaded.add(tensor.data_ptr())
            used.add(_pt_key(key))
    ticker.finish(started)
    absent = [k for k in absent if state[k].data_ptr() not in loaded]
    ignored = list(pt_cls._keys_to_ignore_on_load_missing or [])
    missing = [k for k in absent if k in params and not any(re.search(p, k) for p in ignored)]
    unexpected = sorted(k for k in variables if k not in used)
    notes = [k for k in absent if k not in missing]
    return pt_model, {"missing": missing, "unexpected": unexpected, "mismatched": mismatched, "computed": notes}


# --- running and comparing -----------------------------------------------------------------------


def _accepts(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def run_pt(pt_model: Any, inputs: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every output tensor of the PyTorch model, hidden states included, as numpy."""
    import torch

    kwargs = {k: torch.from_numpy(v) for k, v in inputs.items()}
    if _accepts(pt_model.forward, "output_hidden_states"):
        kwargs["output_hidden_states"] = True
    with torch.no_grad():
        out = pt_model(**kwargs)
    return [(k, _to_numpy(v)) for k, v in flatten_outputs(out)]


def run_tf(tf_model: Any, inputs: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every output tensor of the TF model, hidden states included, as numpy."""
    import tensorflow as tf

    kwargs: dict[str, Any] = {"training": False}
    if _accepts(tf_model.call, "output_hidden_states"):
        kwargs["output_hidden_states"] = True
    out = tf_model({k: tf.constant(v) for k, v in inputs.items()}, **kwargs)
    return [(k, _to_numpy(v)) for k, v in flatten_outputs(out)]


def compare(pt_flat: list[tuple[str, Any]], tf_flat: list[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """Largest absolute difference per PyTorch output name (TF stacks split as ``verify`` splits them)."""
    import numpy as np

    from scaffold.verify.compare import array_diff

    tf_by_name = unstack_like(dict(tf_flat), [k for k, _ in pt_flat])
    out: dict[str, dict[str, Any]] = {}
    for name, pt_arr in pt_flat:
        row: dict[str, Any] = {"shape": list(pt_arr.shape), "diff": None, "note": ""}
        if name not in tf_by_name:
            row["note"] = "missing from the TF output"
        else:
            diff = array_diff(pt_arr, np.asarray(tf_by_name[name]), layout=False)
            row["diff"], row["note"] = diff.max_abs_diff, diff.note
        out[name] = row
    return out


def make_all_inputs(pt_cls: Any, tf_model: Any, config: Any) -> dict[str, Any]:
    """The inputs ``verify`` makes for the class: every modality its forward takes, laid out as TF declares."""
    inputs = make_inputs(pt_cls, config, SEED)
    inputs = orient_to_signature(tf_model, inputs)
    return inputs | signature_inputs(pt_cls, tf_model, inputs, SEED)


def _collect() -> None:
    """Release a model the caller has dropped: Keras keeps layers in its session until cleared."""
    import tensorflow as tf

    tf.keras.backend.clear_session()
    gc.collect()


def weight_bytes(pt_model: Any) -> int:
    """Bytes of the model's weights, each shared tensor once: what one copy costs."""
    seen: dict[int, int] = {}
    for tensor in pt_model.state_dict().values():
        seen[tensor.data_ptr()] = tensor.numel() * tensor.element_size()
    return sum(seen.values())


def _merge(rows: dict[str, dict[str, Any]], converted: dict[str, dict], reloaded: dict[str, dict]) -> None:
    for name, row in converted.items():
        again = reloaded.get(name, {"diff": None, "note": "missing after reloading"})
        rows[name] = {
            "name": name,
            "shape": row["shape"],
            "converted": row["diff"],
            "reloaded": again["diff"],
            "note": row["note"] or again["note"],
        }


def _save(model: Any, staging: Path, spec: dict[str, Any]) -> list[str]:
    progress(f"saving {type(model).__name__} into a staging folder")
    kwargs = {"max_shard_size": spec["max_shard_size"]} if spec.get("max_shard_size") else {}
    model.save_pretrained(str(staging), **kwargs)
    return sorted(p.name for p in staging.iterdir())


def pt_to_tf(spec: dict[str, Any], out: dict[str, Any], pt_cls: Any, tf_cls: Any, config: Any) -> None:
    """PyTorch checkpoint in, TF weights out; every step's numbers into ``out``."""
    source, staging = Path(spec["source"]), Path(spec["staging"])
    out["stage"] = "load the PyTorch checkpoint"
    pt_model, out["source_missing"] = load_pt_checkpoint(pt_cls, config, source)
    out["weight_bytes"] = weight_bytes(pt_model)
    out["stage"] = "load the weights into the TF port"
    tf_model, out["weights"] = pt_into_tf(tf_cls, config, pt_model)
    out["stage"] = "run both models"
    inputs = make_all_inputs(pt_cls, tf_model, config)
    out["inputs"] = {k: list(v.shape) for k, v in inputs.items()}
    progress(f"running {pt_cls.__name__} and {tf_cls.__name__} on {', '.join(inputs)}")
    pt_flat = run_pt(pt_model, inputs)
    converted = compare(pt_flat, run_tf(tf_model, inputs))
    out["stage"] = "save the TF weights"
    out["files"] = _save(tf_model, staging, spec)
    tf_model = None
    _collect()
    out["stage"] = "reload the saved TF weights"
    progress(f"reloading the saved weights into {tf_cls.__name__} (without from_pt)")
    reloaded_model = tf_cls.from_pretrained(str(staging), config=config)
    reloaded = compare(pt_flat, run_tf(reloaded_model, inputs))
    _merge(out["outputs"], converted, reloaded)


def tf_to_pt(spec: dict[str, Any], out: dict[str, Any], pt_cls: Any, tf_cls: Any, config: Any) -> None:
    """TF checkpoint in, PyTorch weights out; every step's numbers into ``out``."""
    source, staging = Path(spec["source"]), Path(spec["staging"])
    out["stage"] = "load the TF checkpoint"
    tf_model, out["source_missing"] = load_tf_checkpoint(tf_cls, config, source)
    out["stage"] = "load the weights into PyTorch"
    pt_model, out["weights"] = tf_into_pt(pt_cls, config, tf_model)
    out["weight_bytes"] = weight_bytes(pt_model)
    out["stage"] = "run both models"
    inputs = make_all_inputs(pt_cls, tf_model, config)
    out["inputs"] = {k: list(v.shape) for k, v in inputs.items()}
    progress(f"running {tf_cls.__name__} and {pt_cls.__name__} on {', '.join(inputs)}")
    tf_flat = run_tf(tf_model, inputs)
    converted = compare(run_pt(pt_model, inputs), tf_flat)
    out["stage"] = "save the PyTorch weights"
    out["files"] = _save(pt_model, staging, spec)
    pt_model = None
    gc.collect()
    out["stage"] = "reload the saved PyTorch weights"
    progress(f"reloading the saved weights into {pt_cls.__name__}")
    reloaded_model = pt_cls.from_pretrained(str(staging), config=config).eval()
    reloaded = compare(run_pt(reloaded_model, inputs), tf_flat)
    _merge(out["outputs"], converted, reloaded)


def _import_frameworks(spec: dict[str, Any]) -> Any:
    """transformers from the tree, after torch and TF; a string when the environment cannot run."""
    try:
        import numpy  # noqa: F401
        import tensorflow as tf
        import torch
    except Exception as exc:
        from scaffold.verify.environment import INSTALL_HINT

        return f"weights needs torch and TensorFlow: {_short_error(exc)}; install them with: {INSTALL_HINT}"
    torch.set_grad_enabled(False)
    tf.get_logger().setLevel("ERROR")
    try:
        import transformers
        from transformers.utils import logging as hf_logging
    except Exception as exc:
        return f"cannot import transformers from {spec['tree_src']}: {_short_error(exc)}"
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tree_src = Path(spec["tree_src"])
    if not Path(os.path.abspath(transformers.__file__)).is_relative_to(tree_src):
        return f"imported transformers from {transformers.__file__}, not from {tree_src}"
    return transformers


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out: dict[str, Any] = {"environment_error": None, "error": None, "error_kind": None, "stage": "", "outputs": {}}
    started = time.perf_counter()
    progress("importing torch and TensorFlow")
    transformers = _import_frameworks(spec)
    # Peak memory so far (the frameworks imported): what the weights add is measured from here.
    out["baseline_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if isinstance(transformers, str):
        out["environment_error"] = transformers
    else:
        try:
            out["stage"] = "find the classes"
            pt_cls, tf_cls = resolve_classes(spec, transformers)
            out["pt_class"], out["tf_class"] = pt_cls.__name__, tf_cls.__name__
            out["stage"] = "read the config"
            config = load_config(pt_cls, Path(spec["source"]))
            convert = tf_to_pt if spec["to_pt"] else pt_to_tf
            convert(spec, out, pt_cls, tf_cls, config)
            out["stage"] = "done"
        except InputError as exc:
            out["error"], out["error_kind"] = str(exc), "input"
        except Exception as exc:  # the port failed to import, build or run: a refusal, not a crash
            out["error"], out["error_kind"] = f"{out['stage']}: {_short_error(exc)}", "port"
    out["outputs"] = list(out["outputs"].values())
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(spec["result_path"]).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main(sys.argv))
