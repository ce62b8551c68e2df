"""The rule pipeline, in the order it runs. Each module holds the rules of one concern.

cleanup   drop what only PyTorch needs (alternative attention, init, checkpointing, .to/.contiguous)
naming    TF prefix on the module's classes, TF base classes, TF output classes
"""

from __future__ import annotations

from scaffold.convert.rules import cleanup, naming
from scaffold.convert.rules.base import Rule

PIPELINE: list[type[Rule]] = [*cleanup.RULES, *naming.RULES]
