"""The port benchmark: how far does ``tfscaffold new`` get on real models?

For each model: copy the pinned 4.46.3 tree (or ``--transformers VERSION``'s), remove the model's hand-written TF modeling file
(fresh ports have none), run ``tfscaffold new``, and measure the levels of the porting benchmark:

    L0 generated   new exits 0; every written Python file parses, is ruff-clean and formatted
    L1 registered  check --all passes, apply --all then changes nothing, the TF class imports
    L2 builds      every generated model class builds (verify reaches its weights stage)
    L3 loads       PyTorch weights cross-load with no missing or unexpected weights
    L4 matches     every output within 1e-5 of PyTorch, for the base model and every head
    L5 tested      the generated tests/models/<m>/test_modeling_tf_<m>.py passes under the tree's
                   TFModelTesterMixin (4.53+: its own checks): no failures, no errors (skips: only
                   the mixin's own marks)

The oracle for L2-L4 is ``scaffold.verify.verify_model``, nothing else. Prints one table and
writes JSON to bench/results/ports.json.

    python bench/port_benchmark.py [MODEL ...] [--set public|fresh|zoo|all|newer] [--jobs N] [--resume]
                                   [--no-reuse-only | --reuse-only] [--no-tests] [--transformers VERSION]

``--set zoo`` is every 4.46.3 model folder with a hand-written TF port (the composite wrappers
aside); ``fresh`` the models that have none anywhere. Rows are appended to
bench/results/ports.jsonl as they finish, so ``--resume`` skips what an interrupted run measured.
The table ends with the blockers counted across the models: the reason each stopped (names of
the model taken out, so one construct counts once per model) and the TODO constructs left.
"""

from __future__ import annotations

import argparse
import ast
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PUBLIC = ["bert", "roberta", "gpt2", "opt", "bart", "marian", "t5", "vit", "deit", "convnext", "wav2vec2", "clip"]
FRESH = [
    "llama", "gpt_neox", "qwen2", "phi", "gemma", "stablelm", "starcoder2", "gemma2", "phi3", "falcon", "mixtral",
]  # fmt: skip
# Every model folder of 4.46.3 with a hand-written modeling_tf_<m>.py, less the composite wrappers
# (auto, encoder_decoder, vision_encoder_decoder, vision_text_dual_encoder, rag).
ZOO = """
albert bart bert blenderbot blenderbot_small camembert clip convbert convnext convnextv2 ctrl cvt data2vec
deberta deit dpr electra esm flaubert funnel gpt2 groupvit idefics layoutlm layoutlmv3 led longformer lxmert
marian mbart mistral mobilebert mobilevit mt5 openai opt regnet rembert resnet roberta roberta_prelayernorm
roformer sam segformer speech_to_text swiftformer t5 tapas vit wav2vec2 xlm xlnet
""".split()
# transformers 4.57: today's decoders (fresh ports, no TF port anywhere) and four regenerated ones
NEWER = ["qwen3", "gemma3", "smollm3", "olmo2", "granite", "phi3", "starcoder2", "cohere2"]
REGENERATED_NEWER = ["bert", "vit", "gpt2", "mistral"]
SETS = {
    "public": PUBLIC,
    "fresh": FRESH,
    "zoo": ZOO,
    "all": list(dict.fromkeys(ZOO + PUBLIC + FRESH)),
    "newer": NEWER + REGENERATED_NEWER,
}
RESULTS = Path(__file__).resolve().parent / "results"


def _run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: int = 900):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _tfscaffold(*args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "scaffold", *args])


def _ruff(*args: str) -> subprocess.CompletedProcess:
    from scaffold.formatting import ruff_binary

    return _run([ruff_binary(), *args])


def port_name(pristine: Path, folder: str) -> str:
    """The model of a folder to port: the folder's own, or the one its hand-written TF file names when
    the folder holds several (``data2vec``: ``modeling_tf_data2vec_vision.py``)."""
    models = pristine / "src" / "transformers" / "models" / folder
    if (models / f"modeling_{folder}.py").is_file():
        return folder
    ports = sorted(p.stem.removeprefix("modeling_tf_") for p in models.glob(f"modeling_tf_{folder}_*.py"))
    return ports[0] if len(ports) == 1 else folder


