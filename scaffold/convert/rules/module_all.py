"""The module's ``__all__``: the names it lists are the PyTorch classes, the TF module defines their twins.

Recent PyTorch modeling files (those generated from a modular file) end with
``__all__ = ["GemmaModel", ...]``. Left as is, the TF module exports names it does not define
(ruff F822). Each entry that names a class of the module becomes its TF name; an entry whose
class the conversion dropped goes; any other entry (a function, a constant) stays.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule


class ModuleAllNames(Rule):
    """``__all__`` entries naming the module's classes -> their TF names (see the module docstring)."""

    name = "module-all-names"
    summary = "__all__ entries of the module's classes -> TF names; entries of dropped classes go."
    examples = (
        Example(
            before=(
                "class TFGemmaModel(TFGemmaPreTrainedModel):\n    pass\n"
                '__all__ = ["GemmaModel", "GemmaFlashAttention2", "helper"]\n'
            ),
            after=("class TFGemmaModel(TFGemmaPreTrainedModel):\n    pass\n" '__all__ = ["TFGemmaModel", "helper"]\n'),
            note="GemmaFlashAttention2 was dropped by the conversion; helper is not a class of the module",
            context=(("local_classes", {"GemmaModel", "GemmaFlashAttention2"}),),
        ),
        Example(
            before='__all__ = ["apply_rotary_pos_emb"]\n',
            after='__all__ = ["apply_rotary_pos_emb"]\n',
            note="a name that is not a class of the module is left alone",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.defined = {stmt.name.value for stmt in node.body if isinstance(stmt, cst.ClassDef)}
        return True

    def leave_Assign(self, original, updated):
        if not (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Name)
            and updated.targets[0].target.value == "__all__"
            and isinstance(updated.value, cst.List | cst.Tuple)
        ):
            return updated
        elements = []
        for element in updated.value.elements:
            value = element.value
            if not isinstance(value, cst.SimpleString) or value.evaluated_value not in self.ctx.local_classes:
                elements.append(element)
                continue
            tf_name = self.ctx.tf_name(value.evaluated_value)
            if tf_name in self.defined or value.evaluated_value in self.ctx.reused:
                quote = value.prefix + value.quote
                elements.append(element.with_changes(value=cst.SimpleString(f"{quote}{tf_name}{value.quote}")))
        if elements:
            elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(value=updated.value.with_changes(elements=elements))


RULES: list[type[Rule]] = [ModuleAllNames]
