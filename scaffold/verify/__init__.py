"""``verify``: PyTorch against TensorFlow on a tiny random config, layer by layer.

:func:`verify_model` is the whole feature as a function (the command is a thin shell over it,
and the port benchmark calls it as its oracle). It never imports torch, TensorFlow or
transformers itself: the models are built in a child process whose ``transformers`` is the
tree's own (:mod:`scaffold.verify.runner`), and the judging happens here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scaffold.checkout import Checkout, Model
from scaffold.errors import ScaffoldError
from scaffold.verify.compare import Divergence, Tolerance
from scaffold.verify.environment import require_frameworks
from scaffold.verify.result import ClassResult, LayerRow, OutputRow, VerifyResult, WeightIssue, compile_allow, judge
from scaffold.verify.tinyconfig import TinyConfig, tiny_config

__all__ = [
    "ClassResult",
    "Divergence",
    "LayerRow",
    "OutputRow",
    "Tolerance",
    "VerifyResult",
    "WeightIssue",
    "public_model_classes",
    "verify_model",
    "verify_models",
]

DEFAULT_SEED = 0
DEFAULT_PERTURB = 0.02
DEFAULT_TIMEOUT = 1800.0
_PROJECT = Path(__file__).resolve().parents[2]


class PortUnreadable(ScaffoldError):
    """The TF port does not parse: a failed port (exit 1), not bad input."""


def _tf_modules(model: Model) -> dict[str, Path]:
    return {p.stem: p for p in model.tf_modeling_files}


def _facts(path: Path):
    from scaffold.pysource import module_facts

    try:
        return module_facts(path)
    except ScaffoldError as exc:
        raise PortUnreadable(str(exc)) from None


def _is_model(path: Path, name: str, depth: int = 0) -> bool:
    """Whether a TF class derives from ``TFPreTrainedModel``, following imports across modules."""
    from scaffold.pysource import resolve_relative

    if depth > 20 or not path.is_file():
        return False
    facts = _facts(path)
    if name in facts.classes:
        for base in facts.classes[name].bases:
            base_name = base.split("[")[0].split(".")[-1]
            if base_name == "TFPreTrainedModel" or _is_model(path, base_name, depth + 1):
                return True
        return False
    if name in facts.imports:
        module, level, original = facts.imports[name]
        target = resolve_relative(path, module, level)
        return target is not None and _is_model(target, original, depth + 1)
    return False


def _calls(path: Path) -> dict[str, tuple[bool, list[str]]]:
    """Class -> (whether it defines ``call``, its base names) for one TF module, read once."""
    return {name: (first is not None, bases) for name, (first, bases) in _call_facts(path).items()}


def _call_facts(path: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Class -> (the first parameter of its own ``call``, "" for none, None without a call; base names)."""
    import ast

    from scaffold.pysource import parse

    key = (str(path), path.stat().st_mtime_ns)
    if key not in _CALLS:
        tree = parse(path)
        found: dict[str, tuple[str | None, list[str]]] = {}
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            call = next((m for m in node.body if isinstance(m, ast.FunctionDef) and m.name == "call"), None)
            params = [a.arg for a in call.args.args[1:]] if call is not None else []
            first = None if call is None else (params[0] if params else "")
            found[node.name] = (first, [ast.unparse(b).split(".")[-1] for b in node.bases])
        _CALLS[key] = found
    return _CALLS[key]


_CALLS: dict[tuple[str, int], dict[str, tuple[str | None, list[str]]]] = {}

# what the runner can make for a model's first input (``inputs.make_inputs``)
MADE_INPUTS = frozenset(
    {"input_ids", "pixel_values", "input_values", "input_features", "attention_mask", "decoder_input_ids"}
)


def _component(path: Path, name: str) -> bool:
    """A model class whose ``call`` starts with something no processor makes (SegFormer's decode head
    takes the encoder's hidden states): a component other classes call, verified through them."""
    facts = _call_facts(path)
    current, seen = name, set()
    while current in facts and current not in seen:
        seen.add(current)
        first, bases = facts[current]
        if first is not None:
            return bool(first) and first not in MADE_INPUTS and first != "inputs"
        current = bases[0] if bases else ""
    return False


def _abstract(path: Path, name: str) -> bool:
    """Whether a TF model class has no ``call`` of its own or of its module's bases.

    A deprecated alias of the pretrained base (``class TFPretrainedBartModel(TFBartPreTrainedModel)``
    with only a warning) has no forward in PyTorch either: there is nothing to build or compare.
    A base imported from another module may bring a ``call``: such a class counts as concrete.
    """
    classes = _calls(path)
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current not in classes:
            if current != "TFPreTrainedModel":
                return False
            continue
        has_call, bases = classes[current]
        if has_call:
            return False
        todo.extend(bases)
    return True


