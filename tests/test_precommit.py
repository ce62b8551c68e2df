"""The pre-commit hook, run by the real pre-commit framework on a git copy of the 4.46.3 tree.

``check`` is meant to be a pre-commit hook, so the hook definition itself is part of the interface: the
framework must be able to install tfscaffold from this repository (pip, from the package registry), run
``tfscaffold check`` in a transformers checkout, pass on an unmodified upstream tree and block a commit that
leaves the TF registrations inconsistent, showing the problem line.

pre-commit installs hooks from a commit of a git repository, and ``try-repo`` only carries tracked changes
of a local repository over, so the tests commit a copy of this project's working tree to a scratch
repository first; the hook under test is then exactly the one in the working tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

pytestmark = [pytest.mark.tree, pytest.mark.slow]

HOOKS_FILE = PROJECT / ".pre-commit-hooks.yaml"
HOOK_ID = "tfscaffold-check"
GIT_IDENTITY = [
    "-c",
    "user.name=tfscaffold tests",
    "-c",
    "user.email=tests@tfscaffold.invalid",
    "-c",
    "commit.gpgsign=false",
]

DUMMY = "src/transformers/utils/dummy_tf_objects.py"
TF_BERT_MODEL_DUMMY = (
    "class TFBertModel(metaclass=DummyObject):\n"
    '    _backends = ["tf"]\n\n'
    "    def __init__(self, *args, **kwargs):\n"
    '        requires_backends(self, ["tf"])\n\n\n'
)
PROBLEM_LINE = re.compile(
    r"^src/transformers/utils/dummy_tf_objects\.py: TFBertModel: .+ \(fix: tfscaffold apply .+\)$", re.M
)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's working tree (tracked and untracked, not ignored files), committed to a scratch repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    repo = tmp_path_factory.mktemp("hook-repo")
    for rel in filter(None, listed):
        source = PROJECT / rel
        if source.is_file():  # deleted in the working tree but still in the index: leave it out
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    assert (repo / ".pre-commit-hooks.yaml").is_file(), "the hooks file is missing from the project"
    git(repo, "init", "-q")
    commit_all(repo, "tfscaffold working tree")
    return repo


@pytest.fixture
def git_tree(tree: Path) -> Path:
    """A git checkout of the upstream tree (``src/`` and ``pyproject.toml``), everything committed."""
    git(tree, "init", "-q")
    commit_all(tree, "transformers 4.46.3")
    return tree


def try_repo(hook_repo: Path, tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` in ``tree``, with pre-commit's and tfscaffold's caches kept in the test folder."""
    scratch = tree.parent
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(scratch / "pre-commit-home"),
        TFSCAFFOLD_CACHE=str(scratch / "tfscaffold-cache"),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), HOOK_ID, *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def seed_missing_dummy(tree: Path) -> None:
    path = tree / DUMMY
    text = path.read_text(encoding="utf-8")
    assert text.count(TF_BERT_MODEL_DUMMY) == 1
    path.write_text(text.replace(TF_BERT_MODEL_DUMMY, ""), encoding="utf-8")


def test_manifest_declares_the_check_hook() -> None:
    """The hook definition as pre-commit itself reads it (its own schema validation included)."""
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(HOOKS_FILE))}
    hook = hooks[HOOK_ID]
    assert hook["name"].startswith("tfscaffold check")
    assert hook["entry"] == "tfscaffold check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is False
    files = re.compile(hook["files"])
    for path in (
        "src/transformers/__init__.py",
        "src/transformers/models/bert/modeling_tf_bert.py",
        "docs/source/en/model_doc/bert.md",
    ):
        assert files.search(path), f"the hook would not run for {path}"
    for path in ("pyproject.toml", "tests/models/bert/test_modeling_tf_bert.py", "utils/check_copies.py", "setup.py"):
        assert not files.search(path), f"the hook would run for {path}"


def test_hook_passes_on_the_upstream_tree(hook_repo: Path, git_tree: Path) -> None:
    """An unmodified 4.46.3 tree is consistent: a hook that failed here would block every commit."""
    proc = try_repo(hook_repo, git_tree, "--all-files")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^tfscaffold check.*Passed$", output, re.M), output


def test_hook_fails_on_a_committed_fault(hook_repo: Path, git_tree: Path) -> None:
    """A tree whose dummies lack TFBertModel fails the hook, and the output names the file and the class."""
    seed_missing_dummy(git_tree)
    commit_all(git_tree, "lose a dummy")
    proc = try_repo(hook_repo, git_tree, "--all-files")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert re.search(r"^tfscaffold check.*Failed$", output, re.M), output
    assert PROBLEM_LINE.search(output), output


def test_hook_blocks_a_staged_fault(hook_repo: Path, git_tree: Path) -> None:
    """The everyday case: the fault is only staged, and the hook runs on the staged files as for a commit."""
    seed_missing_dummy(git_tree)
    git(git_tree, "add", DUMMY)
    proc = try_repo(hook_repo, git_tree)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert PROBLEM_LINE.search(output), output
    assert TF_BERT_MODEL_DUMMY not in (git_tree / DUMMY).read_text(encoding="utf-8"), "the hook edited the tree"


def test_hook_skips_commits_outside_the_library(hook_repo: Path, git_tree: Path) -> None:
    """``files`` limits the hook to src/transformers/ and docs/: a commit touching neither does not run it."""
    seed_missing_dummy(git_tree)
    commit_all(git_tree, "lose a dummy")
    (git_tree / "pyproject.toml").write_text(
        (git_tree / "pyproject.toml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    git(git_tree, "add", "pyproject.toml")
    proc = try_repo(hook_repo, git_tree)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^tfscaffold check.*Skipped$", output, re.M), output
