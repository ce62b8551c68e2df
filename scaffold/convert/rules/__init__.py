"""The rule pipeline, in the order it runs. Each module holds the rules of one concern.

cleanup   drop what only PyTorch needs (alternative attention, init, checkpointing, .to/.contiguous)
naming    TF prefix on the module's classes, TF base classes, TF output classes
model     model structure: __init__/call signatures, training, MainLayer split, heads and losses
tying     (around layers) output embeddings PyTorch ties to the input embeddings
layers    nn.* modules -> keras layers with name=, parameters and buffers, build()
ops       torch functions, tensor methods and torch.nn.functional -> TF ops
"""

from __future__ import annotations

from scaffold.convert.rules import cleanup, layers, model, naming, ops, tying
from scaffold.convert.rules.base import Rule

PIPELINE: list[type[Rule]] = [
    *cleanup.RULES,
    *naming.RULES,
    *model.RULES,
    *tying.BEFORE_LAYERS,
    *layers.RULES,
    *tying.AFTER_LAYERS,
    *ops.RULES,
]
