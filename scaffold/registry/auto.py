"""TF auto mappings: ``models/auto/modeling_tf_auto.py``.

A TF class joins the mappings where its PyTorch twin is in ``modeling_auto.py`` (same mapping
name without ``TF_``, same model type), entries sorted by model type. Upstream placed a few
classes differently from their twins (a dozen entries in 4.46), so the twin rule decides the
placement of a model that has no TF entries yet; a model that has entries keeps them, minus
entries pointing at classes it no longer exports. Entries the twin rule would add to such a
model are reported as warnings, not errors: ``check`` must pass on an unmodified tree. The
exception is a class that is in no TF mapping at all (a head just added to a port): it joins
its twin's mappings for the model types the model already has TF entries for, since
transformers' ``utils/check_repo.py`` wants every model class in some auto mapping. A twin entry
of a model type with no TF entry (``clip_text_model``) stays a warning: upstream chose not to
serve that type.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.pysource import parse

Value = str | tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    key: str
    value: Value
    line: int = field(default=0, compare=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.value if isinstance(self.value, tuple) else (self.value,)

    def render(self) -> str:
        if isinstance(self.value, tuple):
            inner = ", ".join(f'"{v}"' for v in self.value)
            return f'("{self.key}", ({inner}))'
        return f'("{self.key}", "{self.value}")'


@dataclass
class Mappings:
    path: Path
    entries: dict[str, list[Entry]]  # mapping name -> entries in file order
    lines: dict[str, int]


def _ordered_dict_list(node: ast.expr) -> ast.List | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "OrderedDict"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List)
    ):
        return node.args[0]
    return None


def read_mappings(path: Path, text: str, root: Path) -> Mappings:
    tree = parse(path, text, root=root)
    out = Mappings(path, {}, {})
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not (isinstance(target, ast.Name) and target.id.endswith("_MAPPING_NAMES")):
            continue
        items = _ordered_dict_list(node.value)
        if items is None:
            continue
        entries = []
        for elt in items.elts:
            try:
                key, value = ast.literal_eval(elt)
            except (ValueError, TypeError):
                continue
            entries.append(
                Entry(
                    str(key),
                    tuple(value) if isinstance(value, list | tuple) else str(value),
                    elt.lineno,
                )
            )
        out.entries[target.id] = entries
        out.lines[target.id] = node.lineno
    return out


def tf_twin(pt_value: Value) -> Value:
    if isinstance(pt_value, tuple):
        return tuple(f"TF{v}" for v in pt_value)
    return f"TF{pt_value}"


def twin_index(pt: Mappings, tf: Mappings) -> dict[str, list[tuple[str, Entry]]]:
    """TF class name -> (TF mapping, entry) for every place the twin rule could put it."""
    index: dict[str, list[tuple[str, Entry]]] = {}
    for tf_name in tf.entries:
        for entry in pt.entries.get(tf_name.removeprefix("TF_"), []):
            candidate = Entry(entry.key, tf_twin(entry.value))
            for cls in candidate.classes:
                index.setdefault(cls, []).append((tf_name, candidate))
    return index


def derive_entries(index: dict[str, list[tuple[str, Entry]]], names: set[str]) -> dict[str, list[Entry]]:
    """Where the twin rule puts a model's TF classes: TF mapping name -> entries."""
    out: dict[str, list[Entry]] = {}
    for name in sorted(names):
        for mapping, entry in index.get(name, []):
            if all(c in names for c in entry.classes) and entry not in out.get(mapping, []):
                out.setdefault(mapping, []).append(entry)
    return out


# ----------------------------------------------------------------------------- editing


def _plain_break(indent: str):
    import libcst as cst

    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(newline=cst.Newline()),
        empty_lines=[],
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )


def _element_indent(elements, lbracket) -> str | None:
    """The indentation of the elements of an exploded list, or None for a one-line list."""
    import libcst as cst

    ws = lbracket.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.last_line.value
    return None


