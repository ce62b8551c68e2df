"""Rules of the layers concern: ``nn.*`` modules -> Keras layers named so PyTorch weights cross-load.

``from_pretrained(..., from_pt=True)`` matches TF variable paths to PyTorch state-dict keys: a
layer's ``name=`` is its PyTorch attribute, list items are ``<attr>_._<i>``, ``nn.Parameter``
tensors become weights created in ``build()`` (under the layer's name scope), buffers are not
weights. What maps to what is data, in :mod:`scaffold.convert.tables_layers`.

Modules: ``common`` (helpers the rules share), ``keras_layers`` (``nn.*`` and
activations -> Keras, from the tables), ``containers`` (Sequential/ModuleList/ModuleDict and
sublayer names), ``attributes`` (weight attributes, names Keras reserves), ``build_plan`` and
``builds`` (``build()``; its examples in ``builds_examples``), ``weights`` (parameters and
buffers), ``registered`` (``add_module``). ``RULES`` below keeps their order.
"""

from __future__ import annotations

from scaffold.convert.rules.base import Rule
from scaffold.convert.rules.layers.attributes import KerasReservedAttributes, LayerWeightAttributes
from scaffold.convert.rules.layers.builds import SublayerBuilds
from scaffold.convert.rules.layers.containers import ModuleContainers, SublayerNames, layer_aliases
from scaffold.convert.rules.layers.keras_layers import (
    ActivationsToTF,
    KerasLayerSubclasses,
    ModulesToKerasLayers,
)
from scaffold.convert.rules.layers.registered import RegisteredModules
from scaffold.convert.rules.layers.weights import BuffersToAttributes, ParametersToWeights, ResizedBuffersAsBiases

__all__ = [
    "ActivationsToTF",
    "BuffersToAttributes",
    "KerasLayerSubclasses",
    "KerasReservedAttributes",
    "LayerWeightAttributes",
    "ModuleContainers",
    "ModulesToKerasLayers",
    "ParametersToWeights",
    "RegisteredModules",
    "ResizedBuffersAsBiases",
    "SublayerBuilds",
    "SublayerNames",
    "layer_aliases",
    "RULES",
]

RULES: list[type[Rule]] = [
    KerasLayerSubclasses,
    SublayerBuilds,
    ActivationsToTF,
    ModulesToKerasLayers,
    ModuleContainers,
    ResizedBuffersAsBiases,
    BuffersToAttributes,
    ParametersToWeights,
    LayerWeightAttributes,
    RegisteredModules,
    SublayerNames,
    KerasReservedAttributes,
]
