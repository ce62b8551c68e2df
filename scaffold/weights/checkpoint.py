"""Checkpoint folders as files: which weights a folder holds, and whether they can be read at all.

Everything here runs in the tfscaffold process, without torch or TensorFlow, in milliseconds: a
missing config, a shard the index names but the folder lacks, a truncated safetensors file or an
empty file is one line (exit 2) before the frameworks are imported. What only the frameworks can
tell (a damaged pickle, a bad HDF5 tree) is the child's to report, as one line too.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.errors import ScaffoldError

# The names transformers reads and writes, in the order its loaders prefer them.
PT_FILES = (
    ("model.safetensors", "model.safetensors.index.json", "safetensors"),
    ("pytorch_model.bin", "pytorch_model.bin.index.json", "bin"),
)
TF_FILES = (("tf_model.h5", "tf_model.h5.index.json", "h5"),)
# What a save of each framework writes: its weights, its shards and its index.
WRITTEN = {
    "tf": re.compile(r"^tf_model(-\d+-of-\d+)?\.h5(\.index\.json)?$"),
    "pt": re.compile(r"^model(-\d+-of-\d+)?\.safetensors(\.index\.json)?$"),
}
SIDE_FILES = ("config.json", "generation_config.json")  # copied from the source checkpoint as they are
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(GIB|MIB|KIB|GB|MB|KB)$|^\d+$", re.IGNORECASE)


@dataclass
class Checkpoint:
    """A checkpoint folder of one framework: its config and the weight files it will be loaded from."""

    folder: Path
    framework: str  # "pt" or "tf"
    format: str  # "safetensors", "bin" or "h5"
    files: list[Path]
    index: Path | None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def model_type(self) -> str:
        return str(self.config.get("model_type", ""))

    @property
    def architectures(self) -> list[str]:
        value = self.config.get("architectures") or []
        return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files)

    def describe(self) -> str:
        shards = f", {len(self.files)} shards" if self.index else ""
        return f"{self.format}{shards}, {human_size(self.size)}"


def human_size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def check_shard_size(value: str | None) -> None:
    """``--max-shard-size`` as transformers reads it: bytes, or a number with KB/MB/GB (or KiB/MiB/GiB)."""
    if value is not None and not _SIZE.match(value.strip()):
        raise ScaffoldError(f"--max-shard-size takes bytes or a size such as 200MB or 5GB, not {value!r}")


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        raise ScaffoldError(f"{folder} has no config.json: not a transformers checkpoint folder")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScaffoldError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict) or not isinstance(config.get("model_type"), str) or not config["model_type"]:
        raise ScaffoldError(f"{path} names no model_type: transformers cannot tell which model it configures")
    return config


def _shards(index: Path) -> list[Path]:
    """The files an index maps weights to, each once and all present."""
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
        weight_map = data["weight_map"]
        names = sorted(set(weight_map.values()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ScaffoldError(f"{index} is not a checkpoint index (JSON with a weight_map): {exc}") from None
    if not names or not all(isinstance(n, str) and n and "/" not in n for n in names):
        raise ScaffoldError(f"{index} maps no weights to files of its folder")
    files = [index.parent / name for name in names]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ScaffoldError(f"{index} names {len(missing)} shard(s) the folder lacks: {', '.join(missing[:5])}")
    return files


def check_safetensors(path: Path) -> None:
    """A safetensors file's header is whole and its tensors lie inside the file (catches a truncated file)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ScaffoldError(f"{path} is not a safetensors file: {size} bytes, shorter than its header")
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            raise ScaffoldError(f"{path} is truncated or not a safetensors file: its header runs past the end")
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ScaffoldError(f"{path} is not a safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise ScaffoldError(f"{path} is not a safetensors file: its header is not a JSON object")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not isinstance(offsets, list) or len(offsets) != 2:
            raise ScaffoldError(f"{path} is not a safetensors file: tensor {name!r} has no data offsets")
        end = max(end, int(offsets[1]))
    if 8 + length + end > size:
        raise ScaffoldError(f"{path} is truncated: its tensors need {8 + length + end} bytes, the file has {size}")


def _check_file(path: Path, fmt: str) -> None:
    if path.stat().st_size == 0:
        raise ScaffoldError(f"{path} is empty")
    if fmt == "safetensors":
        check_safetensors(path)
    elif fmt == "h5":
        with path.open("rb") as handle:
            if handle.read(8) != _HDF5_SIGNATURE:
                raise ScaffoldError(f"{path} is not an HDF5 file (TF weights are saved as HDF5)")
    elif fmt == "bin" and zipfile.is_zipfile(path) is False:
        # torch.save writes a zip archive since PyTorch 1.6; an older pickle starts with 0x80 (protocol 2+).
        with path.open("rb") as handle:
            if handle.read(1) != b"\x80":
                raise ScaffoldError(f"{path} is not a PyTorch checkpoint (neither a zip archive nor a pickle)")


def open_checkpoint(folder: Path, framework: str) -> Checkpoint:
    """The checkpoint of ``framework`` ("pt" or "tf") in ``folder``, its files checked; one-line errors."""
    if not folder.exists():
        raise ScaffoldError(f"{folder} does not exist")
    if not folder.is_dir():
        raise ScaffoldError(f"{folder} is not a folder: give the checkpoint folder (config.json and weights)")
    config = read_config(folder)
    candidates = PT_FILES if framework == "pt" else TF_FILES
    for single, index, kind in candidates:
        if (folder / single).is_file():
            files, index_path, fmt = [folder / single], None, kind
            break
        if (folder / index).is_file():
            files, index_path, fmt = _shards(folder / index), folder / index, kind
            break
    else:
        names = ", ".join(f"{single} or {index}" for single, index, _ in candidates)
        other = (
            " (it holds TF weights: convert them with --to-pt)" if framework == "pt" and _has(folder, TF_FILES) else ""
        )
        if framework == "tf" and _has(folder, PT_FILES):
            other = " (it holds PyTorch weights: convert them without --to-pt)"
        raise ScaffoldError(f"{folder} has no {'PyTorch' if framework == 'pt' else 'TF'} weights: no {names}{other}")
    for path in files:
        _check_file(path, fmt)
    return Checkpoint(folder, framework, fmt, files, index_path, config)


def _has(folder: Path, candidates: tuple[tuple[str, str, str], ...]) -> bool:
    return any((folder / a).is_file() or (folder / b).is_file() for a, b, _ in candidates)


def check_out(out: Path) -> None:
    """``--out`` is a folder or can become one."""
    if out.exists() and not out.is_dir():
        raise ScaffoldError(f"--out {out} exists and is not a folder")
    parent = next((p for p in out.absolute().parents if p.exists()), None)
    if not out.exists() and (parent is None or not parent.is_dir()):
        raise ScaffoldError(f"--out {out}: no existing folder above it to create it in")
