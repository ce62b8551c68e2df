"""Keep the TF test file's ``all_model_classes`` in line with the port's public model classes.

``TFModelTesterMixin`` runs its common tests on exactly the classes listed there, so a head added
to the port and not to the list is never tested, and a name the port no longer defines breaks the
import of the whole test module. transformers' ``utils/check_repo.py`` requires every model class
to be listed except building blocks (by name) and the classes its ``IGNORE_NON_TESTED`` exempts;
where the tree has that script, ``check`` holds the file to the same rule, so what passes here
passes there (and upstream's deliberate omissions, which that list declares, are no problem).
Without the script a missing class is a warning, and only classes a
test can build and run count (the test generator's rule: no abstract base without ``call``, no
component fed computed tensors). ``apply`` removes stale names, appends missing
ones in the port's order and imports every listed class the way the file already imports the
port (``from transformers import`` or the modeling module's own path); the rest of the file is
left byte for byte. A stale name the file still uses elsewhere is a hand edit: removing only its
import would leave an undefined name.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import Path

import libcst as cst

from scaffold.changeset import ChangeSet
from scaffold.checkout import Checkout, Model
from scaffold.cstwalk import walk
from scaffold.errors import ScaffoldError
from scaffold.formatting import format_like
from scaffold.names import is_abstract_pretrained, sort_imports
from scaffold.portfacts import testable_model_classes
from scaffold.problems import Problem
from scaffold.registry.exports import Kinds, TFExports
from scaffold.registry.repo_check import repo_check

LIST_NAME = "all_model_classes"


def test_file_path(checkout: Checkout, model: Model) -> Path:
    """Where transformers keeps a model's TF tests (``tests/models/<folder>/test_modeling_tf_<m>.py``)."""
    return checkout.tf_test_file(model)


def public_model_classes(exports: TFExports, kinds: Kinds) -> list[str]:
    """Exported TF models and heads, without the abstract pretrained base the mixin cannot build."""
    out: list[str] = []
    for module, names in exports.modules.items():
        path = exports.module_path(module)
        for name in names:
            if name not in out and not is_abstract_pretrained(name) and kinds.kind(path, name) == "model":
                out.append(name)
    return out


def listed_classes(text: str) -> tuple[list[str], int | None] | None:
    """The names of every ``all_model_classes`` assignment and the first one's line; None without one.

    Upstream writes ``(TFX, TFY) if is_tf_available() else ()``; only the names of the first tuple
    or list count (the ``else`` branch is the empty fallback). A file with a test class per tower
    (a two-tower model) has several assignments: together they list the port's classes.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    names: list[str] = []
    line = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == LIST_NAME for t in targets) or node.value is None:
            continue
        line = node.lineno if line is None else min(line, node.lineno)
        value = node.value.body if isinstance(node.value, ast.IfExp) else node.value
        if isinstance(value, ast.Tuple | ast.List):
            names += [e.id for e in value.elts if isinstance(e, ast.Name) and e.id not in names]
    return (names, line) if line is not None else None


def _list_values(tree: ast.Module) -> list[ast.expr]:
    out: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == LIST_NAME for t in targets):
                out.append(node.value)
    return out


def used_elsewhere(tree: ast.Module) -> set[str]:
    """Names the module reads outside its ``all_model_classes`` values (imports bind, not read)."""
    skip = {id(n) for value in _list_values(tree) for n in ast.walk(value)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in skip}


def bound_names(tree: ast.Module) -> set[str]:
    """Names an import anywhere in the module, or a top-level definition, binds."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                out.add(alias.asname or alias.name.split(".")[0])
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out


