"""A module-level function that only returns a new layer is inlined where a layer attribute is set.

``def point_wise_feed_forward_network(d, dff): return nn.Sequential(nn.Linear(d, dff), ...)`` then
``self.ffn = point_wise_feed_forward_network(d_model_size, dff)``: PyTorch names the weights by the
attribute (``ffn.0.weight``), but a Keras layer made inside the function gets no ``name=``, so its
weights would be named by Keras' counters and never cross-load. With the constructor call written
at the assignment, the layer rules see it as any other sublayer (name, build, Sequential items).
The function itself stays (other code may call it).
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookTransformer, Rule, dotted, is_docstring
from scaffold.cstwalk import walk

# arguments that keep their meaning when put in place of a name inside a larger expression
_ATOMS = (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.SimpleString, cst.Call, cst.Subscript)


def _layer_factories(module: cst.Module, local_classes: set[str]) -> dict[str, cst.FunctionDef]:
    """Module-level functions whose body is ``return <layer constructor call>`` (a docstring aside)."""
    found: dict[str, cst.FunctionDef] = {}
    layers = set(T.LAYERS) | T.SEQUENTIAL | T.MODULE_LIST | local_classes
    for stmt in module.body:
        if not isinstance(stmt, cst.FunctionDef) or stmt.decorators:
            continue
        params = stmt.params
        if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg or params.kwonly_params:
            continue
        body = [s for s in stmt.body.body if not is_docstring(s)]
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
            continue
        ret = body[0].body[0]
        if isinstance(ret, cst.Return) and isinstance(ret.value, cst.Call) and dotted(ret.value.func) in layers:
            found[stmt.name.value] = stmt
    return found


class _Substitute(HookTransformer):
    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        self.values = values

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)  # ``x.dim`` is not the parameter ``dim``

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)  # nor is the keyword ``dim=``

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        value = self.values.get(original.value)
        if value is None:
            return updated
        if isinstance(value, _ATOMS) or value.lpar:
            return value
        return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class InlineLayerFactories(Rule):
    """``self.x = make_layer(a, b)`` with ``def make_layer(p, q): return nn.X(...)`` -> ``self.x = nn.X(...)``."""

    name = "inline-layer-factories"
    summary = (
        "self.ffn = factory(d, dff) where factory only returns nn.Sequential(...) -> self.ffn = nn.Sequential(...)."
    )
    examples = (
        Example(
            before="""
def point_wise_feed_forward_network(d_model_size, dff):
    return nn.Sequential(nn.Linear(d_model_size, dff), nn.ReLU(), nn.Linear(dff, d_model_size))


class EncoderLayer(nn.Module):
    def __init__(self, d_model_size, num_heads, dff, rate=0.1):
        self.ffn = point_wise_feed_forward_network(d_model_size, dff=2 * dff)
        self.other = helper(d_model_size)
""",
            after="""
def point_wise_feed_forward_network(d_model_size, dff):
    return nn.Sequential(nn.Linear(d_model_size, dff), nn.ReLU(), nn.Linear(dff, d_model_size))


class EncoderLayer(nn.Module):
    def __init__(self, d_model_size, num_heads, dff, rate=0.1):
        self.ffn = nn.Sequential(nn.Linear(d_model_size, (2 * dff)), nn.ReLU(), nn.Linear((2 * dff), d_model_size))
        self.other = helper(d_model_size)
""",
            note="arguments take the parameters' places (parenthesised where they are expressions)",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.factories = _layer_factories(node, self.ctx.local_classes)
        return bool(self.factories)

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        value = updated.value
        if not (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Attribute)
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value in self.factories
        ):
            return updated
        factory = self.factories[value.func.value]
        bound = _bind(factory, value)
        if bound is None:
            return updated
        ret = next(
            s.body[0] for s in factory.body.body if not is_docstring(s) and isinstance(s, cst.SimpleStatementLine)
        )
        inlined = walk(ret.value, _Substitute(bound))  # type: ignore[union-attr]
        return updated.with_changes(value=inlined)


def _bind(factory: cst.FunctionDef, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """Parameter -> argument (or default) of a call; None when the call cannot be bound plainly."""
    params = [*factory.params.posonly_params, *factory.params.params]
    bound: dict[str, cst.BaseExpression] = {}
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args) or len(positional) > len(params):
        return None
    for param, arg in zip(params, positional, strict=False):
        bound[param.name.value] = arg.value
    names = {p.name.value for p in params}
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value not in names or arg.keyword.value in bound:
                return None
            bound[arg.keyword.value] = arg.value
    for param in params:
        if param.name.value not in bound:
            if param.default is None:
                return None
            bound[param.name.value] = param.default
    return bound


RULES: list[type[Rule]] = [InlineLayerFactories]
