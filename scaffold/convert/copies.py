"""``# Copied from`` markers, read and applied exactly as transformers' ``check_copies`` does.

A reused TF class is only worth its marker if ``utils/check_copies.py`` accepts it, so the
replacement semantics here are the checker's: each ``A->B`` is a regular-expression
substitution applied in order, and ``all-casing`` adds the lower- and upper-case forms.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from scaffold.pysource import cached_by_content, parsed

MARKER = re.compile(r"^(\s*)#\s*Copied from\s+transformers\.(\S+\.\S+)\s*($|\S.*$)")
_PATTERN = re.compile(r"^\s*(\S+)->(\S+)(\s+.*|$)")


@dataclass(frozen=True)
class Replacement:
    old: str
    new: str
    all_casing: bool = False

    def apply(self, text: str) -> str:
        text = re.sub(self.old, self.new, text)
        if self.all_casing:
            text = re.sub(self.old.lower(), self.new.lower(), text)
            text = re.sub(self.old.upper(), self.new.upper(), text)
        return text

    def reversed(self) -> Replacement:
        return Replacement(self.new, self.old, self.all_casing)

    def render(self) -> str:
        return f"{self.old}->{self.new}" + (" all-casing" if self.all_casing else "")


@dataclass(frozen=True)
class CopiedFrom:
    """``# Copied from transformers.<module>.<object> with A->B, C->D``"""

    module: str  # e.g. models.bert.modeling_bert
    obj: str  # e.g. BertSelfAttention or BertSelfAttention.forward
    replacements: tuple[Replacement, ...] = field(default=())

    @property
    def is_whole_class(self) -> bool:
        return "." not in self.obj

    def apply(self, text: str) -> str:
        for replacement in self.replacements:
            text = replacement.apply(text)
        return text

    def render(self) -> str:
        marker = f"# Copied from transformers.{self.module}.{self.obj}"
        if self.replacements:
            marker += " with " + ", ".join(r.render() for r in self.replacements)
        return marker


def parse_marker(line: str) -> CopiedFrom | None:
    match = MARKER.search(line)
    if match is None:
        return None
    dotted, rest = match.group(2), match.group(3).strip()
    module_parts = dotted.split(".")
    # models.bert.modeling_bert.BertSelfAttention[.forward]: the module ends at the modeling_ part
    idx = next((i for i, part in enumerate(module_parts) if part.startswith("modeling_")), len(module_parts) - 2)
    module = ".".join(module_parts[: idx + 1])
    obj = ".".join(module_parts[idx + 1 :])
    replacements: list[Replacement] = []
    if rest.startswith("with"):
        for chunk in rest[len("with") :].split(","):
            found = _PATTERN.search(chunk)
            if found is None:
                continue
            old, new, option = found.groups()
            replacements.append(Replacement(old, new, option.strip() == "all-casing"))
    return CopiedFrom(module, obj, tuple(replacements))


def rename(old_prefix: str, new_prefix: str) -> tuple[Replacement, ...]:
    """The renaming that turns one model's code into another's: ``Bert->Roberta`` in all casings.

    Written as one replacement with ``all-casing`` when that covers the three forms, which is how
    transformers' own markers are usually written.
    """
    if old_prefix == new_prefix:
        return ()
    return (Replacement(old_prefix, new_prefix, True),)


def _definitions(tree: ast.AST) -> list[ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)]


