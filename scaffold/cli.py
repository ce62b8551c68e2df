"""The ``tfscaffold`` command line.

Exit codes are part of the interface: 0 consistent or done, 1 the tree has problems (check) or
problems remain that need a hand edit (apply), 2 bad input (nothing was written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from scaffold import __version__, tree_cache
from scaffold.checkout import Checkout, open_checkout
from scaffold.errors import ScaffoldError

app = typer.Typer(
    name="tfscaffold",
    help="Port transformers models from PyTorch to TensorFlow and keep their registrations in line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

RepoOption = Annotated[
    Path | None,
    typer.Option(
        "--repo",
        help="The transformers checkout (default: the one around the current directory, else the "
        "source distribution --transformers names (4.46.3 by default), downloaded once into the cache).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tfscaffold {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    transformers: Annotated[
        str | None,
        typer.Option(
            "--transformers",
            envvar="TFSCAFFOLD_TRANSFORMERS",
            metavar="VERSION",
            help="The transformers source distribution to work on when no --repo is given and the current "
            "directory is not in a tree (fetched once into the cache; default "
            f"{tree_cache.TRANSFORMERS_VERSION}), e.g. 4.57.1.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Port transformers models from PyTorch to TensorFlow and keep their registrations in line."""
    try:
        tree_cache.select_version(transformers)  # every invocation: one process may run several (tests, hooks)
    except ScaffoldError as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"tfscaffold: error: {message}", err=True)
    raise typer.Exit(code)


def _select(checkout: Checkout, models: list[str], all_models: bool, *, default_all: bool):
    if models and all_models:
        raise ScaffoldError("give model names or --all, not both")
    if not models and not all_models and not default_all:
        raise ScaffoldError("name at least one model, or pass --all")
    selected = [checkout.model(name) for name in models]
    return selected, all_models or not models


