"""The rule framework: one small libcst transformer per concern, each with its own examples.

Modelled on Fixit: a rule carries before/after examples, and ``tests/test_rules.py`` turns every
example into a test, so a rule's documentation cannot drift from its behaviour. A rule that meets
something it cannot convert calls :meth:`Rule.todo`; the marker
``# TODO(tfscaffold): <construct>: <why>`` lands above the enclosing statement and the report
lists it. No rule guesses silently.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst

from scaffold.cstwalk import _IS_NODE, _is_node, walk

TODO_PREFIX = "# TODO(tfscaffold): "


@dataclass(frozen=True)
class Example:
    """Module code before the rule and after it (compared after black formatting)."""

    before: str
    after: str
    note: str = ""
    context: tuple[tuple[str, object], ...] = ()  # ConvertContext fields the example assumes


@dataclass(frozen=True)
class Todo:
    unit: str | None  # the class or function it is in
    construct: str
    why: str

    def marker(self) -> str:
        # one comment line, whatever the construct's source spans
        return " ".join(f"{TODO_PREFIX}{self.construct}: {self.why}".split())


@dataclass
class ConvertContext:
    """Facts about the module being converted that rules may read, and what the run asks for.

    The module's names have no defaults: a context is made from a module (``assemble``), or for a
    rule's examples with :meth:`for_examples`, whose code is written about one model.
    """

    prefix: str
    config_class: str
    base_model_prefix: str | None
    base_model_class: str | None
    pretrained_class: str | None
    local_classes: set[str] = field(default_factory=set)  # PyTorch names of the module's classes
    class_bases: dict[str, list[str]] = field(default_factory=dict)  # PyTorch class -> base names
    class_configs: dict[str, str] = field(default_factory=dict)  # PyTorch class -> the config class it names
    # what AutoModel.from_config builds (scaffold.convert.submodels): the model's config classes -> model_type,
    # sub-config attributes -> model_type (None: decided at run time), and per TF auto mapping the types it serves
    own_model_types: dict[str, str] = field(default_factory=dict)
    sub_model_types: dict[str, str | None] = field(default_factory=dict)
    tf_model_types: dict[str, frozenset[str]] = field(default_factory=dict)
    reused: set[str] = field(default_factory=set)  # PyTorch classes replaced by a reused TF twin
    tf_outputs: set[str] = field(default_factory=set)  # classes of modeling_tf_outputs.py
    tf_output_fields: dict[str, set[str]] = field(default_factory=dict)  # those classes -> their fields
    # classes of modeling_outputs.py -> their fields in order, (name, annotation source)
    pt_output_fields: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    pt_output_docs: dict[str, str] = field(default_factory=dict)  # those classes -> their docstrings
    keras: str = "keras"  # how the tree's TF code spells keras: "keras" (4.46) or "tf.keras"
    implied_embedding_accessors: bool = False  # the tree's PreTrainedModel returns embed_tokens / lm_head itself
    generic_heads: dict[str, str] = field(default_factory=dict)  # modeling_layers' Generic* classes -> their source
    initializer_attr: str = "initializer_range"  # config field _init_weights reads (init_std for BART, OPT)
    config_attributes: set[str] = field(default_factory=set)  # what the config class sets or takes
    # configuration classes of the model that do not define ``initializer_attr`` (a composite's parts)
    configs_without_initializer: frozenset[str] = frozenset()
    config_strings: frozenset[str] = frozenset()  # string constants of the configuration module (its defaults)
    # keys of TF_SAMPLE_DOCSTRINGS in the tree's utils/doc.py (empty: not known, nothing is checked)
    tf_sample_docstrings: frozenset[str] = frozenset()
    # names imported from other models' PyTorch modules -> (TF class standing for them, its import line)
    foreign_layers: dict[str, tuple[str, str]] = field(default_factory=dict)
    stacked_past: bool = False  # the tree's TF generate() reads this model's cache as one key/value tensor per layer
    todos: list[Todo] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)  # import lines the converted code needs
    support: dict[str, str] = field(default_factory=dict)  # helper name -> source, emitted once

    @classmethod
    def for_examples(cls, **facts: object) -> ConvertContext:
        """The context rule examples are written against: a BERT-like module (``BertModel``,
        ``BertConfig`` ...), with ``facts`` (an example's ``context``) set on top."""
        ctx = cls(
            prefix="Bert",
            config_class="BertConfig",
            base_model_prefix="bert",
            base_model_class="BertModel",
            pretrained_class="BertPreTrainedModel",
        )
        for key, value in facts.items():
            if not hasattr(ctx, key):
                raise AttributeError(f"ConvertContext has no field {key!r}")
            setattr(ctx, key, value)
        return ctx

    def need_support(self, name: str, source: str) -> str:
        """Ask for a module-level helper function in the generated file; returns its name."""
        self.support.setdefault(name, source)
        return name

    def derives_from(self, pt_class: str, base: str) -> bool:
        """Whether a class of the module derives, directly or not, from ``base`` (a base name)."""
        return base in self.ancestry(pt_class)[1:]

    def config_of(self, pt_class: str) -> str:
        """The configuration class a class of the module takes: its own, else the nearest base's, else the module's."""
        return next(
            (self.class_configs[c] for c in self.ancestry(pt_class) if c in self.class_configs), self.config_class
        )

    def base_model_of(self, config: str) -> str | None:
        """What ``AutoModel.from_config`` builds from ``config``: the module's base model of that config (a
        module of several configs, Gemma3's text and multimodal ones, has one per config), None if none."""
        pretrained = self.pretrained_class
        found = [
            name
            for name in sorted(self.local_classes)
            if name.endswith("Model")
            and pretrained is not None
            and name != pretrained
            and self.derives_from(name, pretrained)
            and self.config_of(name) == config
        ]
        if self.base_model_class in found or (not found and config == self.config_class):
            return self.base_model_class
        return found[0] if len(found) == 1 else None

    def ancestry(self, pt_class: str) -> list[str]:
        """The class, then every base name it derives from through the module's classes (each once)."""
        seen: list[str] = []
        todo = [pt_class]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.append(name)
            todo.extend(reversed(self.class_bases.get(name, [])))
        return seen

    def tf_name(self, pt_name: str) -> str:
        return f"TF{pt_name}"

    @property
    def main_layer(self) -> str:
        return f"TF{self.prefix}MainLayer"


_STATEMENT, _UNIT = 1, 2  # node kinds the TODO bookkeeping tracks (a unit is a class or function)


class Rule(cst.CSTTransformer):
    """Base of every rule: statement tracking for TODO markers, access to the context."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    examples: ClassVar[tuple[Example, ...]] = ()
    # consecutive rules of one phase share one walk of the module (``apply_rules``); "" runs alone
    phase: ClassVar[str] = ""

    # Hooks of these node kinds act only where one of ``names_reacted_to()`` is (``leave_Name`` renaming
    # ``DynamicCache``): a walk passes over subtrees that hold none of those identifiers, whatever nodes
    # they hold. Set by rules whose hooks would otherwise have every subtree entered.
    name_gated: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, ctx: ConvertContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._statements: list[list[str]] = []
        self._units: list[str] = []
        self._mask: int | None = None  # the kinds and identifiers the walk enters for; known after visit_Module

    def names_reacted_to(self) -> Iterable[str] | None:
        """The identifiers the ``name_gated`` hooks act on, asked once ``visit_Module`` has run; None: any."""
        return None

    def hook_mask(self) -> int:
        """The bits of the node kinds this rule has hooks for, with the ``name_gated`` kinds replaced by the
        bits of the identifiers they react to."""
        mask = self._mask
        if mask is None:
            mask = _hooked_mask(type(self))
            names = self.names_reacted_to() if self.name_gated else None
            if names is not None:
                gated = 0
                for kind in self.name_gated:
                    gated |= kind_bit(kind)
                mask = (mask & ~gated) | names_mask(names)
            self._mask = mask
        return mask

    # -- TODO markers ---------------------------------------------------------------------
    def todo(self, construct: str, why: str) -> None:
        """Record a construct this rule cannot convert; marked above the enclosing statement."""
        item = Todo(self._units[-1] if self._units else None, construct, why)
        self.ctx.todos.append(item)
        if self._statements:
            self._statements[-1].append(item.marker())

    def todo_at(self, stmt: cst.BaseStatement, construct: str, why: str) -> cst.BaseStatement:
        """Record a construct, marked above ``stmt``: for rules that rewrite whole blocks on leaving them,
        when the statement being visited is not the one to mark."""
        item = Todo(self._units[-1] if self._units else None, construct, why)
        self.ctx.todos.append(item)
        return add_comments(stmt, [item.marker()])

    # -- traversal ------------------------------------------------------------------------
    # libcst looks every hook up by a formatted name on every node and every child attribute, and
    # the statement test is an ABC check: ~50 passes over a 2,000-line file spend most of their
    # time there. The lookups are answered once per (rule class, node type) instead; no rule uses
    # attribute hooks (visit_Call_func), so those are skipped outright, and libcst's own no-op
    # hooks count as none.
    #
    # A pass does not enter a subtree holding no node the rule has a hook for: nothing of the rule
    # runs there, so the subtree comes out as it went in (the same objects, where a full walk
    # would rebuild equal copies). Which node types a subtree holds is worked out once per node
    # object (nodes are immutable) and kept from one pass to the next for the subtrees passed over.
    def on_visit(self, node: cst.CSTNode) -> bool:
        kind, visit, _ = self._hooks(type(node))
        if kind:
            self._statements.append([])
            if kind == _UNIT:
                self._units.append(self._units[-1] if self._units else node.name.value)
        if visit is not None and visit(self, node) is False:
            return False
        mask = self._mask
        return bool(_memo(self).below(node) & (self.hook_mask() if mask is None else mask))

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        kind, _, leave = self._hooks(type(original_node))
        result = leave(self, original_node, updated_node) if leave is not None else updated_node
        if kind == _UNIT:
            self._units.pop()
        if kind:
            pending = self._statements.pop()
            if pending and isinstance(result, cst.BaseStatement):
                result = add_comments(result, pending)
        return result

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def subtree_filter(self) -> tuple[Callable[[cst.CSTNode], int], int]:
        """For the walk (asked once the root is visited): pass over a child whose subtree holds no kind of node
        this rule hooks, nor an identifier its name-gated hooks react to."""
        return _memo(self).with_node, self.hook_mask()

    def abandon(self, original_node: cst.CSTNode) -> None:
        """Leave a node an earlier rule of the same walk removed: the bookkeeping of ``on_leave``, no hook."""
        kind = self._hooks(type(original_node))[0]
        if kind == _UNIT:
            self._units.pop()
        if kind:
            self._statements.pop()

    @classmethod
    def _hooks(cls, node_type: type) -> tuple[int, Callable | None, Callable | None]:
        table = cls.__dict__.get("_hook_table")
        if table is None:
            table = {}
            cls._hook_table = table
        hooks = table.get(node_type)
        if hooks is None:
            name = node_type.__name__
            kind = _UNIT if node_type in (cst.ClassDef, cst.FunctionDef) else _STATEMENT
            kind = kind if issubclass(node_type, cst.BaseStatement) else 0
            hooks = (kind, _own_hook(cls, f"visit_{name}"), _own_hook(cls, f"leave_{name}"))
            table[node_type] = hooks
        return hooks

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def code(node: cst.CSTNode) -> str:
        return cst.Module(body=[]).code_for_node(node)


def _own_hook(cls: type, attribute: str) -> Callable | None:
    """The class's hook of that name, None when there is none or it is libcst's no-op default.

    (A transformer's default visit_X does nothing and leave_X returns the updated node; a
    visitor's defaults do nothing.)
    """
    hook = getattr(cls, attribute, None)
    defaults = cst.CSTTransformer if cst.CSTTransformer in cls.__mro__ else cst.CSTVisitor
    if hook is None or hook is getattr(defaults, attribute, None):
        return None
    return hook


def _hooked_mask(cls: type) -> int:
    """The kind bits of every node type name a rule or visitor class has a visit or leave hook for.

    -1 (every kind) for a visitor with attribute hooks (``visit_Call_func``): those run on the
    node's own children, so none of its subtrees may be passed over. Read from the class
    dictionaries along the MRO, libcst's own classes (whose hooks are no-ops) aside: helper
    visitors are often classes defined inside a function, made anew on every call.
    """
    mask = cls.__dict__.get("_hook_mask")
    if mask is None:
        mask = 0
        for klass in cls.__mro__:
            if klass.__module__.startswith("libcst") or klass is object:
                continue
            for attribute in klass.__dict__:
                prefix, _, name = attribute.partition("_")
                if prefix not in ("visit", "leave") or not name:
                    continue
                if "_" in name and Rule not in cls.__mro__:  # Rule never calls attribute hooks
                    mask = -1
                    break
                mask |= kind_bit(name)
            if mask == -1:
                break
        cls._hook_mask = mask
    return mask


_KIND_BITS: dict[str, int] = {}


_NAME_BITS = 512  # the low bits: which identifiers a subtree holds, each hashed to one of them


def kind_bit(type_name: str) -> int:
    """One bit per node type name (hooks are looked up by the type's name), above the name bits."""
    bit = _KIND_BITS.get(type_name)
    if bit is None:
        bit = _KIND_BITS[type_name] = 1 << (_NAME_BITS + len(_KIND_BITS))
    return bit


def name_bit(identifier: str) -> int:
    """The bit a ``cst.Name`` of this identifier sets in its subtree's bits: shared by other identifiers
    (512 of them), so a set bit says "may hold it" and a clear bit "does not"."""
    return 1 << (hash(identifier) % _NAME_BITS)


def names_mask(identifiers: Iterable[str]) -> int:
    mask = 0
    for identifier in identifiers:
        mask |= name_bit(identifier)
    return mask


class SubtreeKinds:
    """Per node object: the kind bits of every node below it (its descendants' type names).

    One pipeline's passes share it: a subtree a pass did not enter is the same object in the next
    pass's tree, and its entry is still good (nodes are immutable). It holds the nodes it has met
    until the pipeline ends (bert: ~30 MB).
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[cst.CSTNode, int, int]] = {}

    def below(self, node: cst.CSTNode) -> int:
        return self._entry(node)[2]

    def with_node(self, node: cst.CSTNode) -> int:
        """The kind bits of the node and of every node below it."""
        return self._entry(node)[1]

    def _entry(self, node: cst.CSTNode) -> tuple[cst.CSTNode, int, int]:
        # an entry holds its node, so no other object can have that id while the entry is kept
        key = id(node)
        entry = self._entries.get(key)
        if entry is None:
            kind = type(node)
            layout = _LAYOUT.get(kind) or _layout(kind)
            below = 0
            for name in layout[1]:
                value = getattr(node, name)
                of = type(value)
                if of is tuple or of is list:
                    for item in value:
                        is_node = _IS_NODE.get(type(item))
                        if is_node or (is_node is None and _is_node(item)):
                            below |= self._entry(item)[1]
                else:
                    is_node = _IS_NODE.get(of)
                    if is_node or (is_node is None and _is_node(value)):
                        below |= self._entry(value)[1]
            own = layout[0] | name_bit(node.value) if kind is cst.Name else layout[0]
            entry = self._entries[key] = (node, below | own, below)
        return entry


_LAYOUT: dict[type, tuple[int, tuple[str, ...]]] = {}  # node type -> (its kind bit, its field names)


def _layout(kind: type) -> tuple[int, tuple[str, ...]]:
    layout = _LAYOUT[kind] = (kind_bit(kind.__name__), tuple(f.name for f in dataclasses.fields(kind)))
    return layout


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes a node holds, read from its dataclass fields (what libcst visits, or more)."""
    found = []
    for name in (_LAYOUT.get(type(node)) or _layout(type(node)))[1]:
        value = getattr(node, name)
        if type(value) is tuple or type(value) is list:
            found.extend(item for item in value if _is_node(item))
        elif _is_node(value):
            found.append(value)
    return found


def _memo(walker: cst.CSTVisitor | cst.CSTTransformer) -> SubtreeKinds:
    memo = walker.__dict__.get("_subtrees")
    if memo is None:
        memo = walker.__dict__["_subtrees"] = _ACTIVE[-1] if _ACTIVE else SubtreeKinds()
    return memo


def _subtree_filter(walker: cst.CSTVisitor | cst.CSTTransformer) -> tuple[Callable[[cst.CSTNode], int], int]:
    """The kind bits of a node and its subtree, and those of the walker's hooks (see ``cstwalk``)."""
    return _memo(walker).with_node, _hooked_mask(type(walker))


def _hooks_below(walker: cst.CSTVisitor | cst.CSTTransformer, node: cst.CSTNode) -> bool:
    """Whether anything below ``node`` is a kind of node ``walker`` has a hook for: whether to enter it.

    The kinds below each node are worked out once per pipeline (``SubtreeKinds``), shared by its passes
    and the helpers their hooks run; a walker outside a pipeline keeps its own.
    """
    return bool(_memo(walker).below(node) & _hooked_mask(type(walker)))


class HookVisitor(cst.CSTVisitor):
    """A ``cst.CSTVisitor`` that does not enter subtrees holding no node it has a hook for.

    A visitor changes nothing and only its hooks see the nodes, so passing over such a subtree
    is the same visit, without the walk. For the read-only helpers rules run inside their hooks.
    One whose hooks look only for certain identifiers says which in ``names_looked_for``: then only the subtrees
    holding one of them are entered.
    """

    names_looked_for: Iterable[str] | None = None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not super().on_visit(node):
            return False
        return _hooks_below(self, node)

    def subtree_filter(self) -> tuple[Callable[[cst.CSTNode], int], int]:
        kinds, mask = _subtree_filter(self)
        return (kinds, mask) if self.names_looked_for is None else (kinds, names_mask(self.names_looked_for))


class HookTransformer(cst.CSTTransformer):
    """A ``cst.CSTTransformer`` that does not enter subtrees holding no node it has a hook for.

    Only its hooks change nodes, so a subtree none of them can see comes out as it went in: the
    same objects, without the walk. For the helper transformers rules run inside their hooks
    (folding a switch, renaming inside one method), which otherwise walk every node below.
    """

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not super().on_visit(node):
            return False
        return _hooks_below(self, node)

    def subtree_filter(self) -> tuple[Callable[[cst.CSTNode], int], int]:
        return _subtree_filter(self)


class ClassStack:
    """For rules that need the name of the class they are in (``current_class``, None outside one)."""

    @property
    def current_class(self) -> str | None:
        names = self.__dict__.get("_class_names")
        return names[-1] if names else None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.__dict__.setdefault("_class_names", []).append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.__dict__["_class_names"].pop()
        return updated


def changed(node: cst.CSTNode, **fields: Any) -> cst.CSTNode:
    """``node.with_changes(**fields)``, or the node itself when each field holds what it held (the same objects,
    item by item for sequences). A rebuilt node rebuilds every node above it, and the walks after read each
    rebuilt node again: a rule rewriting a list it did not change should leave the node as it was."""
    for name, value in fields.items():
        old = getattr(node, name)
        if old is value:
            continue
        if isinstance(old, list | tuple) and isinstance(value, list | tuple):
            if len(old) == len(value) and all(a is b for a, b in zip(old, value, strict=True)):
                continue
        return node.with_changes(**fields)
    return node


def add_comments(stmt: cst.BaseStatement, comments: list[str]) -> cst.BaseStatement:
    """Put comment lines above a statement, once each."""
    existing = {line.comment.value for line in stmt.leading_lines if line.comment is not None}
    new = [cst.EmptyLine(comment=cst.Comment(c)) for c in dict.fromkeys(comments) if c not in existing]
    return stmt.with_changes(leading_lines=[*stmt.leading_lines, *new]) if new else stmt


def is_docstring(stmt: cst.CSTNode) -> bool:
    """A statement that is a lone string: what goes first in a body and stays first."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def names_in(node: cst.CSTNode) -> set[str]:
    """Every name a node mentions (attribute names too): what a statement may read or bind."""
    found: set[str] = set()

    class Collect(HookVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    walk(node, Collect())
    return found


_PARSED: dict[int, tuple[cst.Module, str]] = {}  # the last modules parse_module made, with their source


def parse_module(code: str) -> cst.Module:
    """``cst.parse_module``, remembering the source: ``module_code`` gives it back without a code generation."""
    module = cst.parse_module(code)
    if len(_PARSED) >= 4:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[id(module)] = (module, code)
    return module


def module_code(module: cst.Module) -> str:
    """``module.code``: the source it was parsed from when ``parse_module`` made it (a whole-module code
    generation of a 2,000-line module costs ~50 ms, and a rule reading the text at the root needs no other)."""
    entry = _PARSED.get(id(module))
    return entry[1] if entry is not None and entry[0] is module else module.code


def find_all(node: cst.CSTNode, kind: type, where: Callable[[Any], bool] | None = None) -> list[Any]:
    """Every node of type ``kind`` in ``node`` (itself included) that ``where`` accepts, in source order.

    What ``libcst.matchers.findall`` does for a type and a test; importing that module costs
    ~0.15 s, more than some whole rule passes, and this walk passes over subtrees without ``kind``.
    """
    found: list[Any] = []

    def hook(self: HookVisitor, visited: cst.CSTNode) -> None:
        if where is None or where(visited):
            found.append(visited)

    walk(node, type("FindAll", (HookVisitor,), {f"visit_{kind.__name__}": hook})())
    return found


def class_attribute(cls: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    """The value of ``<name> = ...`` in a class body (a one-line body too), None when it has none."""
    suite = cls.body
    lines = [suite] if isinstance(suite, cst.SimpleStatementSuite) else suite.body
    for line in lines:
        for small in (
            getattr(line, "body", ()) if isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite) else ()
        ):
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name) and target.value == name:
                    return small.value
    return None


def statements_within(block: cst.BaseSuite):
    """The small statements of a block, those of its if/for/with branches included."""
    for stmt in getattr(block, "body", []):
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.If | cst.For | cst.With):
            yield from statements_within(stmt.body)
            orelse = getattr(stmt, "orelse", None)
            while orelse is not None:
                yield from statements_within(orelse.body)
                orelse = getattr(orelse, "orelse", None)


def init_values(cls: cst.ClassDef) -> dict[str, list[cst.BaseExpression]]:
    """``self.<attr> = <value>`` statements of ``__init__``, by attribute, every branch's value in order."""
    out: dict[str, list[cst.BaseExpression]] = {}
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
            for node in statements_within(stmt.body):
                if isinstance(node, cst.Assign) and len(node.targets) == 1:
                    target = dotted(node.targets[0].target)
                    if target and target.startswith("self.") and target.count(".") == 1:
                        out.setdefault(target[5:], []).append(node.value)
    return out


def init_assignments(cls: cst.ClassDef) -> dict[str, cst.BaseExpression]:
    """``self.<attr> = <value>`` statements of ``__init__``, by attribute (the last one)."""
    return {attr: values[-1] for attr, values in init_values(cls).items()}


def dotted(node: cst.BaseExpression) -> str | None:
    """``nn.Linear`` for an Attribute/Name chain, None for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


# called with (rule, seconds) after every rule pass when set (bench/new_speed.py shows where the time goes)
pass_observer: Callable[[type[Rule], float], None] | None = None


_ACTIVE: list[SubtreeKinds] = []  # the pipeline running: its passes and the visitors in their hooks share it


class _Batch(cst.CSTTransformer):
    """Several rules in one walk: each sees every node its own pass would enter, hooks in rule order."""

    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules
        self.masks: list[int] | None = None  # each rule's hook_mask, once the root is visited
        self.skipping: list[cst.CSTNode | None] = [None] * len(rules)  # the node whose subtree a rule passes over
        self.unseen: list[bool] = [False] * len(rules)  # ... without a hook for that node either: not visited

    def subtree_filter(self) -> tuple[Callable[[cst.CSTNode], int], int]:
        """A child none of the rules has a hook in is passed over."""
        mask = 0
        for rule in self.rules:
            mask |= rule.hook_mask()
        return (_ACTIVE[-1] if _ACTIVE else SubtreeKinds()).with_node, mask

    def on_visit(self, node: cst.CSTNode) -> bool:
        masks = self.masks
        root = masks is None
        if root:  # the root, visited as its kinds say; then each rule says what it reacts to below
            masks = [_hooked_mask(type(rule)) for rule in self.rules]
        memo = _ACTIVE[-1] if _ACTIVE else SubtreeKinds()
        kinds = memo.with_node(node)
        enter = False
        for i, rule in enumerate(self.rules):
            if self.skipping[i] is not None:
                continue
            if not kinds & masks[i]:  # nothing here for this rule: as if its own pass never came by
                self.skipping[i], self.unseen[i] = node, True
            elif rule.on_visit(node):
                enter = True
            else:
                self.skipping[i] = node
        if root:
            self.masks = [rule.hook_mask() for rule in self.rules]
        return enter

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        result = updated_node
        for i, rule in enumerate(self.rules):
            skip = self.skipping[i]
            if skip is not None and skip is not original_node:
                continue
            self.skipping[i] = None
            if self.unseen[i]:
                self.unseen[i] = False
                continue
            if type(result) is type(original_node):
                result = rule.on_leave(original_node, result)
            else:  # an earlier rule replaced or removed the node: its hooks are not this node's
                rule.abandon(original_node)
        return result

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def _phases(rules: list[type[Rule]]) -> list[list[type[Rule]]]:
    """Consecutive rules of one declared ``phase`` run as one walk; a rule without a phase runs alone."""
    out: list[list[type[Rule]]] = []
    for rule in rules:
        if out and rule.phase and out[-1][-1].phase == rule.phase:
            out[-1].append(rule)
        else:
            out.append([rule])
    return out


def apply_rules(module: cst.Module, rules: list[type[Rule]], ctx: ConvertContext) -> cst.Module:
    subtrees = SubtreeKinds()
    _ACTIVE.append(subtrees)
    try:
        for phase in _phases(rules):
            instances = [rule_class(ctx) for rule_class in phase]
            for rule in instances:
                rule._subtrees = subtrees
            walker = instances[0] if len(instances) == 1 else _Batch(instances)
            if pass_observer is None:
                module = walk(module, walker)
            else:
                start = time.perf_counter()
                module = walk(module, walker)
                for rule_class in phase:
                    pass_observer(rule_class, (time.perf_counter() - start) / len(phase))
    finally:
        _ACTIVE.pop()
    return module
