"""Undefined names by ruff's F821: the independent oracle for "an edit left a name nobody imports"."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from scaffold.formatting import ruff_binary


def undefined_names(paths: Iterable[Path], root: Path | None = None) -> set[tuple[str, str]]:
    """``(file, name)`` for every F821 finding; ``file`` relative to ``root`` when given.

    ``--isolated``: the tree's own ruff settings may ignore F821 in some files; here nothing is.
    """
    files = [str(p) for p in paths if p.suffix == ".py" and p.is_file()]
    if not files:
        return set()
    proc = subprocess.run(
        [ruff_binary(), "check", "--isolated", "--select", "F821", "--output-format", "json", "--no-cache", *files],
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed: {proc.stderr}")
    out = set()
    for item in json.loads(proc.stdout or "[]"):
        path = Path(item["filename"])
        name = item["message"].split("`")[1] if "`" in item["message"] else item["message"]
        out.add((path.relative_to(root).as_posix() if root else str(path), name))
    return out
