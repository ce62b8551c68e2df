"""Stacked past: the cache layout TF ``generate()`` reads for some models (batch on axis 1)."""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule
from scaffold.convert.rules.generation import _mentions, _params
from scaffold.cstwalk import walk

STACK_HELPER = "tf_stacked_past"
STACK_SOURCE = '''
def tf_stacked_past(past_key_values):
    """The cache as TF ``generate()`` reads it for this model (batch on axis 1): one tensor per layer stacking its
    key and value on a new first axis."""
    if past_key_values is None:
        return None
    if hasattr(past_key_values, "to_legacy_cache"):  # a cache object (newer trees keep one throughout)
        past_key_values = past_key_values.to_legacy_cache()
    return tuple(tf.stack(layer_past, axis=0) for layer_past in past_key_values)
'''


def _returns(node: cst.CSTNode, name: str) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Return(self, n: cst.Return) -> bool:
            self.found = self.found or (n.value is not None and _mentions(n.value, name))
            return False

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    finder = Finder()
    walk(node, finder)
    return finder.found


class StackedPast(Rule):
    """A model whose cache TF ``generate()`` reads with the batch on axis 1 keeps one tensor per layer.

    ``generation/tf_utils.py`` of the tree chooses the cache layout by class name (``ctx.stacked_past`` says
    whether this module's classes are among them): its beam search gathers and its XLA loop pads the cache
    as one ``(2, batch, heads, seq, head_dim)`` tensor per layer, where PyTorch keeps a ``(key, value)``
    tuple. The cache a call returns in a model output (``past_key_values=<local>``) is stacked once before
    the first return that hands it out, and a layer's past taken apart (``past_key, past_value =
    layer_past``, a parameter named for the past) is unstacked (iterating a tensor fails in graph mode).
    Other modules are left alone.
    """

    name = "stacked-past"
    phase = "generation"
    summary = "Cache of models TF generate() reads on batch axis 1: stacked per layer on output, unstacked on input."
    examples = (
        Example(
            before="""
def call(self, hidden_states, layer_past=None, use_cache=False):
    if layer_past is not None:
        past_key, past_value = layer_past
        key = tf.concat((past_key, key), axis=-2)
    return (key, value)
""",
            after="""
def call(self, hidden_states, layer_past=None, use_cache=False):
    if layer_past is not None:
        past_key, past_value = tf.unstack(layer_past, axis=0)
        key = tf.concat((past_key, key), axis=-2)
    return (key, value)
""",
            context=(("stacked_past", True),),
        ),
        Example(
            before="""
def call(self, input_ids, past_key_values=None, return_dict=True):
    presents = ()
    for block in self.h:
        presents = presents + (block(input_ids)[1],)
    if not return_dict:
        return tuple(v for v in [hidden_states, presents] if v is not None)
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            after="""
def call(self, input_ids, past_key_values=None, return_dict=True):
    presents = ()
    for block in self.h:
        presents = presents + (block(input_ids)[1],)
    presents = tf_stacked_past(presents)
    if not return_dict:
        return tuple(v for v in [hidden_states, presents] if v is not None)
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            context=(("stacked_past", True), ("tf_outputs", {"TFBaseModelOutputWithPast"})),
        ),
        Example(
            before="""
def call(self, input_ids, past_key_values=None):
    outputs = self.transformer(input_ids, past_key_values=past_key_values)
    return TFCausalLMOutputWithPast(logits=logits, past_key_values=outputs.past_key_values)
""",
            after="""
def call(self, input_ids, past_key_values=None):
    outputs = self.transformer(input_ids, past_key_values=past_key_values)
    return TFCausalLMOutputWithPast(logits=logits, past_key_values=outputs.past_key_values)
""",
            note="a head hands on the cache its main layer stacked; a call's past_key_values argument is no output",
            context=(("stacked_past", True), ("tf_outputs", {"TFCausalLMOutputWithPast"})),
        ),
        Example(
            before="""
def call(self, hidden_states, layer_past=None):
    past_key, past_value = layer_past
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            after="""
def call(self, hidden_states, layer_past=None):
    past_key, past_value = layer_past
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            note="a model whose cache TF generate() reads per (key, value) tuple keeps PyTorch's layout",
            context=(("tf_outputs", {"TFBaseModelOutputWithPast"}),),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self.ctx.stacked_past

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if not self.ctx.stacked_past or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        pasts = {p for p in _params(updated) if "past" in p}
        updated = walk(updated, _Unstack(pasts)) if pasts else updated
        cache = self._output_cache(updated)
        if cache is None:
            return updated
        body = list(updated.body.body)
        at = next((i for i, stmt in enumerate(body) if _returns(stmt, cache)), None)
        if at is None:
            return updated
        helper = self.ctx.need_support(STACK_HELPER, STACK_SOURCE)
        body.insert(at, cst.parse_statement(f"{cache} = {helper}({cache})\n"))
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def _output_cache(self, func: cst.FunctionDef) -> str | None:
        """The local a model output of this function takes as ``past_key_values``."""
        tf_outputs = self.ctx.tf_outputs
        found: list[str] = []

        class Finder(HookVisitor):
            def visit_Call(self, n: cst.Call) -> None:
                if not (isinstance(n.func, cst.Name) and n.func.value in tf_outputs):
                    return
                for arg in n.args:
                    if arg.keyword and arg.keyword.value == "past_key_values" and isinstance(arg.value, cst.Name):
                        found.append(arg.value.value)

            def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
                return n is func

        walk(func, Finder())
        return found[0] if found else None


class _Unstack(HookTransformer):
    """``a, b = <past>`` -> ``a, b = tf.unstack(<past>, axis=0)`` for the given names."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not (len(updated.targets) == 1 and isinstance(updated.targets[0].target, cst.Tuple)):
            return updated
        if not (isinstance(updated.value, cst.Name) and updated.value.value in self.names):
            return updated
        return updated.with_changes(value=cst.parse_expression(f"tf.unstack({updated.value.value}, axis=0)"))


RULES: list[type[Rule]] = [StackedPast]
