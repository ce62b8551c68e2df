"""The text a person reads after ``tfscaffold verify``: a table per class, top-down, then the verdict.

The table follows the order in which PyTorch enters its modules, indented by nesting, so it
reads like the model's forward; the marker ``>`` sits on the layer to look at first.
"""

from __future__ import annotations

from scaffold.verify.compare import absorbed
from scaffold.verify.result import ClassResult, LayerRow, VerifyResult
from scaffold.verify.tinyconfig import describe

MARK_FIRST = ">"
MARK_BEYOND = "!"
MARK_ABSORBED = "~"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


def _shape(shape: list[int] | None) -> str:
    return "-" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def _depths(rows: list[LayerRow]) -> list[int]:
    by_key = {(r.path, r.call): i for i, r in enumerate(rows)}
    depths: list[int] = []
    for row in rows:
        depth, parent, guard = 0, row.parent, 0
        while parent is not None and guard < 64:
            j = by_key.get(tuple(parent))
            if j is None:
                break
            depth += 1
            parent = rows[j].parent
            guard += 1
        depths.append(depth)
    return depths


def layer_table(cls: ClassResult, result: VerifyResult) -> list[str]:
    """Matched layers (and PyTorch layers with weights but no TF twin), in call order."""
    rows = cls.layers
    depths = _depths(rows)
    first = cls.first_divergence.row if cls.first_divergence else None
    by_key = {(r.path, r.call): i for i, r in enumerate(rows)}
    shown = [i for i in sorted(range(len(rows)), key=lambda k: rows[k].start) if rows[i].tf_path or rows[i].has_params]
    if not shown:
        return ["    (no layer was captured)"]
    width = max(len("  " * depths[i] + rows[i].label) for i in shown)
    width = min(max(width, 10), 72)
    lines = [f"    {'':1} {'layer':<{width}}  {'shape':<16} {'max abs diff':>12}  note"]
    for i in shown:
        row = rows[i]
        mark = " "
        note = row.note
        if i == first and cls.first_divergence is not None:
            mark = MARK_FIRST
            note = f"first divergence: {cls.first_divergence.reason}"
            if row.tf_path is None:
                note += "; no TF layer of this path"
        elif row.tf_path is None:
            note = "no TF layer of this path"
        elif not row.ok:
            if absorbed(rows, i, result.tolerance, by_key):
                mark, note = MARK_ABSORBED, (note + "; " if note else "") + "differs, but its caller agrees"
            else:
                mark = MARK_BEYOND
        if row.tf_path and row.perm:
            note = (note + "; " if note else "") + f"TF axes {row.perm}"
        label = ("  " * depths[i] + row.label)[:width]
        lines.append(
            f"    {mark:1} {label:<{width}}  {_shape(row.pt_shape):<16} {_num(row.max_abs_diff):>12}  {note}".rstrip()
        )
    return lines


def _weights(cls: ClassResult) -> list[str]:
    if not cls.weights:
        return ["  weights: every weight loaded, none left over"]
    lines = ["  weights:"]
    words = {
        "missing": "missing (in TF, not in the PyTorch checkpoint)",
        "unexpected": "unexpected (in the PyTorch checkpoint, not used by TF)",
        "mismatched": "mismatched shape",
    }
    for issue in cls.weights:
        if issue.allowed_by:
            status = f"allowed by --allow-missing {issue.allowed_by!r}"
        elif issue.not_saved or issue.counter or issue.frozen:
            status = "note"
        else:
            status = "FAIL"
        extra = f" ({issue.detail})" if issue.detail else ""
        hints = []
        if issue.port_ignores:
            hints.append(f"the port's _keys_to_ignore_on_load_* pattern {issue.port_ignores!r} would hide it")
        if issue.not_saved:
            hints.append("PyTorch never saves it (_keys_to_ignore_on_save): TF keeps the value it computes")
        if issue.counter:
            hints.append("a BatchNorm step counter: no output depends on it in eval, Keras has none")
        if issue.frozen:
            hints.append(
                "frozen in PyTorch (requires_grad=False): TF computes it, the layer's outputs compare the two"
            )
        hint = "".join(f"; {h}" for h in hints)
        lines.append(f"    {status}: {words[issue.kind]}: {issue.name}{extra}{hint}")
    return lines


