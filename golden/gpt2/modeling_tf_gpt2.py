# coding=utf-8
# Copyright 2018 The OpenAI Team Authors and HuggingFace Inc. team.
# Copyright (c) 2018, NVIDIA CORPORATION.  All rights reserved.
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
"""TF 2.0 OpenAI GPT-2 model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

import tensorflow as tf

from ...activations_tf import get_tf_activation
from ...modeling_tf_outputs import (
    TFBaseModelOutputWithPastAndCrossAttentions,
    TFCausalLMOutputWithCrossAttentions,
    TFQuestionAnsweringModelOutput,
    TFSequenceClassifierOutputWithPast,
    TFTokenClassifierOutput,
)
from ...modeling_tf_utils import (
    TFCausalLanguageModelingLoss,
    TFConv1D,
    TFPreTrainedModel,
    TFQuestionAnsweringLoss,
    TFSequenceClassificationLoss,
    TFSequenceSummary,
    TFTokenClassificationLoss,
    get_initializer,
    keras,
    keras_serializable,
    unpack_inputs,
)
from ...tf_utils import shape_list, stable_softmax
from ...utils import (
    ModelOutput,
    add_code_sample_docstrings,
    add_start_docstrings,
    add_start_docstrings_to_model_forward,
    is_flash_attn_2_available,
    logging,
    replace_return_docstrings,
)
from .configuration_gpt2 import GPT2Config


if is_flash_attn_2_available():
    pass


logger = logging.get_logger(__name__)

_CHECKPOINT_FOR_DOC = "openai-community/gpt2"
_CONFIG_FOR_DOC = "GPT2Config"


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


def arange_like_torch(start, end=None, step=1):
    """PyTorch's ``torch.arange`` without a dtype: int64 for integer bounds (``tf.range`` gives int32), else float32."""

    def integral(bound):
        dtype = getattr(bound, "dtype", None)
        return isinstance(bound, int) or (dtype is not None and tf.as_dtype(dtype).is_integer)

    dtype = tf.int64 if all(integral(b) for b in (start, end, step) if b is not None) else tf.float32
    if end is None:
        start, end = 0, start
    return tf.range(tf.cast(start, dtype), tf.cast(end, dtype), tf.cast(step, dtype), dtype=dtype)


def cross_entropy_loss(logits, labels, ignore_index=-100, reduction="mean"):
    """PyTorch's ``nn.CrossEntropyLoss(ignore_index=..., reduction=...)(logits, labels)``, classes on axis 1 (the
    last axis of 2D logits): the mean over the labels that are not ``ignore_index`` (shape ``(1,)``, as the TF
    loss mixins return it), their sum, or each label's loss (0 where ignored)."""
    if logits.shape.rank is not None and logits.shape.rank > 2:
        logits = tf.experimental.numpy.moveaxis(logits, 1, -1)
    labels = tf.cast(labels, tf.int64)
    keep = tf.not_equal(labels, ignore_index)
    losses = keras.losses.sparse_categorical_crossentropy(
        tf.where(keep, labels, tf.zeros_like(labels)), logits, from_logits=True, axis=-1
    )
    losses = losses * tf.cast(keep, losses.dtype)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return tf.reshape(tf.reduce_sum(losses), (1,))
    return tf.reshape(tf.reduce_sum(losses) / tf.reduce_sum(tf.cast(keep, losses.dtype)), (1,))


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


def get_head_mask(head_mask, num_hidden_layers, is_attention_chunked=False, dtype=tf.float32):
    """``ModuleUtilsMixin.get_head_mask``: a 5D mask [layers, batch, heads, seq, seq], or one None per layer."""
    if head_mask is None:
        return [None] * num_hidden_layers
    head_mask = tf.convert_to_tensor(head_mask)
    if head_mask.shape.rank == 1:
        head_mask = head_mask[None, None, :, None, None]
        head_mask = tf.tile(head_mask, (num_hidden_layers, 1, 1, 1, 1))
    elif head_mask.shape.rank == 2:
        head_mask = head_mask[:, None, :, None, None]
    if head_mask.shape.rank != 5:
        raise ValueError(f"head_mask.dim != 5, instead {head_mask.shape.rank}")
    head_mask = tf.cast(head_mask, tf.as_dtype(dtype))
    if is_attention_chunked is True:
        head_mask = head_mask[..., None]
    return head_mask


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


def invert_attention_mask(encoder_attention_mask, dtype=tf.float32):
    """``ModuleUtilsMixin.invert_attention_mask``: 0 where attended, ``dtype.min`` where masked."""
    dtype = tf.as_dtype(dtype)
    encoder_attention_mask = tf.convert_to_tensor(encoder_attention_mask)
    if encoder_attention_mask.shape.rank == 3:
        encoder_extended_attention_mask = encoder_attention_mask[:, None, :, :]
    if encoder_attention_mask.shape.rank == 2:
        encoder_extended_attention_mask = encoder_attention_mask[:, None, None, :]
    encoder_extended_attention_mask = tf.cast(encoder_extended_attention_mask, dtype)
    return (1.0 - encoder_extended_attention_mask) * dtype.min