def public_model_classes(checkout: Checkout, model: Model) -> list[str]:
    """The port's public model classes: exported TF names that are models, without the abstract base
    (nor its deprecated aliases: classes with no ``call`` anywhere in the port).

    Exported building blocks (``TFBertEmbeddings``) and main layers have no PyTorch twin to load
    from a checkpoint of their own, so they are verified through the models that hold them.
    """
    from scaffold.registry.exports import read_exports

    exports = read_exports(checkout, model)
    out: list[str] = []
    for module, names in exports.modules.items():
        path = exports.module_path(module)
        for name in names:
            if name in out or name.lower().endswith("pretrainedmodel"):
                continue
            if _is_model(path, name) and not _abstract(path, name) and not _component(path, name):
                out.append(name)
    return out


def _defined_model_classes(model: Model) -> list[str]:
    """Model classes of the TF files in definition order: for a port not registered (yet)."""
    out = []
    for path in _tf_modules(model).values():
        classes = sorted(_facts(path).classes.values(), key=lambda c: c.line)
        for cls in classes:
            if (
                not cls.name.lower().endswith("pretrainedmodel")
                and _is_model(path, cls.name)
                and not _abstract(path, cls.name)
                and not _component(path, cls.name)
            ):
                out.append(cls.name)
    return out


def _class_module(checkout: Checkout, model: Model, name: str) -> str | None:
    for stem, path in _tf_modules(model).items():
        if name in _facts(path).classes:
            return stem
    return None


def _resolve_classes(checkout: Checkout, model: Model, wanted: Sequence[str] | None) -> list[tuple[str, str]]:
    if not model.tf_modeling_files:
        raise ScaffoldError(f"model {model.name!r} has no TF port: {checkout.rel(model.folder)}/modeling_tf_*.py")
    pt_file = model.folder / f"modeling_{model.name}.py"
    if not pt_file.is_file():
        raise ScaffoldError(f"model {model.name!r} has no PyTorch modeling file {checkout.rel(pt_file)}")
    if wanted:
        out = []
        for name in wanted:
            tf_name = name if name.startswith("TF") else f"TF{name}"
            module = _class_module(checkout, model, tf_name)
            if module is None:
                public = ", ".join(public_model_classes(checkout, model)) or "none"
                raise ScaffoldError(f"no class {tf_name} in the TF port of {model.name} (public models: {public})")
            out.append((tf_name, module))
        return out
    names = public_model_classes(checkout, model) or _defined_model_classes(model)
    if not names:
        raise ScaffoldError(f"the TF port of {model.name} has no model class (TFPreTrainedModel subclass)")
    out = []
    for name in names:
        module = _class_module(checkout, model, name)
        if module is not None:
            out.append((name, module))
    return out


def _check_tolerance(tolerance: Tolerance) -> None:
    for name in ("atol", "rtol", "max_error"):
        value = getattr(tolerance, name)
        if value is not None and not (value >= 0 and value < float("inf")):
            raise ScaffoldError(f"--{name.replace('_', '-')} must be a finite number >= 0, not {value}")


