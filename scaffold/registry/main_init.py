"""The two TF halves of the main ``src/transformers/__init__.py``.

First half: ``_import_structure["models.<m>"].extend([...])`` inside the ``else:`` of the try
block after ``# TensorFlow-backed objects``. Second half: ``from .models.<m> import (...)``
inside the ``else:`` of the ``is_tf_available()`` try block under ``if TYPE_CHECKING:``.
Reading uses ``ast``; editing uses libcst and replaces only the statements of one model, so the
other 9,000 lines stay byte for byte what they were.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.errors import ScaffoldError
from scaffold.names import sort_imports, sort_structure
from scaffold.pysource import parse

if TYPE_CHECKING:
    import libcst as cst

_SINGLE_LINE_IMPORT = re.compile(r"\s+from\s+\S*\s+import\s+([^\(\s].*)\n")


@dataclass
class Block:
    """One model's names in one half of the main ``__init__``."""

    package: str
    names: list[str]
    line: int
    end_line: int


@dataclass
class MainInit:
    path: Path
    text: str
    structure: dict[str, Block] = field(default_factory=dict)
    type_checking: dict[str, Block] = field(default_factory=dict)
    tc_names: list[str] = field(default_factory=list)  # every name of the TF TYPE_CHECKING block
    tc_span: tuple[int, int] = (0, 0)  # first and last line of that else: body
    structure_duplicates: list[Block] = field(default_factory=list)
    tc_duplicates: list[Block] = field(default_factory=list)

    def positional_names(self) -> list[str]:
        """The TF names as transformers' dummy generator reads them: by position, not syntax.

        ``utils/check_dummies.py`` takes ``line[12:-2]`` of every line indented by 12 spaces and
        splits single-line imports on ``", "``; a block with other indentation gives it wrong
        names, which is why the layout of these lines is checked and not only their content.
        """
        lines = self.text.splitlines(keepends=True)
        start, end = self.tc_span
        out: list[str] = []
        for line in lines[start - 1 : end]:
            single = _SINGLE_LINE_IMPORT.search(line)
            if single is not None:
                out.extend(single.groups()[0].split(", "))
            elif line.startswith(" " * 12):
                out.append(line[12:-2])
        return out


def _is_tf_guard(node: ast.stmt) -> bool:
    """``try: if not is_tf_available(): raise ...``"""
    if not isinstance(node, ast.Try) or not node.body:
        return False
    first = node.body[0]
    return (
        isinstance(first, ast.If)
        and isinstance(first.test, ast.UnaryOp)
        and isinstance(first.test.op, ast.Not)
        and isinstance(first.test.operand, ast.Call)
        and isinstance(first.test.operand.func, ast.Name)
        and first.test.operand.func.id == "is_tf_available"
    )


