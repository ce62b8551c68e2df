"""``build()`` methods: each sublayer built under its name scope with the input shape it is called with."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import HookVisitor, Rule, dotted
from scaffold.convert.rules.layers.build_plan import _TIED, _WEIGHTLESS, _AnyRank, _call_ranks, _optional_input_calls
from scaffold.convert.rules.layers.builds_examples import SUBLAYER_BUILDS_EXAMPLES
from scaffold.convert.rules.layers.common import (
    _assignments,
    _bind,
    _class_bases,
    _free_names,
    _norm,
    _render,
    _Replace,
    _self_attr,
    _slots,
)
from scaffold.convert.rules.layers.containers import _layer_locals
from scaffold.convert.rules.layers.keras_layers import inherited_layers
from scaffold.convert.rules.layers.weights import _init_attributes
from scaffold.cstwalk import walk


@dataclass
class _Plan:
    """One layer class's ``__init__`` as its builds read it; ``statements`` is the rewritten body."""

    init: cst.FunctionDef
    counts: dict[str, int]  # attribute -> assignments in __init__
    made_as_embedding: set[str]
    params: set[str]  # names of __init__ a build shape may read
    existing: dict[str, str]  # attribute -> the __init__ name it holds
    on_optional_input: set[str]
    ranks: dict[str, set[int | None]]
    statements: list[cst.BaseStatement] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # __init__ name -> attribute


class _Count(HookVisitor):
    """Assignments to each ``self.<attr>`` (``_TIED`` for a sublayer tied to something)."""

    def __init__(self, counts: dict[str, int], made_as_embedding: set[str]) -> None:
        super().__init__()
        self.counts = counts
        self.made_as_embedding = made_as_embedding

    def visit_Assign(self, node: cst.Assign) -> bool:
        # ``self.embed_tokens.weight = shared.weight``: an embedding sharing another's table
        # builds all the same (share_embeddings makes its build take the owner's table)
        target = node.targets[0].target if len(node.targets) == 1 else None
        return not (
            isinstance(target, cst.Attribute)
            and target.attr.value in ("weight", "embeddings")
            and _self_attr(target.value) in self.made_as_embedding
            and isinstance(node.value, cst.Attribute)
            and node.value.attr.value in ("weight", "embeddings")
        )

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        target = node.target
        attr = _self_attr(target)
        if attr is None and isinstance(target, cst.Attribute):
            # ``self.decoder.bias = self.bias``: the sublayer is tied to something; leave it
            attr = _self_attr(target.value)
            self.counts[attr or ""] = _TIED
        if attr is not None:
            self.counts[attr] = self.counts.get(attr, 0) + 1


def _weighted_branch(value: cst.IfExp) -> cst.Call | None:
    """``nn.Linear(...) if c else nn.Identity()``: the layer with weights, when the other has none.

    A weightless layer builds on any shape, so building the choice with the weighted layer's
    input shape is right whichever branch the config takes.
    """
    body, orelse = value.body, value.orelse
    if not (isinstance(body, cst.Call) and isinstance(orelse, cst.Call)):
        return None
    if dotted(orelse.func) in _WEIGHTLESS:
        return body
    if dotted(body.func) in _WEIGHTLESS:
        return orelse
    return None


def _assigned_to_local(init: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    """Every value ``__init__`` assigns to a local name."""
    values: list[cst.BaseExpression] = []

    class Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets):
                values.append(node.value)

    walk(init, Visitor())
    return values