def run_spec(
    spec: dict[str, Any],
    *,
    progress: Callable[[str], None] | None,
    timeout: float,
    module: str = "scaffold.verify.runner",
    what: str = "verify",
) -> dict[str, Any]:
    """Run a runner module (``verify``'s by default) on a spec in a child process whose ``transformers`` is the tree's.

    ``weights`` runs its own runner through the same door: one place sets the child's environment,
    forwards its progress lines and turns a hang or a crash into a result.
    """
    from scaffold.verify.runner import PROGRESS

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([spec["tree_src"], str(_PROJECT)])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix=f"tfscaffold-{what}-") as tmp:
        spec = dict(spec, result_path=str(Path(tmp) / "result.json"))
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        # cwd is the temporary folder, so that ``-m`` puts nothing of the user's on sys.path.
        proc = subprocess.Popen(
            [sys.executable, "-m", module, str(spec_path)],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        log: list[str] = []

        def read() -> None:
            # A thread drains stderr so that a silent, hung child still meets the timeout below.
            assert proc.stderr is not None
            for line in proc.stderr:
                if line.startswith(PROGRESS):
                    if progress is not None:
                        progress(line[len(PROGRESS) :].rstrip("\n"))
                else:
                    log.append(line.rstrip("\n"))
                    del log[:-40]

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            reader.join(timeout=5)
            return {"error": f"gave up after {timeout:.0f} s: the models did not finish", "classes": []}
        reader.join(timeout=5)
        result_path = Path(spec["result_path"])
        if not result_path.is_file():
            tail = "\n".join(line for line in log if line.strip())[-2000:]
            return {"error": f"the {what} process died (exit {code}) before reporting:\n{tail}", "classes": []}
        return json.loads(result_path.read_text(encoding="utf-8"))


def verify_model(
    checkout: Checkout,
    model: str | Model,
    *,
    classes: Sequence[str] | None = None,
    tolerance: Tolerance | None = None,
    overrides: dict[str, Any] | None = None,
    allow_missing: Sequence[str] = (),
    seed: int = DEFAULT_SEED,
    perturb: float | None = DEFAULT_PERTURB,
    progress: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    inputs: dict[str, dict[str, Any]] | None = None,
) -> VerifyResult:
    """Verify the TF port of ``model`` against its PyTorch implementation, in ``checkout``'s code.

    Raises :class:`ScaffoldError` for bad input (unknown model or class, no TF port, a bad
    pattern or tolerance, no torch/TensorFlow); anything the port itself gets wrong, including
    failing to import or build, is a result with ``ok`` false.
    """
    started = time.perf_counter()
    require_frameworks()  # before any work: a missing framework is one line, not the child's traceback
    tolerance = tolerance or Tolerance()
    _check_tolerance(tolerance)
    planned = _plan(checkout, model, classes, tolerance, overrides, allow_missing, seed, perturb)
    if isinstance(planned, VerifyResult):
        return planned
    base, spec = planned
    spec["given_inputs"] = dict(inputs or {})
    raw = run_spec(spec, progress=progress, timeout=timeout)
    if raw.get("environment_error"):
        raise ScaffoldError(raw["environment_error"])
    return _judged(base, raw, tolerance, compile_allow(list(allow_missing)), started)


def verify_models(
    checkout: Checkout,
    models: Sequence[str | Model],
    *,
    tolerance: Tolerance | None = None,
    seed: int = DEFAULT_SEED,
    perturb: float | None = DEFAULT_PERTURB,
    progress: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[VerifyResult]:
    """:func:`verify_model` on several models of one tree, every class of each, in one child process.

    Importing torch, TensorFlow and the tree's transformers costs a child 10-30 s, more than
    verifying a small model; a family of models verified together pays it once. The results are
    those :func:`verify_model` gives model by model (each model's classes are built after the
    previous model's are cleared), in the order given; ``timeout`` is for the whole batch.
    """
    started = time.perf_counter()
    require_frameworks()
    tolerance = tolerance or Tolerance()
    _check_tolerance(tolerance)
    plans = [_plan(checkout, m, None, tolerance, None, (), seed, perturb) for m in models]
    batch = [p for p in plans if not isinstance(p, VerifyResult)]
    if batch:
        spec = {"tree_src": batch[0][1]["tree_src"], "batch": [s for _, s in batch]}
        raw = run_spec(spec, progress=progress, timeout=timeout)
        if raw.get("environment_error"):
            raise ScaffoldError(raw["environment_error"])
        done = raw.get("batch") or []
        # a child that died or timed out: the models it did not finish get its error
        lost = raw.get("error") or "the verify process died before it reached this model"
        raws = iter(done + [dict(raw, error=lost, classes=[])] * (len(batch) - len(done)))
    out = []
    for planned in plans:
        if isinstance(planned, VerifyResult):
            out.append(planned)
        else:
            out.append(_judged(planned[0], next(raws), tolerance, compile_allow([]), started))
    return out


def _plan(
    checkout: Checkout,
    model: str | Model,
    classes: Sequence[str] | None,
    tolerance: Tolerance,
    overrides: dict[str, Any] | None,
    allow_missing: Sequence[str],
    seed: int,
    perturb: float | None,
) -> VerifyResult | tuple[VerifyResult, dict[str, Any]]:
    """The result to fill and the child's spec; or the finished result of a port that does not parse."""
    compile_allow(list(allow_missing))  # a bad pattern is bad input, before any work
    if isinstance(model, str):
        model = checkout.model(model)
    tiny: TinyConfig = tiny_config(checkout, model)
    base = VerifyResult(model.name, str(checkout.root), tolerance, list(allow_missing), tiny.configs, tiny.sources)
    base.seed = seed
    try:
        selected = _resolve_classes(checkout, model, classes)
    except PortUnreadable as exc:
        base.error = f"the TF port does not parse: {exc}"
        return base
    if overrides:
        tiny.apply(overrides)
    if not tiny.configs:
        raise ScaffoldError(f"no PretrainedConfig class in {checkout.rel(model.folder)}/configuration_{model.name}.py")
    package = "transformers." + model.package
    spec = {
        "tree_src": str((checkout.root / "src").resolve()),
        "pt_module": f"{package}.modeling_{model.name}",
        "classes": [{"name": name, "module": f"{package}.{module}"} for name, module in selected],
        "configs": tiny.configs,
        "roots": tiny.roots,
        "seed": seed,
        "perturb": perturb,
        "tester_inputs": tiny.inputs,
    }
    return base, spec


def _judged(
    result: VerifyResult, raw: dict[str, Any], tolerance: Tolerance, allow: Any, started: float
) -> VerifyResult:
    result.error = raw.get("error")
    result.transformers_file = raw.get("transformers_file")
    result.import_seconds = raw.get("import_seconds")
    result.raw_classes = raw.get("classes", [])
    result.classes = [judge(entry, tolerance, allow) for entry in result.raw_classes]
    result.seconds = round(time.perf_counter() - started, 3)
    return result
