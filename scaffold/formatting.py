"""Formatting with the tree's own ruff settings.

Output of tfscaffold must pass the tree's ``make style`` unchanged. Edited files are formatted
with ruff under the tree's ``pyproject.toml`` only when the original file was already clean under
it, so a tree that is not ruff-formatted never gets unrelated lines rewritten.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from scaffold.errors import ScaffoldError


@lru_cache(maxsize=1)
def ruff_binary() -> str:
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


def _config_args(root: Path | None) -> list[str]:
    if root is not None and (root / "pyproject.toml").is_file():
        return ["--config", str(root / "pyproject.toml")]
    return ["--line-length", "119"]


def ruff_format(text: str, filename: str, root: Path | None) -> str:
    cmd = [ruff_binary(), "format", *_config_args(root), "--stdin-filename", filename, "-"]
    proc = subprocess.run(cmd, input=text, capture_output=True, text=True, cwd=root)
    if proc.returncode != 0:
        raise ScaffoldError(f"ruff could not format {filename}: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def format_like(original: str, edited: str, filename: str, root: Path | None) -> str:
    """Format ``edited`` if ``original`` was formatted; otherwise leave it as edited."""
    if original == edited:
        return edited
    if ruff_format(original, filename, root) != original:
        return edited
    return ruff_format(edited, filename, root)
