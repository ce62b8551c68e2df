"""Markers of other TF files that name a regenerated object: pointed at another copy, or removed.

Other ports copy from a port (``# Copied from transformers.models.albert.modeling_tf_albert.
TFAlbertEmbeddings with Albert->ConvBert``). When ``new`` regenerates that port and the object
comes out different (or not at all), transformers' ``check_copies`` rejects every copy, although
none of them changed. The copies still agree with each other: the first one becomes the source
(its marker goes) and each other copy is marked as a copy of it (``# Copied from transformers.
models.convbert.modeling_tf_convbert.TFConvBertEmbeddings with ConvBert->Electra``) when that
renaming reproduces it exactly; a copy that no renaming of the first reproduces loses its marker.
The code of the other files never changes, only what their markers claim, and ``new`` lists each
edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.convert.copies import CopiedFrom, Definition, Replacement, definitions, object_sources, parse_marker


@dataclass(frozen=True)
class Copy:
    """One marked copy of an object of the regenerated port, in another file."""

    path: Path
    module: str  # dotted module of ``path`` (models.convbert.modeling_tf_convbert)
    line: int  # 0-based index of the marker line
    marker: CopiedFrom
    name: str  # the copy's own dotted name in its file (TFConvBertEmbeddings, TFX.call)
    text: str  # the copied definition, from its ``class``/``def`` line on
    ignores: bool  # the copy has ``# Ignore copy`` blocks: no renaming reproduces it as a whole
    # the marker of the class around it when that class is a copy too: the marker line is part of that copy
    enclosing: CopiedFrom | None = None


@dataclass(frozen=True)
class MarkerEdit:
    path: Path
    line: int
    old: str  # the marker line as it was
    new: str | None  # the new marker line, None when the marker is removed
    obj: str  # the object of the regenerated port the old marker named

    def describe(self, rel) -> str:
        what = "marker removed" if self.new is None else f"now {self.new.strip().removeprefix('# ')}"
        return f"{rel(self.path)}:{self.line + 1}: copy of {self.obj}: {what}"


def _copies(
    module: str, obj: str, paths: list[Path], dotted, read: dict[Path, tuple[list[str], dict[int, Definition]]]
) -> list[Copy]:
    """The copies of ``obj`` in ``paths``; ``read`` keeps each file's lines and definitions across objects
    (a file that copies several objects is parsed once)."""
    found: list[Copy] = []
    for path in paths:
        if path not in read:
            text = path.read_text(encoding="utf-8")
            named = {line: d for line, d in definitions(text.encode("utf-8")).items() if d.name is not None}
            read[path] = (text.splitlines(keepends=True), named)
        lines, names = read[path]
        for index, line in enumerate(lines):
            marker = parse_marker(line) if "Copied from" in line else None
            if marker is None or marker.module != module or marker.obj != obj or index + 2 not in names:
                continue
            node = names[index + 2]
            segment = "".join(lines[node.lineno - 1 : node.end_lineno])
            enclosing = next(
                (
                    parse_marker(lines[outer.lineno - 2])
                    for outer in names.values()
                    if outer.is_class
                    and outer.lineno < node.lineno <= outer.end_lineno
                    and outer.lineno >= 2
                    and parse_marker(lines[outer.lineno - 2]) is not None
                ),
                None,
            )
            found.append(
                Copy(path, dotted(path), index, marker, node.name, segment, "Ignore copy" in segment, enclosing)
            )
    return found


def _between(source: Copy, target: Copy) -> tuple[Replacement, ...] | None:
    """The renaming that turns ``source``'s copy into ``target``'s: both renamed the same original.

    ``Albert->ConvBert`` and ``Albert->Electra`` give ``ConvBert->Electra``; replacements that do not
    pair up one to one (different patterns, orders or options) give None.
    """
    first, second = source.marker.replacements, target.marker.replacements
    if len(first) != len(second):
        return None
    out = []
    for a, b in zip(first, second, strict=True):
        if a.old != b.old or a.all_casing != b.all_casing:
            return None
        if a.new != b.new:
            out.append(Replacement(a.new, b.new, a.all_casing))
    return tuple(out)


def reanchor(module: str, code: str, broken: dict[str, list[Path]], dotted) -> list[MarkerEdit]:
    """The marker edits that leave every copy of a ``broken`` object of ``module`` checking again.

    ``code``: the regenerated port; ``broken``: its objects whose copies may no longer check -> the
    files that copy them; ``dotted``: a file's dotted module name. A copy the regenerated object
    still reproduces is left alone; of the others, the first becomes the source of the rest.
    """
    sources = object_sources(code)
    edits: list[MarkerEdit] = []
    read: dict[Path, tuple[list[str], dict[int, Definition]]] = {}
    for obj in sorted(broken):
        source = sources.get(obj)
        stale = [
            c
            for c in _copies(module, obj, sorted(broken[obj]), dotted, read)
            if c.ignores or source is None or c.marker.apply(source).strip() != c.text.strip()
        ]
        # a marker inside a class that copies another stale copy's class follows that copy's edit, renamed
        # as the class is: editing it on its own would break the class's copy
        modules = {c.module for c in stale}
        nested = [c for c in stale if c.enclosing is not None and c.enclosing.module in modules]
        free = [c for c in stale if c not in nested]
        usable = [c for c in free if not c.ignores]
        anchor = usable[0] if usable else None
        made: dict[tuple[str, str], MarkerEdit] = {}  # (module, the copy's dotted name) -> its edit
        for copy in free:
            old = _line(copy)
            new = None
            if anchor is not None and copy is not anchor and not copy.ignores:
                renaming = _between(anchor, copy)
                if renaming is not None:
                    marker = CopiedFrom(anchor.module, anchor.name, renaming)
                    if marker.apply(anchor.text) == copy.text:
                        indent = old[: len(old) - len(old.lstrip())]
                        new = f"{indent}{marker.render()}\n"
            made[(copy.module, copy.name)] = MarkerEdit(copy.path, copy.line, old, new, obj)
        for _ in range(len(nested)):  # chains of class copies: each pass settles the copies of settled ones
            for copy in nested:
                outer = copy.enclosing
                assert outer is not None
                # the same object in the class this one's class copies: TFRobertaForCausalLM.prepare_inputs_...
                settled = made.get((outer.module, f"{outer.obj}.{copy.name.partition('.')[2]}"))
                if (copy.module, copy.name) in made or settled is None:
                    continue
                new = None if settled.new is None else outer.apply(settled.new)
                made[(copy.module, copy.name)] = MarkerEdit(copy.path, copy.line, _line(copy), new, obj)
        edits.extend(made.values())
    return edits


def _line(copy: Copy) -> str:
    return copy.path.read_text(encoding="utf-8").splitlines(keepends=True)[copy.line]


def apply_edits(text: str, edits: list[MarkerEdit]) -> str:
    """``text`` of one file with its marker edits made (each names the line it found)."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.line, reverse=True):
        if lines[edit.line] != edit.old:
            raise ValueError(f"{edit.path}:{edit.line + 1}: the marker changed since it was read")
        if edit.new is None:
            del lines[edit.line]
        else:
            lines[edit.line] = edit.new
    return "".join(lines)
