"""The ``tfscaffold verify`` command: options in, :func:`scaffold.verify.verify_model`, report out.

Exit codes: 0 every class within tolerance, 1 a mismatch (numbers, weights, or a port that does
not build), 2 bad input. Progress goes to stderr while the models build, so stdout stays the
report (or one JSON object with ``--json``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from scaffold.errors import ScaffoldError


def register(app: typer.Typer) -> None:
    """Add ``verify`` to the tfscaffold command line."""

    @app.command("verify")
    def verify(
        model: Annotated[str, typer.Argument(help="The model folder name, e.g. bert.", show_default=False)],
        class_names: Annotated[
            list[str] | None,
            typer.Option("--class", help="Verify this TF class only (repeatable; default: every public model)."),
        ] = None,
        atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance.")] = 1e-5,
        rtol: Annotated[float, typer.Option("--rtol", help="Tolerance relative to the largest PyTorch value.")] = 1e-5,
        max_error: Annotated[
            float | None,
            typer.Option(
                "--max-error", help="Let any difference up to this pass (relaxes the tolerance).", show_default=False
            ),
        ] = None,
        settings: Annotated[
            list[str] | None,
            typer.Option(
                "--set", help="Override a tiny-config value: key=value (dotted for a sub-config). Repeatable."
            ),
        ] = None,
        allow_missing: Annotated[
            list[str] | None,
            typer.Option(
                "--allow-missing",
                help="Regex of weight names allowed to be missing, unexpected or mismatched "
                "(e.g. position tables TF computes itself). Repeatable.",
            ),
        ] = None,
        given_inputs: Annotated[
            list[str] | None,
            typer.Option(
                "--input",
                help="An input shaped as the model needs it, name=SHAPE[:floats|ids|mask] "
                "(e.g. pixel_values=2x1x3x32x32 for a number-of-images axis). Repeatable.",
            ),
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the weights and inputs.")] = 0,
        no_perturb: Annotated[
            bool, typer.Option("--no-perturb", help="Keep PyTorch's initial weights (zero biases, identity norms).")
        ] = False,
        all_layers: Annotated[
            bool, typer.Option("--layers", help="Print the layer table of passing classes too.")
        ] = False,
        repo: Annotated[
            Path | None,
            typer.Option(
                "--repo",
                help="The transformers checkout (default: the one around the current directory).",
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the structured result as one JSON object.")
        ] = False,
    ) -> None:
        """Compare the TF port of MODEL with PyTorch, layer by layer, on a tiny random config.

        Builds the PyTorch model (eval mode, fixed seed), saves it, loads it into each TF class
        with from_pt=True, runs both on the same inputs and compares every output and the output
        of every matched layer. Names the first layer that diverges. Runs the tree's own
        transformers in a child process.
        """
        from scaffold.checkout import open_checkout
        from scaffold.verify import DEFAULT_PERTURB, Tolerance, verify_model
        from scaffold.verify.report import render
        from scaffold.verify.tester_inputs import parse_input
        from scaffold.verify.tinyconfig import parse_override

        def progress(message: str) -> None:
            typer.echo(f"verify {model}: {message}", err=True)

        try:
            overrides = dict(parse_override(text) for text in settings or [])
            shaped = dict(parse_input(text) for text in given_inputs or [])
            checkout = open_checkout(repo)
            result = verify_model(
                checkout,
                model,
                classes=class_names or None,
                tolerance=Tolerance(atol=atol, rtol=rtol, max_error=max_error),
                overrides=overrides,
                allow_missing=allow_missing or [],
                seed=seed,
                perturb=None if no_perturb else DEFAULT_PERTURB,
                progress=progress,
                inputs=shaped,
            )
        except ScaffoldError as exc:
            typer.echo(f"tfscaffold: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        if as_json:
            typer.echo(json.dumps(result.to_json(), indent=2, default=str))
        else:
            sys.stdout.write(render(result, all_layers=all_layers) + "\n")
        raise typer.Exit(result.exit_code)
