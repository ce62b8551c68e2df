"""Classes imported from another model's PyTorch module stand for that model's TF port.

``from ..bert.modeling_bert import BertModel`` in DPR: a TF module must not import a PyTorch
one (it imports torch), and the class it uses has a TF twin in the other port. The assembly
reads which TF class stands for each such name (``ConvertContext.foreign_layers``: a model class
is held through its main layer, ``TFBertMainLayer``, so the weights keep PyTorch's names); this
rule rewrites the uses and the import. A name the other port lacks is left to the usual TODO.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert.rules.base import Example, Rule


class ForeignModelClasses(Rule):
    """``BertModel`` imported from ``..bert.modeling_bert`` -> ``TFBertMainLayer`` from ``..bert.modeling_tf_bert``."""

    name = "foreign-model-classes"
    summary = (
        "from ..bert.modeling_bert import BertModel; BertModel(config) -> TFBertMainLayer(config) of modeling_tf_bert."
    )
    examples = (
        Example(
            before="""
from ..bert.modeling_bert import BertModel, BertOnlyPyTorch


class DPREncoder(DPRPreTrainedModel):
    def __init__(self, config):
        self.bert_model = BertModel(config, add_pooling_layer=False)
""",
            after="""
from ..bert.modeling_bert import BertOnlyPyTorch


class DPREncoder(DPRPreTrainedModel):
    def __init__(self, config):
        self.bert_model = TFBertMainLayer(config, add_pooling_layer=False)
""",
            note="the TF import is added with the module's other imports; a name the port lacks stays",
            context=(
                (
                    "foreign_layers",
                    {"BertModel": ("TFBertMainLayer", "from ..bert.modeling_tf_bert import TFBertMainLayer")},
                ),
            ),
        ),
    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
        if len(updated.relative) != 2 or not isinstance(updated.names, list | tuple):
            return updated
        kept = [
            a
            for a in updated.names
            if (a.asname.name.value if a.asname else self.code(a.name)) not in self.ctx.foreign_layers  # type: ignore[union-attr]
        ]
        if len(kept) == len(updated.names):
            return updated
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=kept)

    name_gated = frozenset({"Name"})

    def names_reacted_to(self) -> Iterable[str]:
        return self.ctx.foreign_layers

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        entry = self.ctx.foreign_layers.get(updated.value)
        if entry is None:
            return updated
        target, line = entry
        self.ctx.imports.add(line)
        return updated.with_changes(value=target)


RULES: list[type[Rule]] = [ForeignModelClasses]
