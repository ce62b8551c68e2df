"""Helpers the model rules share: small CST builders, and what the module's classes are."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scaffold.convert.rules.base import ConvertContext, HookTransformer, HookVisitor, dotted
from scaffold.cstwalk import walk

_REUSED_PLACEHOLDER = "__tfscaffold_reused__"


# -- small libcst helpers ---------------------------------------------------------------------------
def _name_const(node: cst.BaseExpression) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _bool(value: bool) -> cst.Name:
    return cst.Name("True" if value else "False")


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(value=value, keyword=cst.Name(name), equal=eq)


def _append_args(call: cst.Call, new: list[cst.Arg]) -> cst.Call:
    """Add ``new`` to ``call``: positional ones (and ``*x``) before the first keyword or ``**x``, since
    Python forbids ``*x`` after ``**y``; keywords and ``**x`` at the end."""
    if not new:
        return call
    args = list(call.args)
    last_comma = args[-1].comma if args else cst.MaybeSentinel.DEFAULT
    for arg in new:
        if arg.keyword is None and arg.star != "**":
            at = next((i for i, a in enumerate(args) if a.keyword is not None or a.star == "**"), len(args))
            args.insert(at, arg)
        else:
            args.append(arg)
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    tail = args[-1].with_changes(comma=last_comma)
    args = [a if isinstance(a.comma, cst.Comma) else a.with_changes(comma=comma) for a in args[:-1]] + [tail]
    return call.with_changes(args=args)


def _has_keyword(call: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name for a in call.args)


def _is_self_attr(node: cst.CSTNode, attr: str | None = None) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and (attr is None or node.attr.value == attr)
    )


def _docstring_of(body: list[cst.BaseStatement]) -> cst.BaseStatement | None:
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
        if isinstance(body[0].body[0].value, cst.SimpleString | cst.ConcatenatedString):
            return body[0]
    return None


def _param(name: str, annotation: str | None = None, default: str | None = None) -> cst.Param:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Param(
        name=cst.Name(name),
        annotation=cst.Annotation(cst.parse_expression(annotation)) if annotation else None,
        default=cst.parse_expression(default) if default else None,
        equal=eq if default and annotation else cst.MaybeSentinel.DEFAULT,
    )


def _param_names(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}
    if isinstance(params.star_arg, cst.Param):
        names.add(params.star_arg.name.value)
    if params.star_kwarg is not None:
        names.add(params.star_kwarg.name.value)
    return names


def _add_keyword_param(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """Add a parameter with a default where keyword parameters go (before ``**kwargs``)."""
    if param.name.value in _param_names(params):
        return params
    if isinstance(params.star_arg, cst.Param | cst.ParamStar):
        return params.with_changes(kwonly_params=[*params.kwonly_params, param])
    return params.with_changes(params=[*params.params, param])


def _class_bases(node: cst.ClassDef) -> list[str]:
    return [dotted(a.value) or "" for a in node.bases]


def _nonempty(stmts: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    return stmts or [cst.SimpleStatementLine([cst.Pass()])]


class _EmptyBlocks(HookTransformer):
    """Blocks left empty by removals get a ``pass``."""

    def leave_IndentedBlock(self, original, updated):
        if not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated


# -- what the module's classes are ------------------------------------------------------------------
@dataclass
class ClassFacts:
    """A class of the module being converted, as it stands after the naming rules."""

    node: cst.ClassDef | None
    bases: list[str]
    kind: str  # "layer", "model" or "other"
    attrs: dict[str, set[str]] = field(default_factory=dict)  # self.<attr> -> constructor names in its value
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)


def _constructors(node: cst.CSTNode) -> set[str]:
    """Names of everything called in an expression (``TFBertLayer``, ``Dropout`` for ``nn.Dropout``)."""
    found: set[str] = set()

    class _Visitor(HookVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            name = dotted(call.func)
            if name:
                found.add(name.split(".")[-1])

    walk(node, _Visitor())
    return found


def module_classes(module: cst.Module, ctx: ConvertContext) -> dict[str, ClassFacts]:
    """Every class of the module (TF names), its kind and its sublayer attributes."""
    facts: dict[str, ClassFacts] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            info = ClassFacts(stmt, _class_bases(stmt), "other")
            for member in stmt.body.body:
                if isinstance(member, cst.FunctionDef):
                    info.methods[member.name.value] = member
            init = info.methods.get("__init__")
            if init is not None:
                for assign in _assignments(init):
                    for target in assign.targets:
                        if _is_self_attr(target.target):
                            attr = target.target.attr.value
                            info.attrs.setdefault(attr, set()).update(_constructors(assign.value))
            facts[stmt.name.value] = info
    for pt_name in ctx.reused:
        kind = "model" if ctx.derives_from(pt_name, "PreTrainedModel") else "layer"
        facts.setdefault(ctx.tf_name(pt_name), ClassFacts(None, [], kind))

    def kind_of(name: str, seen: frozenset[str]) -> str:
        info = facts.get(name)
        if info is None or name in seen:
            return "other"
        if info.node is None:
            return info.kind
        for base in info.bases:
            if base.endswith("PreTrainedModel") and base not in facts:
                return "model"
            if (
                base.endswith("layers.Layer")
                or base in ("Layer", "Module")
                or base.startswith(("nn.", "keras.layers."))
            ):
                return "layer"  # also subclasses of a concrete layer (nn.Embedding -> keras.layers.Embedding)
            inherited = kind_of(base, seen | {name})
            if inherited != "other":
                return inherited
        return "other"

    for name, info in facts.items():
        if info.node is not None:
            info.kind = kind_of(name, frozenset())
    return facts


def _assignments(node: cst.CSTNode) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class _Visitor(HookVisitor):
        def visit_Assign(self, assign: cst.Assign) -> None:
            found.append(assign)

    walk(node, _Visitor())
    return found


def _local_bases(name: str, facts: dict[str, ClassFacts]) -> list[str]:
    """The class and its local bases, nearest first."""
    out: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop(0)
        if current in out or current not in facts:
            continue
        out.append(current)
        todo.extend(facts[current].bases)
    return out