def sync_test_classes(
    checkout: Checkout,
    model: Model,
    exports: TFExports,
    kinds: Kinds,
    changes: ChangeSet,
    problems: list[Problem],
) -> None:
    """Report and fix the differences between ``all_model_classes`` and the public model classes."""
    path = test_file_path(checkout, model)
    text = changes.current(path)
    if text is None:
        return
    found = listed_classes(text)
    if found is None:
        return
    listed, line = found
    tree = ast.parse(text)
    exported = public_model_classes(exports, kinds)
    rules = repo_check(checkout, changes)
    if rules is None:
        # without transformers' own rule, the test generator's: classes a test can build and run
        port = changes.current(model.folder / f"modeling_tf_{model.name}.py")
        try:
            required = testable_model_classes(port, exported) if port is not None else exported
        except SyntaxError:
            required = exported
    else:
        required = [n for n in exported if rules.must_be_tested(n)]
    rel = checkout.rel(path)
    fix = f"tfscaffold apply {model.name}"
    stale = [n for n in listed if n.startswith("TF") and n not in exported]
    used = used_elsewhere(tree)
    stuck = [n for n in stale if n in used]
    stale = [n for n in stale if n not in stuck]
    bound = bound_names(tree)
    unimported = [n for n in listed if n in exported and n not in bound]
    missing = [n for n in required if n not in listed]
    for name in stale:
        problems.append(Problem(rel, line, name, f"{LIST_NAME} names a class the port does not export", fix))
    for name in stuck:
        problems.append(
            Problem(
                rel,
                line,
                name,
                f"{LIST_NAME} names a class the port does not export, and the file uses it elsewhere",
                "export it again, or remove its uses from the test file",
                fixable=False,
            )
        )
    for name in unimported:
        problems.append(Problem(rel, line, name, f"{LIST_NAME} names a class the file does not import", fix))
    for name in missing:
        if rules is None:
            problems.append(
                Problem(rel, line, name, f"public TF model class is missing from {LIST_NAME}", fix, "warning")
            )
        else:
            problems.append(
                Problem(
                    rel,
                    line,
                    name,
                    f"public TF model class is missing from {LIST_NAME} (utils/check_repo.py requires it unless "
                    "IGNORE_NON_TESTED lists it)",
                    fix,
                )
            )
    if stale or missing or unimported:
        kept = [n for n in listed if n not in stale]
        modules = {n: f"transformers.{model.package}.{m}" for m, ns in exports.modules.items() for n in ns}
        edited = set_model_classes(text, kept + missing, stale, modules)
        changes.write(path, format_like(text, edited, path.name, checkout.root))


def _module_name(node: cst.ImportFrom) -> str:
    if node.relative or node.module is None:
        return ""
    return cst.Module([]).code_for_node(node.module)


def _acceptable(name: str, modules: Mapping[str, str]) -> set[str]:
    """The modules a test file may import ``name`` from: the top package, its model package, its module."""
    out = {"transformers"}
    module = modules.get(name)
    if module:
        out |= {module, module.rsplit(".", 1)[0]}
    return out


def _imports_port(node: cst.ImportFrom, modules: Mapping[str, str]) -> bool:
    """An import of TF classes from a module the port's classes can be imported from."""
    if isinstance(node.names, cst.ImportStar):
        return False
    module = _module_name(node)
    accepted = {"transformers"} | {m for n in modules for m in _acceptable(n, modules)}
    return module in accepted and any(a.evaluated_name.startswith("TF") for a in node.names)


def with_import_names(node: cst.ImportFrom, aliases: list[cst.ImportAlias]) -> cst.ImportFrom:
    """``node`` importing ``aliases`` in ruff's isort order, in the statement's own layout."""
    order = {name: i for i, name in enumerate(sort_imports([a.evaluated_name for a in aliases]))}
    aliases = sorted(aliases, key=lambda a: order[a.evaluated_name])  # ruff's isort order
    # keep the statement's layout: every alias takes the first one's comma (with its newline and
    # indent in an exploded import), the last one the original last comma
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    first, last = names[0].comma, names[-1].comma
    if len(names) == 1 or not isinstance(first, cst.Comma):
        first = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    fixed = [a.with_changes(comma=first) for a in aliases[:-1]] + [aliases[-1].with_changes(comma=last)]
    return node.with_changes(names=fixed)


