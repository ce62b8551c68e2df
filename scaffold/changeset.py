"""All file changes of one command, computed in memory, then shown or written as one unit.

A command that fails half-way must not leave a tree with some registrations updated and
others not: that is exactly the inconsistency ``check`` exists to catch. So nothing touches the
disk until every change is known, and writing is all or nothing (temporary file + rename per
file, earlier files put back if a later one fails).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import ScaffoldError


@dataclass
class Change:
    path: Path
    old: str | None  # None: the file does not exist yet
    new: str | None  # None: the file is deleted


@dataclass
class ChangeSet:
    root: Path
    changes: dict[Path, Change] = field(default_factory=dict)

    def current(self, path: Path) -> str | None:
        """The text of ``path`` as this change set would leave it."""
        if path in self.changes:
            return self.changes[path].new
        return read_text(path) if path.is_file() else None

    def exists(self, path: Path) -> bool:
        return self.current(path) is not None

    def glob(self, folder: Path, pattern: str) -> list[Path]:
        """Files of ``folder`` matching ``pattern`` as this change set would leave them."""
        found = {p for p in folder.glob(pattern) if p.is_file()}
        for path, change in self.changes.items():
            if path.parent == folder and path.match(pattern):
                (found.add if change.new is not None else found.discard)(path)
        return sorted(found)

    def write(self, path: Path, new: str) -> None:
        self._set(path, new)

    def delete(self, path: Path) -> None:
        self._set(path, None)

    def _set(self, path: Path, new: str | None) -> None:
        if path in self.changes:
            change = self.changes[path]
            change.new = new
            if change.new == change.old:
                del self.changes[path]
            return
        old = read_text(path) if path.is_file() else None
        if old != new:
            self.changes[path] = Change(path, old, new)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def paths(self) -> list[str]:
        return [self.rel(p) for p in sorted(self.changes)]

    def diff(self, *, color: bool = False) -> str:
        """Unified diffs with ``a/`` and ``b/`` paths relative to the tree, as git prints them."""
        chunks: list[str] = []
        for path in sorted(self.changes):
            change = self.changes[path]
            rel = self.rel(path)
            old = (change.old or "").splitlines(keepends=True)
            new = (change.new or "").splitlines(keepends=True)
            fromfile = "/dev/null" if change.old is None else f"a/{rel}"
            tofile = "/dev/null" if change.new is None else f"b/{rel}"
            lines = list(difflib.unified_diff(old, new, fromfile, tofile))
            if not lines and change.old != change.new:
                # an empty file created or deleted has no hunk; git still names it
                lines = [f"--- {fromfile}\n", f"+++ {tofile}\n"]
            for line in lines:
                if not line.endswith("\n"):
                    line += "\n\\ No newline at end of file\n"
                chunks.append(_paint(line) if color else line)
        return "".join(chunks)

    def commit(self) -> None:
        """Write every change or none.

        Each new text goes to a temporary file in the target's folder and replaces the target
        by rename, so a reader never sees a half-written file; if any step fails, files
        already replaced get their old text back before the error propagates.
        """
        done: list[tuple[Change, int | None]] = []
        try:
            for path in sorted(self.changes):
                change = self.changes[path]
                mode = path.stat().st_mode & 0o7777 if path.exists() else None
                if change.new is None:
                    path.unlink()
                else:
                    _atomic_write(path, change.new)
                done.append((change, mode))
        except BaseException as exc:  # an interrupt half-way must not leave half a change either
            for change, mode in reversed(done):
                if change.old is None:
                    change.path.unlink(missing_ok=True)
                else:
                    _atomic_write(change.path, change.old, mode)
            if not isinstance(exc, OSError):
                raise
            where = self.rel(Path(exc.filename)) if exc.filename else "a file"
            raise ScaffoldError(f"could not write {where}: {exc.strerror or exc}; nothing was changed") from None


def read_text(path: Path) -> str:
    """The exact text of a file: no newline translation, so untouched bytes stay untouched."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _paint(line: str) -> str:
    if line.startswith(("+++", "---")):
        return f"\033[1m{line[:-1]}\033[0m\n"
    if line.startswith("@@"):
        return f"\033[36m{line[:-1]}\033[0m\n"
    if line.startswith("+"):
        return f"\033[32m{line[:-1]}\033[0m\n"
    if line.startswith("-"):
        return f"\033[31m{line[:-1]}\033[0m\n"
    return line
