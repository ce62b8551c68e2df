"""Base classes that are ``nn.Module`` with training-time behaviour only: the module's own code is a layer's.

transformers 4.52 gave decoder layers ``GradientCheckpointingLayer``, an ``nn.Module`` whose
``__call__`` adds gradient checkpointing when training asks for it. Keras has no such thing to port
(a TF model recomputes nothing), so the class is written as the ``nn.Module`` it is, before any other
rule looks at it: it becomes a Keras layer like every other module, ``forward`` its ``call``.
The aliases are data (:data:`tables.LAYER_BASE_ALIASES`).
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.rules.base import Example, Rule, changed, dotted


class CanonicalLayerBases(Rule):
    """``class X(GradientCheckpointingLayer)`` -> ``class X(nn.Module)``: the base adds only training-time behaviour."""

    name = "canonical-layer-bases"
    phase = "canonical"
    summary = "An nn.Module subclass that only adds training-time behaviour (gradient checkpointing) is written as nn.Module."
    examples = (
        Example(
            before="""
from ...modeling_layers import GradientCheckpointingLayer

class LlamaDecoderLayer(GradientCheckpointingLayer):
    def forward(self, hidden_states):
        return hidden_states
""",
            after="""
from ...modeling_layers import GradientCheckpointingLayer

class LlamaDecoderLayer(nn.Module):
    def forward(self, hidden_states):
        return hidden_states
""",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        bases = []
        for arg in updated.bases:
            name = dotted(arg.value)
            alias = tables.LAYER_BASE_ALIASES.get(name.split(".")[-1]) if name else None
            bases.append(arg.with_changes(value=cst.parse_expression(alias)) if alias else arg)
        return changed(updated, bases=bases)


RULES = [CanonicalLayerBases]
