"""The embedded default tree: the pinned transformers source distribution, fetched once.

Commands run on it when no tree is given and the current directory is not inside one, so a
new user can try tfscaffold before cloning transformers. The cache lives outside any git
checkout (``$TFSCAFFOLD_CACHE``, else ``~/.cache/tfscaffold``) and is filled atomically: an
interrupted download never leaves a half-unpacked tree that later runs would trust.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from scaffold.errors import ScaffoldError

TRANSFORMERS_VERSION = "4.46.3"


_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_selected: str | None = None  # --transformers: the distribution the default tree is, this run


def select_version(version: str | None) -> None:
    """Make ``version`` the default tree of this run (``--transformers``; None: the pin); a bad spelling is bad input."""
    global _selected
    if version is not None and not _VERSION.match(version):
        raise ScaffoldError(f"--transformers takes a release such as 4.57.1, not {version!r}")
    _selected = version


def cache_dir() -> Path:
    env = os.environ.get("TFSCAFFOLD_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tfscaffold"


def default_tree(version: str | None = None, *, quiet: bool = False) -> Path:
    """Return the unpacked source distribution, downloading it on first use (``--transformers``, else the pin)."""
    version = version or _selected or TRANSFORMERS_VERSION
    root = cache_dir()
    target = root / f"transformers-{version}"
    if (target / "src" / "transformers" / "__init__.py").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(
            f"tfscaffold: fetching the transformers {version} source distribution into {root} " "(first run only)...",
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"transformers=={version}",
            "-d",
            tmp,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        archives = list(Path(tmp).glob("transformers-*.tar.gz"))
        if proc.returncode != 0 or not archives:
            detail = (proc.stderr.strip().splitlines() or ["no archive"])[-1]
            raise ScaffoldError(f"could not download transformers {version}: {detail}")
        unpack = Path(tmp) / "unpacked"
        with tarfile.open(archives[0]) as tar:
            tar.extractall(unpack, filter="data")
        inner = unpack / f"transformers-{version}"
        if not (inner / "src" / "transformers" / "__init__.py").is_file():
            raise ScaffoldError(f"the transformers {version} archive has no src/transformers")
        if target.exists():  # a concurrent run finished first
            shutil.rmtree(inner)
        else:
            inner.rename(target)
    if not quiet:
        print(f"tfscaffold: transformers {version} is ready at {target}", file=sys.stderr)
    return target


FULL_CHECKOUT_STAMP = ".tfscaffold-corpus"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def full_tree(corpus: Path, version: str = TRANSFORMERS_VERSION) -> Path:
    """The source distribution with ``corpus`` (utils/, TF tests, docs/) unpacked over it, built once.

    The source distribution lacks what a contributor's checkout has (transformers' own
    consistency scripts, the hand-written TF test files, the docs), and those are exactly the
    files where registrations go wrong; tests need a tree with them. Building one takes a few
    seconds, so it is cached next to the source distribution (``full-<version>``) and rebuilt
    only when the corpus archive changes (its digest is stamped into the tree). The build goes
    to a temporary folder that is renamed into place, so a run that is interrupted, or two
    runs racing, never leave a half-built tree that a later run would trust. Callers must not
    write into the result: copy it first (``copy_tree``).
    """
    corpus = Path(corpus)
    if not corpus.is_file():
        raise ScaffoldError(f"no corpus archive at {corpus}")
    digest = _digest(corpus)
    root = cache_dir()
    target = root / f"full-{version}"
    stamp = target / FULL_CHECKOUT_STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
        return target
    sdist = default_tree(version, quiet=True)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".full-") as tmp:
        build = Path(tmp) / "tree"
        shutil.copytree(sdist, build, symlinks=True)
        with tarfile.open(corpus) as tar:
            tar.extractall(build, filter="data")
        if not (build / "utils" / "check_repo.py").is_file():
            raise ScaffoldError(f"{corpus} has no utils/check_repo.py: not the utils-tests-docs corpus")
        (build / FULL_CHECKOUT_STAMP).write_text(digest + "\n", encoding="utf-8")
        if target.exists():  # a stale build (other corpus), or a concurrent run finished first
            if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
                return target
            old = Path(tmp) / "old"
            target.rename(old)  # out of the way in one step; removed with the temporary folder
        build.rename(target)
    return target


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: a real copy
        shutil.copy2(src, dst)


def copy_tree(source: Path, target: Path, *, link: bool = False) -> Path:
    """A private copy of a cached tree that a test or a command may change.

    ``link=True`` hard-links the files instead of copying them (a tenth of the time, for tests
    that make many copies). That is safe for tfscaffold itself, which replaces a file by
    rename and never writes into it, but whoever edits such a copy by other means must replace
    files the same way (``replace_text``), or the edit reaches the cache.
    """
    shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy if link else shutil.copy2)
    (target / FULL_CHECKOUT_STAMP).unlink(missing_ok=True)
    return target


def replace_text(path: Path, text: str) -> None:
    """Write ``path`` as a new file (unlink, then write): safe in a hard-linked ``copy_tree``."""
    path.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
