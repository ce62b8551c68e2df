"""A walk of a libcst tree that rebuilds only what changed.

libcst's own ``node.visit(walker)`` rebuilds every node it enters, a transformer's or a visitor's,
and asks the walker for an attribute hook before and after every field of every node. The
converter's ~60 walks of a 2,000-line module spent most of their time there, not in the rules.
These walks call the same ``on_visit``/``on_leave`` hooks in the same order (libcst's field order,
learned from libcst itself once per node type), with libcst's rules for removed and flattened
children, but a node none of whose children changed comes out as the same object, and attribute
hooks are called only for walkers that have some.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import libcst as cst

_REQUIRED, _OPTIONAL, _SENTINEL = 0, 1, 2  # what a single-node field becomes when its node is removed

# node type -> its fields in libcst's visiting order: (name, removal kind, whether a statement body)
_FIELDS: dict[type, tuple[tuple[str, int, bool], ...]] = {}
_IS_NODE: dict[type, bool] = {}


class _FieldOrder(cst.CSTTransformer):
    """Records the fields libcst visits, in its order, without entering them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        return updated_node

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.names.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def _fields(node: cst.CSTNode) -> tuple[tuple[str, int, bool], ...]:
    kind = type(node)
    found = _FIELDS.get(kind)
    if found is None:
        recorder = _FieldOrder()
        node._visit_and_replace_children(recorder)
        declared = {f.name: f for f in dataclasses.fields(kind)}
        # a field libcst visits only when it is set (an f-string's format spec) was not seen on this
        # node: such fields come last in libcst's order too
        names = list(dict.fromkeys(recorder.names)) + [n for n in declared if n not in recorder.names]
        body = kind in (cst.Module, cst.IndentedBlock)
        rows = []
        for name in names:
            default = declared[name].default if name in declared else dataclasses.MISSING
            removal = (
                _OPTIONAL if default is None else _SENTINEL if default is cst.MaybeSentinel.DEFAULT else _REQUIRED
            )
            rows.append((name, removal, body and name == "body"))
        found = _FIELDS[kind] = tuple(rows)
    return found


def _is_node(value: object) -> bool:
    """Whether a field's value is a node (cached per type: an ABC check on every field is slow)."""
    kind = type(value)
    found = _IS_NODE.get(kind)
    if found is None:
        found = _IS_NODE[kind] = isinstance(value, cst.CSTNode)
    return found


def _attribute_hooks(walker: object) -> bool:
    """Whether the walker's class overrides libcst's attribute hooks (then they are called)."""
    kind = type(walker)
    found = kind.__dict__.get("_walk_attribute_hooks")
    if found is None:
        base = cst.CSTTransformer if cst.CSTTransformer in kind.__mro__ else cst.CSTVisitor
        found = (
            kind.on_visit_attribute is not base.on_visit_attribute
            or kind.on_leave_attribute is not base.on_leave_attribute
            or any(
                attribute.partition("_")[0] in ("visit", "leave") and "_" in attribute.partition("_")[2]
                for klass in kind.__mro__
                if not klass.__module__.startswith("libcst") and klass is not object
                for attribute in klass.__dict__
            )
        )
        # a class made inside a function is made anew on every call: keep the answer on it anyway
        kind._walk_attribute_hooks = found
    return found