class _ImportEditor(cst.CSTTransformer):
    """Drops stale names from ``transformers`` imports and adds the needed ones where they fit.

    A needed name joins the first statement that already imports TF classes from a module the
    name can come from (``transformers``, its model package, or its own modeling module); what
    fits nowhere is left in ``pending`` for ``_NewImport``.
    """

    def __init__(self, needed: Sequence[str], stale: Sequence[str], modules: Mapping[str, str]) -> None:
        super().__init__()
        self.pending = list(needed)
        self.stale = set(stale)
        self.modules = modules
        self.module_style = False  # the file imports the port from its modeling module

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.BaseSmallStatement:
        module = _module_name(updated)
        if not module.startswith("transformers") or isinstance(updated.names, cst.ImportStar):
            return updated
        aliases = [a for a in updated.names if a.evaluated_name not in self.stale]
        if _imports_port(updated, self.modules):
            self.module_style |= module != "transformers"
            fits = [n for n in self.pending if module in _acceptable(n, self.modules)]
            aliases += [cst.ImportAlias(cst.Name(n)) for n in fits]
            self.pending = [n for n in self.pending if n not in fits]
        if len(aliases) == len(updated.names) and all(a is b for a, b in zip(aliases, updated.names, strict=True)):
            return updated
        if not aliases:
            return cst.RemovalSentinel.REMOVE
        return with_import_names(updated, aliases)


def _is_tf_guard(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.If)
        and isinstance(stmt.test, cst.Call)
        and isinstance(stmt.test.func, cst.Name)
        and stmt.test.func.value == "is_tf_available"
    )


def _is_port_import(stmt: cst.BaseStatement, modules: Mapping[str, str]) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.ImportFrom) and _imports_port(s, modules) for s in stmt.body
    )


class _NewImport(cst.CSTTransformer):
    """Adds import statements for names no existing statement could take.

    They go after the last statement that imports the port, else at the end of the
    ``if is_tf_available():`` block, else after the module's last import: where a person would.
    """

    def __init__(self, statements: list[cst.SimpleStatementLine], modules: Mapping[str, str]) -> None:
        super().__init__()
        self.statements = statements
        self.modules = modules
        self.done = False

    def _insert(self, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement] | None:
        anchors = [i for i, s in enumerate(body) if _is_port_import(s, self.modules)]
        if not anchors:
            return None
        self.done = True
        at = anchors[-1] + 1
        return [*body[:at], *self.statements, *body[at:]]

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if self.done:
            return updated
        body = self._insert(updated.body)
        return updated if body is None else updated.with_changes(body=body)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.done:
            return updated
        body = self._insert(updated.body)
        if body is not None:
            return updated.with_changes(body=body)
        items = list(updated.body)
        for i, stmt in enumerate(items):
            if _is_tf_guard(stmt) and isinstance(stmt.body, cst.IndentedBlock):  # type: ignore[attr-defined]
                block = stmt.body  # type: ignore[attr-defined]
                items[i] = stmt.with_changes(body=block.with_changes(body=[*block.body, *self.statements]))
                return updated.with_changes(body=items)
        imports = [
            i
            for i, s in enumerate(items)
            if isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(x, cst.Import | cst.ImportFrom) for x in s.body)
        ]
        at = imports[-1] + 1 if imports else 0
        return updated.with_changes(body=[*items[:at], *self.statements, *items[at:]])


def set_model_classes(
    text: str,
    names: Sequence[str],
    stale: Sequence[str] = (),
    modules: Mapping[str, str] | None = None,
) -> str:
    """``text`` with its ``all_model_classes`` listing exactly ``names``, and imports to match.

    The tuples are edited by :func:`sync_all_model_classes` (each tower keeps its classes, new
    ones join the first tuple); stale names also leave the ``transformers`` imports, and listed
    names the file does not bind are imported in the file's own style: into the first statement
    that imports TF classes from a module they can come from (``modules`` maps a name to its
    modeling module, ``transformers.models.gpt2.modeling_tf_gpt2``), else by a new statement
    from that module or from ``transformers``, whichever the file uses for the port. libcst
    keeps every other byte; the caller formats the result when the file was formatted before.
    """
    modules = dict(modules or {})
    listed = sync_all_model_classes(text, list(names))
    bound = bound_names(ast.parse(listed)) - set(stale)
    needed = [n for n in dict.fromkeys(names) if n not in bound]
    editor = _ImportEditor(needed, stale, modules)
    edited = walk(cst.parse_module(listed), editor)
    if editor.pending:
        by_module: dict[str, list[str]] = {}
        for name in editor.pending:
            source = modules.get(name, "transformers") if editor.module_style else "transformers"
            by_module.setdefault(source, []).append(name)
        statements = [
            cst.parse_statement(f"from {source} import {', '.join(sort_imports(group))}\n")
            for source, group in by_module.items()
        ]
        edited = walk(edited, _NewImport(statements, modules))  # type: ignore[arg-type]
    return edited.code