def _structure_call(node: ast.stmt) -> tuple[str, list[str]] | None:
    """``_import_structure["models.x"].extend([...])`` or ``.append("X")``."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    func = node.value.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("extend", "append")):
        return None
    target = func.value
    if not (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and target.value.id == "_import_structure"
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
        and target.slice.value.startswith("models.")
        and len(node.value.args) == 1
    ):
        return None
    try:
        value = ast.literal_eval(node.value.args[0])
    except ValueError:
        return None
    names = [value] if func.attr == "append" else list(value)
    return target.slice.value, [str(n) for n in names]


def _tc_import(node: ast.stmt) -> tuple[str, list[str]] | None:
    if isinstance(node, ast.ImportFrom) and node.level == 1 and (node.module or "").startswith("models."):
        return node.module, [a.name for a in node.names]
    return None


def _locate(tree: ast.Module) -> tuple[ast.Try | None, ast.Try | None]:
    structure = next((n for n in tree.body if _is_tf_guard(n)), None)
    tc = None
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            tc = next((n for n in node.body if _is_tf_guard(n)), None)
            break
    return structure, tc  # type: ignore[return-value]


def read_main_init(path: Path, text: str, root: Path) -> MainInit:
    tree = parse(path, text, root=root)
    structure, tc = _locate(tree)
    rel = path.relative_to(root).as_posix()
    if structure is None or tc is None:
        raise ScaffoldError(f"{rel}: no is_tf_available() block found in both halves")
    info = MainInit(path, text)
    for node in structure.orelse:
        found = _structure_call(node)
        if found:
            block = Block(found[0], found[1], node.lineno, node.end_lineno or node.lineno)
            if block.package in info.structure:
                info.structure_duplicates.append(block)
                info.structure[block.package].names.extend(block.names)
            else:
                info.structure[block.package] = block
    for node in tc.orelse:
        if isinstance(node, ast.ImportFrom):
            info.tc_names.extend(a.name for a in node.names)
        found = _tc_import(node)
        if found:
            block = Block(found[0], found[1], node.lineno, node.end_lineno or node.lineno)
            if block.package in info.type_checking:
                info.tc_duplicates.append(block)
                info.type_checking[block.package].names.extend(block.names)
            else:
                info.type_checking[block.package] = block
    info.tc_span = (tc.orelse[0].lineno, tc.orelse[-1].end_lineno or tc.orelse[-1].lineno)
    return info


# ----------------------------------------------------------------------------- rendering


def render_structure(package: str, names: list[str]) -> str:
    """The first-half block, one quoted name per line (indentation relative to the statement)."""
    body = "".join(f'        "{n}",\n' for n in sort_structure(names))
    return f'_import_structure["{package}"].extend(\n    [\n{body}    ]\n)\n'


def render_type_checking(package: str, names: list[str]) -> str:
    """The TYPE_CHECKING block, one name per line: at 12 spaces once inside its ``else:``.

    transformers' dummy generator reads these lines by position, so this layout is not taste.
    """
    body = "".join(f"    {n},\n" for n in sort_imports(names))
    return f"from .{package} import (\n{body})\n"


# ----------------------------------------------------------------------------- editing


def _code(module: cst.Module, node: cst.CSTNode) -> str:
    return module.code_for_node(node)


def _cst_tf_guard(module: cst.Module, node: cst.CSTNode) -> bool:
    import libcst as cst

    if not isinstance(node, cst.Try) or not node.body.body:
        return False
    first = node.body.body[0]
    return isinstance(first, cst.If) and _code(module, first.test).replace(" ", "") == "notis_tf_available()"


def _has_comment(lines: tuple[cst.EmptyLine, ...] | list[cst.EmptyLine]) -> bool:
    return any(line.comment is not None for line in lines)


def _replace_in_body(
    body: list[cst.BaseStatement],
    package: str,
    names: list[str] | None,
    key_of,
    render,
    indent_unit: str,
) -> list[cst.BaseStatement]:
    """Put ``names`` for ``package`` into a list of statements kept sorted by package.

    Comments above a removed block move to the next statement; comments above the block a new
    one is inserted before stay on top, so a heading such as ``# TensorFlow models structure``
    keeps heading the model blocks.
    """
    import libcst as cst

    indices = [i for i, stmt in enumerate(body) if key_of(stmt) == package]
    new_stmt = None
    if names:
        new_stmt = cst.parse_statement(render(package, names))
    out = list(body)
    if indices:
        first = indices[0]
        leading = out[first].leading_lines
        for i in reversed(indices):
            del out[i]
        if new_stmt is not None:
            out.insert(first, new_stmt.with_changes(leading_lines=leading))
        elif first < len(out):
            nxt = out[first]
            merged = list(leading) if _has_comment(leading) else []
            if merged:
                out[first] = nxt.with_changes(leading_lines=[*merged, *nxt.leading_lines])
        return out
    if new_stmt is None:
        return out
    keyed = [(i, key_of(stmt)) for i, stmt in enumerate(out)]
    keyed = [(i, k) for i, k in keyed if k is not None]
    position = None
    for i, key in keyed:
        if key > package:
            position = i
            break
    if position is None:
        position = keyed[-1][0] + 1 if keyed else len(out)
        out.insert(position, new_stmt)
        return out
    anchor = out[position]
    if _has_comment(anchor.leading_lines):
        out[position] = anchor.with_changes(leading_lines=[])
        out.insert(position, new_stmt.with_changes(leading_lines=anchor.leading_lines))
    else:
        out.insert(position, new_stmt)
    return out


def edit_main_init(
    text: str,
    structure: dict[str, list[str] | None],
    type_checking: dict[str, list[str] | None],
) -> str:
    """Return ``text`` with the given packages' blocks set (``None`` or ``[]`` removes them)."""
    import libcst as cst

    module = cst.parse_module(text)

    def structure_key(stmt: cst.CSTNode) -> str | None:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            found = _structure_call(ast.parse(_code(module, stmt.body[0]).strip()).body[0])
            return found[0] if found else None
        return None

    def tc_key(stmt: cst.CSTNode) -> str | None:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            node = stmt.body[0]
            if isinstance(node, cst.ImportFrom) and node.relative and node.module is not None:
                name = _code(module, node.module)
                if name.startswith("models."):
                    return name
        return None

    def set_else(try_node: cst.Try, changes: dict[str, list[str] | None], key_of, render) -> cst.Try:
        orelse = try_node.orelse
        assert orelse is not None
        body = list(orelse.body.body)
        for package, names in changes.items():
            body = _replace_in_body(body, package, names, key_of, render, "")
        return try_node.with_changes(orelse=orelse.with_changes(body=orelse.body.with_changes(body=body)))

    new_body = list(module.body)
    done_structure = False
    for i, stmt in enumerate(new_body):
        if not done_structure and _cst_tf_guard(module, stmt):
            if structure:
                new_body[i] = set_else(stmt, structure, structure_key, render_structure)
            done_structure = True
        elif isinstance(stmt, cst.If) and _code(module, stmt.test) == "TYPE_CHECKING":
            inner = list(stmt.body.body)
            for j, sub in enumerate(inner):
                if _cst_tf_guard(module, sub):
                    if type_checking:
                        inner[j] = set_else(sub, type_checking, tc_key, render_type_checking)
                    break
            new_body[i] = stmt.with_changes(body=stmt.body.with_changes(body=inner))
            break
    return module.with_changes(body=new_body).code