def _merge(first, second):
    """Whitespace standing for ``first`` + ``second`` once the element between them is gone."""
    import libcst as cst

    if isinstance(first, cst.ParenthesizedWhitespace) and isinstance(second, cst.ParenthesizedWhitespace):
        return second.with_changes(
            first_line=first.first_line,
            empty_lines=[*first.empty_lines, *second.empty_lines],
        )
    return second


def _set_list(lst, wanted: list[Entry], existing_keys: list[Entry]):
    """Remove elements not in ``wanted``, insert missing ones at their sorted place, then order.

    In an exploded list the line break and comments before an element live in the previous
    element's comma; they are moved along so comment headings stay where they were.
    """
    import libcst as cst

    if len(lst.elements) != len(existing_keys):
        raise ValueError("mapping elements and entries disagree")
    elements = list(lst.elements)
    lbracket = lst.lbracket
    indent = _element_indent(elements, lbracket)

    def before(i: int):
        return lbracket.whitespace_after if i == 0 else elements[i - 1].comma.whitespace_after  # type: ignore[union-attr]

    def set_before(i: int, ws) -> None:
        nonlocal lbracket
        if i == 0:
            lbracket = lbracket.with_changes(whitespace_after=ws)
        else:
            prev = elements[i - 1]
            elements[i - 1] = prev.with_changes(comma=prev.comma.with_changes(whitespace_after=ws))

    entries = list(existing_keys)
    # removals, from the end so indices stay valid; a repeated entry goes too
    for i in reversed(range(len(entries))):
        if entries[i] in wanted and entries[i] not in entries[:i]:
            continue
        elt = elements[i]
        after = elt.comma.whitespace_after if isinstance(elt.comma, cst.Comma) else None
        if after is not None:
            set_before(i, _merge(before(i), after))
        elif i > 0:  # last element without trailing comma (one-line list)
            prev = elements[i - 1]
            elements[i - 1] = prev.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        del elements[i]
        del entries[i]
    # insertions, at the first entry whose key sorts after the new one
    for entry in wanted:
        if entry in entries:
            continue
        position = next((i for i, e in enumerate(entries) if e.key > entry.key), len(entries))
        value = cst.parse_expression(entry.render())
        if indent is not None:
            if position == len(entries):
                if elements:
                    closing = elements[-1].comma.whitespace_after  # type: ignore[union-attr]
                    set_before(len(elements), _plain_break(indent))
                else:
                    closing = lbracket.whitespace_after
                    lbracket = lbracket.with_changes(whitespace_after=_plain_break(indent))
                new = cst.Element(value, comma=cst.Comma(whitespace_after=closing))
            else:
                new = cst.Element(value, comma=cst.Comma(whitespace_after=_plain_break(indent)))
            elements.insert(position, new)
        else:
            space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            if position == len(entries):
                if elements:
                    elements[-1] = elements[-1].with_changes(comma=space)
                new = cst.Element(value)
            else:
                new = cst.Element(value, comma=space)
            elements.insert(position, new)
        entries.insert(position, entry)
    if entries != wanted:  # reorder values, keep the whitespace and comments by position
        values = {e: el.value for e, el in zip(entries, elements, strict=True)}
        elements = [el.with_changes(value=values[w]) for el, w in zip(elements, wanted, strict=True)]
    return lst.with_changes(elements=elements, lbracket=lbracket)


def edit_mappings(text: str, current: Mappings, wanted: dict[str, list[Entry]]) -> str:
    """Return ``text`` with each named mapping's entries set to ``wanted[name]``."""
    import libcst as cst

    module = cst.parse_module(text)
    body = list(module.body)
    for i, stmt in enumerate(body):
        if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
            continue
        assign = stmt.body[0]
        target = assign.targets[0].target
        if not (isinstance(target, cst.Name) and target.value in wanted):
            continue
        call = assign.value
        if not (isinstance(call, cst.Call) and call.args and isinstance(call.args[0].value, cst.List)):
            continue
        new_list = _set_list(call.args[0].value, wanted[target.value], current.entries[target.value])
        new_call = call.with_changes(args=[call.args[0].with_changes(value=new_list), *call.args[1:]])
        body[i] = stmt.with_changes(body=[assign.with_changes(value=new_call), *stmt.body[1:]])
    return module.with_changes(body=body).code
