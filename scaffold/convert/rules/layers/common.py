"""Helpers the layer rules share: CST builders, constructor binding and templates, the __init__ rule base."""

from __future__ import annotations

import builtins

import libcst as cst

from scaffold.convert.rules.base import HookTransformer, HookVisitor, Rule, dotted
from scaffold.convert.tables import BASE_CLASSES
from scaffold.cstwalk import walk

# Names an nn.Parameter expression may use that are not values of __init__.
_MODULE_NAMES = frozenset({"self", "torch", "nn", "math", "np", "tf", "keras"}) | frozenset(dir(builtins))


def _norm(name: str | None) -> str | None:
    """``torch.nn.Linear`` and ``nn.Linear`` are the same constructor."""
    if name is not None and name.startswith("torch.nn."):
        return name[len("torch.") :]
    return name


def _keras(target: str, ctx) -> str:
    return target.replace("keras.", f"{ctx.keras}.", 1) if target.startswith("keras.") else target


def _assignments(node: cst.CSTNode) -> list[cst.Assign]:
    """Every assignment statement under ``node`` (branches included)."""

    class Finder(HookVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[cst.Assign] = []

        def visit_Assign(self, n: cst.Assign) -> None:
            self.found.append(n)

    finder = Finder()
    walk(node, finder)
    return finder.found


def _self_attr(node: cst.BaseExpression) -> str | None:
    """``attr`` for ``self.attr``, None for anything else."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value, keyword=cst.Name(name), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    )


def _has_kw(call: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name for a in call.args)


def _add_kw(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    if _has_kw(call, name) or any(a.star == "**" for a in call.args):
        return call
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=[*args, _kw(name, value)])


def _string(value: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{value}"')


def _literal(node: cst.BaseExpression):
    """The Python value of a literal (string, number, True/False/None), else a sentinel."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return _NOT_LITERAL


_NOT_LITERAL = object()


def _config_name(function: cst.FunctionDef, ctx) -> str | None:
    """The parameter of ``__init__`` that holds the model config, if there is one."""
    for param in function.params.params:
        annotation = param.annotation
        if param.name.value == "config" or (
            annotation is not None and dotted(annotation.annotation) == ctx.config_class
        ):
            return param.name.value
    return None


def _initializer_attribute(ctx) -> str:
    """The config attribute holding the init std (``initializer_range`` unless the context says)."""
    attr = getattr(ctx, "initializer_attr", None)
    return "initializer_range" if attr is None else attr


def _config_has_initializer(ctx, config_class: str | None = None) -> bool:
    """Whether the config defines the init std; a model initialising with constants has none (Keras' default then),
    nor has one whose std may be None (the context's ``initializer_attr`` is then "").

    Where some configuration class of the model lacks the field (a composite config's parts), only
    a config annotated with a class that has it is read; an unannotated one may be any part.
    """
    attr = _initializer_attribute(ctx)
    if not (bool(attr) and (not ctx.config_attributes or attr in ctx.config_attributes)):
        return False
    missing = getattr(ctx, "configs_without_initializer", frozenset())
    return not missing or (config_class is not None and config_class not in missing)


class _InInit(Rule):
    """Tracks the class and ``__init__`` being visited (a rule's view of "config in scope")."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.classes: list[str] = []
        self.functions: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.functions.append(node)
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.functions.pop()
        return updated

    @property
    def in_init(self) -> bool:
        return bool(self.classes and self.functions and self.functions[-1].name.value == "__init__")

    def config_in_scope(self) -> str | None:
        for function in reversed(self.functions):
            name = _config_name(function, self.ctx)
            if name is not None:
                return name
        return None

    def config_class_in_scope(self) -> str | None:
        """The class the config parameter in scope is annotated with, if it is."""
        for function in reversed(self.functions):
            name = _config_name(function, self.ctx)
            if name is not None:
                param = next(p for p in function.params.params if p.name.value == name)
                return dotted(param.annotation.annotation) if param.annotation is not None else None
        return None


def _bind(call: cst.Call, params: tuple[str, ...]) -> tuple[dict[str, cst.BaseExpression], list[str]]:
    """PyTorch arguments by parameter name; the second item lists what could not be bound."""
    bound: dict[str, cst.BaseExpression] = {}
    problems: list[str] = []
    for i, arg in enumerate(call.args):
        if arg.star:
            problems.append(f"{arg.star}{Rule.code(arg.value)}")
        elif arg.keyword is None:
            if i < len(params):
                bound[params[i]] = arg.value
            else:
                problems.append(Rule.code(arg.value))
        elif arg.keyword.value in params:
            bound[arg.keyword.value] = arg.value
        else:
            problems.append(f"{arg.keyword.value}=")
    return bound, problems


def _render(template: str, bound: dict[str, str], defaults: dict[str, str]) -> str | None:
    """Fill ``{param}`` slots with argument code; None when a slot has neither argument nor default."""
    values = {}
    slots = _slots(template)
    for name in slots:
        code = bound.get(name, defaults.get(name))
        if code is None:
            return None
        alone = template == f"{{{name}}}"
        values[name] = code if alone or _atomic(code) else f"({code})"
    return template.format(**values)


def _atomic(code: str) -> bool:
    """Whether code needs no parentheses inside a larger expression."""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    return isinstance(
        node, cst.Name | cst.Attribute | cst.Integer | cst.Float | cst.SimpleString | cst.Call | cst.Subscript
    )


def _slots(template: str) -> list[str]:
    import string

    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def _class_bases(module: cst.Module, ctx) -> dict[str, list[str]]:
    """TF class -> its base names, reused classes included (they are placeholders while rules run).

    A reused twin's bases are read from its PyTorch class as the naming rules would write them,
    so a converted class deriving from a reused ``TFXPreTrainedModel`` is still known to be a
    Keras model (whose reserved attributes, such as ``layers``, it must not assign).
    """
    out: dict[str, list[str]] = {}
    for pt_name in ctx.reused:
        out[ctx.tf_name(pt_name)] = [_tf_base(b, ctx) for b in ctx.class_bases.get(pt_name, [])]
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            out[stmt.name.value] = [dotted(b.value) or "" for b in stmt.bases]
    return out


def _tf_base(pt_base: str, ctx) -> str:
    if pt_base in ctx.local_classes:
        return ctx.tf_name(pt_base)
    mapped = BASE_CLASSES.get(pt_base, pt_base)
    return _keras(mapped, ctx) if mapped else pt_base


def _ancestors(name: str, bases: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for base in bases.get(todo.pop(), []):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


class _Rename(HookTransformer):
    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        attr = _self_attr(updated)
        if attr in self.renames:
            return updated.with_changes(attr=cst.Name(self.renames[attr]))
        return updated


def _assigned_attributes(cls: cst.ClassDef) -> set[str]:
    found: set[str] = set()

    class Visitor(HookVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            attr = _self_attr(node.target)
            if attr is not None:
                found.add(attr)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            attr = _self_attr(node.target)
            if attr is not None:
                found.add(attr)

    walk(cls, Visitor())
    return found


def _paren_expr(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` in parentheses where it is a boolean operation, so ``not``/``and`` keep their meaning."""
    if isinstance(node, cst.BooleanOperation | cst.IfExp) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _free_names(node: cst.CSTNode) -> list[str]:
    """Names an expression reads (not attributes, keywords or builtins), in order of appearance."""
    names: list[str] = []

    class Visitor(HookVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            walk(node.value, self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            walk(node.value, self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value not in _MODULE_NAMES and node.value not in names:
                names.append(node.value)

    walk(node, Visitor())
    return names


class _Replace(HookTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)  # ``x.config`` stays an attribute

    def visit_Arg(self, node: cst.Arg) -> bool:
        return True

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if updated.value in self.names:
            return cst.parse_expression(self.names[updated.value])  # type: ignore[return-value]
        return updated