def measure(pristine: Path, folder: str, reuse: bool, workdir: Path, with_tests: bool = True) -> dict:
    tree = workdir / f"{folder}-{'reuse' if reuse else 'noreuse'}"
    shutil.copytree(pristine / "src", tree / "src")
    if (pristine / "tests").is_dir():
        shutil.copytree(pristine / "tests", tree / "tests")
    else:  # a source distribution of 4.48+ ships no tests: the generated file is the model's only one
        (tree / "tests").mkdir(parents=True)
        (tree / "tests" / "__init__.py").write_text("")
    shutil.copy2(pristine / "pyproject.toml", tree / "pyproject.toml")
    model = port_name(pristine, folder)
    tf_file = tree / "src" / "transformers" / "models" / folder / f"modeling_tf_{model}.py"
    tf_file.unlink(missing_ok=True)
    row: dict = {"model": folder, "reuse": reuse, "level": -1}
    if model != folder:
        row["port"] = model

    start = time.perf_counter()
    new = _tfscaffold("new", model, "--repo", str(tree), "--json", *([] if reuse else ["--no-reuse"]))
    row["seconds_new"] = round(time.perf_counter() - start, 2)
    if new.returncode != 0:
        row["error"] = (new.stderr.strip().splitlines() or ["new failed"])[-1]
        return row
    report = json.loads(new.stdout)
    row.update(todos=len(report["todos"]), reused=len(report["reused"]), converted=len(report["converted"]))
    row["todo_constructs"] = sorted(
        {t["text"].removeprefix("# TODO(tfscaffold): ").split(": ")[0] for t in report["todos"]}
    )
    row["lines"] = tf_file.read_text().count("\n") if tf_file.is_file() else 0
    config = ["--config", str(tree / "pyproject.toml")]
    # other ports' files whose markers new re-pointed keep their code, and upstream's formatting with it
    remarked = {e["file"] for e in report.get("marker_edits", [])}
    written = [tree / p for p in report["changed"] if p.endswith(".py") and p not in remarked]
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
        failed = lint if lint.returncode != 0 else fmt
        detail = [line for line in failed.stdout.strip().splitlines() if line.strip()] or ["?"]
        row.setdefault(
            "error", f"ruff {'check' if failed is lint else 'format'}: {detail[0 if failed is fmt else -1]}"
        )
        return row
    row["level"] = 0

    check = _tfscaffold("check", "--all", "--repo", str(tree))
    again = _tfscaffold("apply", "--all", "--dry-run", "--repo", str(tree))
    # the base model, or for a model without one (DPR's encoders) its first public class
    public = [n for n in report["public_names"] if "PreTrained" not in n and not n.endswith("MainLayer")]
    base = next((n for n in public if n.endswith("Model")), public[0] if public else None)
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
    row["classes"] = {c.tf_class: ("ok" if c.ok else (c.error or c.stage)) for c in result.classes}
    # a class PyTorch cannot run on verify's inputs either (a stack needing its parent's embeddings)
    row["not_comparable"] = {c.tf_class: c.pytorch_fails for c in result.classes if not c.comparable}
    classes = [c for c in result.classes if c.comparable]
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
        from scaffold.testrun import run_test_file

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


def blocker(model: str, text: str) -> str:
    """A stop reason or TODO construct with the model's own names taken out, to count across models."""
    text = re.sub(r"^(L\d) TF\w+:", r"\1:", text)
    text = re.sub("(?i)" + re.escape(model.replace("_", "")), "<M>", text)
    text = re.sub("(?i)" + re.escape(model), "<M>", text)
    return re.sub(r"\b\d+\b", "N", text)[:110]


def _measure_safely(pristine: Path, model: str, reuse: bool, workdir: Path, with_tests: bool) -> dict:
    try:
        return measure(pristine, model, reuse, workdir, with_tests=with_tests)
    except Exception as exc:  # a hung or crashing step is a finding for this row, not the end of the run
        return {"model": model, "reuse": reuse, "level": -1, "error": f"benchmark: {type(exc).__name__}: {exc}"}


def _line(row: dict) -> str:
    return (
        f"{row['model']:20s} {'reuse' if row['reuse'] else 'no-reuse':8s} L{row['level']:<2} "
        f"todos {row.get('todos', '-'):>3} lines {row.get('lines', '-'):>5} "
        f"new {row.get('seconds_new', '-'):>5}s tests {row.get('seconds_tests', '-'):>6}s  "
        f"{row.get('error', '')[:100]}"
    )


