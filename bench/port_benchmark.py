"""The port benchmark: how far does ``tfscaffold new`` get on real models?

For each model: copy the pinned 4.46.3 tree, remove the model's hand-written TF modeling file
(fresh ports have none), run ``tfscaffold new``, and measure the levels of the porting benchmark:

    L0 generated   new exits 0; every written Python file parses, is ruff-clean and formatted
    L1 registered  check --all passes, apply --all then changes nothing, the TF class imports
    L2 builds      every generated model class builds (verify reaches its weights stage)
    L3 loads       PyTorch weights cross-load with no missing or unexpected weights
    L4 matches     every output within 1e-5 of PyTorch, for the base model and every head
    L5 tested      the generated tests/models/<m>/test_modeling_tf_<m>.py passes under the tree's
                   TFModelTesterMixin: no failures, no errors (skips: only the mixin's own marks)

The oracle for L2-L4 is ``scaffold.verify.verify_model``, nothing else. Prints one table and
writes JSON to bench/results/ports.json.

    python bench/port_benchmark.py [MODEL ...] [--no-reuse-only | --reuse-only] [--no-tests]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PUBLIC = ["bert", "roberta", "gpt2", "opt", "bart", "marian", "t5", "vit", "deit", "convnext", "wav2vec2", "clip"]
FRESH = ["llama", "gpt_neox", "qwen2", "phi", "gemma"]
RESULTS = Path(__file__).resolve().parent / "results"


def _run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: int = 900):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _tfscaffold(*args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "scaffold", *args])


def _ruff(*args: str) -> subprocess.CompletedProcess:
    from scaffold.formatting import ruff_binary

    return _run([ruff_binary(), *args])


def measure(pristine: Path, model: str, reuse: bool, workdir: Path, with_tests: bool = True) -> dict:
    tree = workdir / f"{model}-{'reuse' if reuse else 'noreuse'}"
    shutil.copytree(pristine / "src", tree / "src")
    shutil.copytree(pristine / "tests", tree / "tests")
    shutil.copy2(pristine / "pyproject.toml", tree / "pyproject.toml")
    tf_file = tree / "src" / "transformers" / "models" / model / f"modeling_tf_{model}.py"
    tf_file.unlink(missing_ok=True)
    row: dict = {"model": model, "reuse": reuse, "level": -1}

    start = time.perf_counter()
    new = _tfscaffold("new", model, "--repo", str(tree), "--json", *([] if reuse else ["--no-reuse"]))
    row["seconds_new"] = round(time.perf_counter() - start, 2)
    if new.returncode != 0:
        row["error"] = (new.stderr.strip().splitlines() or ["new failed"])[-1]
        return row
    report = json.loads(new.stdout)
    row.update(todos=len(report["todos"]), reused=len(report["reused"]), converted=len(report["converted"]))
    row["lines"] = tf_file.read_text().count("\n") if tf_file.is_file() else 0
    config = ["--config", str(tree / "pyproject.toml")]
    written = [tree / p for p in report["changed"] if p.endswith(".py")]
    parse_ok = True
    for path in written:
        try:
            ast.parse(path.read_text())
        except SyntaxError as exc:
            parse_ok = False
            row["error"] = f"{path.name}:{exc.lineno}: {exc.msg}"
    lint = _ruff("check", *config, *map(str, written))
    fmt = _ruff("format", "--check", *config, *map(str, written))
    if not (parse_ok and lint.returncode == 0 and fmt.returncode == 0):
        row.setdefault(
            "error", "ruff: " + (lint.stdout.strip().splitlines() or fmt.stdout.strip().splitlines() or ["?"])[-1]
        )
        return row
    row["level"] = 0

    check = _tfscaffold("check", "--all", "--repo", str(tree))
    again = _tfscaffold("apply", "--all", "--dry-run", "--repo", str(tree))
    base = next((n for n in report["public_names"] if n.endswith("Model") and "PreTrained" not in n), None)
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    imports = _run([sys.executable, "-c", f"import transformers; transformers.{base}"], env=env) if base else None
    if check.returncode != 0:
        row["error"] = "L1 check: " + (check.stdout.strip().splitlines() or ["?"])[0]
        return row
    if again.stdout.strip():
        row["error"] = "L1: apply --all still changes files"
        return row
    if imports is None or imports.returncode != 0:
        row["error"] = "L1 import: " + (
            (imports.stderr.strip().splitlines() or ["?"])[-1] if imports else "no base model"
        )
        return row
    row["level"] = 1

    from scaffold.checkout import Checkout
    from scaffold.verify import verify_model

    start = time.perf_counter()
    try:
        result = verify_model(Checkout(tree), model)
    except Exception as exc:  # a bad-input error is a benchmark finding, not a crash of the script
        row["error"] = f"verify: {exc}"
        return row
    row["seconds_verify"] = round(time.perf_counter() - start, 2)
    classes = result.classes
    row["classes"] = {c.tf_class: ("ok" if c.ok else (c.error or c.stage)) for c in classes}
    if result.error or not classes:
        row["error"] = f"verify: {result.error or 'no classes'}"
        return row
    built = all(
        c.stage not in ("find classes", "build PyTorch model", "load TF model") or c.error is None for c in classes
    )
    if not built:
        row["error"] = next(f"L2 {c.tf_class}: {c.error}" for c in classes if c.error)
        return row
    row["level"] = 2
    if any(c.weight_failures for c in classes) or any(c.error for c in classes):
        bad = next(c for c in classes if c.weight_failures or c.error)
        row["error"] = f"L3 {bad.tf_class}: " + (bad.error or ", ".join(w.name for w in bad.weight_failures[:3]))
        return row
    row["level"] = 3
    if not all(c.ok for c in classes):
        bad = next(c for c in classes if not c.ok)
        row["error"] = f"L4 {bad.tf_class}: beyond tolerance at " + (
            bad.first_divergence.path if bad.first_divergence else ", ".join(bad.outputs_beyond[:3])
        )
        return row
    row["level"] = 4
    if with_tests:
        from scaffold.testgen import run_test_file

        start = time.perf_counter()
        tests = run_test_file(tree, model, timeout=1800)
        row["seconds_tests"] = round(time.perf_counter() - start, 2)
        row["tests"] = {k: tests.get(k) for k in ("passed", "failed", "errors", "skipped")}
        bad = tests["failed_ids"] + tests["error_ids"] + list(tests["unexpected_skips"])
        if bad or not tests["passed"]:
            names = [b.split("::")[-1] for b in bad] or ["no test ran"]
            row["error"] = f"L5 {len(names)} failing or skipped: " + ", ".join(names[:3])
        else:
            row["level"] = 5
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=PUBLIC + FRESH)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse-only", action="store_true")
    group.add_argument("--no-reuse-only", action="store_true")
    parser.add_argument("--no-tests", action="store_true", help="stop at L4: do not run the generated test files")
    args = parser.parse_args()
    from scaffold.tree_cache import default_tree

    pristine = default_tree()
    modes = [True] if args.reuse_only else [False] if args.no_reuse_only else [True, False]
    rows = []
    with tempfile.TemporaryDirectory(prefix="tfscaffold-bench-") as tmp:
        for model in args.models:
            for reuse in modes:
                # the generated tests exercise the port, not the converter: once per model is enough
                row = measure(
                    pristine, model, reuse, Path(tmp), with_tests=not args.no_tests and (reuse or args.no_reuse_only)
                )
                rows.append(row)
                print(
                    f"{model:10s} {'reuse' if reuse else 'no-reuse':8s} L{row['level']:<2} "
                    f"todos {row.get('todos', '-'):>3} lines {row.get('lines', '-'):>5} "
                    f"new {row.get('seconds_new', '-'):>5}s tests {row.get('seconds_tests', '-'):>6}s  "
                    f"{row.get('error', '')[:100]}",
                    flush=True,
                )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ports.json").write_text(json.dumps(rows, indent=2))
    print(f"\nwrote {RESULTS / 'ports.json'}")


if __name__ == "__main__":
    main()
