"""The ``tfscaffold weights`` command: options in, :func:`scaffold.weights.convert_weights`, report out.

Exit codes: 0 the weights were written, 1 refused (outputs beyond ``--max-error``, weights the
checkpoint does not fill, a port that does not build or run), 2 bad input. Nothing is written
unless the exit code is 0. Progress goes to stderr, so stdout stays the report (or one JSON object).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scaffold.errors import ScaffoldError


def render(result) -> str:
    """The report: classes, inputs, one row per output with both differences, notes, files, verdict."""
    from scaffold.weights import summary

    arrow = f"{result.tf_class} -> {result.pt_class}" if result.to_pt else f"{result.pt_class} -> {result.tf_class}"
    lines = [f"{result.source} ({result.checkpoint}): {arrow}"]
    if result.inputs:
        lines.append("inputs: " + ", ".join(f"{k} {v}" for k, v in result.inputs.items()))
    if result.outputs:
        width = max(len("output"), *(len(o.name) for o in result.outputs))
        lines.append(f"{'output':<{width}}  {'shape':<18} {'converted':>10} {'reloaded':>10}")
        for o in result.outputs:
            mark = "" if o.within(result.max_error) else "  BEYOND"
            note = f"  ({o.note})" if o.note else ""
            converted = "-" if o.converted is None else f"{o.converted:.2e}"
            reloaded = "-" if o.reloaded is None else f"{o.reloaded:.2e}"
            lines.append(f"{o.name:<{width}}  {str(o.shape):<18} {converted:>10} {reloaded:>10}{mark}{note}")
    unused = result.weights.get("unexpected") or []
    if unused:
        shown = ", ".join(unused[:5]) + (f" and {len(unused) - 5} more" if len(unused) > 5 else "")
        lines.append(f"note: {len(unused)} weight(s) of the source model the converted one does not hold: {shown}")
    computed = result.weights.get("computed") or []
    if computed:
        lines.append(f"note: {len(computed)} buffer(s) the PyTorch model computes itself: {', '.join(computed[:5])}")
    for path in result.written:
        lines.append(f"wrote {path}")
    lines.append(summary(result))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``weights`` to the tfscaffold command line."""

    @app.command("weights")
    def weights(
        path: Annotated[
            Path,
            typer.Argument(
                help="The checkpoint folder: config.json and the weights (sharded or not).", show_default=False
            ),
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Where to write the weights and config (default: PATH).", show_default=False),
        ] = None,
        max_error: Annotated[
            float,
            typer.Option("--max-error", help="Largest absolute difference allowed on any output or hidden state."),
        ] = 5e-5,
        class_name: Annotated[
            str | None,
            typer.Option(
                "--class", help="The TF class to convert with (default: TF + the checkpoint's architecture)."
            ),
        ] = None,
        to_pt: Annotated[
            bool,
            typer.Option("--to-pt", help="PATH holds TF weights (tf_model.h5): write PyTorch weights instead."),
        ] = False,
        max_shard_size: Annotated[
            str | None,
            typer.Option(
                "--max-shard-size",
                help="Split the written weights into shards of at most this size, with an index "
                "(default: transformers' 5GB).",
                show_default=False,
            ),
        ] = None,
        repo: Annotated[
            Path | None,
            typer.Option(
                "--repo",
                help="The transformers checkout whose port converts (default: the one around the current "
                "directory, else the pinned 4.46.3 source distribution).",
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    ) -> None:
        """Write TF weights for a PyTorch checkpoint with the tree's port, checked first.

        Loads the PyTorch checkpoint in PATH, fills the tree's TF port from it (as from_pt=True does),
        runs both on inputs made for the config, compares every output and hidden state, saves
        tf_model.h5, reloads it without from_pt and compares again. Writes the weights and the
        config into --out only when every difference is within --max-error; else exits 1 and
        writes nothing. --to-pt goes the other way, into model.safetensors.
        """
        from scaffold.checkout import open_checkout
        from scaffold.weights import convert_weights

        def progress(message: str) -> None:
            typer.echo(f"weights: {message}", err=True)

        try:
            checkout = open_checkout(repo)
            result = convert_weights(
                checkout,
                path,
                out=out,
                max_error=max_error,
                tf_class=class_name,
                to_pt=to_pt,
                max_shard_size=max_shard_size,
                progress=progress,
            )
        except ScaffoldError as exc:
            typer.echo(f"tfscaffold: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        if as_json:
            typer.echo(json.dumps(result.to_json(), indent=2))
        else:
            typer.echo(render(result))
        if not result.ok:
            typer.echo(f"tfscaffold weights: refused, nothing written: {'; '.join(result.reasons)}", err=True)
            raise typer.Exit(1)
