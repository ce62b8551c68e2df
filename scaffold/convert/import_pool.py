"""The imports a converted module may need, placed once after its own: the pool ruff then prunes.

Every TF import a port commonly reads, those the rules asked for, and the imports of the modules reused
code comes from go after the module's docstring and kept imports; a name the module already binds is
not imported again (F811), and ``ruff --fix`` later drops the unused ones under the tree's settings.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.rules.base import ConvertContext
from scaffold.pysource import parsed


def with_imports(code: str, ctx: ConvertContext, twins) -> str:
    """Put the pool of candidate imports after the module docstring and the kept imports."""
    pool: list[str] = list(tables.TF_IMPORTS)
    pool.extend(sorted(ctx.imports))
    for twin in twins:
        for line in twin.tf_module.import_lines:
            if re.match(r"from \.\w", line):
                continue  # the source model's own modules (its configuration): not ours
            for replacement in twin.replacements:
                line = replacement.apply(line)
            pool.append(line)
    if ctx.keras != "keras":
        pool = [p.replace("keras, ", "") for p in pool]
    tree = parsed(code)
    pool = [line for line in dict.fromkeys(_dedupe_imports(pool, _bound_names(tree))) if line]
    future = [line for line in pool if "__future__" in line]
    others = [line for line in pool if line not in future]
    # the pool goes after the last top-level import (else the docstring), __future__ imports right
    # after the docstring: lines inserted after a statement's last line, so comments and blank lines
    # above the next statement stay with it
    after = 0
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr):
            after = node.end_lineno or 0
        elif isinstance(node, ast.Import | ast.ImportFrom):
            after = node.end_lineno or 0
    docstring = tree.body[0].end_lineno if tree.body and isinstance(tree.body[0], ast.Expr) and after else 0
    if not after or (future and not docstring):
        text = _with_imports_at_top(code, future, others)
    else:
        lines = code.splitlines(keepends=True)
        inserted = {after: [f"{line}\n" for line in others]}
        if future:
            inserted.setdefault(docstring or 0, [])
            inserted[docstring or 0] = [f"{line}\n" for line in future] + inserted[docstring or 0]
        text = "".join(part for number, line in enumerate(lines, 1) for part in (line, *inserted.get(number, ())))
    return re.sub(r'^"""PyTorch ', '"""TF 2.0 ', text, count=1, flags=re.M)


def _with_imports_at_top(code: str, future: list[str], others: list[str]) -> str:
    """The pool placed by libcst, where a line number does not say where: a module with neither a
    docstring nor an import, or ``__future__`` imports and no docstring (after the header comments)."""
    module = cst.parse_module(code)
    body = list(module.body)
    insert_at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Expr) and i == 0:
            insert_at = 1
        elif isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Import | cst.ImportFrom):
            insert_at = i + 1
    body[insert_at:insert_at] = [cst.parse_statement(line + "\n") for line in others]
    if future:
        first = 1 if body and insert_at >= 1 and _is_docstring_line(body[0]) else 0
        body[first:first] = [cst.parse_statement(line + "\n") for line in future]
    return module.with_changes(body=body).code


def _is_docstring_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Expr)


def _bound_names(tree: ast.Module) -> set[str]:
    """Names the module's own code already binds at top level (kept imports, classes, ...)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _dedupe_imports(pool: list[str], taken: set[str]) -> list[str]:
    """Keep the first provider of every name; a name bound twice is a lint error (F811)."""
    out: list[str] = []
    seen = set(taken)
    for line in pool:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            out.append(line)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            aliases = [a for a in node.names if (a.asname or a.name).split(".")[0] not in seen]
            seen.update((a.asname or a.name).split(".")[0] for a in aliases)
            if not aliases:
                continue
            node.names = aliases
            out.append(ast.unparse(node))
    return out
