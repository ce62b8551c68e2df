"""Edits of a model's own ``__init__.py`` (legacy layout).

The model ``__init__`` is the source of truth, so tfscaffold edits it only to drop both TF
blocks once the TF modeling file is gone (a registration of names that no longer exist breaks
``import``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst


def _mentions(module: cst.Module, node: cst.CSTNode, needle: str) -> bool:
    return needle in module.code_for_node(node)


def _is_guard_for(module: cst.Module, node: cst.CSTNode, tf_module: str) -> bool:
    """A ``try: ... else:`` block whose else-branch registers or imports ``tf_module``."""
    import libcst as cst

    if not isinstance(node, cst.Try) or node.orelse is None:
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
