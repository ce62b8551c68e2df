"""Which imports of a PyTorch modeling file a TF module must not keep: importing them would import torch.

``torch`` itself, the transformers modules of :data:`tables.PT_ONLY_IMPORT_MODULES`, and any other module
of the tree that imports torch unguarded at its top level (newer trees' ``masking_utils``,
``modeling_layers``): read from the tree, so a module added in a later release needs no table entry.
The names such an import brought become undefined, and the rules that follow say so (TODO markers).
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from scaffold.changeset import read_text
from scaffold.convert import tables
from scaffold.pysource import cached_by_content


def is_pt_only_import(stmt: cst.CSTNode, module: cst.Module, folder: Path) -> bool:
    """An import the TF module must not keep: torch, a module of the table, or a module of the tree that
    imports torch itself (``masking_utils``, ``modeling_layers`` of newer trees): importing it would import torch."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Import):
        return any(module.code_for_node(a.name).split(".")[0] == "torch" for a in small.names)
    if isinstance(small, cst.ImportFrom):
        name = "." * len(small.relative) + (module.code_for_node(small.module) if small.module else "")
        if name in tables.PT_ONLY_IMPORT_MODULES or name.split(".")[0] == "torch":
            return True
        return bool(small.relative) and small.module is not None and _imports_torch(folder, name)
    return False


def _imports_torch(folder: Path, relative: str) -> bool:
    """Whether the tree's module ``relative`` (``...masking_utils``, from ``folder``) imports torch unguarded,
    at its top level: a TF module importing it would need torch."""
    dots = len(relative) - len(relative.lstrip("."))
    base = folder
    for _ in range(dots - 1):
        base = base.parent
    target = base.joinpath(*relative.lstrip(".").split("."))
    path = target.with_suffix(".py") if target.with_suffix(".py").is_file() else target / "__init__.py"
    if not path.is_file():
        return False
    return cached_by_content("imports-torch", path.read_bytes(), lambda: _top_level_torch(path))


def _top_level_torch(path: Path) -> bool:
    try:
        tree = ast.parse(read_text(path))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "torch":
            return True
    return False
