"""``weights``: TF weights from a PyTorch checkpoint (or PyTorch weights from a TF one), checked, offline.

What ``transformers-cli pt-to-tf`` did before transformers 4.49 dropped it, for a local folder and
the tree's own port, hand-written or generated: load the checkpoint, fill the other framework's
model from it, run both on the inputs ``verify`` makes for the class, compare every output and
hidden state, save, reload what was saved (without ``from_pt``) and compare again. The files reach
``--out`` only when every difference is within ``--max-error``; otherwise nothing is written.

:func:`convert_weights` is the feature as a function. Like ``verify`` it never imports torch,
TensorFlow or transformers: :mod:`scaffold.weights.runner` does the work in a child process whose
``transformers`` is the tree's, and writes only into a staging folder this process moves from.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.checkout import Checkout
from scaffold.errors import ScaffoldError
from scaffold.names import is_identifier
from scaffold.weights.checkpoint import (
    SIDE_FILES,
    WRITTEN,
    Checkpoint,
    check_out,
    check_shard_size,
    human_size,
    open_checkpoint,
)

DEFAULT_MAX_ERROR = 5e-5  # transformers-cli pt-to-tf's default
DEFAULT_TIMEOUT = 6 * 3600.0  # a seven-billion-parameter model loads for a while on a laptop

__all__ = ["DEFAULT_MAX_ERROR", "OutputDiff", "WeightsResult", "convert_weights"]


@dataclass
class OutputDiff:
    """One output tensor (a hidden state is one too): its largest absolute difference to the source model.

    ``converted`` is the model filled in memory; ``reloaded`` the same class loaded from the files
    about to be written. Both must be within the limit: the second proves the files, the first
    the conversion (it names a port fault even when saving also goes wrong).
    """

    name: str
    shape: list[int]
    converted: float | None
    reloaded: float | None
    note: str = ""

    @property
    def largest(self) -> float | None:
        values = [self.converted, self.reloaded]
        if any(v is None or not math.isfinite(v) for v in values):
            return None
        return max(values)  # type: ignore[type-var]

    def within(self, limit: float) -> bool:
        largest = self.largest
        return largest is not None and largest <= limit


@dataclass
class WeightsResult:
    """What ``weights`` found; ``ok`` means the files were (or, for a caller, may be) written."""

    source: str
    out: str
    to_pt: bool
    checkpoint: str
    max_error: float
    pt_class: str | None = None
    tf_class: str | None = None
    inputs: dict[str, list[int]] = field(default_factory=dict)
    outputs: list[OutputDiff] = field(default_factory=list)
    weights: dict[str, list] = field(default_factory=dict)
    source_missing: list[str] = field(default_factory=list)
    error: str | None = None
    written: list[str] = field(default_factory=list)
    seconds: float | None = None
    peak_rss_bytes: int | None = None
    baseline_rss_bytes: int | None = None  # the peak once torch, TF and transformers were imported
    weight_bytes: int | None = None

    @property
    def direction(self) -> str:
        return "tf-to-pt" if self.to_pt else "pt-to-tf"

    @property
    def beyond(self) -> list[OutputDiff]:
        return [o for o in self.outputs if not o.within(self.max_error)]

    @property
    def reasons(self) -> list[str]:
        """Why the files are refused, one phrase each; empty when they are not."""
        out = []
        if self.error:
            out.append(self.error)
        target = "PyTorch model" if self.to_pt else "TF port"
        source = "TF" if self.to_pt else "PyTorch"
        if self.source_missing:
            out.append(f"the {source} checkpoint lacks weights of {self._source_class}: {_names(self.source_missing)}")
        if self.weights.get("missing"):
            out.append(f"the {target} has weights the checkpoint does not fill: {_names(self.weights['missing'])}")
        if self.weights.get("mismatched"):
            shown = [f"{k} {a} vs {b}" for k, a, b in self.weights["mismatched"]]
            out.append(f"weights of another shape in the {target}: {_names(shown)}")
        if self.beyond:
            shown = [f"{o.name} ({_fmt(o.largest)}{'; ' + o.note if o.note else ''})" for o in self.beyond]
            out.append(f"{len(self.beyond)} output(s) beyond --max-error {self.max_error:g}: {_names(shown, 8)}")
        elif not self.outputs and not self.error:
            out.append("the models returned no tensors to compare")
        return out

    @property
    def _source_class(self) -> str | None:
        return self.tf_class if self.to_pt else self.pt_class

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def largest(self) -> float | None:
        values = [o.largest for o in self.outputs]
        return None if not values or any(v is None for v in values) else max(values)  # type: ignore[type-var]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "direction": self.direction,
            "source": self.source,
            "checkpoint": self.checkpoint,
            "out": self.out,
            "pt_class": self.pt_class,
            "tf_class": self.tf_class,
            "max_error": self.max_error,
            "largest_difference": self.largest,
            "inputs": self.inputs,
            "outputs": [{**o.__dict__, "ok": o.within(self.max_error)} for o in self.outputs],
            "weights": self.weights,
            "source_missing": self.source_missing,
            "error": self.error,
            "refused": self.reasons,
            "written": self.written,
            "seconds": self.seconds,
            "weight_bytes": self.weight_bytes,
            "peak_rss_bytes": self.peak_rss_bytes,
            "baseline_rss_bytes": self.baseline_rss_bytes,
        }


def _fmt(value: float | None) -> str:
    return "no value" if value is None else f"{value:.2e}"


def _names(items: list[str], limit: int = 5) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _check_request(max_error: float, tf_class: str | None, max_shard_size: str | None) -> None:
    if not (max_error >= 0 and math.isfinite(max_error)):
        raise ScaffoldError(f"--max-error must be a finite number >= 0, not {max_error}")
    if tf_class is not None and not is_identifier(tf_class):
        raise ScaffoldError(f"--class takes a class name such as TFBertForMaskedLM, not {tf_class!r}")
    check_shard_size(max_shard_size)


def _staging_parent(out: Path) -> Path:
    """Where the staging folder goes: beside ``--out``, so publishing the files is a rename, not a copy."""
    out = out.absolute()
    if out.exists():
        return out.parent
    return next(p for p in out.parents if p.exists())


def publish(staging: Path, out: Path, checkpoint: Checkpoint, target: str) -> list[str]:
    """Move the saved weights into ``out`` and copy the source's config; returns the paths written.

    Weight files of the target framework that an earlier save left in ``out`` and this one did not
    write (a shard 3 of 3 when there are now 2) are removed, or the new index would sit beside
    stale shards. The config is the checkpoint's own file, byte for byte.
    """
    pattern = WRITTEN[target]
    new = sorted(p for p in staging.iterdir() if pattern.match(p.name))
    out.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in new}
    for old in out.iterdir():
        if pattern.match(old.name) and old.name not in names and old.is_file():
            old.unlink()
    written = []
    for path in new:
        os.replace(path, out / path.name)
        written.append(str(out / path.name))
    for name in SIDE_FILES:
        source = checkpoint.folder / name
        target_path = out / name
        if source.is_file() and not (target_path.exists() and target_path.resolve() == source.resolve()):
            shutil.copy2(source, target_path)
            written.append(str(target_path))
    return written


def convert_weights(
    checkout: Checkout,
    path: Path,
    *,
    out: Path | None = None,
    max_error: float = DEFAULT_MAX_ERROR,
    tf_class: str | None = None,
    to_pt: bool = False,
    max_shard_size: str | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> WeightsResult:
    """Convert the checkpoint in ``path`` with the tree's port, check it, and write it when within ``max_error``.

    Raises :class:`ScaffoldError` for bad input (a missing or damaged file, no TF port for the
    class, a bad option, no torch/TensorFlow): nothing is written then. A port that fails to
    build or run, or outputs beyond the limit, is a result with ``ok`` false: nothing is written
    either. ``out`` defaults to ``path``, as ``pt-to-tf`` added ``tf_model.h5`` beside the weights.
    """
    from scaffold.verify import run_spec
    from scaffold.verify.environment import require_frameworks

    _check_request(max_error, tf_class, max_shard_size)
    checkpoint = open_checkpoint(path, "tf" if to_pt else "pt")
    out = out if out is not None else path
    check_out(out)
    require_frameworks("weights")
    if progress is not None:
        progress(f"{path}: {'TF' if to_pt else 'PyTorch'} checkpoint, {checkpoint.describe()}")
    result = WeightsResult(str(path), str(out), to_pt, checkpoint.describe(), max_error)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".tfscaffold-weights-", dir=_staging_parent(out)))
    except OSError as exc:
        raise ScaffoldError(f"cannot write beside --out {out}: {exc}") from None
    try:
        spec = {
            "tree_src": str((checkout.root / "src").resolve()),
            "source": str(path.resolve()),
            "staging": str(staging),
            "to_pt": to_pt,
            "model_type": checkpoint.model_type,
            "architectures": checkpoint.architectures,
            "tf_class": tf_class,
            "max_shard_size": max_shard_size,
        }
        raw = run_spec(spec, progress=progress, timeout=timeout, module="scaffold.weights.runner", what="weights")
        if raw.get("environment_error"):
            raise ScaffoldError(raw["environment_error"])
        if raw.get("error_kind") == "input":
            raise ScaffoldError(raw["error"])
        _fill(result, raw)
        if result.ok:
            result.written = publish(staging, out, checkpoint, "pt" if to_pt else "tf")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _fill(result: WeightsResult, raw: dict[str, Any]) -> None:
    result.error = raw.get("error")
    result.pt_class, result.tf_class = raw.get("pt_class"), raw.get("tf_class")
    result.inputs = raw.get("inputs", {})
    result.outputs = [OutputDiff(**row) for row in raw.get("outputs", [])]
    result.weights = raw.get("weights", {})
    result.source_missing = raw.get("source_missing", [])
    result.seconds = raw.get("seconds")
    result.peak_rss_bytes = raw.get("peak_rss_bytes")
    result.baseline_rss_bytes = raw.get("baseline_rss_bytes")
    result.weight_bytes = raw.get("weight_bytes")


def summary(result: WeightsResult) -> str:
    """The last line of the report: the largest difference, memory and time."""
    memory = ""
    if result.peak_rss_bytes and result.weight_bytes is not None:
        above = ""
        if result.baseline_rss_bytes:
            above = f" ({human_size(max(result.peak_rss_bytes - result.baseline_rss_bytes, 0))} above the frameworks)"
        memory = f"; peak memory {human_size(result.peak_rss_bytes)}{above} for {human_size(result.weight_bytes)} of weights"
    seconds = f"; {result.seconds:.1f} s" if result.seconds is not None else ""
    return f"largest difference {_fmt(result.largest)} (--max-error {result.max_error:g}){memory}{seconds}"
