"""Shared fixtures: the real transformers 4.46.3 source distribution, and private copies of it.

The archive is downloaded once into the project's git-ignored ``.cache/`` (override with
``TFSCAFFOLD_CACHE``); every test that changes files works on its own copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TFSCAFFOLD_CACHE", str(PROJECT / ".cache"))

# The public models of the porting benchmark (shared/docs/BENCHMARK.md).
BENCHMARK_MODELS = [
    "bert",
    "roberta",
    "gpt2",
    "opt",
    "bart",
    "marian",
    "t5",
    "vit",
    "deit",
    "convnext",
    "wav2vec2",
    "clip",
]


# Hand-written ports verify once failed on (faults of verify, not of the ports): tests/test_verify_hand_ports.py.
HAND_PORT_SAMPLE = ["swin", "esm", "groupvit", "lxmert", "longformer", "resnet", "vit_mae", "sam", "speech_to_text"]


@pytest.fixture(scope="session")
def pristine() -> Path:
    """The unpacked 4.46.3 source distribution (read-only by convention: never write into it)."""
    from scaffold.tree_cache import default_tree

    return default_tree(quiet=True)


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the tree (``src/`` and ``pyproject.toml``; no tests/)."""
    target = tmp_path / "transformers"
    shutil.copytree(pristine / "src", target / "src")
    shutil.copy2(pristine / "pyproject.toml", target / "pyproject.toml")
    return target


def tree_hashes(root: Path) -> dict[str, str]:
    """Digest of every file below ``root``: tests compare it before and after a failing command."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# ---- a full checkout: the source distribution with utils/, the TF test files and docs/ of a real
# 4.46 tree unpacked over it (the corpus; CI has it, a fresh clone may not)

CORPUS = PROJECT.parent / "shared" / "corpus" / "transformers-f0e640ad-utils-tests-docs.tar.gz"


@pytest.fixture(scope="session")
def full_pristine() -> Path:
    """The cached full checkout (read-only by convention); skips when the corpus is absent."""
    if not CORPUS.is_file():
        pytest.skip(f"needs the utils/tests/docs corpus at {CORPUS} (CI has it)")
    from scaffold.tree_cache import full_tree

    return full_tree(CORPUS)


@pytest.fixture
def full_tree(full_pristine: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the full checkout (a real copy: any way of writing is safe)."""
    from scaffold.tree_cache import copy_tree

    return copy_tree(full_pristine, tmp_path / "transformers")


@pytest.fixture(scope="session")
def pristine_verdicts(pristine: Path) -> dict:
    """``verify`` on the hand-written ports of the benchmark models and of the sample, on the pristine tree.

    Two batches side by side (one per core), not a child process per model: each child pays the
    10-30 s import of torch, TensorFlow and transformers once.
    """
    from concurrent.futures import ThreadPoolExecutor

    from scaffold.checkout import open_checkout
    from scaffold.verify import verify_models

    checkout = open_checkout(pristine)
    models = BENCHMARK_MODELS + HAND_PORT_SAMPLE
    halves = [models[0::2], models[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [r for batch in pool.map(lambda ms: verify_models(checkout, ms), halves) for r in batch]
    return {r.model: r for r in results}
