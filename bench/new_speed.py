"""Wall time of ``tfscaffold new <m>`` end to end, beside a bare libcst parse + codegen of the same file.

Each run is a fresh process on a fresh copy of the tree (``src/``, ``tests/``, ``pyproject.toml``)
with ``modeling_tf_<m>.py`` removed, as a contributor starting a port has it, and Python keeping its
compiled modules as it does by default (a scratch cache, warmed by one untimed run; each timed run is
followed by one with no bytecode cache at all, printed beside it: a shell that sets
``PYTHONDONTWRITEBYTECODE`` has every module compiled from source on every run). In the same run, and
interleaved with those runs so both see the same machine load, the bare cost of the file:
``libcst.parse_module`` of ``modeling_<m>.py`` and ``.code`` of the result. The ratio of the two
medians is the figure that travels between machines.

Then one conversion in this process with a timer on each step: where the time goes (parse, context,
reuse index, each rule pass, imports, ruff, the final rules, registration sync, test file).

    python bench/new_speed.py [MODEL] [--repo TREE] [--runs 5] [--no-profile] [--cprofile FILE]
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 2.0


def fresh_tree(source: Path, into: Path, model: str) -> Path:
    """A copy of the tree's src/, tests/ and pyproject.toml without the model's TF modeling file."""
    tree = into / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir()
    for part in ("src", "tests"):
        if (source / part).is_dir():
            shutil.copytree(source / part, tree / part, symlinks=True)
    if (source / "pyproject.toml").is_file():
        shutil.copy2(source / "pyproject.toml", tree / "pyproject.toml")
    folder = tree / "src" / "transformers" / "models" / model
    (folder / f"modeling_tf_{model}.py").unlink(missing_ok=True)
    return tree


def bare_libcst(text: str) -> float:
    import libcst

    start = time.perf_counter()
    module = libcst.parse_module(text)
    module.code  # noqa: B018 - the code generation is what is timed
    return time.perf_counter() - start


def run_new(model: str, tree: Path, cwd: Path, bytecode: Path | None) -> float:
    """One ``new`` in a fresh process. ``bytecode``: where Python keeps the compiled modules (its default
    behaviour, in a scratch folder, warmed by an untimed run); None: no bytecode cache at all, every
    module compiled from source each run (``PYTHONDONTWRITEBYTECODE``, which some shells set)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    if bytecode is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    cmd = [sys.executable, "-m", "scaffold", "new", model, "--repo", str(tree)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"tfscaffold new {model} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr[-3000:]}")
    return elapsed