def split_by_size(x, split_size, axis=0):
    """PyTorch's ``x.split(split_size, dim)``: an int is the size of each piece, not their number."""
    if isinstance(split_size, (list, tuple)):
        return tf.split(x, split_size, axis=axis)
    length = shape_list(x)[axis]
    sizes = [split_size] * (length // split_size)
    if length % split_size:
        sizes.append(length % split_size)
    return tf.split(x, sizes, axis=axis)


def tensor_like_torch(data):
    """PyTorch's ``torch.tensor`` without a dtype: Python integers give int64 (``tf.constant`` gives int32)."""
    value = tf.convert_to_tensor(data)
    if value.dtype == tf.int32 and not tf.is_tensor(data):
        value = tf.cast(value, tf.int64)
    return value


def tf_stacked_past(past_key_values):
    """The cache as TF ``generate()`` reads it for this model (batch on axis 1): one tensor per layer stacking its
    key and value on a new first axis."""
    if past_key_values is None:
        return None
    if hasattr(past_key_values, "to_legacy_cache"):  # a cache object (newer trees keep one throughout)
        past_key_values = past_key_values.to_legacy_cache()
    return tuple(tf.stack(layer_past, axis=0) for layer_past in past_key_values)


class TFGPT2Attention(keras.layers.Layer):
    def __init__(self, config, is_cross_attention=False, layer_idx=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        max_positions = config.max_position_embeddings
        self.bias = tf.reshape(
            tf.linalg.band_part(tf.ones((max_positions, max_positions), dtype=tf.bool), -1, 0),
            [1, 1, max_positions, max_positions],
        )
        self.masked_bias = tensor_like_torch(-1e4)

        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError(
                f"`embed_dim` must be divisible by num_heads (got `embed_dim`: {self.embed_dim} and `num_heads`:"
                f" {self.num_heads})."
            )

        self.scale_attn_weights = config.scale_attn_weights
        self.is_cross_attention = is_cross_attention

        # Layer-wise attention scaling, reordering, and upcasting
        self.scale_attn_by_inverse_layer_idx = config.scale_attn_by_inverse_layer_idx
        self.layer_idx = layer_idx
        self.reorder_and_upcast_attn = config.reorder_and_upcast_attn

        if self.is_cross_attention:
            self.c_attn = TFConv1D(
                2 * self.embed_dim, self.embed_dim, initializer_range=config.initializer_range, name="c_attn"
            )
            self.q_attn = TFConv1D(
                self.embed_dim, self.embed_dim, initializer_range=config.initializer_range, name="q_attn"
            )
        else:
            self.c_attn = TFConv1D(
                3 * self.embed_dim, self.embed_dim, initializer_range=config.initializer_range, name="c_attn"
            )
        self.c_proj = TFConv1D(
            self.embed_dim, self.embed_dim, initializer_range=config.initializer_range, name="c_proj"
        )

        self.attn_dropout = keras.layers.Dropout(rate=config.attn_pdrop, name="attn_dropout")
        self.resid_dropout = keras.layers.Dropout(rate=config.resid_pdrop, name="resid_dropout")
        self.is_causal = True

        self.pruned_heads = set()

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.is_cross_attention:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
            with tf.name_scope(self.q_attn.name):
                self.q_attn.build([None, None, self.embed_dim])
        else:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
        with tf.name_scope(self.c_proj.name):
            self.c_proj.build([None, None, self.embed_dim])

    def _attn(self, query, key, value, attention_mask=None, head_mask=None, training: bool = False):
        attn_weights = tf.matmul(query, key, transpose_b=True)

        if self.scale_attn_weights:
            attn_weights = attn_weights / tf.fill([], tf.cast(shape_list(value)[-1] ** 0.5, attn_weights.dtype))

        # Layer-wise attention scaling
        if self.scale_attn_by_inverse_layer_idx:
            attn_weights = attn_weights / float(self.layer_idx + 1)

        if not self.is_cross_attention:
            # if only "normal" attention layer implements causal mask
            query_length, key_length = shape_list(query)[-2], shape_list(key)[-2]
            causal_mask = self.bias[:, :, key_length - query_length : key_length, :key_length]
            mask_value = attn_weights.dtype.min
            # Need to be a tensor, otherwise we get error: `RuntimeError: expected scalar type float but found double`.
            # Need to be on the same device, otherwise `RuntimeError: ..., x and y to be on the same device`
            mask_value = tf.fill([], tf.cast(mask_value, attn_weights.dtype))
            attn_weights = tf.where(causal_mask, tf.cast(attn_weights, attn_weights.dtype), mask_value)

        if attention_mask is not None:
            # Apply the attention mask
            attn_weights = attn_weights + attention_mask

        attn_weights = stable_softmax(attn_weights, axis=-1)

        # Downcast (if necessary) back to V's dtype (if in mixed-precision) -- No-Op otherwise
        attn_weights = tf.cast(attn_weights, value.dtype)
        attn_weights = self.attn_dropout(attn_weights, training=training)

        # Mask heads if we want to
        if head_mask is not None:
            attn_weights = attn_weights * head_mask

        attn_output = tf.matmul(attn_weights, value)

        return attn_output, attn_weights

    def _upcast_and_reordered_attn(
        self, query, key, value, attention_mask=None, head_mask=None, training: bool = False
    ):
        # Use `torch.baddbmm` (a bit more efficient w/ alpha param for scaling -- from Megatron-LM)
        bsz, num_heads, q_seq_len, dk = shape_list(query)
        _, _, k_seq_len, _ = shape_list(key)

        # Preallocate attn_weights for `baddbmm`
        attn_weights = tf.zeros([bsz * num_heads, q_seq_len, k_seq_len], dtype=tf.float32)

        # Compute Scale Factor
        scale_factor = 1.0
        if self.scale_attn_weights:
            scale_factor /= float(shape_list(value)[-1]) ** 0.5

        if self.scale_attn_by_inverse_layer_idx:
            scale_factor /= float(self.layer_idx + 1)

        # Upcast (turn off autocast) and reorder (Scale K by 1 / root(dk))
        q, k = tf.reshape(query, [-1, q_seq_len, dk]), tf.reshape(tf.linalg.matrix_transpose(key), [-1, dk, k_seq_len])
        attn_weights = 0 * attn_weights + scale_factor * tf.matmul(tf.cast(q, tf.float32), tf.cast(k, tf.float32))
        attn_weights = tf.reshape(attn_weights, [bsz, num_heads, q_seq_len, k_seq_len])

        if not self.is_cross_attention:
            # if only "normal" attention layer implements causal mask
            query_length, key_length = shape_list(query)[-2], shape_list(key)[-2]
            causal_mask = self.bias[:, :, key_length - query_length : key_length, :key_length]
            mask_value = attn_weights.dtype.min
            # Need to be a tensor, otherwise we get error: `RuntimeError: expected scalar type float but found double`.
            # Need to be on the same device, otherwise `RuntimeError: ..., x and y to be on the same device`
            mask_value = tf.constant(mask_value, dtype=attn_weights.dtype)
            attn_weights = tf.where(causal_mask, attn_weights, mask_value)

        if attention_mask is not None:
            # Apply the attention mask
            attn_weights = attn_weights + attention_mask

        attn_weights = stable_softmax(attn_weights, axis=-1)

        # Downcast (if necessary) back to V's dtype (if in mixed-precision) -- No-Op if otherwise
        if attn_weights.dtype != tf.float32:
            raise RuntimeError("Error with upcasting, attn_weights does not have dtype torch.float32")
        attn_weights = tf.cast(attn_weights, value.dtype)
        attn_weights = self.attn_dropout(attn_weights, training=training)

        # Mask heads if we want to
        if head_mask is not None:
            attn_weights = attn_weights * head_mask

        attn_output = tf.matmul(attn_weights, value)

        return attn_output, attn_weights

    def _split_heads(self, tensor, num_heads, attn_head_size):
        """
        Splits hidden_size dim into attn_head_size and num_heads
        """
        new_shape = tuple(shape_list(tensor))[:-1] + (num_heads, attn_head_size)
        tensor = tf.reshape(tensor, new_shape)
        return tf.transpose(tensor, perm=[0, 2, 1, 3])  # (batch, head, seq_length, head_features)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        """
        Merges attn_head_size dim and num_attn_heads dim into hidden_size
        """
        tensor = tf.transpose(tensor, perm=[0, 2, 1, 3])
        new_shape = tuple(shape_list(tensor))[:-2] + (num_heads * attn_head_size,)
        return tf.reshape(tensor, new_shape)

    def call(
        self,
        hidden_states: Optional[Tuple[tf.Tensor]],
        layer_past: Optional[Tuple[tf.Tensor]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        encoder_hidden_states: Optional[tf.Tensor] = None,
        encoder_attention_mask: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = False,
        output_attentions: Optional[bool] = False,
        training: bool = False,
    ) -> Tuple[Union[tf.Tensor, Tuple[tf.Tensor]], ...]:
        if encoder_hidden_states is not None:
            if not hasattr(self, "q_attn"):
                raise ValueError(
                    "If class is used as cross attention, the weights `q_attn` have to be defined. "
                    "Please make sure to instantiate class with `GPT2Attention(..., is_cross_attention=True)`."
                )

            query = self.q_attn(hidden_states)
            key, value = split_by_size(self.c_attn(encoder_hidden_states), self.split_size, axis=2)
            attention_mask = encoder_attention_mask
        else:
            query, key, value = split_by_size(self.c_attn(hidden_states), self.split_size, axis=2)

        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)

        if layer_past is not None:
            past_key, past_value = tf.unstack(layer_past, axis=0)
            key = tf.concat((past_key, key), axis=-2)
            value = tf.concat((past_value, value), axis=-2)

        if use_cache is True:
            present = (key, value)
        else:
            present = None

        if self.reorder_and_upcast_attn:
            attn_output, attn_weights = self._upcast_and_reordered_attn(
                query, key, value, attention_mask, head_mask, training=training
            )
        else:
            attn_output, attn_weights = self._attn(query, key, value, attention_mask, head_mask, training=training)

        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.c_proj(attn_output)
        attn_output = self.resid_dropout(attn_output, training=training)

        outputs = (attn_output, present)
        if output_attentions:
            outputs += (attn_weights,)

        return outputs  # a, present, (attentions)


class TFGPT2MLP(keras.layers.Layer):
    def __init__(self, intermediate_size, config, **kwargs):
        super().__init__(**kwargs)
        embed_dim = config.hidden_size
        self.embed_dim = embed_dim
        self.c_fc = TFConv1D(intermediate_size, embed_dim, initializer_range=config.initializer_range, name="c_fc")
        self.intermediate_size = intermediate_size
        self.c_proj = TFConv1D(embed_dim, intermediate_size, initializer_range=config.initializer_range, name="c_proj")
        self.act = get_tf_activation(config.activation_function)
        self.dropout = keras.layers.Dropout(rate=config.resid_pdrop, name="dropout")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.c_fc.name):
            self.c_fc.build([None, None, self.embed_dim])
        with tf.name_scope(self.c_proj.name):
            self.c_proj.build([None, None, self.intermediate_size])

    def call(self, hidden_states: Optional[Tuple[tf.Tensor]], training: bool = False) -> tf.Tensor:
        hidden_states = self.c_fc(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.c_proj(hidden_states)
        hidden_states = self.dropout(hidden_states, training=training)
        return hidden_states


class TFGPT2Block(keras.layers.Layer):
    def __init__(self, config, layer_idx=None, **kwargs):
        super().__init__(**kwargs)
        hidden_size = config.hidden_size
        inner_dim = config.n_inner if config.n_inner is not None else 4 * hidden_size
        attention_class = TFGPT2Attention
        self.hidden_size = hidden_size

        self.ln_1 = keras.layers.LayerNormalization(epsilon=config.layer_norm_epsilon, name="ln_1")
        self.attn = attention_class(config=config, layer_idx=layer_idx, name="attn")
        self.ln_2 = keras.layers.LayerNormalization(epsilon=config.layer_norm_epsilon, name="ln_2")
        self.config = config

        if config.add_cross_attention:
            self.crossattention = attention_class(
                config=config, is_cross_attention=True, layer_idx=layer_idx, name="crossattention"
            )
            self.ln_cross_attn = keras.layers.LayerNormalization(
                epsilon=config.layer_norm_epsilon, name="ln_cross_attn"
            )

        self.mlp = TFGPT2MLP(inner_dim, config, name="mlp")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.ln_1.name):
            self.ln_1.build([None, None, self.hidden_size])
        with tf.name_scope(self.attn.name):
            self.attn.build(None)
        with tf.name_scope(self.ln_2.name):
            self.ln_2.build([None, None, self.hidden_size])
        if self.config.add_cross_attention:
            with tf.name_scope(self.crossattention.name):
                self.crossattention.build(None)
            with tf.name_scope(self.ln_cross_attn.name):
                self.ln_cross_attn.build([None, None, self.hidden_size])
        with tf.name_scope(self.mlp.name):
            self.mlp.build(None)

    def call(
        self,
        hidden_states: Optional[Tuple[tf.Tensor]],
        layer_past: Optional[Tuple[tf.Tensor]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        encoder_hidden_states: Optional[tf.Tensor] = None,
        encoder_attention_mask: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = False,
        output_attentions: Optional[bool] = False,
        training: bool = False,
    ) -> Union[Tuple[tf.Tensor], Optional[Tuple[tf.Tensor, Tuple[tf.Tensor, ...]]]]:
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_outputs = self.attn(
            hidden_states,
            layer_past=layer_past,
            attention_mask=attention_mask,
            head_mask=head_mask,
            use_cache=use_cache,
            output_attentions=output_attentions,
        )
        attn_output = attn_outputs[0]  # output_attn: a, present, (attentions)
        outputs = attn_outputs[1:]
        # residual connection
        hidden_states = attn_output + residual

        if encoder_hidden_states is not None:
            # add one self-attention block for cross-attention
            if not hasattr(self, "crossattention"):
                raise ValueError(
                    f"If `encoder_hidden_states` are passed, {self} has to be instantiated with "
                    "cross-attention layers by setting `config.add_cross_attention=True`"
                )
            residual = hidden_states
            hidden_states = self.ln_cross_attn(hidden_states)
            cross_attn_outputs = self.crossattention(
                hidden_states,
                attention_mask=attention_mask,
                head_mask=head_mask,
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                output_attentions=output_attentions,
            )
            attn_output = cross_attn_outputs[0]
            # residual connection
            hidden_states = residual + attn_output
            outputs = outputs + cross_attn_outputs[2:]  # add cross attentions if we output attention weights

        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states, training=training)
        # residual connection
        hidden_states = residual + feed_forward_hidden_states

        if use_cache:
            outputs = (hidden_states,) + outputs
        else:
            outputs = (hidden_states,) + outputs[1:]

        return outputs  # hidden_states, present, (attentions, cross_attentions)


class TFGPT2PreTrainedModel(TFPreTrainedModel):
    """
    An abstract class to handle weights initialization and a simple interface for downloading and loading pretrained
    models.
    """

    config_class = GPT2Config
    base_model_prefix = "transformer"


@dataclass
class TFGPT2DoubleHeadsModelOutput(ModelOutput):
    """
    Base class for outputs of models predicting if two sentences are consecutive or not.

    Args:
        loss (`tf.Tensor` of shape `(1,)`, *optional*, returned when `labels` is provided):
            Language modeling loss.
        mc_loss (`tf.Tensor` of shape `(1,)`, *optional*, returned when `mc_labels` is provided):
            Multiple choice classification loss.
        logits (`tf.Tensor` of shape `(batch_size, num_choices, sequence_length, config.vocab_size)`):
            Prediction scores of the language modeling head (scores for each vocabulary token before SoftMax).
        mc_logits (`tf.Tensor` of shape `(batch_size, num_choices)`):
            Prediction scores of the multiple choice classification head (scores for each choice before SoftMax).
        past_key_values (`Tuple[Tuple[tf.Tensor]]`, *optional*, returned when `use_cache=True` is passed or when `config.use_cache=True`):
            Tuple of length `config.n_layers`, containing tuples of tensors of shape `(batch_size, num_heads,
            sequence_length, embed_size_per_head)`).

            Contains pre-computed hidden-states (key and values in the attention blocks) that can be used (see
            `past_key_values` input) to speed up sequential decoding.
        hidden_states (`tuple(tf.Tensor)`, *optional*, returned when `output_hidden_states=True` is passed or when `config.output_hidden_states=True`):
            Tuple of `tf.Tensor` (one for the output of the embeddings + one for the output of each layer) of
            shape `(batch_size, sequence_length, hidden_size)`.

            Hidden-states of the model at the output of each layer plus the initial embedding outputs.
        attentions (`tuple(tf.Tensor)`, *optional*, returned when `output_attentions=True` is passed or when `config.output_attentions=True`):
            Tuple of `tf.Tensor` (one for each layer) of shape `(batch_size, num_heads, sequence_length,
            sequence_length)`.

            GPT2Attentions weights after the attention softmax, used to compute the weighted average in the
            self-attention heads.
    """

    loss: Optional[tf.Tensor] = None
    mc_loss: Optional[tf.Tensor] = None
    logits: tf.Tensor = None
    mc_logits: tf.Tensor = None
    past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None
    hidden_states: Optional[Tuple[tf.Tensor]] = None
    attentions: Optional[Tuple[tf.Tensor]] = None


GPT2_START_DOCSTRING = r"""

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
        config ([`GPT2Config`]): Model configuration class with all the parameters of the model.
            Initializing with a config file does not load the weights associated with the model, only the
            configuration. Check out the [`~TFPreTrainedModel.from_pretrained`] method to load the model weights.
"""

GPT2_INPUTS_DOCSTRING = r"""
    Args:
        input_ids (`tf.Tensor` of shape `(batch_size, input_ids_length)`):
            `input_ids_length` = `sequence_length` if `past_key_values` is `None` else
            `past_key_values[0][0].shape[-2]` (`sequence_length` of input past key value states). Indices of input
            sequence tokens in the vocabulary.

            If `past_key_values` is used, only `input_ids` that do not have their past calculated should be passed as
            `input_ids`.

            Indices can be obtained using [`AutoTokenizer`]. See [`PreTrainedTokenizer.encode`] and
            [`PreTrainedTokenizer.__call__`] for details.

            [What are input IDs?](../glossary#input-ids)
        past_key_values (`Tuple[Tuple[tf.Tensor]]` of length `config.n_layers`):
            Contains precomputed hidden-states (key and values in the attention blocks) as computed by the model (see
            `past_key_values` output below). Can be used to speed up sequential decoding. The `input_ids` which have
            their past given to this model should not be passed as `input_ids` as they have already been computed.
        attention_mask (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Mask to avoid performing attention on padding token indices. Mask values selected in `[0, 1]`:

            - 1 for tokens that are **not masked**,
            - 0 for tokens that are **masked**.

            If `past_key_values` is used, `attention_mask` needs to contain the masking strategy that was used for
            `past_key_values`. In other words, the `attention_mask` always has to have the length:
            `len(past_key_values) + len(input_ids)`

            [What are attention masks?](../glossary#attention-mask)
        token_type_ids (`tf.Tensor` of shape `(batch_size, input_ids_length)`, *optional*):
            Segment token indices to indicate first and second portions of the inputs. Indices are selected in `[0,
            1]`:

            - 0 corresponds to a *sentence A* token,
            - 1 corresponds to a *sentence B* token.

            [What are token type IDs?](../glossary#token-type-ids)
        position_ids (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Indices of positions of each input sequence tokens in the position embeddings. Selected in the range `[0,
            config.max_position_embeddings - 1]`.

            [What are position IDs?](../glossary#position-ids)
        head_mask (`tf.Tensor` of shape `(num_heads,)` or `(num_layers, num_heads)`, *optional*):
            Mask to nullify selected heads of the self-attention modules. Mask values selected in `[0, 1]`:

            - 1 indicates the head is **not masked**,
            - 0 indicates the head is **masked**.

        inputs_embeds (`tf.Tensor` of shape `(batch_size, sequence_length, hidden_size)`, *optional*):
            Optionally, instead of passing `input_ids` you can choose to directly pass an embedded representation. This
            is useful if you want more control over how to convert `input_ids` indices into associated vectors than the
            model's internal embedding lookup matrix.

            If `past_key_values` is used, optionally only the last `inputs_embeds` have to be input (see
            `past_key_values`).
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
"""
PARALLELIZE_DOCSTRING = r"""
    This is an experimental feature and is a subject to change at a moment's notice.

    Uses a device map to distribute attention modules of the model across several devices. If no device map is given,
    it will evenly distribute blocks across all devices.

    Args:
        device_map (`Dict[int, list]`, *optional*):
            A dictionary that maps attention modules to devices. Note that the embedding module and LMHead are always
            automatically mapped to the first device (for esoteric reasons). That means that the first device should
            have fewer attention modules mapped to it than other devices. For reference, the gpt2 models have the
            following number of attention modules:

                - openai-community/gpt2: 12
                - openai-community/gpt2-medium: 24
                - openai-community/gpt2-large: 36
                - openai-community/gpt2-xl: 48

    Example:

    ```python
    # Here is an example of a device map on a machine with 4 GPUs using gpt2-xl, which has a total of 48 attention modules:
    model = GPT2LMHeadModel.from_pretrained("openai-community/gpt2-xl")
    device_map = {
        0: [0, 1, 2, 3, 4, 5, 6, 7, 8],
        1: [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
        2: [22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34],
        3: [35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47],
    }
    model.parallelize(device_map)
    ```
"""
DEPARALLELIZE_DOCSTRING = r"""
    Moves the model to cpu from a model parallel state.

    Example:

    ```python
    # On a 4 GPU machine with openai-community/gpt2-large:
    model = GPT2LMHeadModel.from_pretrained("openai-community/gpt2-large")
    device_map = {
        0: [0, 1, 2, 3, 4, 5, 6, 7],
        1: [8, 9, 10, 11, 12, 13, 14, 15],
        2: [16, 17, 18, 19, 20, 21, 22, 23],
        3: [24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35],
    }
    model.parallelize(device_map)  # Splits the model across several devices
    model.deparallelize()  # Put the model back on cpu and cleans memory by calling torch.cuda.empty_cache()
    ```
"""


@keras_serializable
class TFGPT2MainLayer(keras.layers.Layer):
    config_class = GPT2Config

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

        self.embed_dim = config.hidden_size

        self.wte = keras.layers.Embedding(
            config.vocab_size,
            self.embed_dim,
            embeddings_initializer=get_initializer(config.initializer_range),
            name="wte",
        )
        self.wpe = keras.layers.Embedding(
            config.max_position_embeddings,
            self.embed_dim,
            embeddings_initializer=get_initializer(config.initializer_range),
            name="wpe",
        )

        self.drop = keras.layers.Dropout(rate=config.embd_pdrop, name="drop")
        self.h = [TFGPT2Block(config, layer_idx=i, name=f"h_._{i}") for i in range(config.num_hidden_layers)]
        self.ln_f = keras.layers.LayerNormalization(epsilon=config.layer_norm_epsilon, name="ln_f")
        self.device_map = None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.wte.name):
            self.wte.build(None)
        with tf.name_scope(self.wpe.name):
            self.wpe.build(None)
        for layer in self.h:
            with tf.name_scope(layer.name):
                layer.build(None)
        with tf.name_scope(self.ln_f.name):
            self.ln_f.build([None, None, self.embed_dim])

    def get_input_embeddings(self):
        return self.wte

    def set_input_embeddings(self, new_embeddings):
        self.wte = new_embeddings

    @unpack_inputs
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        encoder_hidden_states: Optional[tf.Tensor] = None,
        encoder_attention_mask: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPastAndCrossAttentions]:
        input_ids, attention_mask, token_type_ids, position_ids = int64_like_torch(
            input_ids, attention_mask, token_type_ids, position_ids
        )
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        if input_ids is not None and inputs_embeds is not None:
            raise ValueError("You cannot specify both input_ids and inputs_embeds at the same time")
        elif input_ids is not None:
            input_shape = tuple(shape_list(input_ids))
            input_ids = tf.reshape(input_ids, [-1, input_shape[-1]])
            batch_size = shape_list(input_ids)[0]
        elif inputs_embeds is not None:
            input_shape = tuple(shape_list(inputs_embeds))[:-1]
            batch_size = shape_list(inputs_embeds)[0]
        else:
            raise ValueError("You have to specify either input_ids or inputs_embeds")

        if token_type_ids is not None:
            token_type_ids = tf.reshape(token_type_ids, [-1, input_shape[-1]])

        if past_key_values is None:
            past_length = 0
            past_key_values = tuple([None] * len(self.h))
        else:
            past_length = shape_list(past_key_values[0][0])[-2]
        if position_ids is None:
            position_ids = tf.range(past_length, input_shape[-1] + past_length, dtype=tf.int64)
            position_ids = tf.expand_dims(position_ids, axis=0)

        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        attention_mask = tf.reshape(attention_mask, [batch_size, -1]) if attention_mask is not None else None
        if attention_mask is not None:
            # We create a 3D attention mask from a 2D tensor mask.
            # Sizes are [batch_size, 1, 1, to_seq_length]
            # So we can broadcast to [batch_size, num_heads, from_seq_length, to_seq_length]
            # this attention mask is more simple than the triangular masking of causal attention
            # used in OpenAI GPT, we just need to prepare the broadcast dimension here.
            attention_mask = attention_mask[:, None, None, :]

            # Since attention_mask is 1.0 for positions we want to attend and 0.0 for
            # masked positions, this operation will create a tensor which is 0.0 for
            # positions we want to attend and the dtype's smallest value for masked positions.
            # Since we are adding it to the raw scores before the softmax, this is
            # effectively the same as removing these entirely.
            attention_mask = tf.cast(attention_mask, tf.as_dtype(self.compute_dtype))  # fp16 compatibility
            attention_mask = (1.0 - attention_mask) * tf.as_dtype(self.compute_dtype).min

        # If a 2D or 3D attention mask is provided for the cross-attention
        # we need to make broadcastable to [batch_size, num_heads, seq_length, seq_length]
        if self.config.add_cross_attention and encoder_hidden_states is not None:
            encoder_batch_size, encoder_sequence_length, _ = shape_list(encoder_hidden_states)
            encoder_hidden_shape = (encoder_batch_size, encoder_sequence_length)
            if encoder_attention_mask is None:
                encoder_attention_mask = tf.ones(encoder_hidden_shape)
            encoder_attention_mask = invert_attention_mask(
                encoder_attention_mask, dtype=tf.as_dtype(self.compute_dtype)
            )
        else:
            encoder_attention_mask = None

        # Prepare head mask if needed
        # 1.0 in head_mask indicate we keep the head
        # attention_probs has shape bsz x n_heads x N x N
        # head_mask has shape n_layer x batch x n_heads x N x N
        head_mask = get_head_mask(head_mask, self.config.n_layer, dtype=tf.as_dtype(self.compute_dtype))

        if token_type_ids is not None:
            token_type_embeds = self.wte(token_type_ids)
            hidden_states = hidden_states + token_type_embeds

        hidden_states = self.drop(hidden_states, training=training)

        output_shape = (-1,) + input_shape[1:] + (shape_list(hidden_states)[-1],)

        presents = () if use_cache else None
        all_self_attentions = () if output_attentions else None
        all_cross_attentions = () if output_attentions and self.config.add_cross_attention else None
        all_hidden_states = () if output_hidden_states else None
        for i, (block, layer_past) in enumerate(zip(self.h, past_key_values)):
            if output_hidden_states:
                all_hidden_states = all_hidden_states + (hidden_states,)
            outputs = block(
                hidden_states,
                layer_past=layer_past,
                attention_mask=attention_mask,
                head_mask=head_mask[i],
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                use_cache=use_cache,
                output_attentions=output_attentions,
            )

            hidden_states = outputs[0]
            if use_cache is True:
                presents = presents + (outputs[1],)

            if output_attentions:
                all_self_attentions = all_self_attentions + (outputs[2 if use_cache else 1],)
                if self.config.add_cross_attention:
                    all_cross_attentions = all_cross_attentions + (outputs[3 if use_cache else 2],)

        hidden_states = self.ln_f(hidden_states)

        hidden_states = tf.reshape(hidden_states, output_shape)
        # Add last hidden state
        if output_hidden_states:
            all_hidden_states = all_hidden_states + (hidden_states,)
        presents = tf_stacked_past(presents)

        if not return_dict:
            return tuple(
                v
                for v in [hidden_states, presents, all_hidden_states, all_self_attentions, all_cross_attentions]
                if v is not None
            )

        return TFBaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states,
            past_key_values=presents,
            hidden_states=all_hidden_states,
            attentions=all_self_attentions,
            cross_attentions=all_cross_attentions,
        )


@add_start_docstrings(
    "The bare GPT2 Model transformer outputting raw hidden-states without any specific head on top.",
    GPT2_START_DOCSTRING,
)
class TFGPT2Model(TFGPT2PreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFGPT2MainLayer(config, name="transformer")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint=_CHECKPOINT_FOR_DOC,
        output_type=TFBaseModelOutputWithPastAndCrossAttentions,
        config_class=_CONFIG_FOR_DOC,
    )
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        encoder_hidden_states: Optional[tf.Tensor] = None,
        encoder_attention_mask: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPastAndCrossAttentions]:
        outputs = self.transformer(
            input_ids=input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )
        return outputs


@add_start_docstrings(
    """
    The GPT2 Model transformer with a language modeling head on top (linear layer with weights tied to the input
    embeddings).
    """,
    GPT2_START_DOCSTRING,
)
class TFGPT2LMHeadModel(TFGPT2PreTrainedModel, TFCausalLanguageModelingLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.config = config
        self.lm_head = TFTiedDense(
            config.vocab_size,
            use_bias=False,
            kernel_initializer=get_initializer(config.initializer_range),
            name="lm_head",
        )
        self.device_map = None
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.lm_head

    def _get_word_embedding_weight(self, embedding_layer):
        if isinstance(embedding_layer, keras.layers.Embedding):
            self.build_in_name_scope()
            return embedding_layer.embeddings
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        super().set_input_embeddings(value)
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.lm_head.name):
            self.lm_head.build([None, None, self.config.n_embd])

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to

    def set_output_embeddings(self, new_embeddings):
        self.get_lm_head().set_output_embeddings(new_embeddings)

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
        token_type_ids = kwargs.get("token_type_ids", None)
        if past_key_values and token_type_ids is not None:
            token_type_ids = token_type_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "token_type_ids": token_type_ids,
            "past_key_values": past_key_values,
            "use_cache": use_cache,
        }

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint=_CHECKPOINT_FOR_DOC,
        output_type=TFCausalLMOutputWithCrossAttentions,
        config_class=_CONFIG_FOR_DOC,
    )
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        encoder_hidden_states: Optional[tf.Tensor] = None,
        encoder_attention_mask: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFCausalLMOutputWithCrossAttentions]:
        r"""
        labels (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Labels for language modeling. Note that the labels **are shifted** inside the model, i.e. you can set
            `labels = input_ids` Indices are selected in `[-100, 0, ..., config.vocab_size]` All labels set to `-100`
            are ignored (masked), the loss is only computed for labels in `[0, ..., config.vocab_size]`
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        transformer_outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )
        hidden_states = transformer_outputs[0]

        lm_logits = self.lm_head(hidden_states)

        loss = None
        if labels is not None:
            # move labels to correct device to enable model parallelism
            labels = labels
            # Shift so that tokens < n predict n
            shift_logits = lm_logits[..., :-1, :]
            shift_labels = labels[..., 1:]
            loss = self.hf_compute_loss(labels=shift_labels, logits=shift_logits)

        if not return_dict:
            output = (lm_logits,) + transformer_outputs[1:]
            return ((loss,) + output) if loss is not None else output

        return TFCausalLMOutputWithCrossAttentions(
            loss=loss,
            logits=lm_logits,
            past_key_values=transformer_outputs.past_key_values,
            hidden_states=transformer_outputs.hidden_states,
            attentions=transformer_outputs.attentions,
            cross_attentions=transformer_outputs.cross_attentions,
        )


@add_start_docstrings(
    """
The GPT2 Model transformer with a language modeling and a multiple-choice classification head on top e.g. for
RocStories/SWAG tasks. The two heads are two linear layers. The language modeling head has its weights tied to the
input embeddings, the classification head takes as input the input of a specified classification token index in the
input sequence).
""",
    GPT2_START_DOCSTRING,
)
class TFGPT2DoubleHeadsModel(TFGPT2PreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        config.num_labels = 1
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.config = config
        self.lm_head = TFTiedDense(
            config.vocab_size,
            use_bias=False,
            kernel_initializer=get_initializer(config.initializer_range),
            name="lm_head",
        )
        self.multiple_choice_head = TFSequenceSummary(
            config, initializer_range=config.initializer_range, name="multiple_choice_head"
        )
        self.device_map = None
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.lm_head

    def _get_word_embedding_weight(self, embedding_layer):
        if isinstance(embedding_layer, keras.layers.Embedding):
            self.build_in_name_scope()
            return embedding_layer.embeddings
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        super().set_input_embeddings(value)
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.lm_head.name):
            self.lm_head.build([None, None, self.config.n_embd])
        with tf.name_scope(self.multiple_choice_head.name):
            self.multiple_choice_head.build(None)

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to

    def set_output_embeddings(self, new_embeddings):
        self.get_lm_head().set_output_embeddings(new_embeddings)

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
        token_type_ids = kwargs.get("token_type_ids", None)
        if past_key_values and token_type_ids is not None:
            token_type_ids = token_type_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "token_type_ids": token_type_ids,
            "past_key_values": past_key_values,
            "use_cache": use_cache,
        }

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING)
    @replace_return_docstrings(output_type=TFGPT2DoubleHeadsModelOutput, config_class=_CONFIG_FOR_DOC)
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        mc_token_ids: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        mc_labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
        **kwargs,
    ) -> Union[Tuple, TFGPT2DoubleHeadsModelOutput]:
        r"""
        mc_token_ids (`tf.Tensor` of shape `(batch_size, num_choices)`, *optional*, default to index of the last token of the input):
            Index of the classification token in each input sequence. Selected in the range `[0, input_ids.size(-1) -
            1]`.
        labels (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Labels for language modeling. Note that the labels **are shifted** inside the model, i.e. you can set
            `labels = input_ids`. Indices are selected in `[-100, 0, ..., config.vocab_size - 1]`. All labels set to
            `-100` are ignored (masked), the loss is only computed for labels in `[0, ..., config.vocab_size - 1]`
        mc_labels (`tf.Tensor` of shape `(batch_size)`, *optional*):
            Labels for computing the multiple choice classification loss. Indices should be in `[0, ..., num_choices]`
            where *num_choices* is the size of the second dimension of the input tensors. (see *input_ids* above)

        Return:

        Example:

        ```python
        >>> import torch
        >>> from transformers import AutoTokenizer, GPT2DoubleHeadsModel

        >>> tokenizer = AutoTokenizer.from_pretrained("openai-community/gpt2")
        >>> model = GPT2DoubleHeadsModel.from_pretrained("openai-community/gpt2")

        >>> # Add a [CLS] to the vocabulary (we should train it also!)
        >>> num_added_tokens = tokenizer.add_special_tokens({"cls_token": "[CLS]"})
        >>> # Update the model embeddings with the new vocabulary size
        >>> embedding_layer = model.resize_token_embeddings(len(tokenizer))

        >>> choices = ["Hello, my dog is cute [CLS]", "Hello, my cat is cute [CLS]"]
        >>> encoded_choices = [tokenizer.encode(s) for s in choices]
        >>> cls_token_location = [tokens.index(tokenizer.cls_token_id) for tokens in encoded_choices]

        >>> input_ids = torch.tensor(encoded_choices).unsqueeze(0)  # Batch size: 1, number of choices: 2
        >>> mc_token_ids = torch.tensor([cls_token_location])  # Batch size: 1

        >>> outputs = model(input_ids, mc_token_ids=mc_token_ids)
        >>> lm_logits = outputs.logits
        >>> mc_logits = outputs.mc_logits
        ```"""
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        transformer_outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )

        hidden_states = transformer_outputs[0]

        lm_logits = self.lm_head(hidden_states)
        mc_logits = tf.squeeze(self.multiple_choice_head(hidden_states, mc_token_ids), axis=-1)

        mc_loss = None
        if mc_labels is not None:
            mc_loss = cross_entropy_loss(
                tf.reshape(mc_logits, [-1, shape_list(mc_logits)[-1]]), tf.reshape(mc_labels, [-1])
            )
        lm_loss = None
        if labels is not None:
            labels = labels
            shift_logits = lm_logits[..., :-1, :]
            shift_labels = labels[..., 1:]
            lm_loss = cross_entropy_loss(
                tf.reshape(shift_logits, [-1, shape_list(shift_logits)[-1]]), tf.reshape(shift_labels, [-1])
            )
        if lm_loss is not None and lm_loss.shape.rank == 0:
            lm_loss = tf.reshape(lm_loss, (1,))

        if not return_dict:
            output = (lm_logits, mc_logits) + transformer_outputs[1:]
            if mc_loss is not None:
                output = (mc_loss,) + output
            return ((lm_loss,) + output) if lm_loss is not None else output

        return TFGPT2DoubleHeadsModelOutput(
            loss=lm_loss,
            mc_loss=mc_loss,
            logits=lm_logits,
            mc_logits=mc_logits,
            past_key_values=transformer_outputs.past_key_values,
            hidden_states=transformer_outputs.hidden_states,
            attentions=transformer_outputs.attentions,
        )


@add_start_docstrings(
    """
    The GPT2 Model transformer with a sequence classification head on top (linear layer).

    [`GPT2ForSequenceClassification`] uses the last token in order to do the classification, as other causal models
    (e.g. GPT-1) do.

    Since it does classification on the last token, it requires to know the position of the last token. If a
    `pad_token_id` is defined in the configuration, it finds the last token that is not a padding token in each row. If
    no `pad_token_id` is defined, it simply takes the last value in each row of the batch. Since it cannot guess the
    padding tokens when `inputs_embeds` are passed instead of `input_ids`, it does the same (take the last value in
    each row of the batch).
    """,
    GPT2_START_DOCSTRING,
)
class TFGPT2ForSequenceClassification(TFGPT2PreTrainedModel, TFSequenceClassificationLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.num_labels = config.num_labels
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.config = config
        self.score = keras.layers.Dense(
            self.num_labels, use_bias=False, kernel_initializer=get_initializer(config.initializer_range), name="score"
        )
        self.device_map = None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.score.name):
            self.score.build([None, None, self.config.n_embd])

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint="microsoft/DialogRPT-updown",
        output_type=TFSequenceClassifierOutputWithPast,
        config_class=_CONFIG_FOR_DOC,
    )
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
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

        transformer_outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
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
            batch_size, sequence_length = shape_list(input_ids)[:2]
        else:
            batch_size, sequence_length = shape_list(inputs_embeds)[:2]

        assert self.config.pad_token_id is not None or batch_size == 1, (
            "Cannot handle batch sizes > 1 if no padding token is defined."
        )
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
                logger.warning_once(
                    f"{self.__class__.__name__} will not detect padding tokens in `inputs_embeds`. Results may be "
                    "unexpected if using padding tokens in conjunction with `inputs_embeds.`"
                )

        pooled_logits = gather_indices(logits, arange_like_torch(batch_size), sequence_lengths)

        loss = None
        # TODO(tfscaffold): BCEWithLogitsLoss: multi-label classification (BCEWithLogitsLoss) is not computed by the TF loss mixin, which covers regression (one label) and single-label classification
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
    GPT2 Model with a token classification head on top (a linear layer on top of the hidden-states output) e.g. for
    Named-Entity-Recognition (NER) tasks.
    """,
    GPT2_START_DOCSTRING,
)
class TFGPT2ForTokenClassification(TFGPT2PreTrainedModel, TFTokenClassificationLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.num_labels = config.num_labels

        self.transformer = TFGPT2MainLayer(config, name="transformer")
        if hasattr(config, "classifier_dropout") and config.classifier_dropout is not None:
            classifier_dropout = config.classifier_dropout
        elif hasattr(config, "hidden_dropout") and config.hidden_dropout is not None:
            classifier_dropout = config.hidden_dropout
        else:
            classifier_dropout = 0.1
        self.dropout = keras.layers.Dropout(rate=classifier_dropout, name="dropout")
        self.config = config
        self.classifier = keras.layers.Dense(
            config.num_labels, kernel_initializer=get_initializer(config.initializer_range), name="classifier"
        )
        self.device_map = None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.classifier.name):
            self.classifier.build([None, None, self.config.hidden_size])

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING)
    # fmt: off
    @add_code_sample_docstrings(
        checkpoint="brad1141/gpt2-finetuned-comp2",
        output_type=TFTokenClassifierOutput,
        config_class=_CONFIG_FOR_DOC,
        expected_loss=0.25,
        expected_output=[
            "Lead",
            "Lead",
            "Lead",
            "Position",
            "Lead",
            "Lead",
            "Lead",
            "Lead",
            "Lead",
            "Lead",
            "Lead",
            "Lead",
        ],
    )
    # fmt: on
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        past_key_values: Optional[Tuple[Tuple[tf.Tensor]]] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFTokenClassifierOutput]:
        r"""
        labels (`tf.Tensor` of shape `(batch_size, sequence_length)`, *optional*):
            Labels for computing the sequence classification/regression loss. Indices should be in `[0, ...,
            config.num_labels - 1]`. If `config.num_labels == 1` a regression loss is computed (Mean-Square loss), If
            `config.num_labels > 1` a classification loss is computed (Cross-Entropy).
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        transformer_outputs = self.transformer(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )

        hidden_states = transformer_outputs[0]
        hidden_states = self.dropout(hidden_states, training=training)
        logits = self.classifier(hidden_states)

        loss = None
        if labels is not None:
            labels = labels
            loss = self.hf_compute_loss(labels=labels, logits=logits)

        if not return_dict:
            output = (logits,) + transformer_outputs[2:]
            return ((loss,) + output) if loss is not None else output

        return TFTokenClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=transformer_outputs.hidden_states,
            attentions=transformer_outputs.attentions,
        )


@add_start_docstrings(
    """
    The GPT-2 Model transformer with a span classification head on top for extractive question-answering tasks like
    SQuAD (a linear layer on top of the hidden-states output to compute `span start logits` and `span end logits`).
    """,
    GPT2_START_DOCSTRING,
)
class TFGPT2ForQuestionAnswering(TFGPT2PreTrainedModel, TFQuestionAnsweringLoss):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.num_labels = config.num_labels
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.config = config
        self.qa_outputs = keras.layers.Dense(
            2, kernel_initializer=get_initializer(config.initializer_range), name="qa_outputs"
        )
        self.device_map = None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.transformer.name):
            self.transformer.build(None)
        with tf.name_scope(self.qa_outputs.name):
            self.qa_outputs.build([None, None, self.config.hidden_size])

    @unpack_inputs
    @add_start_docstrings_to_model_forward(GPT2_INPUTS_DOCSTRING.format("batch_size, sequence_length"))
    @add_code_sample_docstrings(
        checkpoint=_CHECKPOINT_FOR_DOC,
        output_type=TFQuestionAnsweringModelOutput,
        config_class=_CONFIG_FOR_DOC,
        real_checkpoint=_CHECKPOINT_FOR_DOC,
    )
    def call(
        self,
        input_ids: Optional[tf.Tensor] = None,
        attention_mask: Optional[tf.Tensor] = None,
        token_type_ids: Optional[tf.Tensor] = None,
        position_ids: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        inputs_embeds: Optional[tf.Tensor] = None,
        start_positions: Optional[tf.Tensor] = None,
        end_positions: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
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
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
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

        total_loss = None
        if start_positions is not None and end_positions is not None:
            total_loss = self.hf_compute_loss(
                labels={"start_position": start_positions, "end_position": end_positions},
                logits=(start_logits, end_logits),
            )

        if not return_dict:
            output = (start_logits, end_logits) + outputs[2:]
            return ((total_loss,) + output) if total_loss is not None else output

        return TFQuestionAnsweringModelOutput(
            loss=total_loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
