"""How PyTorch and TensorFlow values are put side by side: paths, layouts, tolerance, blame.

Shared by the process that runs the models (paths, array differences) and by the process that
judges the numbers (tolerance, the first diverging layer), so the rules live in one place.
numpy is imported only by the functions that take arrays: judging needs none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_LEVEL = "_._"  # a TF list item ``layer_._0`` is the PyTorch level ``layer.0``
_RENAME = re.compile(r"^.*___")  # ``mlm___cls``: the TF name before ``___`` is dropped by the loader


@dataclass(frozen=True)
class Tolerance:
    """A difference passes when it is at most ``atol + rtol * scale`` (``scale``: largest PyTorch value).

    ``max_error`` relaxes it, as ``transformers-cli pt-to-tf --max-error`` did: a difference up to
    ``max_error`` passes whatever the scale.
    """

    atol: float = 1e-5
    rtol: float = 1e-5
    max_error: float | None = None

    def limit(self, scale: float) -> float:
        value = self.atol + self.rtol * (scale if math.isfinite(scale) else 0.0)
        if self.max_error is not None:
            value = max(value, self.max_error)
        return value

    def within(self, diff: float | None, scale: float) -> bool:
        return diff is not None and math.isfinite(diff) and diff <= self.limit(scale)


def tf_component(name: str) -> str:
    """One TF layer name as a PyTorch path component (or components)."""
    name = _RENAME.sub("", name)
    return name.replace(_LEVEL, ".").replace("/", ".")


def tf_path(names: Iterable[str]) -> str:
    """The dotted path of a TF layer from the chain of layer names below the model."""
    return ".".join(p for p in (tf_component(n) for n in names) if p)


def path_candidates(path: str, prefix: str) -> list[str]:
    """Ways a TF path may be spelled on the PyTorch side.

    TF keeps the base model in a main layer named by ``base_model_prefix`` even in the base
    model itself, where PyTorch has no such level; PyTorch heads have the level, TF heads too.
    """
    out = [path]
    if prefix:
        if path.startswith(prefix + "."):
            out.append(path[len(prefix) + 1 :])
        elif path == prefix:
            out.append("")
        else:
            out.append(f"{prefix}.{path}")
    return out


def weight_owner(key: str) -> str:
    """The module path that holds a weight: ``a.b.dense.weight`` -> ``a.b.dense``."""
    return key.rsplit(".", 1)[0] if "." in key else ""


@dataclass
class ArrayDiff:
    max_abs_diff: float | None  # None when the shapes cannot be matched
    scale: float  # largest absolute PyTorch value
    perm: list[int] | None  # axes of the TF array that give the PyTorch layout, when not identity
    note: str = ""


def _layout_perms(ndim: int) -> list[tuple[int, ...]]:
    """The layouts a TF tensor may legitimately have: PyTorch's, or channels last.

    Identity, channels-last to channels-first (Conv2D/Conv1D outputs: NHWC vs NCHW) and its
    inverse. Nothing else: a tensor whose spatial axes are swapped is a fault, not a layout.
    """
    identity = tuple(range(ndim))
    if ndim < 3:
        return [identity]
    return [identity, (0, ndim - 1, *range(1, ndim - 1)), (0, *range(2, ndim), 1)]


def array_diff(pt: Any, tf: Any, *, layout: bool = True) -> ArrayDiff:
    """Largest absolute difference of two arrays.

    With ``layout`` (intermediate layers), the TF array may be a permutation of the PyTorch one
    (channels last), broadcast where PyTorch expands, or flattened in its leading axes; when
    several permutations fit (a square feature map), the closest one is taken. Without it
    (model outputs), the shapes must be equal: a TF model returns PyTorch's layout.
    """
    import numpy as np

    pt = np.asarray(pt)
    tf = np.asarray(tf)
    if pt.dtype.kind in "biu" and tf.dtype.kind in "biu":
        pt, tf = pt.astype(np.int64), tf.astype(np.int64)
    else:
        pt, tf = pt.astype(np.float64), tf.astype(np.float64)
    finite = pt[np.isfinite(pt)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    if not layout or pt.ndim != tf.ndim or pt.size != tf.size:
        if pt.shape == tf.shape:
            return _finish(np, pt, tf, scale, None, "")
        if layout:
            return _reshaped(np, pt, tf, scale)
        if pt.size == tf.size == 1:
            # a scalar loss: TF heads return it with shape (1,), transformers' TF convention
            return _finish(np, pt, tf.reshape(pt.shape), scale, None, "one value in both")
        return ArrayDiff(None, scale, None, f"shape {list(pt.shape)} vs {list(tf.shape)}")
    best: ArrayDiff | None = None
    for perm in _layout_perms(tf.ndim):
        if tuple(tf.shape[i] for i in perm) != pt.shape:
            continue
        identity = perm == tuple(range(tf.ndim))
        diff = _finish(np, pt, tf if identity else np.transpose(tf, perm), scale, None if identity else list(perm), "")
        if best is None or (diff.max_abs_diff or 0.0) < (best.max_abs_diff or 0.0):
            best = diff
        if best.max_abs_diff == 0.0:
            break
    return best if best is not None else _reshaped(np, pt, tf, scale)


def _reshaped(np: Any, pt: Any, tf: Any, scale: float) -> ArrayDiff:
    if pt.size == tf.size and np.squeeze(pt).shape == np.squeeze(tf).shape:
        return _finish(np, pt, tf.reshape(pt.shape), scale, None, "compared after squeezing unit axes")
    try:
        shape = np.broadcast_shapes(pt.shape, tf.shape)
    except ValueError:
        shape = None
    # A table that one framework expands over the batch and the other leaves to broadcasting.
    if shape is not None and shape in (pt.shape, tf.shape):
        return _finish(np, np.broadcast_to(pt, shape), np.broadcast_to(tf, shape), scale, None, "broadcast")
    # Leading axes flattened on one side only (``(batch * seq, hidden)`` vs ``(batch, seq, hidden)``).
    if pt.size == tf.size and pt.ndim and tf.ndim and pt.shape[-1] == tf.shape[-1]:
        return _finish(np, pt, tf.reshape(pt.shape), scale, None, "leading axes flattened")
    return ArrayDiff(None, scale, None, f"shape {list(pt.shape)} vs {list(tf.shape)}")


def _finish(np: Any, pt: Any, tf: Any, scale: float, perm: list[int] | None, note: str) -> ArrayDiff:
    if pt.size == 0:
        return ArrayDiff(0.0, scale, perm, note)
    pt_nan, tf_nan = np.isnan(pt), np.isnan(tf)
    if np.any(pt_nan != tf_nan):
        return ArrayDiff(math.inf, scale, perm, "NaN in one framework only")
    keep = ~pt_nan
    a, b = pt[keep], tf[keep]
    same_inf = np.isinf(a) & (a == b)
    with np.errstate(invalid="ignore", over="ignore"):
        delta = np.where(same_inf, 0.0, np.abs(a - b))
    diff = float(np.max(delta)) if delta.size else 0.0
    return ArrayDiff(diff if not math.isnan(diff) else math.inf, scale, perm, note)


# --- judging layer rows -------------------------------------------------------------------------


@dataclass
class Divergence:
    """Where the two frameworks part: the layer to look at first, and why it is that one."""

    path: str
    reason: str
    row: int | None  # index into the class's layer rows, when the layer was captured


def _beyond(row: Any, tol: Tolerance) -> bool:
    if row.tf_path is None:
        return False
    if row.max_abs_diff is None:
        return bool(row.note)  # shapes that cannot be matched diverge; a non-tensor output says nothing
    return not tol.within(row.max_abs_diff, row.scale)


def _input_differs(row: Any, tol: Tolerance) -> bool:
    if row.input_diff is None:
        return False
    return not tol.within(row.input_diff, row.input_scale)


def _matched_ancestor(rows: Sequence[Any], i: int, by_key: dict[tuple[str, int], int]) -> int | None:
    parent = rows[i].parent
    while parent is not None:
        j = by_key.get(tuple(parent))
        if j is None:
            return None
        if rows[j].tf_path is not None:
            return j
        parent = rows[j].parent
    return None


def absorbed(rows: Sequence[Any], i: int, tol: Tolerance, by_key: dict[tuple[str, int], int] | None = None) -> bool:
    """Whether a difference stays inside the layer's caller: the nearest matched caller agrees.

    Ports may split work differently between a layer and its caller (TF's pooler fuses tanh
    into its Dense, PyTorch applies it after): the child differs, the caller does not. That is
    no divergence; a real fault changes the caller's output too.
    """
    if by_key is None:
        by_key = {(r.path, r.call): k for k, r in enumerate(rows)}
    j = _matched_ancestor(rows, i, by_key)
    return j is not None and not _beyond(rows[j], tol)


def localise(rows: Sequence[Any], tol: Tolerance, weight_paths: Mapping[str, str] | None = None) -> Divergence | None:
    """The first layer, in the order layers finish in PyTorch, where the frameworks part.

    Completion order puts a layer after everything it contains, so the first diverging row is
    the innermost one. When that layer already received a different input, its own code is not
    to blame but whoever fed it: the blame moves up the call stack to the first caller whose
    input still agreed (a swapped residual shows up in a child, but the wiring is the parent's).
    A layer whose weights did not cross (``weight_paths``: path -> why) counts as diverging
    where it finishes, whatever its numbers.
    """
    by_key = {(r.path, r.call): i for i, r in enumerate(rows)}
    weight_paths = dict(weight_paths or {})
    order = sorted(range(len(rows)), key=lambda i: rows[i].end)
    for i in order:
        row = rows[i]
        if row.call == 0 and row.path in weight_paths:
            return Divergence(row.path, weight_paths[row.path], i)
        if not _beyond(row, tol) or absorbed(rows, i, tol, by_key):
            continue
        blame = i
        child = None
        while _input_differs(rows[blame], tol) and rows[blame].parent is not None:
            parent = by_key.get(tuple(rows[blame].parent))
            if parent is None:
                break
            child = rows[blame].path
            blame = parent
            while rows[blame].tf_path is None and rows[blame].parent is not None:
                up = by_key.get(tuple(rows[blame].parent))
                if up is None:
                    break
                blame = up
        if blame != i and child is not None:
            seen = "" if child == rows[i].path else f" ({rows[i].path} is the first to differ)"
            return Divergence(rows[blame].path, f"passes a different input to {child}{seen}", blame)
        if _input_differs(row, tol):
            return Divergence(row.path, "its input already differs (the model's own call feeds it)", i)
        detail = row.note or f"max abs diff {row.max_abs_diff:.3g}"
        return Divergence(row.path, f"same input, different output ({detail})", i)
    for path in sorted(weight_paths):
        return Divergence(path, weight_paths[path], None)
    return None