class _Walk:
    """One walk: the walker, whether it has attribute hooks, and which subtrees it may pass over.

    A walker may say which node kinds it has hooks for (``subtree_filter``, asked once the root is visited:
    a function giving the kind bits of a node and everything below it, and the bits of its hooks); a child
    whose subtree holds none of them is passed over without a call, as the walker's own ``on_visit`` would
    have declined it.
    """

    __slots__ = ("walker", "attributes", "filter", "kinds", "mask")

    def __init__(self, walker: cst.CSTVisitor | cst.CSTTransformer) -> None:
        self.walker = walker
        self.attributes = _attribute_hooks(walker)
        subtree_filter = getattr(walker, "subtree_filter", None)
        # asked once the root is visited: a walker may learn there what it reacts to (a rule, in visit_Module)
        self.filter = subtree_filter if subtree_filter is not None and not self.attributes else None
        self.kinds: Callable[[cst.CSTNode], int] | None = None
        self.mask: int | None = None if self.filter is not None else -1

    def _learn_filter(self) -> int:
        assert self.filter is not None
        self.kinds, self.mask = self.filter()
        return self.mask

    def transform(self, node: cst.CSTNode) -> Any:
        walker = self.walker
        if not walker.on_visit(node):
            return walker.on_leave(node, node)
        attributes, kinds, mask = self.attributes, self.kinds, self.mask
        if mask is None:
            mask = self._learn_filter()
            kinds = self.kinds
        changes: dict[str, Any] | None = None
        for name, removal, body in _FIELDS.get(type(node)) or _fields(node):
            value = getattr(node, name)
            of = type(value)
            if of is tuple or of is list:
                if attributes:
                    walker.on_visit_attribute(node, name)
                items = self.transform_sequence(value, body)
                if attributes:
                    walker.on_leave_attribute(node, name)
                if items is not None or of is list:
                    changes = changes or {}
                    changes[name] = tuple(value) if items is None else items
                continue
            is_node = _IS_NODE.get(of)
            if not (is_node or (is_node is None and _is_node(value))):
                if attributes:
                    walker.on_visit_attribute(node, name)
                    walker.on_leave_attribute(node, name)
                continue
            if kinds is not None and not kinds(value) & mask:
                continue
            if attributes:
                walker.on_visit_attribute(node, name)
            result = self.transform(value)
            if attributes:
                walker.on_leave_attribute(node, name)
            if result is value:
                continue
            if type(result) is cst.FlattenSentinel:
                raise TypeError(f"We got a FlattenSentinel while visiting a {of.__name__}: its parent holds one node")
            if result is cst.RemovalSentinel.REMOVE:
                if removal == _REQUIRED:
                    raise TypeError(f"We got a RemovalSentinel while visiting a {of.__name__}: its parent needs it")
                result = None if removal == _OPTIONAL else cst.MaybeSentinel.DEFAULT
            changes = changes or {}
            changes[name] = result
        updated = node.with_changes(**changes) if changes else node
        return walker.on_leave(node, updated)

    def transform_sequence(self, items: tuple | list, body: bool) -> tuple | None:
        """The walked items, or None when every one came back as it was."""
        kinds, mask = self.kinds, self.mask
        out: list | None = None
        for index, item in enumerate(items):
            if not _is_node(item) or (kinds is not None and not kinds(item) & mask):
                result = item
            else:
                result = self.transform(item)
            if result is item:
                if out is not None:
                    out.append(item)
                continue
            if out is None:
                out = list(items[:index])
            if result is cst.RemovalSentinel.REMOVE:
                continue
            if type(result) is cst.FlattenSentinel:
                for child in result:
                    # in a statement body, a line emptied by removals goes (libcst's visit_body_sequence)
                    if body and not item._is_removable() and child._is_removable():
                        continue
                    out.append(child)
                continue
            if body and not item._is_removable() and result._is_removable():
                continue
            out.append(result)
        return None if out is None else tuple(out)

    def visit(self, node: cst.CSTNode) -> None:
        visitor = self.walker
        if visitor.on_visit(node):
            attributes, kinds, mask = self.attributes, self.kinds, self.mask
            if mask is None:
                mask = self._learn_filter()
                kinds = self.kinds
            for name, _removal, _body in _FIELDS.get(type(node)) or _fields(node):
                value = getattr(node, name)
                if attributes:
                    visitor.on_visit_attribute(node, name)
                of = type(value)
                if of is tuple or of is list:
                    for item in value:
                        if _is_node(item) and (kinds is None or kinds(item) & mask):
                            self.visit(item)
                else:
                    is_node = _IS_NODE.get(of)
                    if (is_node or (is_node is None and _is_node(value))) and (kinds is None or kinds(value) & mask):
                        self.visit(value)
                if attributes:
                    visitor.on_leave_attribute(node, name)
        visitor.on_leave(node)


def walk(node: cst.CSTNode, walker: cst.CSTVisitor | cst.CSTTransformer) -> Any:
    """``node.visit(walker)``: what a transformer makes of the node, the node itself for a visitor."""
    # the class's MRO, not isinstance: libcst's bases are ABCs, and a check against them for a class
    # made inside a function (made anew on every call) scans every subclass of the base
    if cst.CSTTransformer in type(walker).__mro__:
        return _Walk(walker).transform(node)
    _Walk(walker).visit(node)
    return node
