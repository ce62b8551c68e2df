"""The converter's data: what maps to what, kept out of the rules' code.

A newcomer looking for what happens to ``nn.LayerNorm`` finds it in :data:`LAYERS` (in
``tables_layers.py``, read by ``rules/layers/keras_layers.py``); what happens to PyTorch-only members of a
class is in the tables below.
"""

from __future__ import annotations

# Class attributes of PreTrainedModel subclasses that mean nothing to TFPreTrainedModel.
PT_ONLY_CLASS_ATTRIBUTES = frozenset(
    {
        "load_tf_weights",
        "supports_gradient_checkpointing",
        "_no_split_modules",
        "_skip_keys_device_placement",
        "_supports_flash_attn_2",
        "_supports_sdpa",
        "_supports_cache_class",
        "_supports_quantized_cache",
        "_supports_static_cache",
        "_supports_param_buffer_assignment",
        "_tied_weights_keys",
        "_keep_in_fp32_modules",
        "_supports_flex_attn",
        "is_parallelizable",
        "main_input_name_pt",
    }
)

# PT_ONLY_METHODS kept when their source mentions none of these: a mask method built only from the
# 2D-mask helpers of modeling_attn_mask_utils (no key/value cache object) converts like any other.
PT_ONLY_UNLESS_FREE_OF = {
    "_update_causal_mask": ("Cache", "cache_position", "AttentionMaskConverter", "with_cache_position"),
}

# Methods that only manage PyTorch state (initialisation, checkpointing, device maps, pruning of
# nn.Linear rows); TF ports do not have them.
PT_ONLY_METHODS = frozenset(
    {
        "_init_weights",
        "_set_gradient_checkpointing",
        "_backward_compatibility_gradient_checkpointing",
        "_prune_heads",
        "prune_heads",
        "parallelize",
        "deparallelize",
        "_tie_weights",
        "tie_weights",
        "_reorder_cache",
        "_update_causal_mask",
        "_prepare_4d_causal_attention_mask_with_cache_position",
    }
)

# Helpers of PyTorch's PreTrainedModel that TFPreTrainedModel lacks: a method calling one on self
# is dropped (the TF base class's method of the same name stands), with a TODO saying what is lost.
PT_ONLY_HELPERS = {
    "_get_resized_lm_head": "PyTorch's helper that resizes an nn.Linear output layer; TF's resize_token_embeddings "
    "resizes the embeddings and the LM head's bias only, so a second output layer keeps its size",
}

# Module-level functions that only serve PyTorch (loading original TF1 checkpoints into torch).
PT_ONLY_FUNCTION_PREFIXES = ("load_tf_weights_in_",)

# Methods called on self that only make sense for PyTorch modules; the call statement is dropped.
PT_ONLY_SELF_CALLS = frozenset(
    {"post_init", "init_weights", "gradient_checkpointing_enable", "_init_weights", "tie_weights"}
)

# In-place initialisers: ``module.weight.data.normal_(...)``, ``nn.init.trunc_normal_(w, ...)``. They
# only set a fresh model's values (checkpoints overwrite them; Keras initializers do it for TF).
INIT_MODULES = ("nn.init.", "torch.nn.init.")
INIT_METHODS = frozenset(
    {"normal_", "uniform_", "zero_", "fill_", "trunc_normal_", "constant_", "ones_", "zeros_", "orthogonal_"}
    | {"xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"}
)

# Module-level registries of PyTorch classes (``ALL_LAYERNORM_LAYERS.append(X)``): nothing in TF reads them.
PT_ONLY_REGISTRIES = frozenset({"ALL_LAYERNORM_LAYERS"})

# Tensor methods that are no-ops for TF tensors (memory layout, devices): ``x.contiguous()`` -> ``x``.
NOOP_TENSOR_METHODS = frozenset({"contiguous", "cpu", "cuda", "detach", "clone", "requires_grad_"})

# Class-name markers of attention implementations other than the eager one. TF keeps the eager one.
ALTERNATIVE_ATTENTION_MARKERS = ("Sdpa", "FlashAttention", "Flash")

# nn.Module subclasses that add only training-time behaviour: a class deriving from one is written as an nn.Module
# (rules/layer_bases.py), and read as one (pt_module). GradientCheckpointingLayer: transformers 4.52+.
LAYER_BASE_ALIASES = {"GradientCheckpointingLayer": "nn.Module"}

# PyTorch base classes and their TF counterparts (names as written in the base list).
BASE_CLASSES = {
    "nn.Module": "keras.layers.Layer",
    "Module": "keras.layers.Layer",
    "PreTrainedModel": "TFPreTrainedModel",
    "ModelOutput": "ModelOutput",
    "GenerationMixin": None,  # TFPreTrainedModel already carries TFGenerationMixin
}

# Import lines every converted module may use; ruff drops the ones a module does not use.
TF_IMPORTS = (
    "from __future__ import annotations",
    "import math",
    "import warnings",
    "from dataclasses import dataclass",
    "from typing import Dict, List, Optional, Tuple, Union",
    "import numpy as np",
    "import tensorflow as tf",
    "from ...activations_tf import get_tf_activation",
    "from ...modeling_tf_utils import TFCausalLanguageModelingLoss, TFMaskedLanguageModelingLoss, "
    "TFModelInputType, TFMultipleChoiceLoss, TFNextSentencePredictionLoss, TFPreTrainedModel, "
    "TFQuestionAnsweringLoss, TFSequenceClassificationLoss, TFTokenClassificationLoss, "
    "get_initializer, keras, keras_serializable, unpack_inputs",
    "from ...tf_utils import check_embeddings_within_bounds, shape_list, stable_softmax",
)

# Import sources of the PyTorch file that never carry over.
PT_ONLY_IMPORT_MODULES = (
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.utils.checkpoint",
    "...activations",
    "...cache_utils",
    "...generation",
    "...modeling_attn_mask_utils",
    "...modeling_flash_attention_utils",
    "...modeling_outputs",
    "...modeling_rope_utils",
    "...modeling_utils",
    "...pytorch_utils",
    "...integrations",
    "...integrations.deepspeed",
    "...integrations.fsdp",
)