@app.command()
def check(
    models: Annotated[
        list[str] | None, typer.Argument(help="Models to check (default: all).", show_default=False)
    ] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Check every model that has TF code.")] = False,
    repo: RepoOption = None,
    warnings: Annotated[bool, typer.Option("--warnings", help="Also show warnings (they never fail).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fail when the TF registrations of the tree are inconsistent.

    Static only: never imports TensorFlow, torch or transformers. One line per problem, naming the
    file, the name, what is wrong and the command that fixes it. Exit 0 when consistent, 1 when
    not, 2 on bad input. Meant as a pre-commit hook.
    """
    from scaffold.registry.sync import sync

    try:
        checkout = open_checkout(repo)
        selected, everything = _select(checkout, models or [], all_models, default_all=True)
        result = sync(checkout, selected, all_models=everything)
    except ScaffoldError as exc:
        _fail(str(exc))
    errors, warns = result.errors, result.warnings
    scope = "all models" if everything else ", ".join(m.name for m in selected)
    if as_json:
        shown = result.problems if warnings else errors
        typer.echo(
            json.dumps(
                {
                    "ok": not errors,
                    "tree": str(checkout.root),
                    "scope": scope,
                    "errors": len(errors),
                    "warnings": len(warns),
                    "problems": [p.to_json() for p in shown],
                },
                indent=2,
            )
        )
        raise typer.Exit(1 if errors else 0)
    for problem in errors:
        typer.echo(problem.render())
    if warnings:
        for problem in warns:
            typer.echo(f"warning: {problem.render()}")
    if errors:
        typer.echo(
            f"tfscaffold check: {len(errors)} problem(s) in the TF registrations ({scope})",
            err=True,
        )
        raise typer.Exit(1)
    note = f", {len(warns)} warning(s) (--warnings shows them)" if warns and not warnings else ""
    typer.echo(f"tfscaffold check: TF registrations consistent ({scope}){note}", err=True)


@app.command()
def apply(
    models: Annotated[list[str] | None, typer.Argument(help="Models to bring in line.", show_default=False)] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Every model that has TF code.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes as unified diffs; write nothing.")
    ] = False,
    repo: RepoOption = None,
    color: Annotated[str, typer.Option("--color", help="Colour diffs: auto (on a terminal), always, never.")] = "auto",
    as_json: JsonOption = False,
) -> None:
    """Bring the registrations of models in line with their public TF names.

    Updates the main __init__ (both halves), utils/dummy_tf_objects.py, the TF auto mappings and,
    when the tree has docs/, the model's doc page and the index table. When the TF modeling file
    is gone, removes every registration of its names. Running it twice changes nothing.
    """
    from scaffold.registry.sync import sync

    if color not in ("auto", "always", "never"):
        _fail(f"--color takes auto, always or never, not {color!r}")
    try:
        checkout = open_checkout(repo)
        selected, everything = _select(checkout, models or [], all_models, default_all=False)
        result = sync(checkout, selected, all_models=everything)
        changes = result.changes
        remaining = [p for p in result.errors if not p.fixable]
        if as_json:
            if not dry_run:
                changes.commit()
            typer.echo(
                json.dumps(
                    {
                        "dry_run": dry_run,
                        "tree": str(checkout.root),
                        "changed": changes.paths(),
                        "diff": changes.diff() if dry_run else None,
                        "needs_hand_edit": [p.to_json() for p in remaining],
                    },
                    indent=2,
                )
            )
            raise typer.Exit(1 if remaining else 0)
        if dry_run:
            use_color = color == "always" or (color == "auto" and sys.stdout.isatty())
            sys.stdout.write(changes.diff(color=use_color))
        else:
            changes.commit()
            for path in changes.paths():
                typer.echo(f"updated {path}")
            if not changes:
                typer.echo("tfscaffold apply: nothing to change", err=True)
    except ScaffoldError as exc:
        _fail(str(exc))
    for problem in remaining:
        typer.echo(f"needs a hand edit: {problem.render()}", err=True)
    if remaining:
        raise typer.Exit(1)


@app.command()
def new(
    model: Annotated[str, typer.Argument(help="The model folder, e.g. brand_new_bert.", show_default=False)],
    repo: RepoOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes as unified diffs; write nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing TF modeling file.")] = False,
    no_reuse: Annotated[
        bool, typer.Option("--no-reuse", help="Convert every class; never copy an existing TF twin.")
    ] = False,
    color: Annotated[str, typer.Option("--color", help="Colour diffs: auto, always, never.")] = "auto",
    as_json: JsonOption = False,
) -> None:
    """Write the TF port of a model, declare its public names and register them.

    Reads models/<m>/modeling_<m>.py, writes modeling_tf_<m>.py (reusing existing TF twins of
    "Copied from" and identical classes unless --no-reuse), adds the TF names to the model's
    __init__ and runs the registration sync, as one change. Ends with a summary: classes reused,
    converted, TODO markers left (file:line and construct), files written, seconds.
    """
    from scaffold.new import plan_new

    try:
        checkout = open_checkout(repo)
        target = checkout.model(model)
        typer.echo(f"tfscaffold new: converting {checkout.rel(target.folder)} ...", err=True)
        result = plan_new(checkout, target, force=force, reuse=not no_reuse)
        if not dry_run:
            result.changes.commit()
    except ScaffoldError as exc:
        _fail(str(exc))
    conversion = result.conversion
    tf_rel = checkout.rel(conversion.tf_path)
    test_rel = checkout.rel(result.test_file) if result.test_file else None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "model": model,
                    "dry_run": dry_run,
                    "tf_file": tf_rel,
                    "public_names": conversion.public_names,
                    "reused": [r.__dict__ for r in conversion.reused],
                    "converted": conversion.converted,
                    "todos": [{"file": tf_rel, **t.__dict__} for t in conversion.todos]
                    + [
                        {"file": test_rel, "line": line, "unit": None, "text": text}
                        for line, text in result.test_todos
                    ],
                    "copied_by_other_ports": [{**c.__dict__, "breaks": c.breaks} for c in conversion.copies],
                    "warnings": _copy_warnings(conversion),
                    "marker_edits": [
                        {
                            "file": checkout.rel(e.path),
                            "line": e.line + 1,
                            "copy_of": e.obj,
                            "old": e.old.strip(),
                            "new": e.new.strip() if e.new else None,
                        }
                        for e in result.marker_edits
                    ],
                    "check_repo_exemptions": result.exempted,
                    "changed": result.changes.paths(),
                    "needs_hand_edit": [p.to_json() for p in result.problems],
                    "seconds": round(result.seconds, 2),
                },
                indent=2,
            )
        )
        return
    if dry_run:
        use_color = color == "always" or (color == "auto" and sys.stdout.isatty())
        sys.stdout.write(result.changes.diff(color=use_color))
    out = sys.stderr if dry_run else sys.stdout
    print(f"reused    {len(conversion.reused):3d} classes", file=out)
    for item in conversion.reused:
        print(f"            {item.tf_name} <- {item.origin}", file=out)
    print(f"converted {len(conversion.converted):3d} classes", file=out)
    if conversion.copies:
        kept = sum(c.status == "kept" for c in conversion.copies)
        broken = sum(c.breaks for c in conversion.copies)
        print(
            f"copied    {len(conversion.copies):3d} names other TF files copy from this port: {kept} kept,"
            f" {broken} whose copies transformers' check_copies rejects (or, with no earlier port, may reject)",
            file=out,
        )
        for warning in _copy_warnings(conversion):
            print(f"            warning: {warning}", file=out)
        if result.marker_edits:
            print(
                f"            {len(result.marker_edits)} marker(s) of other TF files no longer matched this port:"
                " pointed at another copy, or removed (their code is unchanged)",
                file=out,
            )
        for edit in result.marker_edits:
            print(f"            {edit.describe(checkout.rel)}", file=out)
    if result.exempted:
        print(
            f"exempted  {len(result.exempted):3d} classes in utils/check_repo.py (beside exempt PyTorch twins, or"
            " for a task with no TF auto mapping): " + ", ".join(result.exempted),
            file=out,
        )
    print(f"TODO      {len(conversion.todos) + len(result.test_todos):3d} markers", file=out)
    for todo in conversion.todos:
        print(f"            {tf_rel}:{todo.line}: {todo.text}", file=out)
    for line, text in result.test_todos:
        print(f"            {test_rel}:{line}: {text}", file=out)
    verb = "would write" if dry_run else "wrote"
    for path in result.changes.paths():
        print(f"{verb} {path}", file=out)
    print(f"done in {result.seconds:.1f} s", file=out)


def _copy_warnings(conversion) -> list[str]:
    """One line per name other TF files copy whose copies no longer check: what, why, where."""
    out = []
    for copied in conversion.copies:
        if copied.breaks:
            why = f" (not kept: {copied.why_not_kept})" if copied.why_not_kept else ""
            out.append(f"{copied.name}: {copied.status}{why}; copied by {', '.join(copied.files)}")
    return out


def _register_verify() -> None:
    from scaffold.verify.command import register

    register(app)


_register_verify()


def _register_weights() -> None:
    from scaffold.weights.command import register

    register(app)


_register_weights()


def main() -> None:
    app()
