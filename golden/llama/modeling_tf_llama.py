# coding=utf-8
# Copyright 2022 EleutherAI and the HuggingFace Inc. team. All rights reserved.
#
# This code is based on EleutherAI's GPT-NeoX library and the GPT-NeoX
# and OPT implementations in this library. It has been modified from its
# original forms to accommodate minor architectural differences compared
# to GPT-NeoX and OPT used by the Meta AI team that trained the model.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
from __future__ import annotations

import math
from typing import List, Optional, Tuple, Union

import tensorflow as tf

from ...activations_tf import get_tf_activation
from ...modeling_tf_outputs import (
    TFBaseModelOutputWithPast,
    TFCausalLMOutputWithPast,
    TFQuestionAnsweringModelOutput,
    TFSequenceClassifierOutputWithPast,
    TFTokenClassifierOutput,
)
from ...modeling_tf_utils import (
    TFCausalLanguageModelingLoss,
    TFPreTrainedModel,
    TFQuestionAnsweringLoss,
    TFSequenceClassificationLoss,
    TFTokenClassificationLoss,
    get_initializer,
    keras,
    keras_serializable,
    unpack_inputs,
)
from ...tf_utils import shape_list, stable_softmax
from ...utils import (
    add_code_sample_docstrings,
    add_start_docstrings,
    add_start_docstrings_to_model_forward,
    logging,
    replace_return_docstrings,
)
from .configuration_llama import LlamaConfig


logger = logging.get_logger(__name__)

_CHECKPOINT_FOR_DOC = "meta-llama/Llama-2-7b-hf"
_CONFIG_FOR_DOC = "LlamaConfig"


class TFCache:
    """Base of the TF key/value caches (what ``isinstance(past_key_values, Cache)`` checks)."""


class TFDynamicCache(TFCache):
    """``cache_utils.DynamicCache`` for TF: per layer, keys and values concatenated on the sequence axis.

    ``config`` (newer trees pass it) gives PyTorch's cache per-layer sliding windows that drop old keys;
    this one keeps every key, and the sliding-window masks hide the same ones."""

    def __init__(self, config=None):
        self.key_cache = []
        self.value_cache = []
        self._seen_tokens = 0

    def __len__(self):
        return len(self.key_cache)

    def update(self, key_states, value_states, layer_idx, cache_kwargs=None):
        if layer_idx == 0:
            self._seen_tokens += shape_list(key_states)[-2]
        if len(self.key_cache) <= layer_idx:
            for _ in range(len(self.key_cache), layer_idx):
                self.key_cache.append([])
                self.value_cache.append([])
            self.key_cache.append(key_states)
            self.value_cache.append(value_states)
        elif isinstance(self.key_cache[layer_idx], list):
            self.key_cache[layer_idx] = key_states
            self.value_cache[layer_idx] = value_states
        else:
            self.key_cache[layer_idx] = tf.concat([self.key_cache[layer_idx], key_states], axis=-2)
            self.value_cache[layer_idx] = tf.concat([self.value_cache[layer_idx], value_states], axis=-2)
        return self.key_cache[layer_idx], self.value_cache[layer_idx]

    def get_seq_length(self, layer_idx=0):
        if len(self.key_cache) <= layer_idx or isinstance(self.key_cache[layer_idx], list):
            return 0
        return shape_list(self.key_cache[layer_idx])[-2]

    def get_max_cache_shape(self):
        return None

    def get_usable_length(self, new_seq_length, layer_idx=0):
        """The cached length a new input of ``new_seq_length`` attends to (all of it: no maximum)."""
        return self.get_seq_length(layer_idx)

    def to_legacy_cache(self):
        return tuple((self.key_cache[i], self.value_cache[i]) for i in range(len(self)))

    @classmethod
    def from_legacy_cache(cls, past_key_values=None):
        cache = cls()
        if past_key_values is not None:
            for layer_idx in range(len(past_key_values)):
                key_states, value_states = past_key_values[layer_idx]
                cache.update(key_states, value_states, layer_idx)
        return cache


class TFHybridCache(TFDynamicCache):
    """``cache_utils.HybridCache`` for TF, as a dynamic cache: every layer keeps all its keys.

    PyTorch preallocates ``max_cache_len`` positions and keeps only the last ``sliding_window``
    in the sliding layers; within the window (and for the full layers) the attended keys are the
    same, and the attention masks hide the rest.
    """

    def __init__(self, config=None, batch_size=None, max_cache_len=None, device=None, dtype=None, **kwargs):
        super().__init__()
        self.max_cache_len = max_cache_len


class TFEncoderDecoderCache(TFCache):
    """``cache_utils.EncoderDecoderCache`` for TF: a self-attention and a cross-attention cache.

    ``is_updated[layer]`` says whether the cross-attention keys of a layer are cached already (they
    are computed once, from the encoder's output); legacy caches hold 4-tuples per layer.
    """

    def __init__(self, self_attention_cache, cross_attention_cache):
        self.self_attention_cache = self_attention_cache
        self.cross_attention_cache = cross_attention_cache
        self.is_updated = {}
        for layer_idx in range(len(cross_attention_cache.key_cache)):
            self.is_updated[layer_idx] = bool(cross_attention_cache.get_seq_length(layer_idx) > 0)

    def __len__(self):
        return len(self.self_attention_cache)

    def get_seq_length(self, layer_idx=0):
        return self.self_attention_cache.get_seq_length(layer_idx)

    def get_usable_length(self, new_seq_length, layer_idx=0):
        return self.self_attention_cache.get_usable_length(new_seq_length, layer_idx)

    def get_max_cache_shape(self):
        return self.self_attention_cache.get_max_cache_shape()

    def to_legacy_cache(self):
        if len(self.cross_attention_cache) == 0:
            return self.self_attention_cache.to_legacy_cache()
        return tuple(
            self_attention + cross_attention
            for self_attention, cross_attention in zip(
                self.self_attention_cache.to_legacy_cache(), self.cross_attention_cache.to_legacy_cache()
            )
        )

    @classmethod
    def from_legacy_cache(cls, past_key_values=None):
        cache = cls(TFDynamicCache(), TFDynamicCache())
        if past_key_values is not None:
            for layer_idx in range(len(past_key_values)):
                key_states, value_states = past_key_values[layer_idx][:2]
                cache.self_attention_cache.update(key_states, value_states, layer_idx)
                if len(past_key_values[layer_idx]) > 2:
                    key_states, value_states = past_key_values[layer_idx][2:]
                    cache.cross_attention_cache.update(key_states, value_states, layer_idx)
                    cache.is_updated[layer_idx] = True
        return cache


