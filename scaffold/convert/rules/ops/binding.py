"""Torch signatures and TF templates: binding a call's arguments to its table entry and filling the template."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from scaffold.convert import tables_ops as T
from scaffold.convert.rules.base import HookTransformer, Rule, dotted, names_in
from scaffold.cstwalk import walk

# -- signatures and templates ------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None = None
    varargs: bool = False
    kwonly: bool = False


def _parse_signature(text: str) -> tuple[Param, ...]:
    params: list[Param] = []
    kwonly = False
    for raw in (p.strip() for p in text.split(",")):
        if not raw:  # a function without parameters
            continue
        if raw == "*":
            kwonly = True
            continue
        name, _, default = raw.partition("=")
        if name.startswith("*"):
            params.append(Param(name[1:], varargs=True))
            kwonly = True
            continue
        params.append(Param(name, default or None, kwonly=kwonly))
    return tuple(params)


@dataclass(frozen=True)
class OpSpec:
    params: tuple[Param, ...]
    variants: tuple[tuple[tuple[str, ...], str | None], ...]

    @classmethod
    def of(cls, entry: tuple) -> OpSpec:
        signature, *variants = entry
        norm = tuple(v if isinstance(v, tuple) else ((), v) for v in variants)
        return cls(_parse_signature(signature), norm)


_PLACEHOLDER = "__op_"


class _VarArgs:
    """The arguments a ``*name`` parameter collected."""

    def __init__(self, args: list[cst.Arg]) -> None:
        self.args = args

    def as_value(self) -> cst.BaseExpression:
        if len(self.args) == 1:
            arg = self.args[0]
            if arg.star == "*":
                return arg.value
            if not _is_int_literal(arg.value):
                return arg.value
        return cst.List([cst.StarredElement(a.value) if a.star == "*" else cst.Element(a.value) for a in self.args])


def _is_int_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def _literal_int(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal_int(node.expression)
        return None if inner is None else -inner
    return None


def _is_atomic(node: cst.BaseExpression) -> bool:
    return bool(node.lpar) or isinstance(
        node,
        cst.Name
        | cst.Attribute
        | cst.Call
        | cst.Subscript
        | cst.SimpleString
        | cst.FormattedString
        | cst.Integer
        | cst.Float
        | cst.List
        | cst.Tuple
        | cst.Dict,
    )


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return node if _is_atomic(node) else node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Unbound(Exception):
    """The call cannot be bound to the signature or filled into a template; the reason is the text."""


def _bind(
    spec: OpSpec, receiver: cst.BaseExpression | None, args: tuple[cst.Arg, ...]
) -> dict[str, cst.BaseExpression | _VarArgs]:
    positional = [a for a in args if a.keyword is None]
    keywords = {a.keyword.value: a for a in args if a.keyword is not None}
    names = {p.name for p in spec.params}
    for alias, name in T.ARGUMENT_ALIASES.items():
        if alias in keywords and alias not in names and name in names and name not in keywords:
            keywords[name] = keywords.pop(alias)
    if any(a.star == "**" for a in args):
        raise _Unbound("**kwargs cannot be bound to the torch signature")
    bound: dict[str, cst.BaseExpression | _VarArgs] = {}
    queue: list[cst.Arg] = ([cst.Arg(receiver)] if receiver is not None else []) + positional
    for param in spec.params:
        if param.varargs:
            if queue:
                bound[param.name] = _VarArgs(queue)
                queue = []
            elif param.name in keywords:
                bound[param.name] = _VarArgs([keywords.pop(param.name).with_changes(keyword=None, equal=None)])
            continue
        if not param.kwonly and queue:
            arg = queue.pop(0)
            if arg.star:
                raise _Unbound("a starred argument where torch expects one value")
            bound[param.name] = arg.value
        elif param.name in keywords:
            bound[param.name] = keywords.pop(param.name).value
    if queue:
        raise _Unbound("more positional arguments than the torch signature takes")
    for name in list(keywords):
        if name in T.IGNORED_PARAMS:
            keywords.pop(name)
    if keywords:
        raise _Unbound(f"argument {', '.join(keywords)} has no TF counterpart in the ops table")
    return bound


def _present(spec: OpSpec, bound: dict, name: str) -> bool:
    if name not in bound:
        return False
    param = next(p for p in spec.params if p.name == name)
    value = bound[name]
    if param.default is not None and isinstance(value, cst.BaseExpression):
        return Rule.code(value).replace('"', "'") != param.default.replace('"', "'")
    return True


def _choose(spec: OpSpec, bound: dict) -> str | None:
    for required, template in spec.variants:
        if all(_present(spec, bound, r) for r in required):
            if template is None:
                given = ", ".join(required)
                raise _Unbound(f"{given} given: no faithful TF counterpart in the ops table")
            return template
    raise _Unbound("a required argument is missing")


def _placeholders(template: str, params: tuple[Param, ...]) -> str:
    for param in params:
        template = re.sub(rf"(?<![\w.]){param.name}\b(?!\s*=(?!=))", _PLACEHOLDER + param.name, template)
    return template


class _Fill(HookTransformer):
    def __init__(self, spec: OpSpec, bound: dict) -> None:
        super().__init__()
        self.spec = spec
        self.bound = bound
        self.defaults = {p.name: p.default for p in spec.params if p.default is not None}
        self.tight: set[int] = set()
        self.in_arg: set[int] = set()  # placeholders that are a call's argument: filled in leave_Call

    # where an argument expression needs parentheses: as an operand or before ``.``/``[``
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.tight.add(id(node.value))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.tight.add(id(node.value))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self.tight.update((id(node.left), id(node.right)))

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self.tight.add(id(node.expression))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self.tight.update([id(node.left), *(id(c.comparator) for c in node.comparisons)])

    def visit_Arg(self, node: cst.Arg) -> None:
        self.in_arg.add(id(node.value))

    def _lookup(self, name: str):
        if name in self.bound:
            return self.bound[name]
        if name in self.defaults:
            return cst.parse_expression(self.defaults[name])
        return None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args: list[cst.Arg] = []
        missing_positional = False
        for arg in updated.args:
            value = arg.value
            if isinstance(value, cst.Name) and value.value.startswith(_PLACEHOLDER):
                name = value.value[len(_PLACEHOLDER) :]
                found = self._lookup(name)
                if found is None:
                    if arg.keyword is None:
                        missing_positional = True
                    continue
                if missing_positional and arg.keyword is None:
                    raise _Unbound(f"{name} given but an earlier optional argument is not")
                if isinstance(found, _VarArgs):
                    if arg.star == "*":
                        args.extend(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in found.args)
                        continue
                    found = found.as_value()
                if found.lpar and not isinstance(found, cst.Tuple | cst.GeneratorExp):
                    found = found.with_changes(lpar=[], rpar=[])  # an argument needs no parentheses
                args.append(arg.with_changes(value=found, comma=cst.MaybeSentinel.DEFAULT))
                continue
            if missing_positional and arg.keyword is None:
                raise _Unbound("a positional argument after a missing one")
            args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return updated.with_changes(args=args)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if not updated.value.startswith(_PLACEHOLDER) or id(original) in self.in_arg:
            return updated
        name = updated.value[len(_PLACEHOLDER) :]
        found = self._lookup(name)
        if found is None:
            raise _Unbound(f"{name} is needed and not given")
        if isinstance(found, _VarArgs):
            found = found.as_value()
        return _paren(found) if id(original) in self.tight else found

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison) -> cst.BaseExpression:
        # fold ``"tanh" == 'tanh'`` left by a literal argument
        if (
            len(updated.comparisons) == 1
            and isinstance(updated.left, cst.SimpleString)
            and isinstance(updated.comparisons[0].comparator, cst.SimpleString)
            and isinstance(updated.comparisons[0].operator, cst.Equal | cst.NotEqual)
        ):
            same = updated.left.evaluated_value == updated.comparisons[0].comparator.evaluated_value
            if isinstance(updated.comparisons[0].operator, cst.NotEqual):
                same = not same
            return cst.Name(str(same))
        return updated


def _fill(spec: OpSpec, template: str, bound: dict) -> cst.BaseExpression:
    expr = cst.parse_expression(_placeholders(template, spec.params))
    return walk(expr, _Fill(spec, bound))


def _register(ctx, node: cst.CSTNode) -> None:
    """Support helpers and imports the emitted code uses."""
    names = names_in(node)
    pending = [n for n in names if n in T.SUPPORT]
    while pending:
        name = pending.pop()
        if name in ctx.support:
            continue
        ctx.need_support(name, T.SUPPORT[name].strip() + "\n")
        pending.extend(T.SUPPORT_NEEDS.get(name, ()))
        names |= set(re.findall(r"\b\w+\b", T.SUPPORT[name]))
    for name, line in T.IMPORTS.items():
        if name in names:
            ctx.imports.add(line)


def _with_parens(new: cst.BaseExpression, old: cst.BaseExpression) -> cst.BaseExpression:
    if old.lpar and not new.lpar:
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


def _looks_like_dtype(node: cst.BaseExpression) -> bool:
    name = dotted(node) or ""
    return (
        name in {f"tf.{d.split('.')[1]}" for d in T.DTYPES.values()}
        or name.startswith("torch.")
        and name.split(".")[-1] in T.DTYPES
        or name.endswith("dtype")
        or isinstance(node, cst.Call)
        and dotted(node.func) == "tf.as_dtype"
    )