class StepTimer:
    """Inclusive and own (nested steps subtracted) seconds per wrapped function."""

    def __init__(self) -> None:
        self.inclusive: dict[str, float] = defaultdict(float)
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[float] = []  # time spent in nested steps, per open step

    def wrap(self, owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            self._stack.append(0.0)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                nested = self._stack.pop()
                self.inclusive[label] += elapsed
                self.own[label] += elapsed - nested
                self.calls[label] += 1
                if self._stack:
                    self._stack[-1] += elapsed

        setattr(owner, attribute, timed)

    def record(self, label: str, seconds: float) -> None:
        """A step timed elsewhere (a rule pass), nested in whatever step is open."""
        self.inclusive[label] += seconds
        self.own[label] += seconds
        self.calls[label] += 1
        if self._stack:
            self._stack[-1] += seconds


def profile(model: str, tree: Path, cprofile: Path | None) -> None:
    sys.path.insert(0, str(ROOT))
    from scaffold import formatting, new
    from scaffold.checkout import open_checkout
    from scaffold.convert import assemble, reuse
    from scaffold.convert.rules import base

    timer = StepTimer()
    steps = [
        (assemble, "read_pt_module", "parse modeling file (libcst)"),
        (assemble, "_context", "context facts"),
        (assemble, "ReuseIndex", "reuse index: build"),
        (reuse.ReuseIndex, "by_marker", "reuse index: by marker"),
        (reuse.ReuseIndex, "by_identity", "reuse index: by identity"),
        (assemble, "keep_consistent_callers", "reuse: consistent callers"),
        (assemble, "_reused_twins", "reuse: twins"),
        (assemble, "_converted_code", "rule pipeline"),
        (assemble, "apply_rules", "rule passes"),
        (assemble, "_place_twins", "place reused twins"),
        (assemble, "recover_copied", "recover copied objects"),
        (assemble, "keep_copied", "keep copied objects"),
        (assemble, "copy_dependents", "copied-from dependents"),
        (assemble, "_with_support", "support helpers"),
        (assemble, "with_imports", "imports pool"),
        (assemble, "_resolve_undefined", "resolve undefined (ruff F821)"),
        (assemble, "tidy_markers", "tidy copied-from markers"),
        (assemble, "_tidy", "ruff fix + format"),
        (assemble, "_finish", "final rules"),
        (assemble, "_mark_undefined", "mark undefined (ruff F821)"),
        (assemble, "ruff_format", "ruff format"),
        (assemble, "_copies_report", "copies report"),
        (new, "convert_model", "convert_model"),
        (new, "_remark_copies", "re-anchor copies of the port"),
        (new, "sync", "registration sync"),
        (new, "_write_test_file", "test file"),
        (new, "plan_new", "plan_new (all)"),
    ]
    del formatting  # ruff_format is timed where assemble calls it
    for owner, attribute, label in steps:
        if hasattr(owner, attribute):
            timer.wrap(owner, attribute, label)

    def observe(rule: type, seconds: float) -> None:
        timer.record(f"  pass {rule.__module__.rsplit('.', 1)[-1]}.{rule.__name__}", seconds)

    base.pass_observer = observe
    checkout = open_checkout(tree)
    target = checkout.model(model)
    profiler = None
    if cprofile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    new.plan_new(checkout, target)
    total = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(cprofile)
    base.pass_observer = None

    print(f"\nwhere the time goes (one in-process plan_new {model}: {total:.2f} s; own = nested steps taken out)")
    print(f"  {'step':<52} {'calls':>5} {'incl s':>7} {'own s':>7}")
    for label, _, _ in [(label, 0, 0) for _, _, label in steps]:
        if label in timer.calls:
            print(f"  {label:<52} {timer.calls[label]:>5} {timer.inclusive[label]:>7.3f} {timer.own[label]:>7.3f}")
    passes = sorted(((s, label) for label, s in timer.inclusive.items() if label.startswith("  pass ")), reverse=True)
    in_passes = sum(s for s, _ in passes)
    from scaffold.convert.rules import FINAL, PIPELINE
    from scaffold.convert.rules.base import _phases

    walks = len(_phases(PIPELINE)) + len(_phases(FINAL))
    print(f"  rule passes: {len(passes)} rules in {walks} walks (a phase's rules share one; each gets an even")
    print(f"  share of its walk's time), {in_passes:.3f} s in all; the ten slowest:")
    for seconds, label in passes[:10]:
        print(f"  {label:<52} {timer.calls[label]:>5} {seconds:>7.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default="bert")
    parser.add_argument("--repo", type=Path, default=None, help="tree to copy (default: the pinned 4.46.3 tree)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true", help="only the end-to-end figures")
    parser.add_argument("--cprofile", type=Path, default=None, help="also write cProfile stats of the profile run")
    args = parser.parse_args()
    if args.repo is None:
        sys.path.insert(0, str(ROOT))
        from scaffold.tree_cache import default_tree

        args.repo = default_tree()
    pt_file = args.repo / "src" / "transformers" / "models" / args.model / f"modeling_{args.model}.py"
    text = pt_file.read_text(encoding="utf-8")
    import libcst  # noqa: F401 - imported before anything is timed

    walls: list[float] = []
    uncached: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tfscaffold-new-speed-") as scratch:
        work = Path(scratch)
        bytecode = work / "bytecode"
        run_new(args.model, fresh_tree(args.repo, work, args.model), work, bytecode)  # compiles, untimed
        for _ in range(args.runs):
            tree = fresh_tree(args.repo, work, args.model)
            bare.append(bare_libcst(text))
            walls.append(run_new(args.model, tree, work, bytecode))
            uncached.append(run_new(args.model, fresh_tree(args.repo, work, args.model), work, None))
        wall, floor = statistics.median(walls), statistics.median(bare)
        lines = len(text.splitlines())
        print(f"tfscaffold new {args.model} on {args.repo} ({args.runs} runs, {os.cpu_count()} cores)")
        print(f"  new {args.model} end to end: median {wall:.2f} s  (min {min(walls):.2f}, max {max(walls):.2f})")
        print(
            f"  the same without a bytecode cache (every module compiled each run): median"
            f" {statistics.median(uncached):.2f} s  (min {min(uncached):.2f}, max {max(uncached):.2f})"
        )
        print(
            f"  bare libcst parse + codegen of modeling_{args.model}.py ({lines} lines): "
            f"median {floor:.3f} s  (min {min(bare):.3f}, max {max(bare):.3f})"
        )
        print(f"  ratio: {wall / floor:.1f}x the bare parse + codegen")
        print(f"  target: median <= {TARGET_SECONDS:.1f} s: {'met' if wall <= TARGET_SECONDS else 'NOT met'}")
        if not args.no_profile:
            profile(args.model, fresh_tree(args.repo, work, args.model), args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
