"""Wall time of ``tfscaffold verify`` per model on a tiny config, imports included.

Each model is verified the way a user runs it: the whole command line in a fresh process
(Python start, tfscaffold, the child that imports torch, TensorFlow and the tree's
transformers, every public model class of the port). The target is 20 s per model.

    python bench/verify_speed.py [--repo TREE] [--runs N] [model ...]

Prints one table: model, classes, verdict, wall seconds (best of N), of which importing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# The tfscaffold command line, with ``verify`` registered if this checkout's cli does not do it yet.
_LAUNCH = (
    "from scaffold.cli import app\n"
    "from scaffold.verify.command import register\n"
    "if not any(c.name == 'verify' for c in app.registered_commands):\n"
    "    register(app)\n"
    "app()\n"
)
MODELS = ["bert", "roberta", "gpt2", "opt", "bart", "marian", "t5", "vit", "deit", "convnext", "wav2vec2", "clip"]
TARGET_SECONDS = 20.0
# Tables that TF computes and PyTorch does not save (see the verify docs): allowed here, reported.
ALLOW = {"marian": ["embed_positions"]}


def run(model: str, repo: Path | None) -> tuple[float, dict]:
    cmd = [sys.executable, "-c", _LAUNCH, "verify", model, "--json"]
    if repo is not None:
        cmd += ["--repo", str(repo)]
    for pattern in ALLOW.get(model, []):
        cmd += ["--allow-missing", pattern]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"verify {model} failed with exit {proc.returncode}:\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--repo", type=Path, default=None, help="transformers tree (default: the pinned 4.46.3)")
    parser.add_argument("--runs", type=int, default=1, help="runs per model; the best is shown")
    args = parser.parse_args()
    print(f"{'model':<10} {'classes':>7} {'verdict':<8} {'wall s':>7} {'import s':>8} {'per class s':>11}")
    slow = []
    for model in args.models:
        best: tuple[float, dict] | None = None
        for _ in range(max(1, args.runs)):
            wall, data = run(model, args.repo)
            if best is None or wall < best[0]:
                best = (wall, data)
        assert best is not None
        wall, data = best
        classes = len(data["classes"])
        imports = data.get("import_seconds") or 0.0
        per_class = (wall - imports) / classes if classes else 0.0
        verdict = "ok" if data["ok"] else "MISMATCH"
        print(f"{model:<10} {classes:>7} {verdict:<8} {wall:>7.1f} {imports:>8.1f} {per_class:>11.2f}", flush=True)
        if wall > TARGET_SECONDS:
            slow.append(model)
    print(f"target: <= {TARGET_SECONDS:.0f} s per model; over it: {', '.join(slow) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
