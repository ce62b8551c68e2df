"""transformers' own repository checks after ``tfscaffold new``, compared with the unmodified tree.

For each model: hard-link a copy of the full checkout (the 4.46.3 source distribution with the
corpus of ``utils/``, TF test files and ``docs/`` over it), delete the model's hand-written
``modeling_tf_<m>.py``, run ``tfscaffold new <m>`` (with reuse) and run, from the tree's root, what
``make repo-consistency`` runs that needs no network:

    check_copies       utils/check_copies.py, formatting with the ruff the tree pins (0.5.1)
    check_dummies      utils/check_dummies.py
    check_inits        utils/check_inits.py (both halves of every init, submodules registered)
    check_docstrings   utils/check_docstrings.py in its default mode (the files that changed)
    repo.<step>        each step of utils/check_repo.py's check_repo_quality(), on its own

A check passes for a model when it reports nothing the unmodified tree does not report (the tree
lacks the PyTorch tests and ``examples/``, so a few steps fail there already, the same way). The
unmodified tree's report is computed once and kept in bench/results/ with the corpus digest.

Two checks are restricted to the files ``new`` changed, with results equal to what the full check
says about them: check_copies runs ``is_copy_consistent`` on the changed files and on every file
whose ``# Copied from`` markers name a changed module (no other file's result can change);
check_docstrings gets the changed files as its git diff (what it reads in its default mode) and
looks only at the public names of the changed packages (the others it skips in that mode anyway).

    python bench/repo_checks.py [MODEL ...] [--set zoo|public|fresh|all] [--out NAME] [--refresh]

Prints a table model x check (``ok``, or ``FAIL``) with the first new lines of each failure, and
writes JSON to bench/results/repo-checks[-NAME].json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from port_benchmark import SETS, port_name  # noqa: E402

RESULTS = PROJECT / "bench" / "results"
CORPUS = PROJECT.parent / "shared" / "corpus" / "transformers-f0e640ad-utils-tests-docs.tar.gz"
CHECKS = ["check_copies", "check_dummies", "check_inits", "check_docstrings"]

# Runs in the tree's root with its src/ first on sys.path. argv[1]: JSON {"files": [...] or null}, the
# changed files relative to the root (null: the whole tree, as the scripts check it by default with
# check_docstrings --check_all). Prints one JSON object: check -> the lines it reported ([] = pass).
DRIVER = r'''
import ast, contextlib, difflib, io, json, os, re, sys, types, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, "utils")
spec = json.loads(sys.argv[1])
files = spec["files"]
out = {}


def run(name, fn):
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            fn()
        out[name] = []
    except Exception as exc:
        out[name] = [line for line in f"{type(exc).__name__}: {exc}".splitlines() if line.strip()]


# -- check_copies: is_copy_consistent on the changed files and the files copying from them
import check_copies


def copies():
    if files is None:
        check_copies.check_copies()
        return
    # a file's result depends on it and on the objects its markers name: the changed files, and the
    # files with a marker naming a changed module (a test file's markers name tests.<module>)
    modules = {rel[:-3].replace("/", ".").removeprefix("src.transformers.").removeprefix("tests.") for rel in files if rel.endswith(".py")}
    marker = re.compile(r"# Copied from (?:transformers|tests)\.([\w.]+)")
    todo = {rel for rel in files if rel.endswith(".py") and rel.startswith(("src/transformers/", "tests/models/"))}
    for base in ("src/transformers", "tests/models"):
        for folder, _, names in os.walk(base):
            for name in names:
                path = os.path.join(folder, name)
                if not name.endswith(".py") or path in todo:
                    continue
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                if "Copied from" in text and any(
                    found.startswith(m + ".") for found in marker.findall(text) for m in modules
                ):
                    todo.add(path)
    diffs = []
    buffer = {}
    for path in sorted(todo):
        if not os.path.isfile(path):
            continue
        for d in check_copies.is_copy_consistent(path, False, buffer):
            diffs.append(f"- {path}: copy does not match {d[0]} at line {d[1]}")
    if diffs:
        raise Exception("Found the following copy inconsistencies:\n" + "\n".join(diffs))


run("check_copies", copies)
if files is None:
    run("check_full_copies", check_copies.check_full_copies)

# -- check_dummies, with the first lines that differ
import check_dummies


def dummies():
    try:
        check_dummies.check_dummies(False)
    except ValueError as exc:
        expected = check_dummies.create_dummy_files()
        lines = []
        for backend, text in expected.items():
            short = {"torch": "pt"}.get(backend, backend)
            path = os.path.join(check_dummies.PATH_TO_TRANSFORMERS, "utils", f"dummy_{short}_objects.py")
            actual = open(path, encoding="utf-8").read() if os.path.isfile(path) else ""
            if actual != text:
                diff = difflib.unified_diff(actual.splitlines(), text.splitlines(), lineterm="", n=0)
                lines += [l for l in diff if l[:1] in "+-" and l[:3] not in ("+++", "---")][:6]
        raise ValueError(str(exc) + "\n" + "\n".join(lines)) from None


run("check_dummies", dummies)

# -- check_inits: what the script's main runs
import check_inits


def inits():
    problems = []
    for fn in (check_inits.check_all_inits, check_inits.check_submodules):
        try:
            fn()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("\n".join(problems))


run("check_inits", inits)

# -- check_docstrings: the git diff it reads in its default mode is the changed files
class _Diff:
    def __init__(self, path):
        self.a_path = path


class _Repo:
    def __init__(self, *args, **kwargs):
        changed = [_Diff(rel) for rel in files or []]
        self.index = types.SimpleNamespace(diff=lambda other: changed if other is None else [])
        self.refs = types.SimpleNamespace(main=types.SimpleNamespace(commit=None))


try:
    import git  # noqa: F401
except ImportError:
    sys.modules["git"] = types.SimpleNamespace(Repo=_Repo)
import check_docstrings

check_docstrings.Repo = _Repo
# An object this interpreter cannot import (an optional dependency missing: torchvision) stops a
# check that walks dir(transformers) at the first one, checking nothing after it: such objects are
# left out of what the checks see and named instead, the same before and after.
full = check_docstrings.transformers
unimportable = []
for n in sorted(full._class_to_module):
    try:
        getattr(full, n)
    except Exception:
        unimportable.append(n)
if unimportable:
    out["unimportable"] = unimportable
if files is not None:
    # The default mode skips every object outside the changed files, after importing it: look only
    # at the public names of the packages that hold changed files (the others would be skipped).
    packages = {".".join(rel.split("/")[2:4]) for rel in files if rel.startswith("src/transformers/models/")}
    names = [n for n, m in full._class_to_module.items() if m in packages]
else:
    names = sorted(full._class_to_module)


class _View(types.ModuleType):
    """transformers as the checks see it: ``shown`` names (or all), less the unimportable ones."""

    def __init__(self, shown=None):
        super().__init__("transformers")
        self._shown = shown

    def __dir__(self):
        names = dir(full) if self._shown is None else self._shown
        return [n for n in names if n not in unimportable]

    def __getattr__(self, name):
        if name in unimportable:
            raise AttributeError(name)
        return getattr(full, name)


check_docstrings.transformers = _View(names)
run("check_docstrings", lambda: check_docstrings.check_docstrings(False, check_all=files is None))

# -- check_repo: each step of check_repo_quality() on its own (the script stops at its first failure)
import check_repo

check_repo.transformers = _View()
source = open("utils/check_repo.py", encoding="utf-8").read()
for node in ast.parse(source).body:
    if isinstance(node, ast.FunctionDef) and node.name == "check_repo_quality":
        for s in node.body:
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name):
                if s.value.func.id != "print":
                    run("repo." + s.value.func.id, getattr(check_repo, s.value.func.id))
print("@@RESULT@@" + json.dumps(out))
'''


def ruff_051() -> Path:
    """The ruff 0.5.1 that check_copies formats with (.ci/setup installs it into the cache folder)."""
    from scaffold.tree_cache import cache_dir

    for folder in (cache_dir(), PROJECT / ".cache"):
        if (folder / "ruff051" / "bin" / "ruff").is_file():
            return folder / "ruff051" / "bin" / "ruff"
    raise SystemExit("check_copies needs ruff==0.5.1: pip install --target .cache/ruff051 ruff==0.5.1")


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    ruff = os.environ.get("TFSCAFFOLD_RUFF_051") or str(ruff_051())
    env.update(
        # the tree's transformers first; what the caller's path adds (Pillow, for the vision objects) after it
        PYTHONPATH=os.pathsep.join([str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
        PYTHONDONTWRITEBYTECODE="1",  # the pristine tree is the cache: leave no __pycache__ in it
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        PATH=f"{Path(ruff).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_checks(root: Path, files: list[str] | None) -> dict[str, list[str]]:
    """What each check reports on ``root`` (``files``: the changed files; None: the whole tree)."""
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps({"files": files})],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    marked = [line for line in proc.stdout.splitlines() if line.startswith("@@RESULT@@")]
    if proc.returncode != 0 or not marked:
        raise RuntimeError(f"the checks driver failed in {root}:\n{proc.stderr[-3000:]}")
    raw = json.loads(marked[-1].removeprefix("@@RESULT@@"))
    prefix = str(root) + os.sep
    return {k: [line.replace(prefix, "") for line in v] for k, v in raw.items()}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pristine_checks(full: Path, refresh: bool = False) -> dict[str, list[str]]:
    """The checks on the unmodified full checkout, computed once per corpus and kept in bench/results/."""
    cached = RESULTS / "repo-checks-pristine.json"
    # the corpus, and whether the optional vision objects import (Pillow): both change the report
    probe = subprocess.run([sys.executable, "-c", "import PIL"], env=_env(full), capture_output=True)
    digest = f"{_digest(CORPUS)} pillow={probe.returncode == 0}"
    if cached.is_file() and not refresh:
        data = json.loads(cached.read_text())
        if data.get("corpus") == digest:
            return data["checks"]
    checks = run_checks(full, None)
    RESULTS.mkdir(exist_ok=True)
    cached.write_text(json.dumps({"corpus": digest, "checks": checks}, indent=1))
    return checks


def _normal(line: str) -> str:
    """A reported line without what moves when unrelated code moves (line numbers of a copy mismatch)."""
    return re.sub(r" at line \d+$", "", line)


def new_problems(after: list[str], before: list[str]) -> list[str]:
    """The lines ``after`` reports that ``before`` does not (the headers of a message count as lines)."""
    known = {_normal(line) for line in before}
    return [line for line in after if _normal(line) not in known]


def measure(full: Path, model: str, baseline: dict[str, list[str]], workdir: Path) -> dict:
    from scaffold.tree_cache import copy_tree

    root = copy_tree(full, workdir / model, link=True)
    port = port_name(root, model)  # the folder's own model, or the one of its several that has a TF port
    (root / "src" / "transformers" / "models" / model / f"modeling_tf_{port}.py").unlink(missing_ok=True)
    row: dict = {"model": model}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", port, "--repo", str(root), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        cwd=workdir,
        timeout=1800,
    )
    row["seconds_new"] = round(time.perf_counter() - start, 1)
    if proc.returncode != 0:
        row["error"] = "new: " + (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return row
    changed = sorted(json.loads(proc.stdout)["changed"])
    row["changed"] = changed
    start = time.perf_counter()
    after = run_checks(root, changed)
    row["seconds_checks"] = round(time.perf_counter() - start, 1)
    row["checks"] = {}
    for check, lines in after.items():
        extra = new_problems(lines, baseline.get(check, []))
        row["checks"][check] = {"ok": not extra, "new": extra}
    return row


SHORT = {
    "check_copies": "copies",
    "check_dummies": "dummies",
    "check_inits": "inits",
    "check_docstrings": "docstrings",
    "repo.check_model_list": "model list",
    "repo.check_models_are_in_init": "in init",
    "repo.check_all_decorator_order": "decorators",
    "repo.check_all_models_are_tested": "tested",
    "repo.check_all_objects_are_documented": "documented",
    "repo.check_all_models_are_auto_configured": "auto",
    "repo.check_all_auto_object_names_being_defined": "auto names",
    "repo.check_all_auto_mapping_names_in_config_mapping_names": "auto keys",
    "repo.check_all_auto_mappings_importable": "auto import",
    "repo.check_objects_being_equally_in_main_init": "equal init",
    "repo.check_deprecated_constant_is_up_to_date": "deprecated",
}


def _short(check: str) -> str:
    return SHORT.get(check, check)


def table(rows: list[dict]) -> str:
    checks = [c for c in dict.fromkeys(c for r in rows for c in r.get("checks", {})) if c != "unimportable"]
    out = ["| model | " + " | ".join(_short(c) for c in checks) + " |", "|---|" + "---|" * len(checks)]
    for r in rows:
        if "checks" not in r:
            out.append(f"| {r['model']} | {r.get('error', '?')} |")
            continue
        cells = ["ok" if r["checks"][c]["ok"] else "FAIL" for c in checks]
        out.append(f"| {r['model']} | " + " | ".join(cells) + " |")
    passing = sum(1 for r in rows if r.get("checks") and all(v["ok"] for v in r["checks"].values()))
    out.append(f"\n{passing} of {len(rows)} models pass every check")
    out.append("\nfailures (first new lines):")
    for r in rows:
        for c, v in r.get("checks", {}).items():
            if not v["ok"]:
                lines = [line for line in v["new"] if not line.endswith(":")] or v["new"]
                out.append(f"  {r['model']:18s} {_short(c)}: " + " | ".join(lines[:3])[:300])
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--set", choices=sorted(SETS), help="a named set of models of bench/port_benchmark.py")
    parser.add_argument("--out", default="", help="suffix of the JSON written to bench/results/")
    parser.add_argument("--refresh", action="store_true", help="recompute the unmodified tree's report")
    args = parser.parse_args()
    from scaffold.tree_cache import full_tree

    models = args.models or SETS[args.set or "zoo"]
    full = full_tree(CORPUS)
    start = time.perf_counter()
    baseline = pristine_checks(full, refresh=args.refresh)
    print(
        f"unmodified tree: {sum(1 for v in baseline.values() if v)} checks report something "
        f"({', '.join(k for k, v in baseline.items() if v)}); {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="tfscaffold-repo-checks-") as tmp:
        for n, model in enumerate(models, 1):
            try:
                row = measure(full, model, baseline, Path(tmp))
            except Exception as exc:  # one model's crash is a finding for its row
                row = {"model": model, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            rows.append(row)
            bad = [c for c, v in row.get("checks", {}).items() if not v["ok"]]
            status = row.get("error") or ("ok" if not bad else "FAIL " + ", ".join(bad))
            print(f"[{n}/{len(models)} {time.perf_counter() - start:5.0f}s] {model:18s} {status}", flush=True)
            subprocess.run(["rm", "-rf", str(Path(tmp) / model)])
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"repo-checks{'-' + args.out if args.out else ''}.json"
    target.write_text(json.dumps(rows, indent=1))
    print()
    print(table(rows))
    print(f"\nwrote {target}")


if __name__ == "__main__":
    main()