def render_class(cls: ClassResult, result: VerifyResult, *, all_layers: bool = False) -> list[str]:
    verdict = "ok" if cls.ok else "MISMATCH" if cls.comparable else "not comparable"
    lines = [f"{cls.tf_class} (from {cls.pt_class}): {verdict}"]
    if not cls.comparable:
        lines.append(f"  {cls.pt_class} itself fails on these inputs: {cls.pytorch_fails}")
    if cls.config_added:
        lines.append(f"  config given what TF's dummy inputs need: {describe(cls.config_added)}")
    if cls.error:
        lines.append(f"  error while trying to {cls.stage}: {cls.error}")
        return lines
    if cls.inputs:
        shaped = " (shaped as the model's tester makes them)" if cls.inputs_from == "tester" else ""
        lines.append("  inputs: " + ", ".join(f"{k} {_shape(v)}" for k, v in cls.inputs.items()) + shaped)
    if all_layers or not cls.ok or cls.first_divergence is not None:
        lines.append(
            "  layers (PyTorch call order; > first divergence, ! beyond tolerance, ~ absorbed by its caller):"
        )
        lines.extend(layer_table(cls, result))
        if cls.tf_unmatched:
            lines.append("  TF layers with weights and no PyTorch twin: " + ", ".join(cls.tf_unmatched))
    else:
        matched = [r for r in cls.layers if r.tf_path and r.max_abs_diff is not None]
        worst = max(matched, key=lambda r: r.max_abs_diff or 0.0, default=None)
        if worst is not None:
            lines.append(
                f"  layers: {len(matched)} matched, all within tolerance"
                f" (largest difference {_num(worst.max_abs_diff)} in {worst.label})"
            )
    lines.append("  outputs:")
    for out in cls.outputs:
        status = "ok" if out.ok else "BEYOND"
        note = f"  {out.note}" if out.note else ""
        lines.append(
            f"    {status:<6} {out.name:<28} {_shape(out.pt_shape):<16} {_num(out.max_abs_diff):>12}"
            f"  (limit {_num(out.limit)}){note}"
        )
    if cls.tf_only_outputs:
        lines.append("    TF-only outputs (not compared): " + ", ".join(cls.tf_only_outputs))
    lines.extend(_weights(cls))
    if cls.first_divergence is not None:
        beyond = ", ".join(cls.outputs_beyond) or "none"
        lines.append(
            f"  first divergence: {cls.first_divergence.path or '(model)'}: {cls.first_divergence.reason}; "
            f"outputs beyond tolerance: {beyond}"
        )
    return lines


def render(result: VerifyResult, *, all_layers: bool = False) -> str:
    tol = result.tolerance
    lines = [f"tfscaffold verify {result.model}: {result.tree}"]
    if result.transformers_file:
        lines.append(f"transformers imported from {result.transformers_file}")
    for name, values in result.config.items():
        source = result.config_sources.get(name, "")
        lines.append(f"config {name} ({source}): {describe(values) or 'defaults'}")
    rule = f"|pt - tf| <= {tol.atol:g} + {tol.rtol:g} * max|pt|"
    if tol.max_error is not None:
        rule += f", or <= {tol.max_error:g} (--max-error)"
    lines.append(f"tolerance: {rule}; seed {result.seed}")
    if result.allow_missing:
        lines.append("allowed weights: " + ", ".join(repr(p) for p in result.allow_missing))
    lines.append("")
    for cls in result.classes:
        lines.extend(render_class(cls, result, all_layers=all_layers))
        lines.append("")
    if result.error:
        lines.append(f"error: {result.error}")
    failed = [c for c in result.classes if not c.ok and c.comparable]
    uncompared = [c.tf_class for c in result.classes if not c.comparable]
    if uncompared:
        lines.append(
            "not comparable (their PyTorch classes fail on verify's inputs too, see above): " + ", ".join(uncompared)
        )
    allowed = sorted({w.name for c in result.classes for w in c.weights if w.allowed_by})
    if allowed:
        lines.append(f"allowed by --allow-missing: {', '.join(allowed)}")
    not_saved = sorted({w.name for c in result.classes for w in c.weights if w.not_saved and not w.allowed_by})
    if not_saved:
        lines.append(
            f"never saved by PyTorch (_keys_to_ignore_on_save), kept as TF computes them: {', '.join(not_saved)}"
        )
    if result.error and not result.classes:
        lines.append(f"verdict: MISMATCH: {result.model} could not be verified")
    elif result.ok:
        lines.append(
            f"verdict: ok: {len(result.classes) - len(uncompared)} class(es) of {result.model} match PyTorch"
            " within tolerance"
            f" ({result.seconds:.1f} s)"
        )
    elif not failed:
        lines.append(f"verdict: MISMATCH: no class of {result.model} could be compared with PyTorch")
    else:
        where = "; ".join(
            f"{c.tf_class}: "
            + (
                c.error
                if c.error
                else (f"first divergence {c.first_divergence.path or '(model)'}" if c.first_divergence else "outputs")
            )
            for c in failed
        )
        total = len(result.classes)
        lines.append(f"verdict: MISMATCH in {len(failed)} of {total} class(es) of {result.model}: {where}")
    return "\n".join(lines)
