"""The ``training`` argument: passed down to every call that trains (dropout, sublayers that use it)."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule, dotted
from scaffold.convert.rules.model.common import (
    ClassFacts,
    _add_keyword_param,
    _append_args,
    _has_keyword,
    _is_self_attr,
    _kwarg,
    _local_bases,
    _param,
    module_classes,
)
from scaffold.cstwalk import walk


def _trains_attrs(info: ClassFacts, trains: set[str], facts: dict[str, ClassFacts], name: str) -> set[str]:
    out: set[str] = set()
    for cls in _local_bases(name, facts):
        for attr, ctors in facts[cls].attrs.items():
            if ctors & (trains | T.TRAINING_LAYERS):
                out.add(attr)
    return out


def _methods(name: str, facts: dict[str, ClassFacts]) -> dict[str, cst.FunctionDef]:
    out: dict[str, cst.FunctionDef] = {}
    for cls in reversed(_local_bases(name, facts)):
        out.update(facts[cls].methods)
    return out


def _loop_vars(func: cst.FunctionDef, attrs: set[str]) -> set[str]:
    """Local names bound to items of ``self.<attr>`` lists (``for layer in self.layer``)."""
    found: set[str] = set()

    def iter_attr(node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Subscript):
            node = node.value
        return _is_self_attr(node) and node.attr.value in attrs

    class _Visitor(HookVisitor):
        def visit_For(self, node: cst.For) -> None:
            it, target = node.iter, node.target
            if isinstance(it, cst.Call) and dotted(it.func) in ("enumerate", "zip"):
                if dotted(it.func) == "enumerate" and it.args and iter_attr(it.args[0].value):
                    if isinstance(target, cst.Tuple) and len(target.elements) == 2:
                        value = target.elements[1].value
                        if isinstance(value, cst.Name):
                            found.add(value.value)
                elif dotted(it.func) == "zip" and isinstance(target, cst.Tuple):
                    for arg, element in zip(it.args, target.elements, strict=False):
                        if iter_attr(arg.value) and isinstance(element.value, cst.Name):
                            found.add(element.value.value)
            elif iter_attr(it) and isinstance(target, cst.Name):
                found.add(target.value)

        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.Subscript) and iter_attr(node.value):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        found.add(target.target.value)

    visitor = _Visitor()
    visitor.names_looked_for = attrs  # an item of self.<attr> names the attribute
    walk(func, visitor)
    return found


def _calls_training(func: cst.FunctionDef, attrs: set[str], methods: set[str]) -> bool:
    loop_vars = _loop_vars(func, attrs)
    hit = False

    class _Visitor(HookVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal hit
            if _is_self_attr(node, "training"):
                hit = True

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal hit
            if _training_callee(node.func, attrs, methods, loop_vars):
                hit = True

    visitor = _Visitor()
    visitor.names_looked_for = {"training", *attrs, *methods, *loop_vars}  # what a training call or read names
    walk(func, visitor)
    return hit


def _training_callee(func: cst.BaseExpression, attrs: set[str], methods: set[str], loop_vars: set[str]) -> bool:
    if isinstance(func, cst.Subscript):
        func = func.value
    if _is_self_attr(func):
        return func.attr.value in attrs or func.attr.value in methods
    return isinstance(func, cst.Name) and func.value in loop_vars


def training_plan(facts: dict[str, ClassFacts]) -> tuple[set[str], dict[str, tuple[set[str], set[str]]]]:
    """Classes whose ``call`` takes ``training``; per class, its training attributes and methods."""
    trains = {n for n, f in facts.items() if f.node is None or f.kind == "model"}
    plan: dict[str, tuple[set[str], set[str]]] = {}
    for _ in range(len(facts) + 2):
        changed = False
        for name, info in facts.items():
            if info.node is None or info.kind == "other":
                continue
            attrs = _trains_attrs(info, trains, facts, name)
            methods = _methods(name, facts)
            needing: set[str] = set()
            for _ in range(len(methods) + 1):
                before = len(needing)
                for mname, func in methods.items():
                    if mname not in ("__init__", "build") and mname not in needing:
                        if _calls_training(func, attrs, needing):
                            needing.add(mname)
                if len(needing) == before:
                    break
            if info.kind == "model" and "call" in methods:
                needing.add("call")
            plan[name] = (attrs, needing)
            if "call" in needing and name not in trains:
                trains.add(name)
                changed = True
        if not changed:
            break
    return trains, plan


class TrainingArgument(Rule):
    """``training`` replaces ``self.training``: a ``call`` argument, passed down to every sublayer that needs it.

    A layer needs it when it (or a sublayer, transitively, also through ``self.layer[i]`` and
    loops over layer lists) holds a Dropout; every public model ``call`` takes it. Keras ignores
    ``training`` for a layer whose ``call`` does not accept it, so passing it to a reused layer is
    always safe.
    """

    name = "training-argument"
    summary = "Add `training: bool = False` to calls that need it, pass training=training, self.training -> training."
    examples = (
        Example(
            before="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def call(self, hidden_states):
        return self.dropout(self.dense(hidden_states))


class TFBertLayer(keras.layers.Layer):
    def __init__(self, config):
        self.output = TFBertOutput(config)
        self.pooler = TFBertPooler(config)

    def call(self, hidden_states):
        hidden_states = self.pooler(hidden_states)
        return self.feed_forward_chunk(hidden_states)

    def feed_forward_chunk(self, x):
        return self.output(x)


class TFBertPooler(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)

    def call(self, hidden_states):
        return self.dense(hidden_states)


class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(2)])

    def call(self, hidden_states, **kwargs):
        for i, layer_module in enumerate(self.layer):
            hidden_states = layer_module(hidden_states)
        if self.training:
            hidden_states = self.layer[0](hidden_states)
        return hidden_states
""",
            after="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def call(self, hidden_states, training: bool = False):
        return self.dropout(self.dense(hidden_states), training=training)