# --- keeping all_model_classes in line ---------------------------------------------------------


class _TupleFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.tuples: list[cst.Tuple] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            if node.targets[0].target.value == "all_model_classes":
                found = _the_tuple(node.value)
                if found is not None:
                    self.tuples.append(found)


def _the_tuple(value: cst.BaseExpression) -> cst.Tuple | None:
    """``(A, B)`` or ``(A, B) if is_tf_available() else ()``: the tuple of classes."""
    if isinstance(value, cst.Tuple):
        return value
    if isinstance(value, cst.IfExp) and isinstance(value.body, cst.Tuple):
        return value.body
    return None


def _element_name(element: cst.BaseElement) -> str:
    return cst.Module(body=[]).code_for_node(element.value).split(".")[-1].strip()


class _TupleEditor(cst.CSTTransformer):
    def __init__(self, wanted: dict[int, list[str]], originals: list[cst.Tuple]) -> None:
        self.wanted = wanted
        self.ids = {id(t): i for i, t in enumerate(originals)}

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        index = self.ids.get(id(original_node))
        if index is None:
            return updated_node
        names = self.wanted[index]
        current = [_element_name(e) for e in original_node.elements]
        if names == current:
            return updated_node
        old = list(original_node.elements)
        middle = old[0].comma if len(old) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        last = old[-1].comma if old else cst.MaybeSentinel.DEFAULT
        if isinstance(middle, cst.MaybeSentinel):
            middle = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if len(names) == 1 and isinstance(last, cst.MaybeSentinel):
            last = cst.Comma()  # a one-element tuple needs its comma
        elements = []
        for i, name in enumerate(names):
            by_name = {_element_name(e): e for e in old}
            value = by_name[name].value if name in by_name else cst.Name(name)
            elements.append(cst.Element(value=value, comma=middle if i < len(names) - 1 else last))
        lpar = original_node.lpar or [cst.LeftParen()]
        rpar = original_node.rpar or [cst.RightParen()]
        return updated_node.with_changes(elements=elements, lpar=lpar, rpar=rpar)


def sync_all_model_classes(text: str, names: list[str]) -> str:
    """Make the ``all_model_classes`` tuples of a test file list exactly ``names``; nothing else changes.

    Classes already listed keep their place (and their spelling); removed ones go; new ones are
    appended to the first tuple. A file with several test classes (two towers) keeps each class
    in the tuple that has it. Why libcst: ``apply`` edits a file a person may have changed by
    hand, so every byte outside the tuples must stay as it was.
    """
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ScaffoldError(f"invalid class name {name!r} for all_model_classes")
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise ScaffoldError(f"the test file does not parse (line {exc.raw_line}): {exc.message}") from None
    finder = _TupleFinder()
    walk(module, finder)
    if not finder.tuples:
        raise ScaffoldError("the test file has no all_model_classes tuple to keep in line")
    wanted_set = list(dict.fromkeys(names))
    placed: set[str] = set()
    wanted: dict[int, list[str]] = {}
    for i, tup in enumerate(finder.tuples):
        kept = [n for n in (_element_name(e) for e in tup.elements) if n in wanted_set and n not in placed]
        placed.update(kept)
        wanted[i] = kept
    wanted[0] = wanted[0] + [n for n in wanted_set if n not in placed]
    return walk(module, _TupleEditor(wanted, finder.tuples)).code