def _appended_to_local(init: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    """What ``__init__`` appends to a local list, or nothing when the name is ever bound to more than ``[]``."""
    appended: list[cst.BaseExpression] = []

    class Visitor(HookVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "append"
                and isinstance(func.value, cst.Name)
                and func.value.value == name
                and len(node.args) == 1
            ):
                appended.append(node.args[0].value)

    walk(init, Visitor())
    made = _assigned_to_local(init, name)
    return appended if made and all(isinstance(v, cst.List) and not v.elements for v in made) else []


def _with_builds(body: list, at_init: int, builds: list[str]) -> list:
    """The class body with ``builds`` at the end of its ``build()``, made after ``__init__`` if absent."""
    made = [cst.parse_statement(b) for b in builds]
    existing_build = next(
        (i for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "build"), None
    )
    if existing_build is not None:
        old = body[existing_build]
        body[existing_build] = old.with_changes(body=old.body.with_changes(body=[*old.body.body, *made]))
    else:
        build = cst.parse_statement(
            "def build(self, input_shape=None):\n    if self.built:\n        return\n    self.built = True\n"
        )
        build = build.with_changes(
            body=build.body.with_changes(body=[*build.body.body, *made]), leading_lines=[cst.EmptyLine()]
        )
        body.insert(at_init + 1, build)
    return body


class SublayerBuilds(Rule):
    """Each layer's ``build()`` builds the sublayers its constructor fully determines.

    Keras makes a layer's weights when the layer is first called; a sublayer that the call does
    not reach on the dummy inputs (cross-attention in a decoder run without encoder states, a
    branch the config switches off) would have no weights, and its PyTorch weights would not
    load. The hand-written ports build every sublayer in ``build()``, under its name scope, with
    an input shape taken from the constructor; PyTorch constructors state those widths
    (``nn.Linear(in_features, ...)``), so the rule does the same: layers of the ``LAYERS`` table
    with a ``build_shape`` get it (the widths the shape reads from ``__init__`` are kept as
    attributes), layers of the module's own layer classes get ``build(None)`` (their own
    ``build()`` needs no input shape), lists of them each item. Model classes build too:
    ``TFPreTrainedModel.build()`` makes no weights, and ``from_pretrained`` loads a TF checkpoint
    into the weights ``build_in_name_scope()`` made, so a weight made at the first call would keep
    its random values. A layer whose build fixes its input rank (LayerNorm) gets the rank the
    class's calls give it: 3 (batch, sequence, features) unless the tensor passed comes from a
    reshape, then the reshape's rank; calls of several or unwritten ranks (a pooled or indexed
    tensor) switch it to the table's layer that does not fix the rank (``any_rank``). A sublayer
    made in an ``if`` builds under the same test; one assigned twice builds its last making,
    unless the last is not a constructor (shared); a tied one is left to its first call.
    """

    name = "sublayer-builds"
    summary = "build() builds nn.Linear(i, o) sublayers with [None, None, i] and the module's layers with None."
    examples = SUBLAYER_BUILDS_EXAMPLES

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.layer_classes: set[str] = set()
        self.aliases: set[str] = set()  # the class being rewritten's names for its layer classes
        self.embedding_classes: set[str] = set()  # embedding layers: nn.Embedding, keras's and subclasses
        self.made_of: dict[str, dict[str, str]] = {}
        self.any_rank: set[int] = set()  # ids of constructor calls to switch to their any-rank layer
        self.inherited: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> bool:
        self.inherited = inherited_layers(node, self.ctx)  # module classes made as a torch layer is
        bases = _class_bases(node, self.ctx)
        # model classes too: TFPreTrainedModel.build() makes no weights, and from_pretrained loads
        # a TF checkpoint into the weights build_in_name_scope() made, before any call
        roots = {f"{self.ctx.keras}.layers.Layer", f"{self.ctx.keras}.layers.Embedding", "TFPreTrainedModel"}
        found = {name for name, names in bases.items() if roots & set(names)}
        while True:
            more = {name for name, names in bases.items() if found & set(names)} - found
            if not more:
                break
            found |= more
        # classes reused from another port (placeholders here) build themselves the same way
        found |= {self.ctx.tf_name(n) for n in self.ctx.reused if self.ctx.derives_from(n, "Module")}
        # and so do other ports' main layers a model holds (DPR's TFBertMainLayer)
        found |= {target for target, _ in self.ctx.foreign_layers.values()}
        self.layer_classes = found
        embeddings = {f"{self.ctx.keras}.layers.Embedding", "nn.Embedding"}
        while True:
            more = {name for name, names in bases.items() if embeddings & set(names)} - embeddings
            if not more:
                break
            embeddings |= more
        self.embedding_classes = embeddings
        # class -> attribute -> the class its __init__ makes it of (``self.text_model = Transformer(...)``)
        self.made_of: dict[str, dict[str, str]] = {}
        for cls in node.body:
            if not isinstance(cls, cst.ClassDef):
                continue
            init = next(
                (m for m in cls.body.body if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None
            )
            for stmt in init.body.body if init is not None and isinstance(init.body, cst.IndentedBlock) else ():
                if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                    assign = stmt.body[0]
                    attr = _self_attr(assign.targets[0].target)
                    if attr and isinstance(assign.value, cst.Call) and dotted(assign.value.func):
                        self.made_of.setdefault(cls.name.value, {})[attr] = dotted(assign.value.func) or ""
        return True

    def _borrowed_layer(self, init: cst.FunctionDef, value: cst.BaseExpression) -> bool:
        """``self.text_model = text_model.text_model`` with ``text_model = TFCLIPTextModel._from_config(c)``.

        A layer taken from another model of the module: it builds itself when its class (as that
        model's ``__init__`` makes it) is one of the module's layer classes.
        """
        if not (isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name)):
            return False
        owner: list[str] = []

        class Visitor(HookVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == value.value.value:
                        call = node.value
                        func = dotted(call.func) if isinstance(call, cst.Call) else None
                        owner.append((func or "").removesuffix("._from_config"))

        walk(init, Visitor())
        if len(owner) != 1:
            return False
        return self.made_of.get(owner[0], {}).get(value.attr.value) in self.layer_classes

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if updated.name.value not in self.layer_classes:
            return updated
        body = list(updated.body.body)
        at_init = next(
            (i for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None
        )
        if at_init is None or not isinstance(body[at_init].body, cst.IndentedBlock):
            return updated
        init = body[at_init]
        self.aliases = self._aliases(init)
        plan = self._plan(updated, body, init)
        builds = self._init_builds(plan)
        if not builds:
            return updated
        body[at_init] = init.with_changes(body=init.body.with_changes(body=plan.statements))
        if self.any_rank:
            body[at_init] = walk(body[at_init], _AnyRank(self.any_rank))
            self.any_rank = set()
        return updated.with_changes(body=updated.body.with_changes(body=_with_builds(body, at_init, builds)))

    def _plan(self, updated: cst.ClassDef, body: list, init: cst.FunctionDef) -> _Plan:
        """What the builds of one layer class read: its ``__init__``, the ranks its call uses."""
        call = next((m for m in body if isinstance(m, cst.FunctionDef) and m.name.value in ("call", "forward")), None)
        on_optional_input = _optional_input_calls(call)
        ranks = _call_ranks(updated)
        counts: dict[str, int] = {}
        embeddings = self.embedding_classes
        made_as_embedding = {
            attr
            for small in _assignments(init)
            if len(small.targets) == 1
            and (attr := _self_attr(small.targets[0].target)) is not None
            and isinstance(small.value, cst.Call)
            and (dotted(small.value.func) or "") in embeddings
        }
        walk(init, _Count(counts, made_as_embedding))
        params = {p.name.value for p in (*init.params.params, *init.params.kwonly_params)} - {"self"}
        params |= self._locals(init)  # names of __init__ a build shape may read
        existing = _init_attributes(init)
        return _Plan(init, counts, made_as_embedding, params, existing, on_optional_input, ranks)

    def _init_builds(self, plan: _Plan) -> list[str]:
        """The build code of every sublayer ``__init__`` makes, in order; fills ``plan.statements``."""
        init, counts = plan.init, plan.counts
        builds: list[str] = []
        # ``self.x = A(...)`` then ``self.x = B(...)`` (a copied block, then the model's own
        # layer): the last assignment is the layer, when every assignment is a plain statement
        top: list[dict[str, int]] = []
        for stmt in init.body.body:
            top.append({})
            if isinstance(stmt, cst.SimpleStatementLine):
                walk(stmt, _Count(top[-1], plan.made_as_embedding))
        top_counts: dict[str, int] = {}
        for found in top:
            for attr, n in found.items():
                top_counts[attr] = top_counts.get(attr, 0) + n
        # ``self.shared = Embedding(...)`` then, in one branch of an ``if``, ``self.shared = None``:
        # the layer is made all the same, and build() builds it when it is still there
        nested_nones: dict[str, int] = {}
        for stmt in init.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                for small in _assignments(stmt):
                    attr = _self_attr(small.targets[0].target) if len(small.targets) == 1 else None
                    if attr is not None and isinstance(small.value, cst.Name) and small.value.value == "None":
                        nested_nones[attr] = nested_nones.get(attr, 0) + 1
        # ``self.x = nn.Identity()`` then ``if c: self.x = nn.Linear(...)``: the branch builds what it makes
        weightless_before: dict[str, int] = {}
        for i, stmt in enumerate(init.body.body):
            plan.statements.append(stmt)
            if isinstance(stmt, cst.If):
                build = self._branch_builds(plan, stmt, weightless_before)
            else:
                for small in _assignments(stmt):
                    attr = _self_attr(small.targets[0].target) if len(small.targets) == 1 else None
                    if (
                        attr is not None
                        and isinstance(small.value, cst.Call)
                        and dotted(small.value.func) in _WEIGHTLESS
                    ):
                        weightless_before[attr] = weightless_before.get(attr, 0) + 1
                later = {a for found in top[i + 1 :] for a in found}
                last = {
                    a: 1
                    for a in top[i]
                    if counts.get(a) == top_counts.get(a) + nested_nones.get(a, 0) and a not in later
                }
                build = self._build_of(plan, stmt, last, set(), frozenset(a for a in last if nested_nones.get(a)))
            if build is not None:
                builds.append(build)
        return builds

    def _resolve(self, plan: _Plan, shape: str) -> str:
        """The shape in attributes: the ``__init__`` names it reads are kept as attributes."""
        kept, existing, statements = plan.kept, plan.existing, plan.statements
        names = [n for n in _free_names(cst.parse_expression(shape)) if n in plan.params]
        for name in names:
            if name in kept:
                continue
            have = next((a for a, v in existing.items() if v == name), None)
            if have is None:
                have = name if name not in T.RESERVED_ATTRIBUTES and name not in existing else f"_{name}"
                statements.insert(len(statements) - 1, cst.parse_statement(f"self.{have} = {name}\n"))
            kept[name] = have
        return self.code(walk(cst.parse_expression(shape), _Replace({n: f"self.{kept[n]}" for n in names})))

    def _build_of(
        self,
        plan: _Plan,
        stmt: cst.BaseStatement,
        counts: dict[str, int],
        unknown: set[str],
        nullable: frozenset[str] = frozenset(),
    ) -> str | None:
        """The build code of one ``self.x = Layer(...)`` statement; ``unknown``: names not yet bound,
        ``nullable``: attributes a later branch sets to None (their build asks first)."""
        init = plan.init
        target = self._sublayer(stmt, counts)
        if target is None:
            return None
        attr, value, optional = target
        optional = optional or attr in nullable
        if (
            isinstance(value, cst.Call)
            and (dotted(value.func) or "") in T.MODULE_LIST
            and len(value.args) == 1
            and isinstance(value.args[0].value, cst.ListComp)
        ):
            value = value.args[0].value
        if isinstance(value, cst.Attribute):
            if not self._borrowed_layer(init, value):
                return None
            return f"with tf.name_scope(self.{attr}.name):\n    self.{attr}.build(None)\n"
        each = f"for layer in self.{attr}:\n    with tf.name_scope(layer.name):\n        layer.build(None)\n"
        depth = self._list_depth(init, value)
        if depth:
            # ``[Layer(config) for i in range(n)]``, a local list filled by append and wrapped, a list
            # of such lists (stages of blocks): each item of the innermost lists builds itself
            loops = "".join(
                f"{'    ' * d}for {'layer' if d == depth - 1 else f'items_{d}'} in "
                f"{f'self.{attr}' if d == 0 else f'items_{d - 1}'}:\n"
                for d in range(depth)
            )
            indent = "    " * depth
            return f"{loops}{indent}with tf.name_scope(layer.name):\n{indent}    layer.build(None)\n"
        if isinstance(value, cst.ListComp):
            return self._indexed_build(plan, attr, value)
        empty_list = (
            isinstance(value, cst.Call)
            and (dotted(value.func) or "") in T.MODULE_LIST
            and (
                not value.args  # nn.ModuleList()
                or (len(value.args) == 1 and isinstance(value.args[0].value, cst.List | cst.Tuple))
                and not value.args[0].value.elements  # nn.ModuleList([])
            )
        )
        if empty_list or (isinstance(value, cst.List) and not value.elements):
            # ``self.stages = nn.ModuleList()`` then ``self.stages.append(Stage(...))``: each item builds itself
            return each if self._appends_layers(init, attr) else None

        def known(shape: str) -> bool:
            return not unknown & set(_free_names(cst.parse_expression(shape)))

        if isinstance(value, cst.Call) and (dotted(value.func) or "") in T.SEQUENTIAL:
            return self._sequential_build(plan, attr, value, known)
        if isinstance(value, cst.List):
            return self._listed_build(plan, attr, value, known)
        if not isinstance(value, cst.Call):
            return None
        shape = self._shape(value, attr in plan.on_optional_input, plan.ranks.get(attr, {3}))
        if shape is None or not known(shape):
            return None
        build = f"with tf.name_scope(self.{attr}.name):\n    self.{attr}.build({self._resolve(plan, shape)})\n"
        if optional:
            build = f"if self.{attr} is not None:\n" + "".join(f"    {line}\n" for line in build.splitlines())
        return build

    def _sequential_build(self, plan: _Plan, attr: str, value: cst.Call, known) -> str | None:
        """``nn.Sequential(*[Layer(...) for j in range(n)])``: each item builds itself"""
        if any(a.star for a in value.args):
            # a counted comprehension among the items: each item must build itself
            mine = self.layer_classes | self.aliases
            items = [getattr(a.value, "elt", a.value) if a.star else a.value for a in value.args]
            made = _layer_locals(plan.init, self.ctx, mine)
            if all(
                (isinstance(i, cst.Call) and dotted(i.func) in mine)
                or (isinstance(i, cst.Name) and i.value in made)
                or (a.star and isinstance(i, cst.Name) and self._list_depth(plan.init, i) == 1)  # *convs
                for a, i in zip(value.args, items, strict=True)
            ):
                return (
                    f"with tf.name_scope(self.{attr}.name):\n"
                    f"    for layer in self.{attr}.sequence:\n"
                    "        with tf.name_scope(layer.name):\n"
                    "            layer.build(None)\n"
                )
            return None
        # ``nn.Sequential(a, b)`` (TFSequential): each item the constructor fully determines
        items = []
        for i, item in enumerate(value.args):
            call = _weighted_branch(item.value) if isinstance(item.value, cst.IfExp) else item.value
            shape = self._shape(call, False, {None}) if isinstance(call, cst.Call) else None
            if item.keyword is None and not item.star and shape is not None and known(shape):
                items.append(
                    f"    with tf.name_scope(self.{attr}.sequence[{i}].name):\n"
                    f"        self.{attr}.sequence[{i}].build({self._resolve(plan, shape)})\n"
                )
        return f"with tf.name_scope(self.{attr}.name):\n" + "".join(items) if items else None

    def _listed_build(self, plan: _Plan, attr: str, value: cst.List, known) -> str | None:
        """``self.layers = [Pool(scale), ConvModule(...)]``: each item the constructor fully determines builds;
        the others (a Keras layer whose input size is not written) are left to their first call."""
        builds = []
        for i, element in enumerate(value.elements):
            item = element.value
            shape = self._shape(item, False, {None}) if isinstance(item, cst.Call) else None
            if isinstance(element, cst.Element) and shape is not None and known(shape):
                builds.append(
                    f"with tf.name_scope(self.{attr}[{i}].name):\n"
                    f"    self.{attr}[{i}].build({self._resolve(plan, shape)})\n"
                )
        return "".join(builds) or None

    def _branch_builds(self, plan: _Plan, node: cst.If, weightless_before: dict[str, int]) -> str | None:
        """``if c: self.x = A(...) else: self.x = B(...)``: build() asks the same question.

        A sublayer assigned only inside this statement (or before it only as a layer without
        weights, ``nn.Identity()``), at most once per branch, builds in the branch that made it;
        the test is kept when it reads only what build() can read.
        """
        counts = plan.counts
        inside: dict[str, int] = {}
        walk(node, _Count(inside, plan.made_as_embedding))
        unknown = self._locals(node)  # bound inside: build() cannot read them

        def block(suite: cst.BaseSuite) -> str:
            """The builds of one branch, indented; "" when it makes nothing build() can build."""
            mine: dict[str, int] = {}
            walk(suite, _Count(mine, plan.made_as_embedding))
            eligible = {
                a: 1
                for a, n in mine.items()
                if n == 1 and counts.get(a) == inside.get(a, 0) + weightless_before.get(a, 0)
            }
            code = "".join(b for b in (self._build_of(plan, s, eligible, unknown) for s in suite.body) if b)
            return "".join(f"    {line}\n" for line in code.splitlines())

        parts: list[tuple[cst.BaseExpression | None, str]] = []  # (test, None for else; indented builds)
        current: cst.If | cst.Else | None = node
        while isinstance(current, cst.If):
            if unknown & set(_free_names(current.test)):
                return None
            parts.append((current.test, block(current.body)))
            current = current.orelse
        if current is not None:
            parts.append((None, block(current.body)))
        if not any(code for _, code in parts):
            return None
        if parts[-1] == (None, ""):
            parts.pop()  # an else that builds nothing
        headers = [
            "else:\n" if test is None else f"{'elif' if i else 'if'} {self._resolve(plan, self.code(test))}:\n"
            for i, (test, _) in enumerate(parts)
        ]
        return "".join(header + (code or "    pass\n") for header, (_, code) in zip(headers, parts, strict=True))

    def _list_depth(self, init: cst.FunctionDef, value: cst.BaseExpression, depth: int = 0) -> int | None:
        """How many list levels hold the module's layers (0: a layer itself; None: not only layers).

        ``nn.ModuleList(x)`` is the list ``x``; a comprehension or a written-out list adds a level;
        a local name counts when ``__init__`` only assigns it ``[]`` and appends such items to it.
        """
        layer = self.layer_classes | self.aliases
        if depth > 8:  # names that refer to each other
            return None
        if isinstance(value, cst.Call) and dotted(value.func) in layer:
            return 0
        if isinstance(value, cst.Call) and (dotted(value.func) or "") in T.MODULE_LIST and len(value.args) == 1:
            return self._list_depth(init, value.args[0].value, depth + 1)
        if isinstance(value, cst.ListComp):
            inner = self._list_depth(init, value.elt, depth + 1)
            return None if inner is None else inner + 1
        items: list[cst.BaseExpression] = []
        if isinstance(value, cst.List | cst.Tuple):
            items = [e.value for e in value.elements]
        elif isinstance(value, cst.Name):
            made = _assigned_to_local(init, value.value)
            if made and all(isinstance(v, cst.Call) and dotted(v.func) in layer for v in made):
                return 0  # ``mlp = Layer(...)`` then ``mlps.append(mlp)``
            items = _appended_to_local(init, value.value)
        found = {self._list_depth(init, item, depth + 1) for item in items}
        if not items or len(found) != 1 or None in found:
            return None
        return found.pop() + 1

    def _indexed_build(self, plan: _Plan, attr: str, value: cst.ListComp) -> str | None:
        """``[nn.LayerNorm(sizes[i]) for i in range(n)]``: each item built with the shape of its index."""
        loop = value.for_in
        if not (
            isinstance(value.elt, cst.Call)
            and loop.inner_for_in is None
            and not loop.ifs
            and isinstance(loop.target, cst.Name)
            and loop.target.value not in plan.params
            and isinstance(loop.iter, cst.Call)
            and dotted(loop.iter.func) == "range"
            and len(loop.iter.args) == 1
        ):
            return None
        index = loop.target.value
        shape = self._shape(value.elt, attr in plan.on_optional_input, plan.ranks.get(attr, {3}))
        if shape is None or not set(_free_names(cst.parse_expression(shape))) <= plan.params | {index}:
            return None
        return (
            f"for {index}, layer in enumerate(self.{attr}):\n"
            f"    with tf.name_scope(layer.name):\n        layer.build({self._resolve(plan, shape)})\n"
        )

    def _appends_layers(self, init: cst.FunctionDef, attr: str) -> bool:
        """Whether ``__init__`` appends to ``self.<attr>`` only layers of the module's classes.

        An item is a call of such a class, or a local assigned only such calls.
        """
        made: dict[str, list[bool]] = {}
        appended: list[cst.BaseExpression] = []
        layer = self.layer_classes | self.aliases

        class Visitor(HookVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        call = isinstance(node.value, cst.Call) and dotted(node.value.func) in layer
                        made.setdefault(target.target.value, []).append(call)

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "append" and _self_attr(func.value) == attr:
                    appended.extend(a.value for a in node.args)

        walk(init, Visitor())

        def is_layer(item: cst.BaseExpression) -> bool:
            if isinstance(item, cst.Call):
                return dotted(item.func) in layer
            return isinstance(item, cst.Name) and all(made.get(item.value, [False]))

        return bool(appended) and all(is_layer(item) for item in appended)

    def _aliases(self, init: cst.FunctionDef) -> set[str]:
        """``attention_class = TFGPT2Attention`` (or one of two) in ``__init__``: calls of it make a layer class."""
        found: set[str] = set()
        for stmt in init.body.body:
            if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
                continue
            assign = stmt.body[0]
            if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
                continue
            value = assign.value
            choices = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
            if all(dotted(c) in self.layer_classes for c in choices):
                found.add(assign.targets[0].target.value)
        return found

    @staticmethod
    def _locals(init: cst.CSTNode) -> set[str]:
        """Names a function (or one statement) binds."""
        found: set[str] = set()

        class Visitor(HookVisitor):
            def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                if isinstance(node.target, cst.Name):
                    found.add(node.target.value)
                elif isinstance(node.target, cst.Tuple | cst.List):  # ``a, b = config.a, config.b``
                    found.update(e.value.value for e in node.target.elements if isinstance(e.value, cst.Name))

        walk(init, Visitor())
        return found

    def _sublayer(
        self, stmt: cst.BaseStatement, counts: dict[str, int]
    ) -> tuple[str, cst.BaseExpression, bool] | None:
        """``self.x = Layer(...)`` (or ``... if c else None``), assigned once: (x, the call, optional)."""
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return None
        small = stmt.body[0]
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            return None
        attr = _self_attr(small.targets[0].target)
        if attr is None or counts.get(attr) != 1:
            return None
        value = small.value
        if isinstance(value, cst.IfExp) and isinstance(value.body, cst.Call):
            if isinstance(value.orelse, cst.Name) and value.orelse.value == "None":
                return attr, value.body, True
            weighted = _weighted_branch(value)
            return (attr, weighted, False) if weighted is not None else None
        if isinstance(value, cst.Call | cst.ListComp | cst.List | cst.Attribute):
            return attr, value, False
        return None

    def _shape(self, call: cst.Call, optional: bool, ranks: set[int | None]) -> str | None:
        """The input shape build() gives this layer, as code in ``__init__``'s names; None: leave it to its call.

        A layer whose build fixes its input rank gets the rank its calls give it (``ranks``): 3
        unless a call passes a reshaped tensor; calls of different or unwritten ranks switch it to
        its ``any_rank`` layer (the call is recorded in ``self.any_rank``), or leave it to its call
        when the table has none; only an optional input reaching it gets rank 3.
        """
        name = dotted(call.func)
        if name in self.layer_classes or name in self.aliases:
            return "None"
        spec = T.LAYERS.get(self.inherited.get(name or "") or _norm(name) or "")
        if spec is None or spec.build_shape is None:
            return None
        template = spec.build_shape
        if spec.build_fixes_rank:
            rank = next(iter(ranks)) if len(ranks) == 1 else None
            if rank is None and not optional:
                if spec.any_rank is None:
                    return None
                # the layer that does not fix the rank, built at rank 2
                shape = self._shape(call.with_changes(func=cst.parse_expression(spec.any_rank)), optional, {2})
                if shape is not None:
                    self.any_rank.add(id(call))
                return shape
            features = template.strip("[]").split(", ")[-1]
            template = "[" + "None, " * ((rank or 3) - 1) + features + "]"
        bound, problems = _bind(call, spec.params)
        if problems:
            return None
        for slot in _slots(template):
            if slot not in bound or isinstance(bound[slot], cst.Tuple | cst.List | cst.StarredElement):
                return None
        return _render(template, {k: self.code(v) for k, v in bound.items()}, {})
