"""Wall time of ``tfscaffold check --all`` on the pinned 4.46.3 tree: median of 5 runs.

Two figures: warm (the parse cache of the TF modeling files is filled, as it is for a
pre-commit hook from its second run on) and cold (that cache disabled). Each run is a fresh
process, as a hook is, so interpreter start-up and imports are counted.

    python bench/check_speed.py [--repo PATH] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"check failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=None, help="tree to check (default: the pinned 4.46.3 tree)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.repo is None:
        from scaffold.tree_cache import default_tree

        args.repo = default_tree()
    cmd = [sys.executable, "-m", "scaffold", "check", "--all", "--repo", str(args.repo)]
    env = dict(os.environ)
    timed(cmd, env)  # fill the parse cache
    warm = [timed(cmd, env) for _ in range(args.runs)]
    cold_env = {**env, "TFSCAFFOLD_NO_FACTS_CACHE": "1"}
    cold = [timed(cmd, cold_env) for _ in range(args.runs)]
    print(f"tfscaffold check --all on {args.repo} ({args.runs} runs, {os.cpu_count()} cores)")
    print(f"  warm cache: median {statistics.median(warm):.2f} s  (min {min(warm):.2f}, max {max(warm):.2f})")
    print(f"  cold cache: median {statistics.median(cold):.2f} s  (min {min(cold):.2f}, max {max(cold):.2f})")


if __name__ == "__main__":
    main()
