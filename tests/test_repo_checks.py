"""transformers' own repository checks pass after ``new`` on a full checkout as they pass on the unmodified tree.

A sample of the zoo of bench/repo_checks.py (which runs every zoo model): the hand-written ports
are deleted, ``new`` writes them again with reuse, and ``check_copies`` (with the ruff the tree
pins), ``check_dummies``, ``check_inits``, ``check_docstrings`` and each offline step of
``check_repo`` must report nothing the unmodified tree does not. One tree takes the whole sample,
so the checks (which import all of transformers) run twice, not once per model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

sys.path.insert(0, str(PROJECT / "bench"))

from repo_checks import new_problems, ruff_051, run_checks  # noqa: E402

from scaffold.tree_cache import copy_tree  # noqa: E402

pytestmark = [pytest.mark.tree, pytest.mark.slow]

# opt: a port no other port copies from; albert: other ports copy its embeddings, which new regenerates
# differently, so their markers are re-pointed; wav2vec2: a head no TF auto mapping takes, and a Flax
# block in the model __init__ that imports from the TF module
SAMPLE = ["opt", "albert", "wav2vec2"]


def test_sample_of_the_zoo_passes_transformers_checks_after_new(full_pristine: Path, tmp_path: Path) -> None:
    try:
        ruff_051()
    except SystemExit as exc:
        pytest.skip(str(exc))
    root = copy_tree(full_pristine, tmp_path / "transformers", link=True)
    changed: set[str] = set()
    for model in SAMPLE:
        (root / "src" / "transformers" / "models" / model / f"modeling_tf_{model}.py").unlink()
        proc = subprocess.run(
            [sys.executable, "-m", "scaffold", "new", model, "--repo", str(root), "--json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        changed |= set(json.loads(proc.stdout)["changed"])
    files = sorted(changed)
    before = run_checks(full_pristine, files)
    after = run_checks(root, files)
    assert set(after) == set(before)
    assert "check_copies" in after and "repo.check_all_objects_are_documented" in after
    differences = {check: new_problems(lines, before[check]) for check, lines in after.items()}
    differences = {check: lines for check, lines in differences.items() if lines}
    assert not differences, json.dumps(differences, indent=1)[:4000]
