"""What ``verify`` found, as data: what the report prints and what a benchmark reads.

Built from the runner's raw numbers by applying the tolerance here, in the parent, so that the
same run can be judged again with other limits (``judge``) without rebuilding any model.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from scaffold.errors import ScaffoldError
from scaffold.verify.compare import Divergence, Tolerance, localise, path_candidates, weight_owner


@dataclass
class LayerRow:
    """One call of a PyTorch submodule and, when matched, of its TF twin (first tensor output)."""

    path: str
    call: int
    parent: tuple[str, int] | None
    start: int
    end: int
    has_params: bool
    pt_shape: list[int] | None
    tf_path: str | None
    tf_shape: list[int] | None
    max_abs_diff: float | None
    scale: float
    perm: list[int] | None
    note: str
    input_diff: float | None
    input_scale: float
    limit: float = 0.0
    ok: bool = True

    @property
    def label(self) -> str:
        return self.path if self.call == 0 else f"{self.path} [call {self.call + 1}]"


@dataclass
class OutputRow:
    name: str
    pt_shape: list[int] | None
    tf_shape: list[int] | None
    max_abs_diff: float | None
    scale: float
    note: str = ""
    limit: float = 0.0
    ok: bool = True


@dataclass
class WeightIssue:
    """A weight that did not make it across: ``missing`` (TF has it, the checkpoint not),
    ``unexpected`` (the checkpoint has it, TF not) or ``mismatched`` (shapes differ)."""

    kind: str
    name: str
    detail: str = ""
    allowed_by: str | None = None  # the --allow-missing pattern that allows it
    port_ignores: str | None = None  # the port's own _keys_to_ignore_on_load_* pattern that would hide it
    not_saved: bool = False  # PyTorch leaves it out of checkpoints on purpose (_keys_to_ignore_on_save)
    counter: bool = False  # a BatchNorm step counter (num_batches_tracked): no output depends on it in eval
    frozen: bool = False  # a PyTorch parameter with requires_grad=False (a computed table TF may compute too)

    @property
    def fails(self) -> bool:
        """Whether it counts against the port.

        A weight the PyTorch class never saves (its ``_keys_to_ignore_on_save``) is missing from
        every real checkpoint too: TF keeps the value it computes for it, as PyTorch does. That
        list belongs to the PyTorch class, the reference; the port's own ignore lists prove nothing.
        A frozen PyTorch parameter left unloaded (a sinusoidal table TF computes itself) is no gap
        either: verify never perturbs it, so the outputs of its layer compare TF's value with it.
        """
        return self.allowed_by is None and not self.not_saved and not self.counter and not self.frozen


@dataclass
class ClassResult:
    tf_class: str
    pt_class: str
    error: str | None = None
    stage: str = ""
    inputs: dict[str, list[int]] = field(default_factory=dict)
    inputs_from: str = ""  # "tester": PyTorch failed on verify's inputs, these are shaped as its tester's
    outputs: list[OutputRow] = field(default_factory=list)
    tf_only_outputs: list[str] = field(default_factory=list)
    layers: list[LayerRow] = field(default_factory=list)
    tf_unmatched: list[str] = field(default_factory=list)
    weights: list[WeightIssue] = field(default_factory=list)
    first_divergence: Divergence | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    config_added: dict[str, Any] = field(default_factory=dict)  # values TF needs that the config lacked
    pytorch_fails: str | None = None  # PyTorch's own class fails on verify's inputs: nothing to compare

    @property
    def weight_failures(self) -> list[WeightIssue]:
        return [w for w in self.weights if w.fails]

    @property
    def outputs_beyond(self) -> list[str]:
        return [o.name for o in self.outputs if not o.ok]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.outputs_beyond and not self.weight_failures and bool(self.outputs)

    @property
    def comparable(self) -> bool:
        """Whether PyTorch's class runs on verify's inputs, so that its port can be judged against it."""
        return self.pytorch_fails is None

    def beyond_layers(self) -> list[LayerRow]:
        return [r for r in self.layers if not r.ok]


@dataclass
class VerifyResult:
    """The verdict for one model of one tree: ``ok`` and ``exit_code`` for scripts, rows for people."""

    model: str
    tree: str
    tolerance: Tolerance
    allow_missing: list[str]
    config: dict[str, dict[str, Any]]
    config_sources: dict[str, str]
    classes: list[ClassResult] = field(default_factory=list)
    error: str | None = None
    transformers_file: str | None = None
    seed: int = 0
    seconds: float = 0.0
    import_seconds: float | None = None
    raw_classes: list[dict[str, Any]] = field(default_factory=list, repr=False)  # the runner's numbers

    @property
    def ok(self) -> bool:
        compared = [c for c in self.classes if c.comparable]
        return self.error is None and bool(compared) and all(c.ok for c in compared)

    def rejudge(self, tolerance: Tolerance | None = None, allow_missing: list[str] | None = None) -> VerifyResult:
        """The same run under another tolerance or allow list, without building any model again."""
        tolerance = tolerance or self.tolerance
        allow_missing = list(self.allow_missing if allow_missing is None else allow_missing)
        allow = compile_allow(allow_missing)
        return replace(
            self,
            tolerance=tolerance,
            allow_missing=allow_missing,
            classes=[judge(raw, tolerance, allow) for raw in self.raw_classes],
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (an infinite difference becomes the string ``"inf"``)."""
        data = _finite(asdict(self))
        del data["raw_classes"]
        data["ok"] = self.ok
        for cls, raw in zip(self.classes, data["classes"], strict=True):
            raw["ok"] = cls.ok
            raw["comparable"] = cls.comparable
            raw["outputs_beyond"] = cls.outputs_beyond
            for issue, weight in zip(cls.weights, raw["weights"], strict=True):
                weight["fails"] = issue.fails
        return data


