"""Model structure: switches, PreTrainedModel helpers, the MainLayer split, signatures, training, losses.

By the time these rules run, classes carry the TF prefix and TF bases (``keras.layers.Layer``,
``TFPreTrainedModel``); what a class is (layer or model) is read from the module as it stands,
so classes these rules create (the MainLayer) are treated like any other. The data these rules
read is in ``scaffold/convert/tables_model.py``.

Modules: ``common`` (helpers, what the module's classes are), ``switches``,
``pretrained`` (PreTrainedModel helpers and members), ``main_layer``, ``signatures``
(``__init__``/``call``, chunking, ``@unpack_inputs``), ``training``, ``losses``, ``outputs``. ``RULES`` and
``AFTER_OPS`` below keep their order.
"""

from __future__ import annotations

from scaffold.convert.rules.base import Rule
from scaffold.convert.rules.model.common import ClassFacts, module_classes
from scaffold.convert.rules.model.integer_inputs import IntegerInputsLikeTorch
from scaffold.convert.rules.model.losses import EndOfSequenceDummyInputs, HeadLosses, ScalarLosses
from scaffold.convert.rules.model.main_layer import SplitMainLayer
from scaffold.convert.rules.model.outputs import OutputFieldsDefaultNone
from scaffold.convert.rules.model.pretrained import ModuleUtilsHelpers, PreTrainedModelMembers
from scaffold.convert.rules.model.signatures import (
    CacheOffUnlessDecoder,
    ForwardToCall,
    InitSignatures,
    InlineChunking,
    KeywordsFromKwargs,
    UnpackInputs,
)
from scaffold.convert.rules.model.switches import FoldPyTorchSwitches
from scaffold.convert.rules.model.training import TrainingArgument, training_plan

__all__ = [
    "CacheOffUnlessDecoder",
    "ClassFacts",
    "EndOfSequenceDummyInputs",
    "FoldPyTorchSwitches",
    "ForwardToCall",
    "HeadLosses",
    "InitSignatures",
    "InlineChunking",
    "KeywordsFromKwargs",
    "ModuleUtilsHelpers",
    "OutputFieldsDefaultNone",
    "PreTrainedModelMembers",
    "ScalarLosses",
    "SplitMainLayer",
    "TrainingArgument",
    "UnpackInputs",
    "module_classes",
    "training_plan",
    "IntegerInputsLikeTorch",
    "RULES",
    "AFTER_OPS",
]

RULES: list[type[Rule]] = [
    FoldPyTorchSwitches,
    ModuleUtilsHelpers,
    SplitMainLayer,
    PreTrainedModelMembers,
    InitSignatures,
    ForwardToCall,
    InlineChunking,
    TrainingArgument,
    UnpackInputs,
    CacheOffUnlessDecoder,
    KeywordsFromKwargs,
    HeadLosses,
    EndOfSequenceDummyInputs,
    OutputFieldsDefaultNone,
]

AFTER_OPS: list[type[Rule]] = [ScalarLosses, IntegerInputsLikeTorch]
