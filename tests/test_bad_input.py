"""Bad input is exit 2, one ``tfscaffold: error:`` line on stderr, and not one byte written.

A pre-commit hook or a script tells "your input is wrong" (2) from "your tree is inconsistent" (1) by the
exit code alone, and a command that refuses its input must not have half-edited the tree first. Every case
runs ``check``, ``apply`` and ``apply --dry-run`` and compares a digest of every file before and after.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import tree_hashes
from typer.testing import CliRunner

from scaffold.cli import app

pytestmark = pytest.mark.tree

SRC = Path("src/transformers")


def _append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _break_model_init(root: Path) -> Path:
    _append(root, "src/transformers/models/bert/__init__.py", "\ntry:\n    pass\nexcept (:\n")
    return root


def _break_main_init(root: Path) -> Path:
    _append(root, "src/transformers/__init__.py", "\n_import_structure[\n")
    return root


def _not_a_tree(root: Path) -> Path:
    """A folder with Python files in it, but no ``src/transformers/__init__.py``."""
    other = root.parent / "not-a-tree"
    (other / "src" / "other").mkdir(parents=True)
    (other / "src" / "other" / "__init__.py").write_text("", encoding="utf-8")
    (other / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    return other


def _missing_folder(root: Path) -> Path:
    return root.parent / "does-not-exist"


def _a_file(root: Path) -> Path:
    path = root.parent / "a-file.txt"
    path.write_text("not a tree\n", encoding="utf-8")
    return path


def _no_models_folder(root: Path) -> Path:
    other = root.parent / "no-models"
    (other / "src" / "transformers").mkdir(parents=True)
    (other / "src" / "transformers" / "__init__.py").write_text("", encoding="utf-8")
    return other


def _unchanged(root: Path) -> Path:
    return root


@dataclass(frozen=True)
class Case:
    id: str
    prepare: Callable[[Path], Path]  # damages the tree copy; returns the --repo to pass
    check: tuple[str, ...] | None  # arguments after ``check`` (None: check has no such input)
    apply: tuple[str, ...]  # arguments after ``apply``
    contains: str  # a word the error message must contain, so the message says what is wrong


CASES = [
    Case("not-a-tree", _not_a_tree, (), ("--all",), "not a transformers source tree"),
    Case("repo-does-not-exist", _missing_folder, (), ("--all",), "does not exist"),
    Case("repo-is-a-file", _a_file, (), ("--all",), "not a transformers source tree"),
    Case("no-models-folder", _no_models_folder, (), ("--all",), "not a transformers source tree"),
    Case("unknown-model", _unchanged, ("no_such_model",), ("no_such_model",), "no_such_model"),
    Case(
        "unknown-model-among-known", _unchanged, ("bert", "no_such_model"), ("bert", "no_such_model"), "no_such_model"
    ),
    Case("model-init-does-not-parse", _break_model_init, ("bert",), ("bert",), "does not parse"),
    Case("model-init-does-not-parse-all", _break_model_init, (), ("--all",), "does not parse"),
    Case("main-init-does-not-parse", _break_main_init, ("bert",), ("bert",), "does not parse"),
    Case("main-init-does-not-parse-all", _break_main_init, ("--all",), ("--all",), "does not parse"),
    Case("name-with-slash", _unchanged, ("models/bert",), ("models/bert",), "invalid model name"),
    Case("name-dot-dot", _unchanged, ("..",), ("..",), "invalid model name"),
    Case("name-escaping-the-tree", _unchanged, ("../bert",), ("../bert",), "invalid model name"),
    Case("name-with-dash", _unchanged, ("bert-base",), ("bert-base",), "invalid model name"),
    Case("name-starting-with-digit", _unchanged, ("2bert",), ("2bert",), "invalid model name"),
    Case("name-empty", _unchanged, ("",), ("",), "invalid model name"),
    Case("name-non-ascii", _unchanged, ("b\u00e9rt",), ("b\u00e9rt",), "invalid model name"),
    Case("all-and-models", _unchanged, ("--all", "bert"), ("--all", "bert"), "not both"),
    Case("apply-without-models", _unchanged, None, (), "--all"),
]


def _commands(case: Case) -> dict[str, list[str]]:
    out = {
        "apply": ["apply", *case.apply],
        "apply-dry-run": ["apply", *case.apply, "--dry-run"],
        "apply-json": ["apply", *case.apply, "--json"],
    }
    if case.check is not None:
        out["check"] = ["check", *case.check]
        out["check-json"] = ["check", *case.check, "--json"]
    return out


RUNS = [pytest.param(case, command, id=f"{case.id}-{command}") for case in CASES for command in _commands(case)]


@pytest.fixture(scope="module")
def prepared(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], tuple[Path, Path]]:
    """One damaged copy per kind of damage, shared by its commands: each must leave it byte-identical anyway."""
    made: dict[str, tuple[Path, Path]] = {}

    def get(case: Case) -> tuple[Path, Path]:
        key = case.prepare.__name__
        if key not in made:
            sandbox = tmp_path_factory.mktemp(key.strip("_"))
            root = sandbox / "transformers"
            shutil.copytree(pristine / "src", root / "src")
            shutil.copy2(pristine / "pyproject.toml", root / "pyproject.toml")
            made[key] = (sandbox, case.prepare(root))
        return made[key]

    return get


@pytest.mark.parametrize(("case", "command"), RUNS)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: Case, command: str, prepared: Callable[[Case], tuple[Path, Path]]
) -> None:
    """Whatever the command, a refused input leaves the tree and the folders around it as they were."""
    sandbox, repo = prepared(case)
    before = tree_hashes(sandbox)
    args = [*_commands(case)[command], "--repo", str(repo)]

    result = CliRunner().invoke(app, args)

    assert not (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    ), f"traceback for {args}: {result.exception!r}"
    assert result.exit_code == 2, f"{args} exited {result.exit_code}:\n{result.output}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{result.stderr}"
    assert lines[0].startswith("tfscaffold: error: "), lines[0]
    assert case.contains in lines[0], f"{case.contains!r} not in {lines[0]!r}"
    assert result.stdout == "", f"bad input printed to stdout:\n{result.stdout}"
    assert tree_hashes(sandbox) == before, "files changed although the input was refused"


def test_pristine_tree_is_not_bad_input(tree: Path) -> None:
    """The control for every case above: the same commands on the unmodified copy are not refused."""
    for args in (["check"], ["check", "bert"], ["apply", "bert", "--dry-run"], ["apply", "--all"]):
        result = CliRunner().invoke(app, [*args, "--repo", str(tree)])
        assert result.exit_code == 0, f"{args}: {result.output}"
        assert "error" not in result.stderr