def table(rows: list[dict], models: list[str]) -> str:
    """The README's table: one line per model, then the blockers counted across the models."""
    by = {(r["model"], r["reuse"]): r for r in rows}
    out = [
        "| model | with reuse | without reuse | TODOs left | lines | `new` seconds | generated tests (passed/failed) "
        "| what stops it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    level = collections.Counter()
    stops: collections.Counter = collections.Counter()
    todos: collections.Counter = collections.Counter()
    for model in models:
        a, b = by.get((model, True)), by.get((model, False))
        if a is None and b is None:
            continue
        main_row = a or b
        tests = main_row.get("tests") or {}
        counts = f"{tests.get('passed')}/{(tests.get('failed') or 0) + (tests.get('errors') or 0)}" if tests else "-"
        lv = [f"L{r['level']}" if r else "-" for r in (a, b)]
        out.append(
            f"| {model} | {lv[0]} | {lv[1]} | {main_row.get('todos', '-')} | {main_row.get('lines', '-')} "
            f"| {main_row.get('seconds_new', '-')} | {counts} | {main_row.get('error', '')[:90]} |"
        )
        for r in (a, b):
            if r:
                level[(r["reuse"], r["level"])] += 1
                if r.get("error"):
                    stops[blocker(model, r["error"])] += 1
        todos.update({blocker(model, t) for t in main_row.get("todo_constructs", [])})
    for reuse in (True, False):
        n = sum(c for (ru, _), c in level.items() if ru == reuse)
        if n:
            at = {lv: sum(c for (ru, l2), c in level.items() if ru == reuse and l2 >= lv) for lv in range(6)}
            summary = ", ".join(f"L{lv}+ {at[lv]}" for lv in range(6))
            out.append(f"\n{'with' if reuse else 'without'} reuse, {n} models: {summary}")
    out.append("\nwhat stops a model (rows):")
    out += [f"{c:4d}  {text}" for text, c in stops.most_common(25)]
    out.append("\nTODO constructs left (models):")
    out += [f"{c:4d}  {text}" for text, c in todos.most_common(25)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--set", choices=sorted(SETS), help="a named set of models (default: public and fresh)")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2), help="models measured at once")
    parser.add_argument("--resume", action="store_true", help="skip the rows bench/results/ports.jsonl already has")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse-only", action="store_true")
    group.add_argument("--no-reuse-only", action="store_true")
    parser.add_argument("--no-tests", action="store_true", help="stop at L4: do not run the generated test files")
    parser.add_argument("--table", action="store_true", help="only print the table of bench/results/ports.jsonl")
    parser.add_argument(
        "--transformers",
        metavar="VERSION",
        help="measure on that source distribution (default 4.46.3); run this script with the Python of an "
        "environment for it (bench/envs/make_env.sh 4.57, then .cache/env-4.57/bin/python); results go to "
        "bench/results/ports-VERSION.jsonl",
    )
    args = parser.parse_args()
    from scaffold.tree_cache import default_tree

    models = args.models or (SETS[args.set] if args.set else PUBLIC + FRESH)
    journal = RESULTS / (f"ports-{args.transformers}.jsonl" if args.transformers else "ports.jsonl")
    RESULTS.mkdir(exist_ok=True)
    done: dict[tuple[str, bool], dict] = {}
    if (args.resume or args.table) and journal.is_file():
        for line in journal.read_text().splitlines():
            row = json.loads(line)
            done[(row["model"], row["reuse"])] = row
    elif journal.is_file():
        journal.unlink()
    if args.table:
        print(table(list(done.values()), models))
        return

    pristine = default_tree(args.transformers)
    modes = [True] if args.reuse_only else [False] if args.no_reuse_only else [True, False]
    # the generated tests exercise the port, not the converter: once per model is enough
    jobs = [
        (m, reuse, not args.no_tests and (reuse or args.no_reuse_only))
        for m in models
        for reuse in modes
        if (m, reuse) not in done
    ]
    print(f"{len(jobs)} runs, {len(done)} already measured, {args.jobs} at once", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tfscaffold-bench-") as tmp:
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(_measure_safely, pristine, m, reuse, Path(tmp), tests) for m, reuse, tests in jobs]
            for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
                row = future.result()
                done[(row["model"], row["reuse"])] = row
                with journal.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(f"[{n}/{len(jobs)} {time.perf_counter() - start:6.0f}s] {_line(row)}", flush=True)
                shutil.rmtree(Path(tmp) / f"{row['model']}-{'reuse' if row['reuse'] else 'noreuse'}", True)
    rows = list(done.values())
    (journal.with_suffix(".json")).write_text(json.dumps(rows, indent=2))
    print(f"\nwall time {time.perf_counter() - start:.0f} s for {len(jobs)} runs\n")
    print(table(rows, models))
    print(f"\nwrote {journal}")


if __name__ == "__main__":
    main()
