"""A module-level table of layer classes, called through a lookup, becomes the choice it makes.

``NORM2FN = {"layer_norm": nn.LayerNorm, "no_norm": NoNorm}`` then
``self.LayerNorm = NORM2FN[config.normalization_type](config.hidden_size, eps=eps)``: the table
holds a torch class, which TF lacks at import time, and the lookup hides the constructor call
from the layer rules (``nn.LayerNorm``'s arguments are not Keras'). Each call through the table
becomes a conditional expression with one constructor call per entry, which the layer and
naming rules convert like any other; the table goes when nothing else reads it.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted
from scaffold.cstwalk import walk


def _layer_tables(module: cst.Module, local_classes: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Module-level ``NAME = {"key": Class, ...}`` whose values are classes and one at least a torch layer."""
    found: dict[str, list[tuple[str, str]]] = {}
    for stmt in module.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        assign = stmt.body[0]
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Dict)):
            continue
        target = assign.targets[0].target
        if not isinstance(target, cst.Name):
            continue
        entries = []
        for element in assign.value.elements:
            if not (isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)):
                break
            value = dotted(element.value) or ""
            if value not in T.LAYERS and value not in local_classes:
                break
            entries.append((element.key.evaluated_value, value))
        else:
            if entries and any(value in T.LAYERS for _, value in entries):
                found[target.value] = entries  # type: ignore[assignment]
    return found


class _Uses(HookVisitor):
    """How often each table name is read, and how often as ``TABLE[key](...)``."""

    def __init__(self, tables: set[str]) -> None:
        self.tables = tables
        self.names_looked_for = tables  # only subtrees naming a table hold anything counted here
        self.reads: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.tables:
            self.reads[node.value] = self.reads.get(node.value, 0) + 1

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Name) and func.value.value in self.tables:
            self.calls[func.value.value] = self.calls.get(func.value.value, 0) + 1


class ExpandLayerTables(Rule):
    """``TABLE[key](args)`` over a table of layer classes -> one constructor call per entry (see the module doc)."""

    name = "expand-layer-tables"
    summary = (
        'NORM2FN[config.kind](n) with NORM2FN = {"layer_norm": nn.LayerNorm, ...} -> nn.LayerNorm(n) if ... else ...'
    )
    examples = (
        Example(
            before="""
NORM2FN = {"layer_norm": nn.LayerNorm, "no_norm": NoNorm}


class MobileBertEmbeddings(nn.Module):
    def __init__(self, config):
        self.LayerNorm = NORM2FN[config.normalization_type](config.hidden_size, eps=config.layer_norm_eps)
        self.Other = NORM2FN["layer_norm"](config.hidden_size)
""",
            after="""
class MobileBertEmbeddings(nn.Module):
    def __init__(self, config):
        self.LayerNorm = (
            nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            if config.normalization_type == "layer_norm"
            else NoNorm(config.hidden_size, eps=config.layer_norm_eps)
        )
        self.Other = nn.LayerNorm(config.hidden_size)
""",
            context=(("local_classes", {"NoNorm", "MobileBertEmbeddings"}),),
        ),
        Example(
            before="""
BERT_ATTENTION_CLASSES = {"eager": BertSelfAttention, "sdpa": BertSdpaSelfAttention}
""",
            after="""
BERT_ATTENTION_CLASSES = {"eager": BertSelfAttention, "sdpa": BertSdpaSelfAttention}
""",
            note="a table of the module's own classes only is the attention-implementation rules' business",
            context=(("local_classes", {"BertSelfAttention", "BertSdpaSelfAttention"}),),
        ),
    )

    name_gated = frozenset({"Call", "SimpleStatementLine"})  # a table's call, a table's assignment

    def names_reacted_to(self) -> Iterable[str]:
        return self.tables

    def visit_Module(self, node: cst.Module) -> bool:
        self.tables = _layer_tables(node, self.ctx.local_classes)
        self.drop: set[str] = set()
        if not self.tables:
            return True
        uses = _Uses(set(self.tables))
        walk(node, uses)
        # the assignment itself reads the name once
        self.drop = {name for name in self.tables if uses.reads.get(name, 0) == uses.calls.get(name, 0) + 1}
        return True

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not (
            isinstance(func, cst.Subscript) and isinstance(func.value, cst.Name) and func.value.value in self.tables
        ):
            return updated
        if len(func.slice) != 1 or not isinstance(func.slice[0].slice, cst.Index):
            return updated
        key = func.slice[0].slice.value
        entries = self.tables[func.value.value]

        def call(cls: str) -> cst.Call:
            return updated.with_changes(func=cst.parse_expression(cls))

        if isinstance(key, cst.SimpleString):
            chosen = dict(entries).get(key.evaluated_value)  # type: ignore[arg-type]
            return call(chosen) if chosen else updated
        result: cst.BaseExpression = call(entries[-1][1])
        for entry_key, cls in reversed(entries[:-1]):
            test = cst.Comparison(
                left=key, comparisons=[cst.ComparisonTarget(cst.Equal(), cst.SimpleString(repr(entry_key)))]
            )
            result = cst.IfExp(test=test, body=call(cls), orelse=result)
        return result.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0] if len(updated.body) == 1 else None
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value in self.drop
        ):
            return cst.RemoveFromParent()
        return updated


RULES: list[type[Rule]] = [ExpandLayerTables]
