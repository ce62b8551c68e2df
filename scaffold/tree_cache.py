"""The embedded default tree: the pinned transformers source distribution, fetched once.

Commands run on it when no tree is given and the current directory is not inside one, so a
new user can try tfscaffold before cloning transformers. The cache lives outside any git
checkout (``$TFSCAFFOLD_CACHE``, else ``~/.cache/tfscaffold``) and is filled atomically: an
interrupted download never leaves a half-unpacked tree that later runs would trust.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from scaffold.errors import ScaffoldError

TRANSFORMERS_VERSION = "4.46.3"


def cache_dir() -> Path:
    env = os.environ.get("TFSCAFFOLD_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tfscaffold"


def default_tree(version: str = TRANSFORMERS_VERSION, *, quiet: bool = False) -> Path:
    """Return the unpacked source distribution, downloading it on first use."""
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
