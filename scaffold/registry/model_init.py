"""Edits of a model's own ``__init__.py`` (legacy layout).

The model ``__init__`` is the source of truth, so tfscaffold edits it only to drop both TF
blocks once the TF modeling file is gone (a registration of names that no longer exist breaks
``import``), and to complete the ``TYPE_CHECKING`` import of a TF module with names its
``_import_structure`` list declares: the list is the truth, the import its mirror, and
transformers' ``utils/check_inits.py`` fails while they differ.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scaffold.names import sort_imports, sort_structure

if TYPE_CHECKING:
    import libcst as cst

from scaffold.cstwalk import walk


def _mentions(module: cst.Module, node: cst.CSTNode, needle: str) -> bool:
    return needle in module.code_for_node(node)


def _is_guard_for(module: cst.Module, node: cst.CSTNode, tf_module: str) -> bool:
    """A ``try: ... else:`` block guarded by ``is_tf_available`` whose else-branch registers or imports ``tf_module``.

    The guard counts: wav2vec2's ``__init__`` imports its Flax classes from ``.modeling_tf_wav2vec2``
    under ``is_flax_available`` (upstream's slip), and that block is not the port's to rewrite.
    """
    import libcst as cst

    if not isinstance(node, cst.Try) or node.orelse is None:
        return False
    if "is_tf_available" not in module.code_for_node(node.body):
        return False
    orelse = module.code_for_node(node.orelse)
    return f'_import_structure["{tf_module}"]' in orelse or f"from .{tf_module} import" in orelse


def remove_tf_blocks(text: str, tf_module: str) -> str:
    """Drop the ``try`` blocks that register and import ``tf_module``, in both halves."""
    import libcst as cst

    module = cst.parse_module(text)

    def strip(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for stmt in body:
            if _is_guard_for(module, stmt, tf_module):
                carried.extend(line for line in stmt.leading_lines if line.comment is not None)
                continue
            if isinstance(stmt, cst.If) and _mentions(module, stmt.test, "TYPE_CHECKING"):
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=strip(list(stmt.body.body))))
            if carried:
                stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
                carried = []
            out.append(stmt)
        return out

    return module.with_changes(body=strip(list(module.body))).code


def _tf_block_structure(tf_module: str, names: list[str]) -> str:
    body = "".join(f'        "{n}",\n' for n in sort_structure(names))
    return (
        "try:\n    if not is_tf_available():\n        raise OptionalDependencyNotAvailable()\n"
        "except OptionalDependencyNotAvailable:\n    pass\nelse:\n"
        f'    _import_structure["{tf_module}"] = [\n{body}    ]\n'
    )


def _tf_block_type_checking(tf_module: str, names: list[str]) -> str:
    body = "".join(f"        {n},\n" for n in sort_imports(names))
    return (
        "try:\n    if not is_tf_available():\n        raise OptionalDependencyNotAvailable()\n"
        "except OptionalDependencyNotAvailable:\n    pass\nelse:\n"
        f"    from .{tf_module} import (\n{body}    )\n"
    )


def set_tf_exports(text: str, tf_module: str, pt_module: str, names: list[str]) -> str:
    """Declare ``names`` as the public names of ``tf_module`` in a legacy model ``__init__``.

    Existing TF blocks of that module are replaced; otherwise new blocks go right after the
    PyTorch ones in both halves, as in every hand-written port, and ``is_tf_available`` joins
    the ``from ...utils import`` list.
    """
    import libcst as cst

    text = remove_tf_blocks(text, tf_module)
    module = cst.parse_module(text)
    structure = cst.parse_statement(_tf_block_structure(tf_module, names))
    mirror = cst.parse_statement(_tf_block_type_checking(tf_module, names))
    blank = [cst.EmptyLine(indent=False)]

    def insert_after(body: list, needle_kind: str, block) -> list:
        def is_pt(stmt) -> bool:
            if not isinstance(stmt, cst.Try) or stmt.orelse is None:
                return False
            code = module.code_for_node(stmt.orelse)
            return (
                f'_import_structure["{pt_module}"]' in code
                if needle_kind == "structure"
                else f"from .{pt_module} import" in code
            )

        index = next((i for i, stmt in enumerate(body) if is_pt(stmt)), None)
        if index is None:
            index = max((i for i, s in enumerate(body) if isinstance(s, cst.Try)), default=len(body) - 1)
        return [*body[: index + 1], block.with_changes(leading_lines=blank), *body[index + 1 :]]

    body = list(module.body)
    tc_index = next(
        (i for i, s in enumerate(body) if isinstance(s, cst.If) and module.code_for_node(s.test) == "TYPE_CHECKING"),
        None,
    )
    if tc_index is None:
        raise ValueError("the model __init__ has no `if TYPE_CHECKING:` block")
    tc = body[tc_index]
    inner = insert_after(list(tc.body.body), "mirror", mirror)
    body[tc_index] = tc.with_changes(body=tc.body.with_changes(body=inner))
    head, tail = body[:tc_index], body[tc_index:]
    body = insert_after(head, "structure", structure) + tail
    new = module.with_changes(body=body).code
    if not re.search(r"\bis_tf_available\b", new.split("_import_structure", 1)[0]):
        new = re.sub(
            r"(from \.\.\.utils import \(\n)((?:    .*\n)*?)(\))",
            lambda m: m.group(1) + _sorted_import_lines(m.group(2), "is_tf_available") + m.group(3),
            new,
            count=1,
        )
    if not re.search(r"\bis_tf_available\b", new.split("_import_structure", 1)[0]):
        # one-line form, e.g. ``from ...utils import OptionalDependencyNotAvailable``
        line = re.compile(r"^from \.\.\.utils import ([^(\n]+)$", re.MULTILINE)
        m = line.search(new.split("_import_structure", 1)[0])
        if m:
            names = sort_imports([*(n.strip() for n in m.group(1).split(",") if n.strip()), "is_tf_available"])
            new = new[: m.start(1)] + ", ".join(names) + new[m.end(1) :]
    return new


def _sorted_import_lines(lines: str, name: str) -> str:
    names = [line.strip().rstrip(",") for line in lines.splitlines() if line.strip()]
    return "".join(f"    {n},\n" for n in sort_imports([*names, name]))


def add_type_checking_names(text: str, tf_module: str, names: list[str]) -> str:
    """``text`` whose ``from .<tf_module> import`` statements also import ``names`` (the first one does).

    The statement keeps its layout and gets ruff's isort order, as ``make style`` leaves it.
    """
    import libcst as cst

    from scaffold.registry.testfile import with_import_names

    class Editor(cst.CSTTransformer):
        done = False

        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
            if self.done or isinstance(updated.names, cst.ImportStar) or len(updated.relative) != 1:
                return updated
            if updated.module is None or cst.Module([]).code_for_node(updated.module) != tf_module:
                return updated
            self.done = True
            have = {a.evaluated_name for a in updated.names}
            extra = [cst.ImportAlias(cst.Name(n)) for n in dict.fromkeys(names) if n not in have]
            return with_import_names(updated, [*updated.names, *extra]) if extra else updated

    return walk(cst.parse_module(text), Editor()).code


# -- the newer layout (``define_import_structure``): the TF module's ``__all__`` is the truth ----------------------
# The model ``__init__`` imports each module with ``from .<module> import *`` under ``if TYPE_CHECKING:`` (for type
# checkers only: the lazy module reads ``__all__``), one line per module in module-name order.

_TYPE_CHECKING = re.compile(r"^if TYPE_CHECKING:\n((?:    .*\n|\n)*)", re.M)
_STAR_IMPORT = re.compile(r"^    from \.(\w+) import \*\n", re.M)


def star_imports(text: str) -> list[str] | None:
    """The modules the ``TYPE_CHECKING`` block imports with ``*``; None without such a block."""
    block = _TYPE_CHECKING.search(text)
    return None if block is None else _STAR_IMPORT.findall(block.group(1))


def set_star_import(text: str, module: str, present: bool) -> str:
    """``text`` with ``from .<module> import *`` under ``if TYPE_CHECKING:`` (in module-name order) or without it."""
    block = _TYPE_CHECKING.search(text)
    if block is None:
        return text
    start = block.start(1)
    lines = block.group(1).splitlines(keepends=True)
    line = f"    from .{module} import *\n"
    if not present:
        return text[:start] + "".join(kept for kept in lines if kept != line) + text[block.end(1) :]
    if line in lines:
        return text
    stars = [i for i, existing in enumerate(lines) if _STAR_IMPORT.match(existing)]
    after = [i for i in stars if _STAR_IMPORT.match(lines[i]).group(1) > module]
    at = after[0] if after else (stars[-1] + 1 if stars else 0)
    lines.insert(at, line)
    return text[:start] + "".join(lines) + text[block.end(1) :]
