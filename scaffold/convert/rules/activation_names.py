"""Activation names read at run time that TF spells differently.

``ACT2FN[config.hidden_act]`` becomes ``get_tf_activation(config.hidden_act)``: the key is a config
value, known only at run time. Most names are shared by the two tables, but some PyTorch names have
a TF twin under another name (``gelu_pytorch_tanh`` is TF's ``gelu_new``) and ``get_tf_activation``
raises a KeyError on them. When the module itself names such an activation in a string (a default
it sets, as ``config.hidden_activation = "gelu_pytorch_tanh"``), the run-time key goes through a
support helper that renames it (so does a default of the model's configuration,
``hidden_act="gelu_pytorch_tanh"``); elsewhere the call is left alone (an unknown name still fails
loudly, never silently).
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule
from scaffold.cstwalk import walk

HELPER = "tf_activation_name"
SOURCE = (
    "def tf_activation_name(name):\n"
    '    """The TF name of an activation PyTorch spells differently (the same function)."""\n'
    f"    return {dict(sorted(T.ACTIVATION_ALIASES.items()))!r}.get(name, name)\n"
)


class ActivationNames(Rule):
    """Run-time activation keys go through the rename helper when the module names a renamed activation."""

    name = "activation-names"
    summary = "get_tf_activation(key) -> get_tf_activation(tf_activation_name(key)) when the module uses a PT alias."
    examples = (
        Example(
            before=(
                "def __init__(self, config):\n"
                '    config.hidden_activation = "gelu_pytorch_tanh"\n'
                "    self.act_fn = get_tf_activation(config.hidden_activation)\n"
                '    self.other = get_tf_activation("relu")\n'
            ),
            after=(
                "def __init__(self, config):\n"
                '    config.hidden_activation = "gelu_pytorch_tanh"\n'
                "    self.act_fn = get_tf_activation(tf_activation_name(config.hidden_activation))\n"
                '    self.other = get_tf_activation("relu")\n'
            ),
        ),
        Example(
            before="self.act = get_tf_activation(config.hidden_act)\n",
            after="self.act = get_tf_activation(tf_activation_name(config.hidden_act))\n",
            context=(("config_strings", frozenset({"gelu_pytorch_tanh", "rope_theta"})),),
            note="the configuration's defaults name a renamed activation",
        ),
        Example(
            before="self.act = get_tf_activation(config.hidden_act)\n",
            after="self.act = get_tf_activation(config.hidden_act)\n",
            note="neither the module nor its configuration names a renamed activation: left alone",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.active = False

        class Strings(HookVisitor):
            found = False

            def visit_SimpleString(self, s: cst.SimpleString) -> None:
                if s.evaluated_value in T.ACTIVATION_ALIASES:
                    self.found = True

        finder = Strings()
        walk(node, finder)
        # the config's own defaults name activations too (hidden_act="gelu_pytorch_tanh")
        self.active = finder.found or bool(self.ctx.config_strings & set(T.ACTIVATION_ALIASES))
        return True

    def leave_Call(self, original, updated):
        if not (
            self.active
            and isinstance(updated.func, cst.Name)
            and updated.func.value == "get_tf_activation"
            and len(updated.args) == 1
            and updated.args[0].keyword is None
            and not isinstance(updated.args[0].value, cst.SimpleString)
        ):
            return updated
        arg = updated.args[0]
        helper = self.ctx.need_support(HELPER, SOURCE)
        wrapped = cst.Call(func=cst.Name(helper), args=[cst.Arg(arg.value)])
        return updated.with_changes(args=[arg.with_changes(value=wrapped)])


RULES: list[type[Rule]] = [ActivationNames]