_WEIGHT_REASONS = {
    "unexpected": "its PyTorch weights were not loaded into TF",
    "missing": "TF has weights here that the PyTorch checkpoint lacks",
    "mismatched": "its weights have other shapes in TF",
}


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def compile_allow(patterns: list[str]) -> list[re.Pattern[str]]:
    """``--allow-missing`` patterns; a bad one is bad input."""
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise ScaffoldError(f"--allow-missing {pattern!r} is not a regular expression: {exc}") from None
    return out


def _owners(issue: WeightIssue, paths: set[str], prefix: str) -> str | None:
    owner = weight_owner(issue.name)
    for candidate in path_candidates(owner, prefix):
        if candidate in paths:
            return candidate
    return None


def _listed(name: str, keys: list[str], prefix: str) -> bool:
    """Whether a weight name is one of the PyTorch model's state-dict keys (any prefix spelling)."""
    return any(name == c or name in path_candidates(c, prefix) for c in keys)


def judge(raw: dict[str, Any], tolerance: Tolerance, allow: list[re.Pattern[str]]) -> ClassResult:
    """A class's raw runner numbers under a tolerance and an allow list."""
    result = ClassResult(
        tf_class=raw["tf_class"],
        pt_class=raw["pt_class"],
        error=raw.get("error"),
        stage=raw.get("stage", ""),
        inputs=raw.get("inputs", {}),
        inputs_from=raw.get("inputs_from", ""),
        tf_only_outputs=raw.get("tf_only_outputs", []),
        tf_unmatched=raw.get("tf_unmatched", []),
        seconds=raw.get("seconds", {}),
        config_added=raw.get("config_added") or {},
        pytorch_fails=raw.get("pytorch_fails"),
    )
    for entry in raw.get("outputs", []):
        row = OutputRow(
            name=entry["name"],
            pt_shape=entry.get("pt_shape"),
            tf_shape=entry.get("tf_shape"),
            max_abs_diff=entry.get("max_abs_diff"),
            scale=entry.get("scale", 0.0),
            note=entry.get("note", ""),
        )
        row.limit = tolerance.limit(row.scale)
        row.ok = tolerance.within(row.max_abs_diff, row.scale)
        result.outputs.append(row)
    for entry in raw.get("layers", []):
        row = LayerRow(
            path=entry["path"],
            call=entry["call"],
            parent=tuple(entry["parent"]) if entry.get("parent") else None,
            start=entry["start"],
            end=entry["end"],
            has_params=entry.get("has_params", False),
            pt_shape=entry.get("pt_shape"),
            tf_path=entry.get("tf_path"),
            tf_shape=entry.get("tf_shape"),
            max_abs_diff=entry.get("max_abs_diff"),
            scale=entry.get("scale", 0.0),
            perm=entry.get("perm"),
            note=entry.get("note") or "",
            input_diff=entry.get("input_diff"),
            input_scale=entry.get("input_scale", 0.0),
        )
        row.limit = tolerance.limit(row.scale)
        if row.tf_path is not None:
            if row.max_abs_diff is None:
                row.ok = not row.note
            else:
                row.ok = tolerance.within(row.max_abs_diff, row.scale)
        result.layers.append(row)

    weights = raw.get("weights") or {}
    prefix = raw.get("base_model_prefix", "")
    declared = weights.get("port_ignores", {})
    for kind in ("missing", "unexpected", "mismatched"):
        for item in weights.get(kind, []):
            name, detail = (item[0], f"PyTorch {item[1]} vs TF {item[2]}") if kind == "mismatched" else (item, "")
            issue = WeightIssue(kind, name, detail)
            issue.allowed_by = next((p.pattern for p in allow if p.search(name)), None)
            patterns = declared.get("missing" if kind == "missing" else "unexpected", [])
            issue.port_ignores = next((p for p in patterns if re.search(p, name)), None)
            issue.not_saved = kind == "missing" and any(re.search(p, name) for p in weights.get("not_saved", []))
            issue.counter = kind == "unexpected" and _listed(name, weights.get("counters", []), prefix)
            issue.frozen = kind == "unexpected" and _listed(name, weights.get("frozen", []), prefix)
            result.weights.append(issue)

    paths = {r.path for r in result.layers}
    owners: dict[str, str] = {}
    for issue in result.weight_failures:
        owner = _owners(issue, paths, prefix)
        if owner is not None and owner not in owners:
            owners[owner] = _WEIGHT_REASONS[issue.kind]
    result.first_divergence = localise(result.layers, tolerance, owners)
    if result.first_divergence is None and result.weight_failures:
        first = result.weight_failures[0]
        result.first_divergence = Divergence(weight_owner(first.name), f"weight {first.kind}: {first.name}", None)
    if result.first_divergence is None and result.outputs_beyond:
        result.first_divergence = Divergence(
            "", "every matched layer agrees, the outputs do not: the model's own call (or an unmatched layer)", None
        )
    return result
