"""Module-level functions handed the layer they compute for, and reading its training state.

Newer trees (4.48+) compute attention in a module-level function called with the layer itself,
``eager_attention_forward(self, query, key, value, ...)``, which reads ``module.training`` for its
dropout. A Keras layer has no training state: TF passes ``training`` to ``call``. So, in the PyTorch
code before any other rule: such a function takes ``training`` as an argument instead of reading it from
the layer, and every call of it from a method (by its name, or through a local the method set to it,
``attention_interface = eager_attention_forward``) with ``self`` as the layer passes ``self.training``,
which the training rules then turn into ``call``'s own ``training``.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule
from scaffold.cstwalk import walk


def _reads_training(func: cst.FunctionDef) -> str | None:
    """The first parameter's name when the function reads ``<it>.training``, else None."""
    params = func.params.params
    if not params:
        return None
    layer = params[0].name.value
    found = False

    class Find(HookVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            if isinstance(node.value, cst.Name) and node.value.value == layer and node.attr.value == "training":
                found = True

    walk(func, Find())
    return layer if found else None


class LayerTrainingArgument(Rule):
    """``def f(module, ...): ... module.training`` -> ``def f(module, ..., training=False): ... training``;
    calls from methods with ``self`` pass ``training=self.training``."""

    name = "layer-training-argument"
    summary = "A module-level function reading module.training takes training=; its callers pass self.training."
    examples = (
        Example(
            before="""
def eager_attention_forward(module, query, dropout=0.0, **kwargs):
    return nn.functional.dropout(query, p=dropout, training=module.training)


class LlamaAttention(nn.Module):
    def forward(self, hidden_states):
        attention_interface: Callable = eager_attention_forward
        return attention_interface(self, hidden_states, dropout=self.attention_dropout)
""",
            after="""
def eager_attention_forward(module, query, dropout=0.0, training=False, **kwargs):
    return nn.functional.dropout(query, p=dropout, training=training)


class LlamaAttention(nn.Module):
    def forward(self, hidden_states):
        attention_interface: Callable = eager_attention_forward
        return attention_interface(self, hidden_states, dropout=self.attention_dropout, training=self.training)
""",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self.layer_param = {
            stmt.name.value: layer
            for stmt in node.body
            if isinstance(stmt, cst.FunctionDef) and (layer := _reads_training(stmt)) is not None
        }
        self.aliases: list[set[str]] = []
        self.classes = 0  # how deep in class bodies: only module-level functions take the argument

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes += 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes -= 1
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # locals the function sets to one of those functions (``attention_interface = eager_attention_forward``)
        names: set[str] = set()
        for stmt in node.body.body:
            small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Name):
                target = small.targets[0].target
                if small.value.value in self.layer_param and isinstance(target, cst.Name):
                    names.add(target.value)
            elif isinstance(small, cst.AnnAssign) and isinstance(small.value, cst.Name):
                if small.value.value in self.layer_param and isinstance(small.target, cst.Name):
                    names.add(small.target.value)
        self.aliases.append(names)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        known = self.layer_param.keys() | (self.aliases[-1] if self.aliases else set())
        if not (isinstance(func, cst.Name) and func.value in known):
            return updated
        first = updated.args[0] if updated.args else None
        if (
            first is None
            or first.keyword is not None
            or not (isinstance(first.value, cst.Name) and first.value.value == "self")
        ):
            return updated
        if any(a.keyword is not None and a.keyword.value == "training" for a in updated.args):
            return updated
        args = list(updated.args)
        at = next((i for i, a in enumerate(args) if a.star == "**"), len(args))
        new = cst.Arg(
            keyword=cst.Name("training"),
            value=cst.parse_expression("self.training"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            ),
        )
        return updated.with_changes(args=[*args[:at], new, *args[at:]])

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.aliases.pop()
        layer = self.layer_param.get(updated.name.value)
        if layer is None or self.classes or len(self.aliases) > 0:
            return updated

        class Replace(HookTransformer):
            def leave_Attribute(self, node: cst.Attribute, new: cst.Attribute) -> cst.BaseExpression:
                if isinstance(new.value, cst.Name) and new.value.value == layer and new.attr.value == "training":
                    return cst.Name("training")
                return new

        updated = walk(updated, Replace())
        params = updated.params
        if any(p.name.value == "training" for p in (*params.params, *params.kwonly_params)):
            return updated
        param = cst.Param(
            cst.Name("training"),
            default=cst.Name("False"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            ),
        )
        if params.kwonly_params or isinstance(params.star_arg, cst.Param):
            return updated.with_changes(params=params.with_changes(kwonly_params=[*params.kwonly_params, param]))
        return updated.with_changes(params=params.with_changes(params=[*params.params, param]))


RULES: list[type[Rule]] = [LayerTrainingArgument]
