"""``nn.Sequential``/``nn.ModuleList``/``nn.ModuleDict`` containers, and the ``name=`` of sublayers."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, changed, dotted
from scaffold.convert.rules.layers.attributes import _appended_local, _list_owners
from scaffold.convert.rules.layers.common import _add_kw, _free_names, _InInit, _norm, _self_attr, _string
from scaffold.convert.rules.layers.keras_layers import _EMITTED_LAYERS
from scaffold.cstwalk import walk

_SEQUENTIAL = '''
class TFSequential(keras.layers.Layer):
    """PyTorch's ``nn.Sequential``: items named ``"0"``, ``"1"``, ... as in the state dict."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.sequence = layers

    def call(self, hidden_states):
        for layer in self.sequence:
            hidden_states = layer(hidden_states)
        return hidden_states

    # PyTorch code also iterates, indexes and measures a Sequential
    def __iter__(self):
        return iter(self.sequence)

    def __getitem__(self, index):
        return self.sequence[index]

    def __len__(self):
        return len(self.sequence)
'''


def _is_layer_call(node: cst.BaseExpression, ctx, layer_classes: set[str]) -> bool:
    if not isinstance(node, cst.Call):
        return False
    name = dotted(node.func)
    if name is None:
        return False
    return name.startswith(f"{ctx.keras}.layers.") or name in _EMITTED_LAYERS or name in layer_classes


def _layer_classes(ctx) -> set[str]:
    """TF names of the module's classes that are layers (not outputs or configs), and other ports' layers it uses."""
    out = {target for target, _ in ctx.foreign_layers.values()}
    for pt in ctx.local_classes:
        if ctx.derives_from(pt, "ModelOutput") or pt == ctx.config_class:
            continue
        out.add(ctx.tf_name(pt))
    return out


class ModuleContainers(_InInit):
    """``nn.ModuleList`` becomes a Python list, ``nn.Sequential`` a small layer that loops.

    Keras tracks layers held in a list attribute; their names (``<attr>_._<i>``) are given by
    ``sublayer-names``. ``keras.Sequential`` would build its own graph outside the parent's name
    scope (variables named ``0/kernel:0``), so ``nn.Sequential`` becomes a helper layer whose
    items are named by their PyTorch index. Dicts of modules or parameters are TODOs.
    """

    name = "module-containers"
    phase = "containers"
    summary = "nn.ModuleList([...]) -> [...]; nn.Sequential(a, b) -> TFSequential([a(name='0'), b(name='1')])."
    examples = (
        Example(
            before="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])
        self.heads = nn.ModuleList()
        self.mlp = nn.Sequential(keras.layers.Dense(4, name="fc"), get_tf_activation("relu"), keras.layers.Dense(2))
        self.head = nn.Sequential(keras.layers.Flatten(), keras.layers.Dense(2) if n > 0 else keras.layers.Identity())
        self.experts = nn.ModuleDict({"a": BertLayer(config)})
""",
            after="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = [BertLayer(config) for _ in range(config.num_hidden_layers)]
        self.heads = []
        self.mlp = TFSequential([keras.layers.Dense(4, name="0"), get_tf_activation("relu"), keras.layers.Dense(2, name="2")])
        self.head = TFSequential([keras.layers.Flatten(name="0"), keras.layers.Dense(2, name="1") if n > 0 else keras.layers.Identity(name="1")])
        # TODO(tfscaffold): nn.ModuleDict: Keras has no dict of layers; hold them in attributes or a list
        self.experts = nn.ModuleDict({"a": BertLayer(config)})
""",
            note="A name given before is replaced: the state-dict key of a Sequential item is its index.",
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        self.layers = nn.Sequential(*[TFBertLayer(config, j) for j in range(depth)])
        self.other = nn.Sequential(*[TFBertLayer(config, j) for j in range(1, depth)])
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        self.layers = TFSequential([TFBertLayer(config, j, name=f"{j}") for j in range(depth)])
        # TODO(tfscaffold): nn.Sequential: items not written out one by one
        self.other = nn.Sequential(*[TFBertLayer(config, j) for j in range(1, depth)])
""",
            note="the loop variable is the item's index only for range(n)",
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        layer = TFBertXLayer if config.layer_type == "x" else TFBertYLayer
        self.layers = nn.Sequential(layer(config, 2), *[layer(config, 1) for _ in range(depth - 1)], nn.ReLU())
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        layer = TFBertXLayer if config.layer_type == "x" else TFBertYLayer
        self.layers = TFSequential([layer(config, 2, name="0"), *[layer(config, 1, name=f"{1 + j}") for j in range(depth - 1)], nn.ReLU()])
""",
            note="an item after a counted comprehension is not a layer call here; one would be named str(1 + depth - 1)",
            context=(("local_classes", {"BertXLayer", "BertYLayer"}),),
        ),
        Example(
            before="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        if config.wide:
            first_layer = TFBertLayer(config, 2)
        else:
            first_layer = TFBertLayer(config, 1)
        self.layers = nn.Sequential(first_layer, *[TFBertLayer(config, 1) for _ in range(depth - 1)])
""",
            after="""
class BertStage(nn.Module):
    def __init__(self, config, depth):
        if config.wide:
            first_layer = TFBertLayer(config, 2, name="0")
        else:
            first_layer = TFBertLayer(config, 1, name="0")
        self.layers = TFSequential([first_layer, *[TFBertLayer(config, 1, name=f"{1 + j}") for j in range(depth - 1)]])
""",
            note="an item made earlier in a local is named where it is made",
        ),
        Example(
            before="""
class BertHead(nn.Module):
    def __init__(self, config):
        convs = []
        convs.append(TFBertLayer(config, 2))
        for i in range(config.num_convs - 1):
            convs.append(TFBertLayer(config, 1))
        self.convs = nn.Sequential(*convs)
""",
            after="""
class BertHead(nn.Module):
    def __init__(self, config):
        convs = []
        convs.append(TFBertLayer(config, 2, name=f"{len(convs)}"))
        for i in range(config.num_convs - 1):
            convs.append(TFBertLayer(config, 1, name=f"{len(convs)}"))
        self.convs = TFSequential(convs)
""",
            note="a local list of layers: each item is named by the list's length when it is appended",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.local_names: dict = {}  # "" -> locals made by layer calls; local -> its item's name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.local_names = {}
        return super().visit_FunctionDef(node)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        named = {k: v for k, v in self.local_names.items() if k not in ("", "*")}
        layers = _layer_classes(self.ctx) | layer_aliases(original, _layer_classes(self.ctx))
        if named and self.in_init:
            updated = walk(updated, _NameLocalItems(named, self.ctx, layers))  # type: ignore[assignment]
        if self.local_names.get("*") and self.in_init:
            updated = walk(updated, _NameListItems(self.local_names["*"], self.ctx, layers))  # type: ignore[assignment]
        self.local_names = {}
        return super().leave_FunctionDef(original, updated)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _norm(dotted(updated.func))
        if name in T.MODULE_LIST:
            if not updated.args:
                return cst.List(elements=[])
            if len(updated.args) != 1 or updated.args[0].keyword or updated.args[0].star:
                self.todo(name, "unexpected arguments")
                return updated
            value = updated.args[0].value
            if isinstance(value, cst.List | cst.ListComp):
                return value
            if isinstance(value, cst.GeneratorExp):
                return cst.ListComp(elt=value.elt, for_in=value.for_in)
            return cst.parse_expression(f"list({self.code(value)})")
        if name in T.SEQUENTIAL:
            layers = _layer_classes(self.ctx)
            if self.in_init:
                layers |= layer_aliases(self.functions[-1], layers)
                self.local_names.setdefault("", _layer_locals(self.functions[-1], self.ctx, layers))
            counted = _counted_items(updated, self.ctx, layers)
            listed = _starred_local(updated)
            if counted is None and self.in_init and listed in _local_lists(self.functions[-1]):
                self.local_names.setdefault("*", set()).add(listed)
                source = _SEQUENTIAL.replace("keras.", f"{self.ctx.keras}.")
                return cst.parse_expression(f"{self.ctx.need_support('TFSequential', source)}({listed})")
            if counted is None and any(a.star or a.keyword for a in updated.args):
                counted = _mixed_items(updated, self.ctx, layers, self.local_names)
                if counted is None:
                    self.todo(name, "items not written out one by one")
                    return updated
            if counted is not None:
                source = _SEQUENTIAL.replace("keras.", f"{self.ctx.keras}.")
                helper = self.ctx.need_support("TFSequential", source)
                return cst.parse_expression(f"{helper}({self.code(counted)})")
            items = []
            for i, arg in enumerate(updated.args):
                items.append(self.code(_name_item(arg.value, _string(str(i)), self.ctx, layers, self.local_names)))
            source = _SEQUENTIAL.replace("keras.", f"{self.ctx.keras}.")
            helper = self.ctx.need_support("TFSequential", source)
            return cst.parse_expression(f"{helper}([{', '.join(items)}])")
        if name in ("nn.ModuleDict", "nn.ParameterDict"):
            self.todo(name, "Keras has no dict of layers; hold them in attributes or a list")
        elif name == "nn.ParameterList":
            self.todo(name, "create each weight with add_weight in build()")
        return updated


def layer_aliases(function: cst.FunctionDef, layers: set[str]) -> set[str]:
    """``layer = TFXLayer if c else TFYLayer`` in ``function``'s body: names whose calls make a layer."""
    found: set[str] = set()
    for stmt in function.body.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
            continue
        assign = stmt.body[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            continue
        value = assign.value
        choices = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
        if all(dotted(c) in layers for c in choices):
            found.add(assign.targets[0].target.value)
    return found


def _layer_locals(function: cst.FunctionDef, ctx, layers: set[str]) -> set[str]:
    """Locals of ``function`` every assignment of which (in any branch) is a layer call."""
    return _locals_always(function, lambda value: _is_layer_call(value, ctx, layers))


def _locals_always(function: cst.FunctionDef, test) -> set[str]:
    """Locals of ``function`` every assigned value of which (in any branch) passes ``test``."""
    made: dict[str, bool] = {}

    class Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    key = target.target.value
                    made[key] = made.get(key, True) and test(node.value)

    walk(function.body, Visitor())
    return {name for name, ok in made.items() if ok}


class _NameLocalItems(HookTransformer):
    """``first = Layer(...)`` where ``first`` is a Sequential item: the call gets the item's name."""

    def __init__(self, names: dict[str, cst.BaseExpression], ctx, layers: set[str]) -> None:
        super().__init__()
        self.names, self.ctx, self.layers = names, ctx, layers

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        target = updated.targets[0].target if len(updated.targets) == 1 else None
        if isinstance(target, cst.Name) and target.value in self.names:
            return updated.with_changes(
                value=_name_item(updated.value, self.names[target.value], self.ctx, self.layers)
            )
        return updated


class _NameListItems(HookTransformer):
    """Items of local lists a Sequential is made of (``nn.Sequential(*convs)``), named by their index:
    ``convs.append(Layer(...))`` -> ``name=f"{len(convs)}"``, ``convs = [a, b]`` -> ``"0"``, ``"1"``."""

    def __init__(self, lists: set[str], ctx, layers: set[str]) -> None:
        super().__init__()
        self.lists, self.ctx, self.layers = lists, ctx, layers

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        target = updated.targets[0].target if len(updated.targets) == 1 else None
        if not (isinstance(target, cst.Name) and target.value in self.lists and isinstance(updated.value, cst.List)):
            return updated
        elements = [
            changed(e, value=_name_item(e.value, _string(str(i)), self.ctx, self.layers))
            for i, e in enumerate(updated.value.elements)
        ]
        return changed(updated, value=changed(updated.value, elements=elements))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "append"
            and isinstance(func.value, cst.Name)
            and func.value.value in self.lists
            and len(updated.args) == 1
        ):
            return updated
        name = cst.parse_expression(f'f"{{len({func.value.value})}}"')
        return updated.with_changes(
            args=[updated.args[0].with_changes(value=_name_item(updated.args[0].value, name, self.ctx, self.layers))]
        )


def _starred_local(call: cst.Call) -> str | None:
    """``nn.Sequential(*convs)`` -> ``"convs"``."""
    if len(call.args) == 1 and call.args[0].star == "*" and isinstance(call.args[0].value, cst.Name):
        return call.args[0].value.value
    return None


def _local_lists(function: cst.FunctionDef) -> set[str]:
    """Locals of ``function`` only ever assigned list displays (``convs = []``): their items are known."""
    return _locals_always(function, lambda value: isinstance(value, cst.List))


def _counted_comprehension(value: cst.BaseExpression, ctx, layers: set[str]) -> cst.ListComp | None:
    """``[Layer(...) for j in range(n)]`` (or a generator): the one form whose items have a known count."""
    if not isinstance(value, cst.ListComp | cst.GeneratorExp):
        return None
    loop = value.for_in
    if loop.inner_for_in is not None or loop.ifs or not isinstance(loop.target, cst.Name):
        return None
    it = loop.iter
    if not (isinstance(it, cst.Call) and dotted(it.func) == "range" and len(it.args) == 1 and not it.args[0].star):
        return None
    if it.args[0].keyword is not None or not _is_layer_call(value.elt, ctx, layers):
        return None
    return cst.ListComp(elt=value.elt, for_in=loop)


def _counted_items(call: cst.Call, ctx, layers: set[str]) -> cst.ListComp | None:
    """``nn.Sequential(*[Layer(...) for j in range(n)])``: the list, item ``j`` named ``"{j}"``.

    Only a single comprehension over ``range(n)`` with no condition: there the loop variable is
    the item's index, which is its state-dict key. Anything else is None.
    """
    if len(call.args) != 1 or call.args[0].star != "*" or call.args[0].keyword is not None:
        return None
    comp = _counted_comprehension(call.args[0].value, ctx, layers)
    if comp is None:
        return None
    target = comp.for_in.target.value  # type: ignore[attr-defined]
    named = _set_name(comp.elt, cst.parse_expression(f'f"{{{target}}}"'))  # type: ignore[arg-type]
    return comp.with_changes(elt=named)


def _mixed_items(call: cst.Call, ctx, layers: set[str], local_names: dict | None = None) -> cst.List | None:
    """``nn.Sequential(a, *[Layer(...) for _ in range(n - 1)], b)``: a list whose items carry their index.

    Items before a counted comprehension have static indices; an item of the comprehension is
    the items before it plus its loop variable; later items add the comprehension's length. Any
    other starred or keyword argument leaves the count unknown: None.
    """
    offset = "0"
    elements: list[cst.BaseElement] = []
    for arg in call.args:
        if arg.keyword is not None:
            return None
        if arg.star == "*":
            comp = _counted_comprehension(arg.value, ctx, layers)
            if comp is None:
                return None
            loop = comp.for_in
            used = set(_free_names(comp.elt))
            target = loop.target.value  # type: ignore[attr-defined]
            if target == "_":
                target = next(n for n in ("j", "index", "item_index") if n not in used)
                loop = loop.with_changes(target=cst.Name(target))
            index = target if offset == "0" else f"{offset} + {target}"
            named = _set_name(comp.elt, cst.parse_expression(f'f"{{{index}}}"'))  # type: ignore[arg-type]
            elements.append(cst.StarredElement(value=comp.with_changes(elt=named, for_in=loop)))
            count = cst.Module([]).code_for_node(loop.iter.args[0].value)  # type: ignore[attr-defined]
            offset = count if offset == "0" else f"{offset} + {count}"
            continue
        name = _string(offset) if offset.isdigit() else cst.parse_expression(f"str({offset})")
        elements.append(cst.Element(value=_name_item(arg.value, name, ctx, layers, local_names)))
        offset = str(int(offset) + 1) if offset.isdigit() else f"{offset} + 1"
    return cst.List(elements=elements)


def _name_item(
    value: cst.BaseExpression, name: cst.BaseExpression, ctx, layers: set[str], local_names: dict | None = None
) -> cst.BaseExpression:
    """A Sequential item named by its index: a layer call, or each layer call of ``a if c else b``.

    An item that is a local of ``__init__`` made by layer calls only is noted in ``local_names``
    (local -> name): the assignments that make it are named once the function is left.
    """
    if isinstance(value, cst.Name) and local_names is not None and value.value in local_names.get("", set()):
        local_names[value.value] = name
        return value
    if _is_layer_call(value, ctx, layers):
        return _set_name(value, name)  # type: ignore[arg-type]
    if isinstance(value, cst.IfExp):
        return value.with_changes(
            body=_name_item(value.body, name, ctx, layers, local_names),
            orelse=_name_item(value.orelse, name, ctx, layers, local_names),
        )
    return value


def _set_name(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == "name")]
    return _add_kw(call.with_changes(args=args), "name", value)


class SublayerNames(_InInit):
    """Every sublayer built in ``__init__`` gets ``name="<PyTorch attribute>"``.

    TF variable paths are the chain of layer names; the loader maps them to state-dict keys, so
    the names are what makes weights load. Items of a list attribute get ``<attr>_._<i>`` (the
    loader turns ``_._`` into a ``.`` level); ``self.<attr>.append(layer)`` uses the list's
    current length as the index. Runs before renames of attributes Keras reserves, so the
    names stay PyTorch's.
    """

    name = "sublayer-names"
    summary = 'self.dense = keras.layers.Dense(...) -> keras.layers.Dense(..., name="dense"); lists -> f"layer_._{i}".'
    examples = (
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.self = TFBertSelfAttention(config)
        self.dense = keras.layers.Dense(4)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None
        self.layer = [TFBertLayer(config) for _ in range(config.num_hidden_layers)]
        self.blocks = [TFBertLayer(config, layer_idx=idx) for idx in range(2, 5)]
        self.pair = [keras.layers.Dense(4), keras.layers.Dense(4)]
        self.extra = []
        for size in sizes:
            self.extra.append(keras.layers.Dense(size))
        self.act = get_tf_activation("gelu")
        attention_class = TFBertSelfAttention
        self.attn = attention_class(config=config)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.self = TFBertSelfAttention(config, name="self")
        self.dense = keras.layers.Dense(4, name="dense")
        self.pooler = TFBertPooler(config, name="pooler") if add_pooling_layer else None
        self.layer = [TFBertLayer(config, name=f"layer_._{i}") for i in range(config.num_hidden_layers)]
        self.blocks = [TFBertLayer(config, layer_idx=idx, name=f"blocks_._{i}") for i, idx in enumerate(range(2, 5))]
        self.pair = [keras.layers.Dense(4, name="pair_._0"), keras.layers.Dense(4, name="pair_._1")]
        self.extra = []
        for size in sizes:
            self.extra.append(keras.layers.Dense(size, name=f"extra_._{len(self.extra)}"))
        self.act = get_tf_activation("gelu")
        attention_class = TFBertSelfAttention
        self.attn = attention_class(config=config, name="attn")
""",
            context=(("local_classes", {"BertSelfAttention", "BertPooler", "BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i)
            self.stages.append(stage)
            other = TFBertLayer(config, i)
            self.stages.append(keras.layers.Dense(4))
            self.stages.append(other)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i, name=f"stages_._{len(self.stages)}")
            self.stages.append(stage)
            other = TFBertLayer(config, i)
            self.stages.append(keras.layers.Dense(4, name=f"stages_._{len(self.stages)}"))
            self.stages.append(other)
""",
            note="a local appended after another append to the same list is not named: its index is not known there",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        network = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i)
            network.append(stage)
            if config.downsample:
                network.append(TFBertLayer(config, i))
        self.network = list(network)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        network = []
        for i in range(config.num_stages):
            stage = TFBertLayer(config, i, name=f"network_._{len(network)}")
            network.append(stage)
            if config.downsample:
                network.append(TFBertLayer(config, i, name=f"network_._{len(network)}"))
        self.network = list(network)
""",
            note="a local list that becomes the attribute names its items after the attribute",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        blocks = []
        for i in range(config.num_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFBertLayer(config, j))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
""",
            after="""
class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        blocks = []
        for i in range(config.num_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFBertLayer(config, j, name=f"block_._{len(blocks)}_._{len(layers)}"))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
""",
            note="a list of lists: block.<i>.<j> in the state dict",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFBertASPP(keras.layers.Layer):
    def __init__(self, config):
        self.convs = []
        self.convs.append(TFBertLayer(config, 1))
        self.convs.extend([TFBertLayer(config, rate) for rate in config.rates])
        self.convs.extend([TFBertLayer(config, 2), TFBertLayer(config, 3)])
""",
            after="""
class TFBertASPP(keras.layers.Layer):
    def __init__(self, config):
        self.convs = []
        self.convs.append(TFBertLayer(config, 1, name=f"convs_._{len(self.convs)}"))
        self.convs.extend([TFBertLayer(config, rate, name=f"convs_._{len(self.convs) + i}") for i, rate in enumerate(config.rates)])
        self.convs.extend([TFBertLayer(config, 2, name=f"convs_._{len(self.convs) + 0}"), TFBertLayer(config, 3, name=f"convs_._{len(self.convs) + 1}")])
""",
            note="the list's length is read before extend adds anything",
            context=(("local_classes", {"BertLayer"}),),
        ),
        Example(
            before="""
class TFTapasEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        for i, size in enumerate(config.type_vocab_sizes):
            name = f"token_type_embeddings_{i}"
            setattr(self, name, keras.layers.Embedding(size, config.hidden_size))
""",
            after="""
class TFTapasEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        for i, size in enumerate(config.type_vocab_sizes):
            name = f"token_type_embeddings_{i}"
            setattr(self, name, keras.layers.Embedding(size, config.hidden_size, name=name))
""",
            note="a layer set by setattr is named by the attribute's name expression",
        ),
    )

    def _named(self, value: cst.BaseExpression, attr: str, layers: set[str]) -> cst.BaseExpression:
        if _is_layer_call(value, self.ctx, layers):
            return _add_kw(value, "name", _string(attr))  # type: ignore[arg-type]
        if isinstance(value, cst.IfExp):
            return value.with_changes(
                body=self._named(value.body, attr, layers), orelse=self._named(value.orelse, attr, layers)
            )
        if isinstance(value, cst.List):
            elements = []
            for i, element in enumerate(value.elements):
                if isinstance(element, cst.Element) and _is_layer_call(element.value, self.ctx, layers):
                    element = element.with_changes(value=_add_kw(element.value, "name", _string(f"{attr}_._{i}")))
                elements.append(element)
            return value.with_changes(elements=elements)
        if isinstance(value, cst.ListComp) and _is_layer_call(value.elt, self.ctx, layers):
            for_in = value.for_in
            if for_in.inner_for_in is not None or not isinstance(for_in.target, cst.Name):
                self.todo(f"list of {attr}", "nested or unpacking comprehension: name its items by hand")
                return value
            target = for_in.target.value
            iterable = for_in.iter
            counts_from_zero = (
                isinstance(iterable, cst.Call)
                and dotted(iterable.func) == "range"
                and len(iterable.args) == 1
                and not iterable.args[0].keyword
            )
            index = target
            if counts_from_zero and target == "_":
                index = "i"
                for_in = for_in.with_changes(target=cst.Name("i"))
            elif not counts_from_zero:
                index = "i" if target != "i" else "index"
                for_in = for_in.with_changes(
                    target=cst.Tuple(
                        elements=[cst.Element(cst.Name(index)), cst.Element(for_in.target)], lpar=[], rpar=[]
                    ),
                    iter=cst.parse_expression(f"enumerate({self.code(iterable)})"),
                )
            name = cst.parse_expression(f'f"{attr}_._{{{index}}}"')
            return value.with_changes(elt=_add_kw(value.elt, "name", name), for_in=for_in)  # type: ignore[arg-type]
        return value

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.aliases: set[str] = set()  # local names of __init__ bound to a layer class
        self.list_owners: dict[str, str] = {}  # local list of __init__ -> the attribute it becomes

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == "__init__":
            self.aliases = set()
            self.list_owners = _list_owners(node)
        return super().visit_FunctionDef(node)

    def _container(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """``self.<attr>`` or a local list that becomes ``self.<attr>``: (attr, the list's code)."""
        attr = _self_attr(node)
        if attr is not None:
            return attr, f"self.{attr}"
        if isinstance(node, cst.Name) and node.value in self.list_owners:
            return self.list_owners[node.value], node.value
        return None

    def _layers(self) -> set[str]:
        return _layer_classes(self.ctx) | self.aliases

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.in_init or len(updated.targets) != 1:
            return updated
        target = updated.targets[0].target
        if isinstance(target, cst.Name):
            # ``attention_class = TFGPT2Attention`` (or one of two): calls of it build a layer
            choices = [updated.value]
            if isinstance(updated.value, cst.IfExp):
                choices = [updated.value.body, updated.value.orelse]
            if all(dotted(c) in self._layers() or dotted(c) in _EMITTED_LAYERS for c in choices):
                self.aliases.add(target.value)
            return updated
        attr = _self_attr(target)
        if attr is None:
            return updated
        return updated.with_changes(value=self._named(updated.value, attr, self._layers()))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if (
            self.in_init
            and isinstance(func, cst.Name)
            and func.value == "setattr"
            and len(updated.args) == 3
            and isinstance(updated.args[0].value, cst.Name)
            and updated.args[0].value.value == "self"
            and _is_layer_call(updated.args[2].value, self.ctx, self._layers())
        ):
            # ``setattr(self, name, Layer(...))``: the attribute's name, whatever expression gives it
            args = list(updated.args)
            args[2] = args[2].with_changes(value=_add_kw(args[2].value, "name", args[1].value))
            return updated.with_changes(args=args)
        if self.in_init and isinstance(func, cst.Attribute) and func.attr.value == "extend":
            return self._extended(updated)
        if not (self.in_init and isinstance(func, cst.Attribute) and func.attr.value == "append"):
            return updated
        container = self._container(func.value)
        if container is None or len(updated.args) != 1:
            return updated
        item = updated.args[0].value
        if not _is_layer_call(item, self.ctx, self._layers()):
            return updated
        attr, owner = container
        name = cst.parse_expression(f'f"{attr}_._{{len({owner})}}"')
        return updated.with_changes(args=[updated.args[0].with_changes(value=_add_kw(item, "name", name))])

    def _extended(self, call: cst.Call) -> cst.Call:
        """``self.convs.extend([Layer(...) for rate in rates])``: item ``i`` is ``convs_._{len + i}``."""
        container = self._container(call.func.value)  # type: ignore[attr-defined]
        if container is None or len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            return call
        attr, owner = container
        value = call.args[0].value
        layers = self._layers()
        if isinstance(value, cst.List):
            elements = [
                (
                    e.with_changes(
                        value=_add_kw(e.value, "name", cst.parse_expression(f'f"{attr}_._{{len({owner}) + {k}}}"'))
                    )
                    if isinstance(e, cst.Element) and _is_layer_call(e.value, self.ctx, layers)
                    else e
                )
                for k, e in enumerate(value.elements)
            ]
            return call.with_changes(args=[call.args[0].with_changes(value=value.with_changes(elements=elements))])
        if not (isinstance(value, cst.ListComp | cst.GeneratorExp) and _is_layer_call(value.elt, self.ctx, layers)):
            return call
        loop = value.for_in
        if loop.inner_for_in is not None or loop.ifs:
            return call
        index = next(n for n in ("i", "index", "item_index") if n not in _free_names(value))
        loop = loop.with_changes(
            target=cst.Tuple([cst.Element(cst.Name(index)), cst.Element(loop.target)], lpar=[], rpar=[]),
            iter=cst.Call(cst.Name("enumerate"), [cst.Arg(loop.iter)]),
        )
        name = cst.parse_expression(f'f"{attr}_._{{len({owner}) + {index}}}"')
        named = value.with_changes(elt=_add_kw(value.elt, "name", name), for_in=loop)  # type: ignore[arg-type]
        return call.with_changes(args=[call.args[0].with_changes(value=named)])

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        """``stage = Layer(...)`` then ``self.stages.append(stage)`` in the same block: named at the assignment.

        The list's length is the index as long as nothing is appended to it in between.
        """
        if not self.in_init:
            return updated
        body = list(updated.body)
        for i, stmt in enumerate(body):
            appended = _appended_local(stmt)
            container = self._container(appended[0]) if appended else None
            if appended is None or container is None:
                continue
            local = appended[1]
            attr, owner = container
            for j in range(i - 1, -1, -1):
                earlier = body[j]
                if owner in self.code(earlier):
                    break
                small = earlier.body[0] if isinstance(earlier, cst.SimpleStatementLine) else None
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and small.targets[0].target.value == local
                ):
                    if _is_layer_call(small.value, self.ctx, self._layers()):
                        name = cst.parse_expression(f'f"{attr}_._{{len({owner})}}"')
                        named = small.with_changes(value=_add_kw(small.value, "name", name))
                        body[j] = earlier.with_changes(body=[named, *earlier.body[1:]])
                    break
                if local in self.code(earlier):
                    break
        return updated.with_changes(body=body)
