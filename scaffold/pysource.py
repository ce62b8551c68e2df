"""Fast, read-only facts about Python files of the tree, from the standard ``ast``.

``check`` must stay well under a second on the whole tree and must never import the tree, so
reading goes through ``ast`` (C speed); only files that actually change are parsed again with
libcst for editing. Syntax errors become a one-line :class:`ScaffoldError` naming the file.
"""

from __future__ import annotations

import ast
import atexit
import dataclasses
import functools
import hashlib
import os
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import read_text
from scaffold.errors import ScaffoldError

# CPython 3.11 keeps ast.parse's recursion bookkeeping per interpreter, not per thread: two threads
# parsing at once can fail with "AST constructor recursion depth mismatch". One parse at a time.
_PARSE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def parsed(code: str) -> ast.Module:
    """``ast.parse(code)``, shared: the finished module is read by ~8 steps of one ``new``, each parse of it
    ~12 ms. The tree is shared, so callers only read it."""
    return ast.parse(code)


def parse(path: Path, text: str | None = None, *, root: Path | None = None) -> ast.Module:
    if text is None:
        text = read_text(path)
    try:
        with _PARSE_LOCK:
            return parsed(text)
    except SyntaxError as exc:
        shown = path.relative_to(root).as_posix() if root else str(path)
        raise ScaffoldError(f"{shown}:{exc.lineno}: does not parse: {exc.msg}") from None


@dataclass
class ClassFacts:
    name: str
    bases: list[str]
    decorators: list[str]
    line: int


@dataclass
class ModuleFacts:
    """Top-level names a module defines or imports, and its classes' bases and decorators."""

    path: Path
    defined: dict[str, int] = field(default_factory=dict)  # name -> line
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    imports: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # name -> (module, level, original)
    all_names: list[str] | None = None


def _dotted(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every expression node
        return ""


def _facts_from_text(path: Path, text: str) -> ModuleFacts:
    tree = parse(path, text)
    facts = ModuleFacts(path)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            facts.defined[node.name] = node.lineno
            facts.classes[node.name] = ClassFacts(
                node.name,
                [_dotted(b) for b in node.bases],
                [_dotted(d) for d in node.decorator_list],
                node.lineno,
            )
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            facts.defined[node.name] = node.lineno
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    facts.defined[target.id] = node.lineno
                    if target.id == "__all__":
                        try:
                            facts.all_names = list(ast.literal_eval(node.value))
                        except ValueError:
                            facts.all_names = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            facts.defined[node.target.id] = node.lineno
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                name = alias.asname or alias.name
                facts.defined[name] = node.lineno
                facts.imports[name] = (node.module or "", node.level, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                facts.defined[(alias.asname or alias.name).split(".")[0]] = node.lineno
    return facts


_FACTS_VERSION = 2
_MAX_ENTRIES = 4000
_disk: dict[str, object] | None = None
_used: set[str] = set()
_dirty = False


def _disk_path() -> Path:
    from scaffold.tree_cache import cache_dir

    return cache_dir() / f"module-facts-v{_FACTS_VERSION}.pickle"


def _load_disk() -> dict[str, object]:
    global _disk
    if _disk is None:
        _disk = {}
        if os.environ.get("TFSCAFFOLD_NO_FACTS_CACHE") != "1":
            try:
                with open(_disk_path(), "rb") as fh:
                    loaded = pickle.load(fh)
                if isinstance(loaded, dict):
                    _disk = loaded
            except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
                _disk = {}
            atexit.register(_save_disk)
    return _disk


def _save_disk() -> None:
    """Keep what was parsed for the next run: a pre-commit hook parses the same files each time."""
    if not _dirty or _disk is None:
        return
    path = _disk_path()
    keep = _disk if len(_disk) <= _MAX_ENTRIES else {k: v for k, v in _disk.items() if k in _used}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(keep, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs speed


_memo: dict[Path, tuple[int, int, ModuleFacts]] = {}
# facts of texts a command holds in memory only (its new or changed files), read again by every check
_text_memo: dict[tuple[Path, str], ModuleFacts] = {}


def cached_by_content(kind: str, data: bytes, compute):
    """``compute()`` once per file content and kind, kept across runs in the facts cache.

    For summaries of source files that are expensive to parse and never change between runs
    (the ~140 modeling files the reuse index reads).
    """
    global _dirty
    key = f"{kind}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"
    disk = _load_disk()
    _used.add(key)
    if key not in disk:
        disk[key] = compute()
        _dirty = True
    return disk[key]


def _parse_job(job: tuple[Path, bytes]) -> ModuleFacts | str:
    path, data = job
    try:
        return _facts_from_text(path, data.decode("utf-8"))
    except ScaffoldError as exc:
        return str(exc)


def prefetch(paths: list[Path]) -> None:
    """Parse the modules the cache lacks on every core at once.

    ``check --all`` needs facts of ~70 TF modeling files (100k lines); a cold run spends most of
    its time in ``ast.parse``, which is CPU-bound, so it is split over processes.
    """
    global _dirty
    disk = _load_disk()
    jobs: list[tuple[Path, bytes, str]] = []
    for path in paths:
        data = path.read_bytes()
        key = hashlib.blake2b(data, digest_size=16).hexdigest()
        _used.add(key)
        if key not in disk:
            jobs.append((path, data, key))
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < 8 or workers < 2:
        return  # module_facts parses them one by one
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_parse_job, [(p, d) for p, d, _ in jobs], chunksize=max(1, len(jobs) // (workers * 2)))
    for (_path, _data, key), facts in zip(jobs, results, strict=True):
        if isinstance(facts, ModuleFacts):
            disk[key] = facts
            _dirty = True


def module_facts(path: Path, text: str | None = None) -> ModuleFacts:
    """Facts of a module, parsed once per content across runs (keyed by a digest of the bytes).

    Keying by content rather than path lets copies of a tree (tests, benchmarks) share entries.
    ``text`` stands for the file's content when a command has changed it in memory only.
    """
    global _dirty
    if text is not None:
        facts = _text_memo.get((path, text))
        if facts is None:
            if len(_text_memo) >= 16:
                _text_memo.clear()
            facts = _text_memo[(path, text)] = _facts_from_text(path, text)
        return facts
    stat = path.stat()
    memo = _memo.get(path)
    if memo is not None and memo[:2] == (stat.st_mtime_ns, stat.st_size):
        return memo[2]
    data = path.read_bytes()
    key = hashlib.blake2b(data, digest_size=16).hexdigest()
    disk = _load_disk()
    _used.add(key)
    facts = disk.get(key)
    if facts is None:
        text = data.decode("utf-8")
        facts = _facts_from_text(path, text)
        disk[key] = dataclasses.replace(facts)
        _dirty = True
    else:
        facts = dataclasses.replace(facts, path=path)
    _memo[path] = (stat.st_mtime_ns, stat.st_size, facts)
    return facts


def resolve_relative(path: Path, module: str, level: int) -> Path | None:
    """The file a relative ``from`` import in ``path`` points at, if it is in the tree."""
    if level == 0:
        return None
    base = path.parent
    for _ in range(level - 1):
        base = base.parent
    target = base.joinpath(*module.split(".")) if module else base
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None
