"""verify in an interpreter without torch, TensorFlow or numpy: one line, exit 2, nothing run or written.

A fresh virtual environment with tfscaffold's base dependencies alone would take minutes to
make, so the subprocess hides the frameworks instead: ``sys.modules[name] = None`` makes both
``import name`` and ``importlib.util.find_spec(name)`` fail as for a package that is not
installed. Only the tfscaffold process is affected: the child process verify starts for the
models has a fresh interpreter with everything installed, so without the up-front check the
command would go on and verify bert (exit 0 after tens of seconds) and the test would fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, tree_hashes

from scaffold.errors import ScaffoldError
from scaffold.verify.environment import REQUIRED, missing_requirements, require_frameworks

DRIVER = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # as if not installed: import and find_spec both fail
sys.argv = ["tfscaffold", *sys.argv[2:]]
from scaffold.cli import main
main()
"""


def _run_without(hidden: list[str], *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run(
        [sys.executable, "-c", DRIVER, ",".join(hidden), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("hidden", [["numpy"], ["torch", "tensorflow"], ["numpy", "torch", "tensorflow"]])
def test_verify_without_the_frameworks_says_how_to_install_them(tree: Path, hidden: list[str]) -> None:
    before = tree_hashes(tree)
    proc = _run_without(hidden, "verify", "bert", "--repo", str(tree))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("tfscaffold: error: verify needs torch and TensorFlow")
    assert "pip install 'tfscaffold[verify]'" in line
    dists = dict(REQUIRED)
    assert f"missing: {', '.join(dists[m] for m in hidden)}." in line
    assert "Traceback" not in proc.stderr and "No module named" not in proc.stderr
    assert tree_hashes(tree) == before


def test_the_check_comes_before_bad_input_about_the_model(tree: Path) -> None:
    """Up front: an interpreter that cannot verify anything says so first, whatever the model."""
    proc = _run_without(["numpy"], "verify", "no_such_model", "--repo", str(tree))
    assert proc.returncode == 2
    assert "verify needs torch and TensorFlow" in proc.stderr


def test_missing_requirements_finds_modules_without_importing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    assert missing_requirements() == []  # the test environment has everything
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "yaml", None)
    assert missing_requirements() == ["torch", "pyyaml"]
    with pytest.raises(ScaffoldError) as info:
        require_frameworks()
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)
    assert "missing: torch, pyyaml." in str(info.value)


def test_the_extra_installs_what_the_check_requires() -> None:
    """pyproject's ``verify`` extra brings every distribution the check asks for."""
    import re
    import tomllib

    extra = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["verify"]
    names = {re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0].lower() for req in extra}
    assert {dist for _, dist in REQUIRED} <= names