class TFTiedDense(keras.layers.Layer):
    """PyTorch's ``nn.Linear`` as an output embedding: tied to an input embedding, or not.

    ``tied_to`` (an embedding layer) supplies the matrix, as PyTorch's ``tie_weights`` does;
    ``bias_getter`` supplies a bias owned by another layer (``self.decoder.bias = self.bias``).
    Untied, it owns a matrix ``weight`` [units, input size], PyTorch's layout (it loads as is),
    a variable as ``resize_token_embeddings`` expects of an output embedding.
    """

    def __init__(self, units, use_bias=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.tied_to = None
        self.bias_getter = None

    def build(self, input_shape=None):
        if self.built:
            return
        if self.tied_to is None:
            self.matrix = self.add_weight(
                name="weight", shape=[self.units, int(input_shape[-1])], initializer=self.kernel_initializer
            )
        if self.use_bias and self.bias_getter is None:
            self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(input_shape)

    def call(self, hidden_states):
        output = tf.einsum("...i,oi->...o", hidden_states, self.weight)
        if self.bias_getter is not None:
            output = output + self.bias_getter()
        elif self.use_bias:
            output = output + self.bias
        return output

    @property
    def weight(self):
        """The output embedding matrix [units, input size]: the tied table, or the layer's own."""
        if self.tied_to is not None:
            matrix = getattr(self.tied_to, "embeddings", None)
            return self.tied_to.weight if matrix is None else matrix
        return self.matrix

    # the LM head interface of TFPreTrainedModel (get_lm_head): resize_token_embeddings resizes these
    def get_bias(self):
        if self.bias_getter is not None:
            return {"bias": self.bias_getter()}
        return {"bias": self.bias} if self.use_bias else None

    def set_bias(self, value):
        bias = value["bias"]
        if self.bias_getter is not None:
            self.bias_getter = lambda: bias
        else:
            self.bias = bias
        self.units = int(bias.shape[-1])

    def set_output_embeddings(self, value):
        """A matrix [units, input size]; a tied layer keeps reading its (already resized) input embeddings."""
        if self.tied_to is None:
            self.matrix = value if isinstance(value, tf.Variable) else tf.Variable(value, name="weight")
        self.units = int(value.shape[0])


def _tf_compute_default_rope_parameters(config=None, device=None, seq_len=None, **rope_kwargs):
    """The 'default' rope type of ``modeling_rope_utils``: inv_freq = 1 / base ** (arange(0, dim, 2) / dim)."""
    if config is not None and len(rope_kwargs) > 0:
        raise ValueError("Unexpected arguments: `**rope_kwargs` and `config` are mutually exclusive")
    if len(rope_kwargs) > 0:
        base = rope_kwargs["base"]
        dim = rope_kwargs["dim"]
    else:
        base = config.rope_theta
        partial_rotary_factor = config.partial_rotary_factor if hasattr(config, "partial_rotary_factor") else 1.0
        # a head_dim of None means the default (newer trees' configs set it so)
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        dim = int(head_dim * partial_rotary_factor)
    attention_factor = 1.0  # unused in this type of RoPE
    exponent = tf.cast(tf.range(0, dim, 2), tf.float32) / dim
    inv_freq = 1.0 / tf.pow(tf.constant(base, tf.float32), exponent)
    return inv_freq, attention_factor


class _TFRopeInitFunctions(dict):
    """``ROPE_INIT_FUNCTIONS`` for TF: only the 'default' rope type is converted."""

    def __missing__(self, rope_type):
        raise NotImplementedError(
            f"rope type {rope_type!r} is not converted to TensorFlow (only 'default' is): port its "
            "computation from transformers.modeling_rope_utils"
        )


TF_ROPE_INIT_FUNCTIONS = _TFRopeInitFunctions(default=_tf_compute_default_rope_parameters)


def arange_like_torch(start, end=None, step=1):
    """PyTorch's ``torch.arange`` without a dtype: int64 for integer bounds (``tf.range`` gives int32), else float32."""

    def integral(bound):
        dtype = getattr(bound, "dtype", None)
        return isinstance(bound, int) or (dtype is not None and tf.as_dtype(dtype).is_integer)

    dtype = tf.int64 if all(integral(b) for b in (start, end, step) if b is not None) else tf.float32
    if end is None:
        start, end = 0, start
    return tf.range(tf.cast(start, dtype), tf.cast(end, dtype), tf.cast(step, dtype), dtype=dtype)


def dropout_if_training(x, rate, training):
    """PyTorch's ``F.dropout(x, p, training)``: dropout in training only."""
    return tf.nn.dropout(x, rate=rate) if training and rate > 0 else x


def expand_to(x, shape):
    """PyTorch's ``x.expand(*shape)``: broadcast, where -1 keeps the size of that dimension."""
    current = shape_list(x)
    offset = len(shape) - len(current)
    target = [current[i - offset] if isinstance(s, int) and s == -1 else s for i, s in enumerate(shape)]
    return tf.broadcast_to(x, target)


def gather_indices(params, *indices):
    """PyTorch's ``params[i0, i1, ...]`` with integer tensors (or ints) on the leading axes.

    The indices broadcast against each other and negative ones count from the end, as in PyTorch.
    """
    shape = shape_list(params)
    indices = [tf.cast(index, tf.int64) for index in indices]
    indices = [
        tf.where(index < 0, index + tf.cast(shape[axis], tf.int64), index) for axis, index in enumerate(indices)
    ]
    zero = indices[0] * 0
    for index in indices[1:]:
        zero = zero + index * 0
    return tf.gather_nd(params, tf.stack([index + zero for index in indices], axis=-1))


def int64_like_torch(*tensors):
    """PyTorch's integer inputs are int64; TF's input processing hands them over as int32."""
    out = []
    for tensor in tensors:
        if tensor is not None:
            tensor = tf.convert_to_tensor(tensor)
            if tensor.dtype.is_integer:
                tensor = tf.cast(tensor, tf.int64)
        out.append(tensor)
    return out


def split_by_size(x, split_size, axis=0):
    """PyTorch's ``x.split(split_size, dim)``: an int is the size of each piece, not their number."""
    if isinstance(split_size, (list, tuple)):
        return tf.split(x, split_size, axis=axis)
    length = shape_list(x)[axis]
    sizes = [split_size] * (length // split_size)
    if length % split_size:
        sizes.append(length % split_size)
    return tf.split(x, sizes, axis=axis)


def swap_axes(x, axis_a, axis_b):
    """PyTorch's ``x.transpose(a, b)``: swap two axes, whatever the rank."""
    perm = list(range(x.shape.rank))
    perm[axis_a], perm[axis_b] = perm[axis_b], perm[axis_a]
    return tf.transpose(x, perm=perm)


def tf_causal_4d_mask(attention_mask, input_tensor, cache_position, past_key_values=None, sliding_window=None):
    """The eager path of ``_update_causal_mask``: a (batch, 1, query, key) mask, 0 where attended, dtype.min where
    masked: a key after the query position (causal), outside the sliding window if any, or padded."""
    if attention_mask is not None and len(attention_mask.shape) == 4:
        return attention_mask
    dtype = input_tensor.dtype
    batch_size, sequence_length = shape_list(input_tensor)[:2]
    past_seen_tokens = past_key_values.get_seq_length() if past_key_values is not None else 0
    if attention_mask is not None:
        target_length = shape_list(attention_mask)[-1]
    else:
        target_length = past_seen_tokens + sequence_length + 1
    keys = tf.range(target_length)[None, :]
    queries = tf.reshape(tf.cast(cache_position, keys.dtype), [-1, 1])
    masked = keys > queries
    if sliding_window is not None:
        masked = masked | (keys <= queries - sliding_window)
    masked = tf.broadcast_to(masked[None, None, :, :], [batch_size, 1, sequence_length, target_length])
    if attention_mask is not None:
        padded = tf.equal(tf.cast(attention_mask, dtype), 0)[:, None, None, :]
        masked = masked | padded
    return tf.where(masked, tf.constant(dtype.min, dtype), tf.constant(0, dtype))


# Copied from transformers.models.mistral.modeling_tf_mistral.TFMistralRMSNorm with Mistral->Llama all-casing
class TFLlamaRMSNorm(keras.layers.Layer):
    def __init__(self, hidden_size, eps=1e-6, **kwargs):
        """
        TFLlamaRMSNorm is equivalent to T5LayerNorm
        """
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.variance_epsilon = eps

    def build(self, input_shape=None):
        self.weight = self.add_weight(
            name="weight",
            shape=self.hidden_size,
            initializer="ones",
        )
        if self.built:
            return
        self.built = True

    def call(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = tf.cast(hidden_states, tf.float32)
        variance = tf.reduce_mean(tf.square(hidden_states), axis=-1, keepdims=True)
        hidden_states = tf.divide(hidden_states, tf.sqrt(variance + self.variance_epsilon))
        return self.weight * tf.cast(hidden_states, input_dtype)


class TFLlamaRotaryEmbedding(keras.layers.Layer):
    def __init__(
        self,
        dim=None,
        max_position_embeddings=2048,
        base=10000,
        device=None,
        scaling_factor=1.0,
        rope_type="default",
        config: Optional[LlamaConfig] = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # TODO (joao): remove the `if` below, only used for BC
        self.rope_kwargs = {}
        if config is None:
            logger.warning_once(
                "`LlamaRotaryEmbedding` can now be fully parameterized by passing the model config through the "
                "`config` argument. All other arguments will be removed in v4.46"
            )
            self.rope_kwargs = {
                "rope_type": rope_type,
                "factor": scaling_factor,
                "dim": dim,
                "base": base,
                "max_position_embeddings": max_position_embeddings,
            }
            self.rope_type = rope_type
            self.max_seq_len_cached = max_position_embeddings
            self.original_max_seq_len = max_position_embeddings
        else:
            # BC: "rope_type" was originally "type"
            if config.rope_scaling is not None:
                self.rope_type = config.rope_scaling.get("rope_type", config.rope_scaling.get("type"))
            else:
                self.rope_type = "default"
            self.max_seq_len_cached = config.max_position_embeddings
            self.original_max_seq_len = config.max_position_embeddings

        self.config = config
        # TODO(tfscaffold): ROPE_INIT_FUNCTIONS: only the 'default' rope type is converted; linear, dynamic, yarn, longrope and llama3 raise NotImplementedError: port them from modeling_rope_utils
        self.rope_init_fn = TF_ROPE_INIT_FUNCTIONS[self.rope_type]

        inv_freq, self.attention_scaling = self.rope_init_fn(self.config, device, **self.rope_kwargs)
        self.inv_freq = inv_freq
        self.original_inv_freq = self.inv_freq

    def _dynamic_frequency_update(self, position_ids, device):
        """
        dynamic RoPE layers should recompute `inv_freq` in the following situations:
        1 - growing beyond the cached sequence length (allow scaling)
        2 - the current sequence length is in the original scale (avoid losing precision with small sequences)
        """
        seq_len = tf.reduce_max(position_ids) + 1
        if seq_len > self.max_seq_len_cached:  # growth
            inv_freq, self.attention_scaling = self.rope_init_fn(
                self.config, device, seq_len=seq_len, **self.rope_kwargs
            )
            self.inv_freq = inv_freq  # TODO joao: may break with compilation
            self.max_seq_len_cached = seq_len

        if seq_len < self.original_max_seq_len and self.max_seq_len_cached > self.original_max_seq_len:  # reset
            self.inv_freq = self.original_inv_freq
            self.max_seq_len_cached = self.original_max_seq_len

    def call(self, x, position_ids):
        if "dynamic" in self.rope_type:
            self._dynamic_frequency_update(position_ids, device=None)

        # Core RoPE block
        inv_freq_expanded = expand_to(
            tf.cast(self.inv_freq[None, :, None], tf.float32), [shape_list(position_ids)[0], -1, 1]
        )
        position_ids_expanded = tf.cast(position_ids[:, None, :], tf.float32)
        # Force float32 (see https://github.com/huggingface/transformers/pull/29285)
        freqs = swap_axes(tf.cast(inv_freq_expanded, tf.float32) @ tf.cast(position_ids_expanded, tf.float32), 1, 2)
        emb = tf.concat((freqs, freqs), axis=-1)
        cos = tf.math.cos(emb)
        sin = tf.math.sin(emb)

        # Advanced RoPE types (e.g. yarn) apply a post-processing scaling factor, equivalent to scaling attention
        cos = cos * self.attention_scaling
        sin = sin * self.attention_scaling

        return tf.cast(cos, x.dtype), tf.cast(sin, x.dtype)


class TFLlamaLinearScalingRotaryEmbedding(TFLlamaRotaryEmbedding):
    """LlamaRotaryEmbedding extended with linear scaling. Credits to the Reddit user /u/kaiokendev"""

    def __init__(self, *args, **kwargs):
        logger.warning_once(
            "`LlamaLinearScalingRotaryEmbedding` is deprecated an will be removed in v4.46. Please use "
            "`LlamaRotaryEmbedding`, which now also does linear scaling (simply pass the model config to __init__)."
        )
        kwargs["rope_type"] = "linear"
        super().__init__(*args, **kwargs)


class TFLlamaDynamicNTKScalingRotaryEmbedding(TFLlamaRotaryEmbedding):
    """LlamaRotaryEmbedding extended with Dynamic NTK scaling. Credits to the Reddit users /u/bloc97 and /u/emozilla"""

    def __init__(self, *args, **kwargs):
        logger.warning_once(
            "`LlamaDynamicNTKScalingRotaryEmbedding` is deprecated an will be removed in v4.46. Please use "
            "`LlamaRotaryEmbedding`, which now also does dynamic ntk scaling (simply pass the model config to "
            "__init__)."
        )
        kwargs["rope_type"] = "dynamic"
        super().__init__(*args, **kwargs)


def rotate_half(x):
    """Rotates half the hidden dims of the input."""
    x1 = x[..., : shape_list(x)[-1] // 2]
    x2 = x[..., shape_list(x)[-1] // 2 :]
    return tf.concat((-x2, x1), axis=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    """Applies Rotary Position Embedding to the query and key tensors.

    Args:
        q (`tf.Tensor`): The query tensor.
        k (`tf.Tensor`): The key tensor.
        cos (`tf.Tensor`): The cosine part of the rotary embedding.
        sin (`tf.Tensor`): The sine part of the rotary embedding.
        position_ids (`tf.Tensor`, *optional*):
            Deprecated and unused.
        unsqueeze_dim (`int`, *optional*, defaults to 1):
            The 'unsqueeze_dim' argument specifies the dimension along which to unsqueeze cos[position_ids] and
            sin[position_ids] so that they can be properly broadcasted to the dimensions of q and k. For example, note
            that cos[position_ids] and sin[position_ids] have the shape [batch_size, seq_len, head_dim]. Then, if q and
            k have the shape [batch_size, heads, seq_len, head_dim], then setting unsqueeze_dim=1 makes
            cos[position_ids] and sin[position_ids] broadcastable to the shapes of q and k. Similarly, if q and k have
            the shape [batch_size, seq_len, heads, head_dim], then set unsqueeze_dim=2.
    Returns:
        `tuple(tf.Tensor)` comprising of the query and key tensors rotated using the Rotary Position Embedding.
    """
    cos = tf.expand_dims(cos, axis=unsqueeze_dim)
    sin = tf.expand_dims(sin, axis=unsqueeze_dim)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


class TFLlamaMLP(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.hidden_size = config.hidden_size
        self.intermediate_size = config.intermediate_size
        self.gate_proj = keras.layers.Dense(
            self.intermediate_size,
            use_bias=config.mlp_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="gate_proj",
        )
        self.up_proj = keras.layers.Dense(
            self.intermediate_size,
            use_bias=config.mlp_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="up_proj",
        )
        self.down_proj = keras.layers.Dense(
            self.hidden_size,
            use_bias=config.mlp_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="down_proj",
        )
        self.act_fn = get_tf_activation(config.hidden_act)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.gate_proj.name):
            self.gate_proj.build([None, None, self.hidden_size])
        with tf.name_scope(self.up_proj.name):
            self.up_proj.build([None, None, self.hidden_size])
        with tf.name_scope(self.down_proj.name):
            self.down_proj.build([None, None, self.intermediate_size])

    def call(self, x):
        if self.config.pretraining_tp > 1:
            slice = self.intermediate_size // self.config.pretraining_tp
            gate_proj_slices = split_by_size(tf.transpose(self.gate_proj.kernel), slice, axis=0)
            up_proj_slices = split_by_size(tf.transpose(self.up_proj.kernel), slice, axis=0)
            down_proj_slices = split_by_size(tf.transpose(self.down_proj.kernel), slice, axis=1)

            gate_proj = tf.concat(
                [tf.matmul(x, gate_proj_slices[i], transpose_b=True) for i in range(self.config.pretraining_tp)],
                axis=-1,
            )
            up_proj = tf.concat(
                [tf.matmul(x, up_proj_slices[i], transpose_b=True) for i in range(self.config.pretraining_tp)], axis=-1
            )

            intermediate_states = split_by_size(self.act_fn(gate_proj) * up_proj, slice, axis=2)
            down_proj = [
                tf.matmul(intermediate_states[i], down_proj_slices[i], transpose_b=True)
                for i in range(self.config.pretraining_tp)
            ]
            down_proj = sum(down_proj)
        else:
            down_proj = self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))

        return down_proj


def repeat_kv(hidden_states: tf.Tensor, n_rep: int) -> tf.Tensor:
    """
    This is the equivalent of torch.repeat_interleave(x, dim=1, repeats=n_rep). The hidden states go from (batch,
    num_key_value_heads, seqlen, head_dim) to (batch, num_attention_heads, seqlen, head_dim)
    """
    batch, num_key_value_heads, slen, head_dim = shape_list(hidden_states)
    if n_rep == 1:
        return hidden_states
    hidden_states = tf.broadcast_to(
        hidden_states[:, :, None, :, :], [batch, num_key_value_heads, n_rep, slen, head_dim]
    )
    return tf.reshape(hidden_states, [batch, num_key_value_heads * n_rep, slen, head_dim])


class TFLlamaAttention(keras.layers.Layer):
    """Multi-headed attention from 'Attention Is All You Need' paper"""

    def __init__(self, config: LlamaConfig, layer_idx: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.layer_idx = layer_idx
        if layer_idx is None:
            logger.warning_once(
                f"Instantiating {self.__class__.__name__} without passing a `layer_idx` is not recommended and will "
                "lead to errors during the forward call if caching is used. Please make sure to provide a `layer_idx` "
                "when creating this class."
            )

        self.attention_dropout = config.attention_dropout
        self.hidden_size = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = getattr(config, "head_dim", self.hidden_size // self.num_heads)
        self.num_key_value_heads = config.num_key_value_heads
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        self.max_position_embeddings = config.max_position_embeddings
        self.rope_theta = config.rope_theta
        self.is_causal = True

        self.q_proj = keras.layers.Dense(
            self.num_heads * self.head_dim,
            use_bias=config.attention_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="q_proj",
        )
        self.k_proj = keras.layers.Dense(
            self.num_key_value_heads * self.head_dim,
            use_bias=config.attention_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="k_proj",
        )
        self.v_proj = keras.layers.Dense(
            self.num_key_value_heads * self.head_dim,
            use_bias=config.attention_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="v_proj",
        )
        self.o_proj = keras.layers.Dense(
            self.hidden_size,
            use_bias=config.attention_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="o_proj",
        )

        # TODO (joao): remove in v4.46 (RoPE is computed in the model, not in the decoder layers)
        self.rotary_emb = TFLlamaRotaryEmbedding(config=self.config, name="rotary_emb")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.q_proj.name):
            self.q_proj.build([None, None, self.hidden_size])
        with tf.name_scope(self.k_proj.name):
            self.k_proj.build([None, None, self.hidden_size])
        with tf.name_scope(self.v_proj.name):
            self.v_proj.build([None, None, self.hidden_size])
        with tf.name_scope(self.o_proj.name):
            self.o_proj.build([None, None, (self.num_heads * self.head_dim)])
        with tf.name_scope(self.rotary_emb.name):
            self.rotary_emb.build(None)

    def call(
        self,
        hidden_states: tf.Tensor,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_value: Optional[TFCache] = None,
        output_attentions: bool = False,
        use_cache: bool = False,
        cache_position: Optional[tf.Tensor] = None,
        position_embeddings: Optional[Tuple[tf.Tensor, tf.Tensor]] = None,  # will become mandatory in v4.46
        training: bool = False,
        **kwargs,
    ) -> Tuple[tf.Tensor, Optional[tf.Tensor], Optional[Tuple[tf.Tensor]]]:
        bsz, q_len, _ = shape_list(hidden_states)

        if self.config.pretraining_tp > 1:
            key_value_slicing = (self.num_key_value_heads * self.head_dim) // self.config.pretraining_tp
            query_slices = split_by_size(
                tf.transpose(self.q_proj.kernel),
                (self.num_heads * self.head_dim) // self.config.pretraining_tp,
                axis=0,
            )
            key_slices = split_by_size(tf.transpose(self.k_proj.kernel), key_value_slicing, axis=0)
            value_slices = split_by_size(tf.transpose(self.v_proj.kernel), key_value_slicing, axis=0)

            query_states = [
                tf.matmul(hidden_states, query_slices[i], transpose_b=True) for i in range(self.config.pretraining_tp)
            ]
            query_states = tf.concat(query_states, axis=-1)

            key_states = [
                tf.matmul(hidden_states, key_slices[i], transpose_b=True) for i in range(self.config.pretraining_tp)
            ]
            key_states = tf.concat(key_states, axis=-1)

            value_states = [
                tf.matmul(hidden_states, value_slices[i], transpose_b=True) for i in range(self.config.pretraining_tp)
            ]
            value_states = tf.concat(value_states, axis=-1)

        else:
            query_states = self.q_proj(hidden_states)
            key_states = self.k_proj(hidden_states)
            value_states = self.v_proj(hidden_states)

        query_states = swap_axes(tf.reshape(query_states, [bsz, q_len, self.num_heads, self.head_dim]), 1, 2)
        key_states = swap_axes(tf.reshape(key_states, [bsz, q_len, self.num_key_value_heads, self.head_dim]), 1, 2)
        value_states = swap_axes(tf.reshape(value_states, [bsz, q_len, self.num_key_value_heads, self.head_dim]), 1, 2)

        if position_embeddings is None:
            logger.warning_once(
                "The attention layers in this model are transitioning from computing the RoPE embeddings internally "
                "through `position_ids` (2D tensor with the indexes of the tokens), to using externally computed "
                "`position_embeddings` (Tuple of tensors, containing cos and sin). In v4.46 `position_ids` will be "
                "removed and `position_embeddings` will be mandatory."
            )
            cos, sin = self.rotary_emb(value_states, position_ids)
        else:
            cos, sin = position_embeddings
        query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)

        if past_key_value is not None:
            # sin and cos are specific to RoPE models; cache_position needed for the static cache
            cache_kwargs = {"sin": sin, "cos": cos, "cache_position": cache_position}
            key_states, value_states = past_key_value.update(key_states, value_states, self.layer_idx, cache_kwargs)

        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)
        attn_weights = tf.matmul(query_states, swap_axes(key_states, 2, 3)) / math.sqrt(self.head_dim)

        if attention_mask is not None:  # no matter the length, we just slice it
            causal_mask = attention_mask[:, :, :, : shape_list(key_states)[-2]]
            attn_weights = attn_weights + causal_mask

        # upcast attention to fp32
        attn_weights = tf.cast(stable_softmax(tf.cast(attn_weights, tf.float32), axis=-1), query_states.dtype)
        attn_weights = dropout_if_training(attn_weights, rate=self.attention_dropout, training=training)
        attn_output = tf.matmul(attn_weights, value_states)

        tf.debugging.assert_equal(
            shape_list(attn_output),
            [bsz, self.num_heads, q_len, self.head_dim],
            message=f"`attn_output` should be of size {(bsz, self.num_heads, q_len, self.head_dim)}, but is"
            f" {tuple(shape_list(attn_output))}",
        )

        attn_output = swap_axes(attn_output, 1, 2)

        attn_output = tf.reshape(attn_output, [bsz, q_len, -1])

        if self.config.pretraining_tp > 1:
            attn_output = split_by_size(attn_output, self.hidden_size // self.config.pretraining_tp, axis=2)
            o_proj_slices = split_by_size(
                tf.transpose(self.o_proj.kernel), self.hidden_size // self.config.pretraining_tp, axis=1
            )
            attn_output = sum(
                [
                    tf.matmul(attn_output[i], o_proj_slices[i], transpose_b=True)
                    for i in range(self.config.pretraining_tp)
                ]
            )
        else:
            attn_output = self.o_proj(attn_output)

        if not output_attentions:
            attn_weights = None

        return attn_output, attn_weights, past_key_value


class TFLlamaDecoderLayer(keras.layers.Layer):
    def __init__(self, config: LlamaConfig, layer_idx: int, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = config.hidden_size

        self.self_attn = TFLlamaAttention(config=config, layer_idx=layer_idx, name="self_attn")

        self.mlp = TFLlamaMLP(config, name="mlp")
        self.input_layernorm = TFLlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps, name="input_layernorm")
        self.post_attention_layernorm = TFLlamaRMSNorm(
            config.hidden_size, eps=config.rms_norm_eps, name="post_attention_layernorm"
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.self_attn.name):
            self.self_attn.build(None)
        with tf.name_scope(self.mlp.name):
            self.mlp.build(None)
        with tf.name_scope(self.input_layernorm.name):
            self.input_layernorm.build(None)
        with tf.name_scope(self.post_attention_layernorm.name):
            self.post_attention_layernorm.build(None)

    def call(
        self,
        hidden_states: tf.Tensor,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_value: Optional[TFCache] = None,
        output_attentions: Optional[bool] = False,
        use_cache: Optional[bool] = False,
        cache_position: Optional[tf.Tensor] = None,
        position_embeddings: Optional[Tuple[tf.Tensor, tf.Tensor]] = None,  # will become mandatory in v4.46
        training: bool = False,
        **kwargs,
    ) -> Tuple[tf.Tensor, Optional[Tuple[tf.Tensor, tf.Tensor]]]:
        """
        Args:
            hidden_states (`tf.Tensor`): input to the layer of shape `(batch, seq_len, embed_dim)`
            attention_mask (`tf.Tensor`, *optional*):
                attention mask of size `(batch_size, sequence_length)` if flash attention is used or `(batch_size, 1,
                query_sequence_length, key_sequence_length)` if default attention is used.
            output_attentions (`bool`, *optional*):
                Whether or not to return the attentions tensors of all attention layers. See `attentions` under
                returned tensors for more detail.
            use_cache (`bool`, *optional*):
                If set to `True`, `past_key_values` key value states are returned and can be used to speed up decoding
                (see `past_key_values`).
            past_key_value (`Tuple(tf.Tensor)`, *optional*): cached past key and value projection states
            cache_position (`tf.Tensor` of shape `(sequence_length)`, *optional*):
                Indices depicting the position of the input sequence tokens in the sequence
            position_embeddings (`Tuple[tf.Tensor, tf.Tensor]`, *optional*):
                Tuple containing the cosine and sine positional embeddings of shape `(batch_size, seq_len, head_dim)`,
                with `head_dim` being the embedding dimension of each attention head.
            kwargs (`dict`, *optional*):
                Arbitrary kwargs to be ignored, used for FSDP and other methods that injects code
                into the model
        """
        residual = hidden_states

        hidden_states = self.input_layernorm(hidden_states, training=training)

        # Self Attention
        hidden_states, self_attn_weights, present_key_value = self.self_attn(
            hidden_states=hidden_states,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_value=past_key_value,
            output_attentions=output_attentions,
            use_cache=use_cache,
            cache_position=cache_position,
            position_embeddings=position_embeddings,
            **kwargs,
            training=training,
        )
        hidden_states = residual + hidden_states

        # Fully Connected
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states, training=training)
        hidden_states = self.mlp(hidden_states)
        hidden_states = residual + hidden_states

        outputs = (hidden_states,)

        if output_attentions:
            outputs += (self_attn_weights,)

        if use_cache:
            outputs += (present_key_value,)

        return outputs


LLAMA_START_DOCSTRING = r"""
    This model inherits from [`TFPreTrainedModel`]. Check the superclass documentation for the generic methods the
    library implements for all its model (such as downloading or saving, resizing the input embeddings, pruning heads
    etc.)

    This model is also a [keras.Model](https://www.tensorflow.org/api_docs/python/tf/keras/Model) subclass. Use it
    as a regular TF 2.0 Keras Model and refer to the TF 2.0 documentation for all matter related to general usage and
    behavior.

    <Tip>

    TensorFlow models and layers in `transformers` accept two formats as input:

    - having all inputs as keyword arguments (like PyTorch models), or
    - having all inputs as a list, tuple or dict in the first positional argument.

    The reason the second format is supported is that Keras methods prefer this format when passing inputs to models
    and layers. Because of this support, when using methods like `model.fit()` things should "just work" for you - just
    pass your inputs and labels in any format that `model.fit()` supports! If, however, you want to use the second
    format outside of Keras methods like `fit()` and `predict()`, such as when creating your own layers or models with
    the Keras `Functional` API, there are three possibilities you can use to gather all the input Tensors in the first
    positional argument:

    - a single Tensor with `input_ids` only and nothing else: `model(input_ids)`
    - a list of varying length with one or several input Tensors IN THE ORDER given in the docstring:
    `model([input_ids, attention_mask])` or `model([input_ids, attention_mask, token_type_ids])`
    - a dictionary with one or several input Tensors associated to the input names given in the docstring:
    `model({"input_ids": input_ids, "token_type_ids": token_type_ids})`

    Note that when creating models and layers with
    [subclassing](https://keras.io/guides/making_new_layers_and_models_via_subclassing/) then you don't need to worry
    about any of this, as you can just pass inputs like you would to any other Python function!

    </Tip>

    Parameters:
        config ([`LlamaConfig`]):
            Model configuration class with all the parameters of the model. Initializing with a config file does not
            load the weights associated with the model, only the configuration. Check out the
            [`~TFPreTrainedModel.from_pretrained`] method to load the model weights.
"""


@add_start_docstrings(
    "The bare LLaMA Model outputting raw hidden-states without any specific head on top.",
    LLAMA_START_DOCSTRING,
)
class TFLlamaPreTrainedModel(TFPreTrainedModel):
    config_class = LlamaConfig
    base_model_prefix = "model"


LLAMA_INPUTS_DOCSTRING = r"""
    Args:
        input_ids (`tf.Tensor` of shape `(batch_size, sequence_length)`):
            Indices of input sequence tokens in the vocabulary. Padding will be ignored by default should you provide
            it.

            Indices can be obtained using [`AutoTokenizer`]. See [`PreTrainedTokenizer.encode`] and
            [`PreTrainedTokenizer.__call__`] for details.

            [What are input IDs?](../glossary#input-ids)
        attention_mask (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Mask to avoid performing attention on padding token indices. Mask values selected in `[0, 1]`:

            - 1 for tokens that are **not masked**,
            - 0 for tokens that are **masked**.

            [What are attention masks?](../glossary#attention-mask)

            Indices can be obtained using [`AutoTokenizer`]. See [`PreTrainedTokenizer.encode`] and
            [`PreTrainedTokenizer.__call__`] for details.

            If `past_key_values` is used, optionally only the last `input_ids` have to be input (see
            `past_key_values`).

            If you want to change padding behavior, you should read [`modeling_opt._prepare_decoder_attention_mask`]
            and modify to your needs. See diagram 1 in [the paper](https://arxiv.org/abs/1910.13461) for more
            information on the default strategy.

            - 1 indicates the head is **not masked**,
            - 0 indicates the head is **masked**.
        position_ids (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Indices of positions of each input sequence tokens in the position embeddings. Selected in the range `[0,
            config.n_positions - 1]`.

            [What are position IDs?](../glossary#position-ids)
        past_key_values (`Cache` or `tuple(tuple(tf.Tensor))`, *optional*):
            Pre-computed hidden-states (key and values in the self-attention blocks and in the cross-attention
            blocks) that can be used to speed up sequential decoding. This typically consists in the `past_key_values`
            returned by the model at a previous stage of decoding, when `use_cache=True` or `config.use_cache=True`.

            Two formats are allowed:
            - a [`~cache_utils.Cache`] instance, see our
            [kv cache guide](https://huggingface.co/docs/transformers/en/kv_cache);
            - Tuple of `tuple(tf.Tensor)` of length `config.n_layers`, with each tuple having 2 tensors of
            shape `(batch_size, num_heads, sequence_length, embed_size_per_head)`). This is also known as the legacy
            cache format.

            The model will output the same cache format that is fed as input. If no `past_key_values` are passed, the
            legacy cache format will be returned.

            If `past_key_values` are used, the user can optionally input only the last `input_ids` (those that don't
            have their past key value states given to this model) of shape `(batch_size, 1)` instead of all `input_ids`
            of shape `(batch_size, sequence_length)`.
        inputs_embeds (`tf.Tensor` of shape `(batch_size, sequence_length, hidden_size)`, *optional*):
            Optionally, instead of passing `input_ids` you can choose to directly pass an embedded representation. This
            is useful if you want more control over how to convert `input_ids` indices into associated vectors than the
            model's internal embedding lookup matrix.
        use_cache (`bool`, *optional*):
            If set to `True`, `past_key_values` key value states are returned and can be used to speed up decoding (see
            `past_key_values`).
        output_attentions (`bool`, *optional*):
            Whether or not to return the attentions tensors of all attention layers. See `attentions` under returned
            tensors for more detail.
        output_hidden_states (`bool`, *optional*):
            Whether or not to return the hidden states of all layers. See `hidden_states` under returned tensors for
            more detail.
        return_dict (`bool`, *optional*):
            Whether or not to return a [`~utils.ModelOutput`] instead of a plain tuple.
        cache_position (`tf.Tensor` of shape `(sequence_length)`, *optional*):
            Indices depicting the position of the input sequence tokens in the sequence. Contrarily to `position_ids`,
            this tensor is not affected by padding. It is used to update the cache in the correct position and to infer
            the complete sequence length.
"""


@keras_serializable
class TFLlamaMainLayer(keras.layers.Layer):
    config_class = LlamaConfig

    def __init__(self, config: LlamaConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.padding_idx = config.pad_token_id
        self.vocab_size = config.vocab_size

        self.embed_tokens = keras.layers.Embedding(
            config.vocab_size,
            config.hidden_size,
            embeddings_initializer=get_initializer(config.initializer_range),
            name="embed_tokens",
        )
        self.layers = [
            TFLlamaDecoderLayer(config, layer_idx, name=f"layers_._{layer_idx}")
            for layer_idx in range(config.num_hidden_layers)
        ]
        self.norm = TFLlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps, name="norm")
        self.rotary_emb = TFLlamaRotaryEmbedding(config=config, name="rotary_emb")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embed_tokens.name):
            self.embed_tokens.build(None)
        for layer in self.layers:
            with tf.name_scope(layer.name):
                layer.build(None)
        with tf.name_scope(self.norm.name):
            self.norm.build(None)
        with tf.name_scope(self.rotary_emb.name):
            self.rotary_emb.build(None)

    def get_input_embeddings(self):
        return self.embed_tokens

    def set_input_embeddings(self, value):
        self.embed_tokens = value

    @unpack_inputs
    def call(
        self,
        input_ids: tf.Tensor = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Union[TFCache, List[tf.Tensor]]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        cache_position: Optional[tf.Tensor] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPast]:
        input_ids, attention_mask, position_ids = int64_like_torch(input_ids, attention_mask, position_ids)
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        if (input_ids is None) ^ (inputs_embeds is not None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")

        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)

        # kept for BC (non `Cache` `past_key_values` inputs)
        return_legacy_cache = False
        if use_cache and not isinstance(past_key_values, TFCache):
            return_legacy_cache = True
            if past_key_values is None:
                past_key_values = TFDynamicCache()
            else:
                past_key_values = TFDynamicCache.from_legacy_cache(past_key_values)
                logger.warning_once(
                    "We detected that you are passing `past_key_values` as a tuple of tuples. This is deprecated and "
                    "will be removed in v4.47. Please convert your cache or use an appropriate `Cache` class "
                    "(https://huggingface.co/docs/transformers/kv_cache#legacy-cache-format)"
                )

        if cache_position is None:
            past_seen_tokens = past_key_values.get_seq_length() if past_key_values is not None else 0
            cache_position = arange_like_torch(past_seen_tokens, past_seen_tokens + shape_list(inputs_embeds)[1])
        if position_ids is None:
            position_ids = tf.expand_dims(cache_position, axis=0)

        causal_mask = tf_causal_4d_mask(attention_mask, inputs_embeds, cache_position, past_key_values)
        hidden_states = inputs_embeds

        # create position embeddings to be shared across the decoder layers
        position_embeddings = self.rotary_emb(hidden_states, position_ids)

        # decoder layers
        all_hidden_states = () if output_hidden_states else None
        all_self_attns = () if output_attentions else None
        next_decoder_cache = None

        for decoder_layer in self.layers:
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            layer_outputs = decoder_layer(
                hidden_states,
                attention_mask=causal_mask,
                position_ids=position_ids,
                past_key_value=past_key_values,
                output_attentions=output_attentions,
                use_cache=use_cache,
                cache_position=cache_position,
                position_embeddings=position_embeddings,
                training=training,
            )

            hidden_states = layer_outputs[0]

            if use_cache:
                next_decoder_cache = layer_outputs[2 if output_attentions else 1]

            if output_attentions:
                all_self_attns += (layer_outputs[1],)

        hidden_states = self.norm(hidden_states, training=training)

        # add hidden states from the last decoder layer
        if output_hidden_states:
            all_hidden_states += (hidden_states,)

        next_cache = next_decoder_cache if use_cache else None
        if return_legacy_cache:
            next_cache = next_cache.to_legacy_cache()

        if not return_dict:
            return tuple(v for v in [hidden_states, next_cache, all_hidden_states, all_self_attns] if v is not None)
        return TFBaseModelOutputWithPast(
            last_hidden_state=hidden_states,
            past_key_values=next_cache,
            hidden_states=all_hidden_states,
            attentions=all_self_attns,
        )


@add_start_docstrings(
    "The bare LLaMA Model outputting raw hidden-states without any specific head on top.",
    LLAMA_START_DOCSTRING,
)
class TFLlamaModel(TFLlamaPreTrainedModel):
    """
    Transformer decoder consisting of *config.num_hidden_layers* layers. Each layer is a [`LlamaDecoderLayer`]

    Args:
        config: LlamaConfig
    """

    def __init__(self, config: LlamaConfig, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFLlamaMainLayer(config, name="model")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.model.name):
            self.model.build(None)

    @unpack_inputs
    @add_start_docstrings_to_model_forward(LLAMA_INPUTS_DOCSTRING)
    def call(
        self,
        input_ids: tf.Tensor = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Union[TFCache, List[tf.Tensor]]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        cache_position: Optional[tf.Tensor] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPast]:
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            cache_position=cache_position,
            training=training,
        )
        return outputs


class TFLlamaForCausalLM(TFLlamaPreTrainedModel, TFCausalLanguageModelingLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFLlamaMainLayer(config, name="model")
        self.vocab_size = config.vocab_size
        self.config = config
        self.lm_head = TFTiedDense(
            config.vocab_size,
            use_bias=False,
            kernel_initializer=get_initializer(config.initializer_range),
            name="lm_head",
        )
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.lm_head

    def _get_word_embedding_weight(self, embedding_layer):
        if isinstance(embedding_layer, keras.layers.Embedding):
            self.build_in_name_scope()
            return embedding_layer.embeddings
        return super()._get_word_embedding_weight(embedding_layer)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.model.name):
            self.model.build(None)
        with tf.name_scope(self.lm_head.name):
            self.lm_head.build([None, None, self.config.hidden_size])

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def set_input_embeddings(self, value):
        self.model.embed_tokens = value
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to

    def set_output_embeddings(self, new_embeddings):
        self.get_lm_head().set_output_embeddings(new_embeddings)

    def set_decoder(self, decoder):
        self.model = decoder

    def get_decoder(self):
        return self.model

    def prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        """``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``."""
        # only the newest token when the past holds the others
        if past_key_values:
            input_ids = input_ids[:, -1:]
        position_ids = kwargs.get("position_ids", None)
        if attention_mask is not None and position_ids is None:
            position_ids = tf.math.cumsum(attention_mask, axis=-1) - 1
            position_ids = tf.where(attention_mask == 0, tf.ones_like(position_ids), position_ids)
        if past_key_values and position_ids is not None:
            position_ids = position_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "past_key_values": past_key_values,
            "use_cache": use_cache,
        }

    @unpack_inputs
    @add_start_docstrings_to_model_forward(LLAMA_INPUTS_DOCSTRING)
    @replace_return_docstrings(output_type=TFCausalLMOutputWithPast, config_class=_CONFIG_FOR_DOC)
    def call(
        self,
        input_ids: tf.Tensor = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Union[TFCache, List[tf.Tensor]]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        cache_position: Optional[tf.Tensor] = None,
        num_logits_to_keep: int = 0,
        training: bool = False,
        **loss_kwargs,
    ) -> Union[Tuple, TFCausalLMOutputWithPast]:
        r"""
        Args:
            labels (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
                Labels for computing the masked language modeling loss. Indices should either be in `[0, ...,
                config.vocab_size]` or -100 (see `input_ids` docstring). Tokens with indices set to `-100` are ignored
                (masked), the loss is only computed for the tokens with labels in `[0, ..., config.vocab_size]`.

            num_logits_to_keep (`int`, *optional*):
                Calculate logits for the last `num_logits_to_keep` tokens. If `0`, calculate logits for all
                `input_ids` (special case). Only last token logits are needed for generation, and calculating them only for that
                token can save memory, which becomes pretty significant for long sequences or large vocabulary size.

        Returns:

        Example:

        ```python
        >>> from transformers import AutoTokenizer, LlamaForCausalLM

        >>> model = LlamaForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        >>> tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-7b-hf")

        >>> prompt = "Hey, are you conscious? Can you talk to me?"
        >>> inputs = tokenizer(prompt, return_tensors="tf")

        >>> # Generate
        >>> generate_ids = model.generate(inputs.input_ids, max_length=30)
        >>> tokenizer.batch_decode(generate_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)[0]
        "Hey, are you conscious? Can you talk to me?\nI'm not conscious, but I can talk to you."
        ```"""
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        # decoder outputs consists of (dec_features, layer_state, dec_hidden, dec_attn)
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            cache_position=cache_position,
            training=training,
        )

        hidden_states = outputs[0]
        if self.config.pretraining_tp > 1:
            lm_head_slices = split_by_size(self.lm_head.weight, self.vocab_size // self.config.pretraining_tp, axis=0)
            logits = [
                tf.matmul(hidden_states, lm_head_slices[i], transpose_b=True)
                for i in range(self.config.pretraining_tp)
            ]
            logits = tf.concat(logits, axis=-1)
        else:
            # Only compute necessary logits, and do not upcast them to float if we are not computing the loss
            logits = self.lm_head(hidden_states[:, -num_logits_to_keep:, :])

        loss = None
        if labels is not None:
            loss = self.hf_compute_loss(labels=labels[:, 1:], logits=logits[:, :-1])

        if not return_dict:
            output = (logits,) + outputs[1:]
            return (loss,) + output if loss is not None else output

        return TFCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


@add_start_docstrings(
    """
    The LLaMa Model transformer with a sequence classification head on top (linear layer).

    [`LlamaForSequenceClassification`] uses the last token in order to do the classification, as other causal models
    (e.g. GPT-2) do.

    Since it does classification on the last token, it requires to know the position of the last token. If a
    `pad_token_id` is defined in the configuration, it finds the last token that is not a padding token in each row. If
    no `pad_token_id` is defined, it simply takes the last value in each row of the batch. Since it cannot guess the
    padding tokens when `inputs_embeds` are passed instead of `input_ids`, it does the same (take the last value in
    each row of the batch).
    """,
    LLAMA_START_DOCSTRING,
)
class TFLlamaForSequenceClassification(TFLlamaPreTrainedModel, TFSequenceClassificationLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.num_labels = config.num_labels
        self.model = TFLlamaMainLayer(config, name="model")
        self.config = config
        self.score = keras.layers.Dense(
            self.num_labels, use_bias=False, kernel_initializer=get_initializer(config.initializer_range), name="score"
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.model.name):
            self.model.build(None)
        with tf.name_scope(self.score.name):
            self.score.build([None, None, self.config.hidden_size])

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def set_input_embeddings(self, value):
        self.model.embed_tokens = value

    @unpack_inputs
    @add_start_docstrings_to_model_forward(LLAMA_INPUTS_DOCSTRING)
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Union[TFCache, List[tf.Tensor]]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFSequenceClassifierOutputWithPast]:
        r"""
        labels (`tf.Tensor` of shape `(batch_size,)`, *optional*):
            Labels for computing the sequence classification/regression loss. Indices should be in `[0, ...,
            config.num_labels - 1]`. If `config.num_labels == 1` a regression loss is computed (Mean-Square loss), If
            `config.num_labels > 1` a classification loss is computed (Cross-Entropy).
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        transformer_outputs = self.model(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )
        hidden_states = transformer_outputs[0]
        logits = self.score(hidden_states)

        if input_ids is not None:
            batch_size = shape_list(input_ids)[0]
        else:
            batch_size = shape_list(inputs_embeds)[0]

        if self.config.pad_token_id is None and batch_size != 1:
            raise ValueError("Cannot handle batch sizes > 1 if no padding token is defined.")
        if self.config.pad_token_id is None:
            sequence_lengths = -1
        else:
            if input_ids is not None:
                # if no pad token found, use modulo instead of reverse indexing for ONNX compatibility
                sequence_lengths = (
                    tf.math.argmax(tf.cast(tf.math.equal(input_ids, self.config.pad_token_id), tf.int32), axis=-1) - 1
                )
                sequence_lengths = sequence_lengths % shape_list(input_ids)[-1]
                sequence_lengths = sequence_lengths
            else:
                sequence_lengths = -1

        pooled_logits = gather_indices(logits, arange_like_torch(batch_size), sequence_lengths)

        loss = None
        if labels is not None:
            loss = self.hf_compute_loss(labels=labels, logits=pooled_logits)

        if not return_dict:
            output = (pooled_logits,) + transformer_outputs[1:]
            return ((loss,) + output) if loss is not None else output

        return TFSequenceClassifierOutputWithPast(
            loss=loss,
            logits=pooled_logits,
            past_key_values=transformer_outputs.past_key_values,
            hidden_states=transformer_outputs.hidden_states,
            attentions=transformer_outputs.attentions,
        )


@add_start_docstrings(
    """
The Llama Model transformer with a span classification head on top for extractive question-answering tasks like
SQuAD (a linear layer on top of the hidden-states output to compute `span start logits` and `span end logits`).
    """,
    LLAMA_START_DOCSTRING,
)
class TFLlamaForQuestionAnswering(TFLlamaPreTrainedModel, TFQuestionAnsweringLoss):
    base_model_prefix = "transformer"

    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFLlamaMainLayer(config, name="transformer")
        self.config = config
        self.qa_outputs = keras.layers.Dense(
            2, kernel_initializer=get_initializer(config.initializer_range), name="qa_outputs"
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.qa_outputs.name):
            self.qa_outputs.build([None, None, self.config.hidden_size])

    def get_input_embeddings(self):
        return self.transformer.embed_tokens

    def set_input_embeddings(self, value):
        self.transformer.embed_tokens = value

    @unpack_inputs
    @add_start_docstrings_to_model_forward(LLAMA_INPUTS_DOCSTRING)
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Union[TFCache, List[tf.Tensor]]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        start_positions: Optional[tf.Tensor] = None,
        end_positions: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
        **kwargs,
    ) -> Union[Tuple, TFQuestionAnsweringModelOutput]:
        r"""
        start_positions (`tf.Tensor` of shape `(batch_size,)`, *optional*):
            Labels for position (index) of the start of the labelled span for computing the token classification loss.
            Positions are clamped to the length of the sequence (`sequence_length`). Position outside of the sequence
            are not taken into account for computing the loss.
        end_positions (`tf.Tensor` of shape `(batch_size,)`, *optional*):
            Labels for position (index) of the end of the labelled span for computing the token classification loss.
            Positions are clamped to the length of the sequence (`sequence_length`). Position outside of the sequence
            are not taken into account for computing the loss.
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        outputs = self.transformer(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )

        sequence_output = outputs[0]

        logits = self.qa_outputs(sequence_output)
        start_logits, end_logits = tf.split(logits, 2, axis=-1)
        start_logits = tf.squeeze(start_logits, axis=-1)
        end_logits = tf.squeeze(end_logits, axis=-1)

        loss = None
        if start_positions is not None and end_positions is not None:
            loss = self.hf_compute_loss(
                labels={"start_position": start_positions, "end_position": end_positions},
                logits=(start_logits, end_logits),
            )

        if not return_dict:
            output = (start_logits, end_logits) + outputs[2:]
            return ((loss,) + output) if loss is not None else output

        return TFQuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


@add_start_docstrings(
    """
    The Llama Model transformer with a token classification head on top (a linear layer on top of the hidden-states
    output) e.g. for Named-Entity-Recognition (NER) tasks.
    """,
    LLAMA_START_DOCSTRING,
)
class TFLlamaForTokenClassification(TFLlamaPreTrainedModel, TFTokenClassificationLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.num_labels = config.num_labels
        self.model = TFLlamaMainLayer(config, name="model")
        if getattr(config, "classifier_dropout", None) is not None:
            classifier_dropout = config.classifier_dropout
        elif getattr(config, "hidden_dropout", None) is not None:
            classifier_dropout = config.hidden_dropout
        else:
            classifier_dropout = 0.1
        self.dropout = keras.layers.Dropout(rate=classifier_dropout, name="dropout")
        self.config = config
        self.score = keras.layers.Dense(
            config.num_labels, kernel_initializer=get_initializer(config.initializer_range), name="score"
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.model.name):
            self.model.build(None)
        with tf.name_scope(self.score.name):
            self.score.build([None, None, self.config.hidden_size])

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def set_input_embeddings(self, value):
        self.model.embed_tokens = value

    @unpack_inputs
    @add_start_docstrings_to_model_forward(LLAMA_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint=_CHECKPOINT_FOR_DOC,
        output_type=TFTokenClassifierOutput,
        config_class=_CONFIG_FOR_DOC,
    )
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        attention_mask: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[List[tf.Tensor]] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFTokenClassifierOutput]:
        r"""
        labels (`tf.Tensor` of shape `(batch_size,)`, *optional*):
            Labels for computing the sequence classification/regression loss. Indices should be in `[0, ...,
            config.num_labels - 1]`. If `config.num_labels == 1` a regression loss is computed (Mean-Square loss), If
            `config.num_labels > 1` a classification loss is computed (Cross-Entropy).
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        outputs = self.model(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )
        sequence_output = outputs[0]
        sequence_output = self.dropout(sequence_output, training=training)
        logits = self.score(sequence_output)

        loss = None
        if labels is not None:
            loss = self.hf_compute_loss(labels=labels, logits=logits)

        if not return_dict:
            output = (logits,) + outputs[2:]
            return ((loss,) + output) if loss is not None else output

        return TFTokenClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