def named_definitions(
    tree: ast.Module,
) -> dict[int, tuple[str, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]]:
    """``def`` / ``class`` line -> (dotted name inside the module, as a marker names it, and the node)."""
    out: dict[int, tuple[str, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                out[node.lineno] = (f"{prefix}{node.name}", node)
                walk(node.body, f"{prefix}{node.name}.")

    walk(tree.body, "")
    return out


class Definition(NamedTuple):
    """A ``class``/``def`` of a module, by the lines it spans (what the copy checks read of a file)."""

    name: str | None  # dotted, as a marker names it; None for one nested in a statement (an ``if``)
    is_class: bool
    lineno: int
    end_lineno: int
    decorated_from: int | None  # the line of its first decorator


def definitions(data: bytes) -> dict[int, Definition]:
    """Header line -> each ``class``/``def`` of a module's source, nested ones included.

    The files that copy from a port (twenty for BERT) are read for these on every ``new``: kept in
    the facts cache, by content.
    """

    def compute() -> dict[int, Definition]:
        tree = ast.parse(data)
        named = {line: name for line, (name, _) in named_definitions(tree).items()}
        return {
            n.lineno: Definition(
                named.get(n.lineno),
                isinstance(n, ast.ClassDef),
                n.lineno,
                n.end_lineno or n.lineno,
                min(d.lineno for d in n.decorator_list) if n.decorator_list else None,
            )
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        }

    return cached_by_content("definitions-v1", data, compute)


def _qualified_names(tree: ast.Module) -> dict[int, str]:
    """``def`` / ``class`` line -> dotted name inside the module (``TFBertLayer.call``)."""
    return {line: name for line, (name, _) in named_definitions(tree).items()}


def object_sources(code: str) -> dict[str, str]:
    """Dotted object -> its source from its ``class``/``def`` line on, decorators and blank lines around it
    left out (what a copy below a marker is compared with)."""
    lines = code.splitlines()
    return {
        name: "\n".join(lines[node.lineno - 1 : node.end_lineno]).strip()
        for name, node in named_definitions(parsed(code)).values()
    }


def defined_objects(code: str) -> set[str]:
    """Every class and function of a module by its dotted name, as a marker names it (``TFX``, ``TFX.call``)."""
    return set(_qualified_names(parsed(code)).values())


def tidy_markers(code: str, own_module: str, tree_objects: Callable[[str], set[str] | None]) -> tuple[str, list[str]]:
    """Keep only the ``# Copied from`` markers transformers' checker can follow, where it expects them.

    A TF file may only carry markers that point at TF code: a marker carried over from the PyTorch
    module names PyTorch code, and ``check_copies --fix_and_overwrite`` would copy that code into
    the TF file. So a marker stays when its module is a TF module (``modeling_tf_*``), the object it
    names exists there (``tree_objects(module)``; this module's own objects are read from ``code``)
    and it is not the definition it stands above (a copy of itself, left by renaming reused code
    back to this model). The checker reads the line after a marker as the ``class``/``def`` header,
    so a marker above decorators moves below them, as transformers writes it. Returns the code and
    the markers dropped.
    """
    tree = parsed(code)
    lines = code.splitlines(keepends=True)
    names = _qualified_names(tree)
    own = set(names.values())
    # first line of each definition (its first decorator) -> (header line, dotted name)
    heads: dict[int, tuple[int, str]] = {}
    for node in _definitions(tree):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        heads[first] = (node.lineno, names.get(node.lineno, node.name))
    dropped: list[str] = []
    moves: dict[int, int] = {}  # marker line -> header line it belongs above (1-based)
    remove: set[int] = set()
    for number, line in enumerate(lines, 1):
        found = MARKER.search(line)
        if found is None:
            continue
        # the definition it stands above: the next line that is neither a comment nor blank
        below = number + 1
        while below <= len(lines) and (not lines[below - 1].strip() or lines[below - 1].lstrip().startswith("#")):
            below += 1
        header, target_name = heads.get(below, (below, ""))
        marker = parse_marker(line)
        if marker is None or not _follows_tf_code(marker, own_module, own, target_name, tree_objects):
            remove.add(number)
            dropped.append(line.strip())
        elif header != below or below != number + 1:
            moves[number] = header
    if not remove and not moves:
        return code, dropped
    out: list[str] = []
    pending: dict[int, list[str]] = {}
    for marker_line, header in moves.items():
        pending.setdefault(header, []).append(lines[marker_line - 1])
    for number, line in enumerate(lines, 1):
        if number in remove or number in moves:
            continue
        out.extend(pending.get(number, []))
        out.append(line)
    return "".join(out), dropped


def _follows_tf_code(
    marker: CopiedFrom,
    own_module: str,
    own: set[str],
    target_name: str,
    tree_objects: Callable[[str], set[str] | None],
) -> bool:
    if not marker.module.split(".")[-1].startswith("modeling_tf_"):
        return False
    if marker.module == own_module:
        return marker.obj in own and marker.obj != target_name
    objects = tree_objects(marker.module)
    return objects is not None and marker.obj in objects


def copy_dependents(src: Path, module: str, exclude: Path | None = None) -> dict[str, list[Path]]:
    """What other files of the tree copy from ``module``: dotted object -> the files whose markers name it.

    ``check_copies`` fails for every one of those markers whose object the module no longer
    defines, or defines differently; regenerating a port must keep them or say so.
    """
    needle = f"transformers.{module}."
    found: dict[str, list[Path]] = {}
    for path in sorted(src.rglob("*.py")):
        if exclude is not None and path == exclude:
            continue
        text = path.read_text(encoding="utf-8")
        if needle not in text:
            continue
        for line in text.splitlines():
            marker = parse_marker(line) if needle in line else None
            if marker is not None and marker.module == module and path not in found.get(marker.obj, []):
                found.setdefault(marker.obj, []).append(path)
    return found