class TFBertLayer(keras.layers.Layer):
    def __init__(self, config):
        self.output = TFBertOutput(config)
        self.pooler = TFBertPooler(config)

    def call(self, hidden_states, training: bool = False):
        hidden_states = self.pooler(hidden_states)
        return self.feed_forward_chunk(hidden_states, training=training)

    def feed_forward_chunk(self, x, training: bool = False):
        return self.output(x, training=training)


class TFBertPooler(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)

    def call(self, hidden_states):
        return self.dense(hidden_states)


class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(2)])

    def call(self, hidden_states, training: bool = False, **kwargs):
        for i, layer_module in enumerate(self.layer):
            hidden_states = layer_module(hidden_states, training=training)
        if training:
            hidden_states = self.layer[0](hidden_states, training=training)
        return hidden_states
""",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        _trains, self.plan = training_plan(self.facts)
        self.classes: list[str | None] = []
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        self.classes.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if not self.classes or self.classes[-1] not in self.plan:
            return updated
        if len(self.classes) > 1 or not updated.params.params or updated.params.params[0].name.value != "self":
            return updated
        attrs, needing = self.plan[self.classes[-1]]
        if updated.name.value not in needing:
            return updated
        loop_vars = _loop_vars(updated, attrs)
        func = walk(updated, _PassTraining(attrs, needing, loop_vars))
        return func.with_changes(params=_add_keyword_param(func.params, _param("training", "bool", "False")))


class _PassTraining(HookTransformer):
    def __init__(self, attrs: set[str], methods: set[str], loop_vars: set[str]) -> None:
        super().__init__()
        self.attrs, self.methods, self.loop_vars = attrs, methods, loop_vars

    def leave_Attribute(self, original, updated):
        if _is_self_attr(updated, "training"):
            return cst.Name("training")
        return updated

    def leave_Call(self, original, updated):
        if _training_callee(original.func, self.attrs, self.methods, self.loop_vars) and not _has_keyword(
            updated, "training"
        ):
            return _append_args(updated, [_kwarg("training", cst.Name("training"))])
        return updated
