# coding=utf-8
# Copyright 2021 Google AI, Ross Wightman, The HuggingFace Inc. team. All rights reserved.
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
"""TF 2.0 ViT model."""

from __future__ import annotations

import collections.abc
import math
from typing import Optional, Tuple, Union

import tensorflow as tf

from ...activations_tf import get_tf_activation
from ...modeling_tf_outputs import (
    TFBaseModelOutput,
    TFBaseModelOutputWithPooling,
    TFImageClassifierOutput,
    TFMaskedImageModelingOutput,
)
from ...modeling_tf_utils import (
    TFPreTrainedModel,
    TFSequenceClassificationLoss,
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
    torch_int,
)
from .configuration_vit import ViTConfig


logger = logging.get_logger(__name__)

# General docstring
_CONFIG_FOR_DOC = "ViTConfig"

# Base docstring
_CHECKPOINT_FOR_DOC = "google/vit-base-patch16-224-in21k"
_EXPECTED_OUTPUT_SHAPE = [1, 197, 768]

# Image classification docstring
_IMAGE_CLASS_CHECKPOINT = "google/vit-base-patch16-224"
_IMAGE_CLASS_EXPECTED_OUTPUT = "Egyptian cat"


class TFConv2d(keras.layers.Conv2D):
    """PyTorch's ``nn.Conv2d``: channels-first maps in and out, as the code around it expects.

    Computed channels-last: TF's CPU kernels run channels-first convolutions only where oneDNN is on
    (not on CPUs without AVX-512), so the input and output are transposed around Keras' layer. The
    kernel is Keras' (spatial..., in, out) in either layout: PyTorch's weight loads as into any
    Conv2D. ``explicit_padding``: PyTorch's zero padding of each spatial side.
    """

    def __init__(self, filters, kernel_size, explicit_padding=0, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        padding = (explicit_padding,) * 2 if isinstance(explicit_padding, int) else tuple(explicit_padding)
        self.explicit_padding = [[0, 0], [0, 0]] + [[p, p] for p in padding]

    def build(self, input_shape=None):
        # Keras checks the output size in build(); the kernel sees the padded input
        shape = tf.TensorShape(input_shape).as_list()
        shape = [d if d is None else d + sum(p) for d, p in zip(shape, self.explicit_padding)]
        super().build([shape[0], *shape[2:], shape[1]])
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={1: shape[1]})  # the caller's layout

    def call(self, inputs):
        if any(p for side in self.explicit_padding for p in side):
            inputs = tf.pad(inputs, self.explicit_padding)
        outputs = super().call(tf.transpose(inputs, [0, 2, 3, 1]))
        return tf.transpose(outputs, [0, 3, 1, 2])


class TFPixelShuffle(keras.layers.Layer):
    """PyTorch's ``nn.PixelShuffle`` on channels-first input: (B, C*r*r, H, W) -> (B, C, H*r, W*r).

    Not ``tf.nn.depth_to_space``: that orders the channels the other way (and wants NHWC).
    """

    def __init__(self, upscale_factor, **kwargs):
        super().__init__(**kwargs)
        self.upscale_factor = upscale_factor

    def call(self, hidden_states):
        r = self.upscale_factor
        batch, channels, height, width = shape_list(hidden_states)
        hidden_states = tf.reshape(hidden_states, (batch, channels // (r * r), r, r, height, width))
        hidden_states = tf.transpose(hidden_states, perm=[0, 1, 4, 2, 5, 3])
        return tf.reshape(hidden_states, (batch, channels // (r * r), height * r, width * r))


class TFSequential(keras.layers.Layer):
    """PyTorch's ``nn.Sequential``: items named ``"0"``, ``"1"``, ... as in the state dict."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.sequence = layers

    def call(self, hidden_states):
        for layer in self.sequence:
            hidden_states = layer(hidden_states)
        return hidden_states

    # PyTorch code also iterates, indexes and measures a Sequential
    def __iter__(self):
        return iter(self.sequence)

    def __getitem__(self, index):
        return self.sequence[index]

    def __len__(self):
        return len(self.sequence)


def expand_to(x, shape):
    """PyTorch's ``x.expand(*shape)``: broadcast, where -1 keeps the size of that dimension."""
    current = shape_list(x)
    offset = len(shape) - len(current)
    target = [current[i - offset] if isinstance(s, int) and s == -1 else s for i, s in enumerate(shape)]
    return tf.broadcast_to(x, target)


def flatten_dims(x, start_dim=0, end_dim=-1):
    """PyTorch's ``x.flatten(start_dim, end_dim)``: merge the dimensions start_dim..end_dim."""
    shape = shape_list(x)
    start_dim, end_dim = start_dim % len(shape), end_dim % len(shape)
    return tf.reshape(x, shape[:start_dim] + [-1] + shape[end_dim + 1 :])


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


def reduce_loss(loss, reduction="mean"):
    """PyTorch's ``reduction`` argument of its losses: "none", "sum" or "mean" of the elementwise loss."""
    if reduction == "none":
        return loss
    return tf.reduce_sum(loss) if reduction == "sum" else tf.reduce_mean(loss)


def swap_axes(x, axis_a, axis_b):
    """PyTorch's ``x.transpose(a, b)``: swap two axes, whatever the rank."""
    perm = list(range(x.shape.rank))
    perm[axis_a], perm[axis_b] = perm[axis_b], perm[axis_a]
    return tf.transpose(x, perm=perm)


class TFViTEmbeddings(keras.layers.Layer):
    """
    Construct the CLS token, position and patch embeddings. Optionally, also the mask token.
    """

    def __init__(self, config: ViTConfig, use_mask_token: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.use_mask_token = use_mask_token
        self.patch_embeddings = TFViTPatchEmbeddings(config, name="patch_embeddings")
        num_patches = self.patch_embeddings.num_patches
        self.num_patches = num_patches
        self.dropout = keras.layers.Dropout(rate=config.hidden_dropout_prob, name="dropout")
        self.patch_size = config.patch_size
        self.config = config

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.patch_embeddings.name):
            self.patch_embeddings.build(None)
        self.cls_token = self.add_weight(
            name="cls_token",
            shape=(1, 1, self.config.hidden_size),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        self.mask_token = (
            self.add_weight(name="mask_token", shape=(1, 1, self.config.hidden_size), initializer="zeros")
            if self.use_mask_token
            else None
        )
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(1, self.num_patches + 1, self.config.hidden_size),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )

    def interpolate_pos_encoding(self, embeddings: tf.Tensor, height: int, width: int) -> tf.Tensor:
        """
        This method allows to interpolate the pre-trained position encodings, to be able to use the model on higher resolution
        images. This method is also adapted to support torch.jit tracing.

        Adapted from:
        - https://github.com/facebookresearch/dino/blob/de9ee3df6cf39fac952ab558447af1fa1365362a/vision_transformer.py#L174-L194, and
        - https://github.com/facebookresearch/dinov2/blob/e1277af2ba9496fbadf7aec6eba56e8d882d1e35/dinov2/models/vision_transformer.py#L179-L211
        """

        num_patches = shape_list(embeddings)[1] - 1
        num_positions = shape_list(self.position_embeddings)[1] - 1

        # always interpolate when tracing to ensure the exported model works for dynamic input shapes
        if not False and num_patches == num_positions and height == width:
            return self.position_embeddings

        class_pos_embed = self.position_embeddings[:, :1]
        patch_pos_embed = self.position_embeddings[:, 1:]

        dim = shape_list(embeddings)[-1]

        new_height = height // self.patch_size
        new_width = width // self.patch_size

        sqrt_num_positions = torch_int(num_positions**0.5)
        patch_pos_embed = tf.reshape(patch_pos_embed, [1, sqrt_num_positions, sqrt_num_positions, dim])
        patch_pos_embed = tf.transpose(patch_pos_embed, perm=[0, 3, 1, 2])

        # TODO(tfscaffold): nn.functional.interpolate: mode="bicubic": no faithful TF counterpart in the ops table
        # TODO(tfscaffold): nn: undefined in TF, no rule converts it
        patch_pos_embed = nn.functional.interpolate(  # noqa: F821
            patch_pos_embed,
            size=(new_height, new_width),
            mode="bicubic",
            align_corners=False,
        )

        patch_pos_embed = tf.reshape(tf.transpose(patch_pos_embed, perm=[0, 2, 3, 1]), [1, -1, dim])

        return tf.concat((class_pos_embed, patch_pos_embed), axis=1)

    def call(
        self,
        pixel_values: tf.Tensor,
        bool_masked_pos: Optional[tf.Tensor] = None,
        interpolate_pos_encoding: bool = False,
        training: bool = False,
    ) -> tf.Tensor:
        batch_size, num_channels, height, width = shape_list(pixel_values)
        embeddings = self.patch_embeddings(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding)

        if bool_masked_pos is not None:
            seq_length = shape_list(embeddings)[1]
            mask_tokens = expand_to(self.mask_token, [batch_size, seq_length, -1])
            # replace the masked visual tokens by mask_tokens
            mask = tf.cast(tf.expand_dims(bool_masked_pos, axis=-1), mask_tokens.dtype)
            embeddings = embeddings * (1.0 - mask) + mask_tokens * mask

        # add the [CLS] token to the embedded patch tokens
        cls_tokens = expand_to(self.cls_token, [batch_size, -1, -1])
        embeddings = tf.concat((cls_tokens, embeddings), axis=1)

        # add positional encoding to each token
        if interpolate_pos_encoding:
            embeddings = embeddings + self.interpolate_pos_encoding(embeddings, height, width)
        else:
            embeddings = embeddings + self.position_embeddings

        embeddings = self.dropout(embeddings, training=training)

        return embeddings


class TFViTPatchEmbeddings(keras.layers.Layer):
    """
    This class turns `pixel_values` of shape `(batch_size, num_channels, height, width)` into the initial
    `hidden_states` (patch embeddings) of shape `(batch_size, seq_length, hidden_size)` to be consumed by a
    Transformer.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        image_size, patch_size = config.image_size, config.patch_size
        num_channels, hidden_size = config.num_channels, config.hidden_size

        image_size = image_size if isinstance(image_size, collections.abc.Iterable) else (image_size, image_size)
        patch_size = patch_size if isinstance(patch_size, collections.abc.Iterable) else (patch_size, patch_size)
        num_patches = (image_size[1] // patch_size[1]) * (image_size[0] // patch_size[0])
        self.image_size = image_size
        self.patch_size = patch_size
        self.num_channels = num_channels
        self.num_patches = num_patches

        self.projection = TFConv2d(
            hidden_size,
            patch_size,
            strides=patch_size,
            kernel_initializer=get_initializer(config.initializer_range),
            name="projection",
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.projection.name):
            self.projection.build([None, self.num_channels, None, None])

    def call(self, pixel_values: tf.Tensor, interpolate_pos_encoding: bool = False) -> tf.Tensor:
        batch_size, num_channels, height, width = shape_list(pixel_values)
        tf.debugging.assert_equal(
            num_channels,
            self.num_channels,
            message="Make sure that the channel dimension of the pixel values match with the one set in the configuration."
            f" Expected {self.num_channels} but got {num_channels}.",
        )
        if not interpolate_pos_encoding:
            if height != self.image_size[0] or width != self.image_size[1]:
                raise ValueError(
                    f"Input image size ({height}*{width}) doesn't match model"
                    f" ({self.image_size[0]}*{self.image_size[1]})."
                )
        embeddings = swap_axes(flatten_dims(self.projection(pixel_values), start_dim=2, end_dim=-1), 1, 2)
        return embeddings


class TFViTSelfAttention(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        if config.hidden_size % config.num_attention_heads != 0 and not hasattr(config, "embedding_size"):
            raise ValueError(
                f"The hidden size {(config.hidden_size,)} is not a multiple of the number of attention "
                f"heads {config.num_attention_heads}."
            )

        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = int(config.hidden_size / config.num_attention_heads)
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.config = config

        self.query = keras.layers.Dense(
            self.all_head_size,
            use_bias=config.qkv_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="query",
        )
        self.key = keras.layers.Dense(
            self.all_head_size,
            use_bias=config.qkv_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="key",
        )
        self.value = keras.layers.Dense(
            self.all_head_size,
            use_bias=config.qkv_bias,
            kernel_initializer=get_initializer(config.initializer_range),
            name="value",
        )

        self.dropout = keras.layers.Dropout(rate=config.attention_probs_dropout_prob, name="dropout")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.query.name):
            self.query.build([None, None, self.config.hidden_size])
        with tf.name_scope(self.key.name):
            self.key.build([None, None, self.config.hidden_size])
        with tf.name_scope(self.value.name):
            self.value.build([None, None, self.config.hidden_size])

    def transpose_for_scores(self, x: tf.Tensor) -> tf.Tensor:
        new_x_shape = tuple(shape_list(x))[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = tf.reshape(x, new_x_shape)
        return tf.transpose(x, perm=[0, 2, 1, 3])

    def call(
        self,
        hidden_states,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: bool = False,
        training: bool = False,
    ) -> Union[Tuple[tf.Tensor, tf.Tensor], Tuple[tf.Tensor]]:
        mixed_query_layer = self.query(hidden_states)

        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)

        # Take the dot product between "query" and "key" to get the raw attention scores.
        attention_scores = tf.matmul(query_layer, key_layer, transpose_b=True)

        attention_scores = attention_scores / math.sqrt(self.attention_head_size)

        # Normalize the attention scores to probabilities.
        attention_probs = stable_softmax(attention_scores, axis=-1)

        # This is actually dropping out entire tokens to attend to, which might
        # seem a bit unusual, but is taken from the original Transformer paper.
        attention_probs = self.dropout(attention_probs, training=training)

        # Mask heads if we want to
        if head_mask is not None:
            attention_probs = attention_probs * head_mask

        context_layer = tf.matmul(attention_probs, value_layer)

        context_layer = tf.transpose(context_layer, perm=[0, 2, 1, 3])
        new_context_layer_shape = tuple(shape_list(context_layer))[:-2] + (self.all_head_size,)
        context_layer = tf.reshape(context_layer, new_context_layer_shape)

        outputs = (context_layer, attention_probs) if output_attentions else (context_layer,)

        return outputs


class TFViTSelfOutput(keras.layers.Layer):
    """
    The residual connection is defined in ViTLayer instead of here (as is the case with other models), due to the
    layernorm applied before each block.
    """

    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.dense = keras.layers.Dense(
            config.hidden_size, kernel_initializer=get_initializer(config.initializer_range), name="dense"
        )
        self.dropout = keras.layers.Dropout(rate=config.hidden_dropout_prob, name="dropout")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.hidden_size])

    def call(self, hidden_states: tf.Tensor, input_tensor: tf.Tensor, training: bool = False) -> tf.Tensor:
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states, training=training)

        return hidden_states


class TFViTAttention(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.attention = TFViTSelfAttention(config, name="attention")
        self.output_layer = TFViTSelfOutput(config, name="output")
        self.pruned_heads = set()

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.attention.name):
            self.attention.build(None)
        with tf.name_scope(self.output_layer.name):
            self.output_layer.build(None)

    def call(
        self,
        hidden_states: tf.Tensor,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: bool = False,
        training: bool = False,
    ) -> Union[Tuple[tf.Tensor, tf.Tensor], Tuple[tf.Tensor]]:
        self_outputs = self.attention(hidden_states, head_mask, output_attentions, training=training)

        attention_output = self.output_layer(self_outputs[0], hidden_states, training=training)

        outputs = (attention_output,) + self_outputs[1:]  # add attentions if we output them
        return outputs


class TFViTIntermediate(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.dense = keras.layers.Dense(
            config.intermediate_size, kernel_initializer=get_initializer(config.initializer_range), name="dense"
        )
        if isinstance(config.hidden_act, str):
            self.intermediate_act_fn = get_tf_activation(config.hidden_act)
        else:
            self.intermediate_act_fn = config.hidden_act

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.hidden_size])

    def call(self, hidden_states: tf.Tensor) -> tf.Tensor:
        hidden_states = self.dense(hidden_states)
        hidden_states = self.intermediate_act_fn(hidden_states)

        return hidden_states


class TFViTOutput(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.dense = keras.layers.Dense(
            config.hidden_size, kernel_initializer=get_initializer(config.initializer_range), name="dense"
        )
        self.dropout = keras.layers.Dropout(rate=config.hidden_dropout_prob, name="dropout")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.intermediate_size])

    def call(self, hidden_states: tf.Tensor, input_tensor: tf.Tensor, training: bool = False) -> tf.Tensor:
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states, training=training)

        hidden_states = hidden_states + input_tensor

        return hidden_states


class TFViTLayer(keras.layers.Layer):
    """This corresponds to the Block class in the timm implementation."""

    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chunk_size_feed_forward = config.chunk_size_feed_forward
        self.seq_len_dim = 1
        self.attention = TFViTAttention(config, name="attention")
        self.intermediate = TFViTIntermediate(config, name="intermediate")
        self.output_layer = TFViTOutput(config, name="output")
        self.config = config
        self.layernorm_before = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name="layernorm_before")
        self.layernorm_after = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name="layernorm_after")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.attention.name):
            self.attention.build(None)
        with tf.name_scope(self.intermediate.name):
            self.intermediate.build(None)
        with tf.name_scope(self.output_layer.name):
            self.output_layer.build(None)
        with tf.name_scope(self.layernorm_before.name):
            self.layernorm_before.build([None, None, self.config.hidden_size])
        with tf.name_scope(self.layernorm_after.name):
            self.layernorm_after.build([None, None, self.config.hidden_size])

    def call(
        self,
        hidden_states: tf.Tensor,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: bool = False,
        training: bool = False,
    ) -> Union[Tuple[tf.Tensor, tf.Tensor], Tuple[tf.Tensor]]:
        self_attention_outputs = self.attention(
            self.layernorm_before(hidden_states),  # in ViT, layernorm is applied before self-attention
            head_mask,
            output_attentions=output_attentions,
            training=training,
        )
        attention_output = self_attention_outputs[0]
        outputs = self_attention_outputs[1:]  # add self attentions if we output attention weights

        # first residual connection
        hidden_states = attention_output + hidden_states

        # in ViT, layernorm is also applied after self-attention
        layer_output = self.layernorm_after(hidden_states)
        layer_output = self.intermediate(layer_output)

        # second residual connection is done here
        layer_output = self.output_layer(layer_output, hidden_states, training=training)

        outputs = (layer_output,) + outputs

        return outputs


class TFViTEncoder(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.layer = [TFViTLayer(config, name=f"layer_._{i}") for i in range(config.num_hidden_layers)]

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        for layer in self.layer:
            with tf.name_scope(layer.name):
                layer.build(None)

    def call(
        self,
        hidden_states: tf.Tensor,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        return_dict: bool = True,
        training: bool = False,
    ) -> Union[tuple, TFBaseModelOutput]:
        all_hidden_states = () if output_hidden_states else None
        all_self_attentions = () if output_attentions else None

        for i, layer_module in enumerate(self.layer):
            if output_hidden_states:
                all_hidden_states = all_hidden_states + (hidden_states,)

            layer_head_mask = head_mask[i] if head_mask is not None else None
            layer_outputs = layer_module(hidden_states, layer_head_mask, output_attentions, training=training)

            hidden_states = layer_outputs[0]

            if output_attentions:
                all_self_attentions = all_self_attentions + (layer_outputs[1],)

        if output_hidden_states:
            all_hidden_states = all_hidden_states + (hidden_states,)

        if not return_dict:
            return tuple(v for v in [hidden_states, all_hidden_states, all_self_attentions] if v is not None)
        return TFBaseModelOutput(
            last_hidden_state=hidden_states,
            hidden_states=all_hidden_states,
            attentions=all_self_attentions,
        )


class TFViTPreTrainedModel(TFPreTrainedModel):
    """
    An abstract class to handle weights initialization and a simple interface for downloading and loading pretrained
    models.
    """

    config_class = ViTConfig
    base_model_prefix = "vit"
    main_input_name = "pixel_values"


VIT_START_DOCSTRING = r"""
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
        config ([`ViTConfig`]): Model configuration class with all the parameters of the model.
            Initializing with a config file does not load the weights associated with the model, only the
            configuration. Check out the [`~TFPreTrainedModel.from_pretrained`] method to load the model weights.
"""

VIT_INPUTS_DOCSTRING = r"""
    Args:
        pixel_values (`tf.Tensor` of shape `(batch_size, num_channels, height, width)`):
            Pixel values. Pixel values can be obtained using [`AutoImageProcessor`]. See [`ViTImageProcessor.__call__`]
            for details.

        head_mask (`tf.Tensor` of shape `(num_heads,)` or `(num_layers, num_heads)`, *optional*):
            Mask to nullify selected heads of the self-attention modules. Mask values selected in `[0, 1]`:

            - 1 indicates the head is **not masked**,
            - 0 indicates the head is **masked**.

        output_attentions (`bool`, *optional*):
            Whether or not to return the attentions tensors of all attention layers. See `attentions` under returned
            tensors for more detail.
        output_hidden_states (`bool`, *optional*):
            Whether or not to return the hidden states of all layers. See `hidden_states` under returned tensors for
            more detail.
        interpolate_pos_encoding (`bool`, *optional*):
            Whether to interpolate the pre-trained position encodings.
        return_dict (`bool`, *optional*):
            Whether or not to return a [`~utils.ModelOutput`] instead of a plain tuple.
"""


@keras_serializable
class TFViTMainLayer(keras.layers.Layer):
    config_class = ViTConfig

    def __init__(self, config: ViTConfig, add_pooling_layer: bool = True, use_mask_token: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.config = config

        self.embeddings = TFViTEmbeddings(config, use_mask_token=use_mask_token, name="embeddings")
        self.encoder = TFViTEncoder(config, name="encoder")

        self.layernorm = keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, name="layernorm")
        self.pooler = TFViTPooler(config, name="pooler") if add_pooling_layer else None

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embeddings.name):
            self.embeddings.build(None)
        with tf.name_scope(self.encoder.name):
            self.encoder.build(None)
        with tf.name_scope(self.layernorm.name):
            self.layernorm.build([None, None, self.config.hidden_size])
        if self.pooler is not None:
            with tf.name_scope(self.pooler.name):
                self.pooler.build(None)

    def get_input_embeddings(self) -> TFViTPatchEmbeddings:
        return self.embeddings.patch_embeddings

    @unpack_inputs
    def call(
        self,
        pixel_values: Optional[tf.Tensor] = None,
        bool_masked_pos: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        interpolate_pos_encoding: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPooling]:
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        if pixel_values is None:
            raise ValueError("You have to specify pixel_values")

        # Prepare head mask if needed
        # 1.0 in head_mask indicate we keep the head
        # attention_probs has shape bsz x n_heads x N x N
        # input head_mask has shape [num_heads] or [num_hidden_layers x num_heads]
        # and head_mask is converted to shape [num_hidden_layers x batch x num_heads x seq_length x seq_length]
        head_mask = get_head_mask(head_mask, self.config.num_hidden_layers, dtype=tf.as_dtype(self.compute_dtype))

        # TODO: maybe have a cleaner way to cast the input (from `ImageProcessor` side?)
        expected_dtype = tf.as_dtype(self.compute_dtype)
        if pixel_values.dtype != expected_dtype:
            pixel_values = tf.cast(pixel_values, expected_dtype)

        embedding_output = self.embeddings(
            pixel_values,
            bool_masked_pos=bool_masked_pos,
            interpolate_pos_encoding=interpolate_pos_encoding,
            training=training,
        )

        encoder_outputs = self.encoder(
            embedding_output,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            training=training,
        )
        sequence_output = encoder_outputs[0]
        sequence_output = self.layernorm(sequence_output)
        pooled_output = self.pooler(sequence_output) if self.pooler is not None else None

        if not return_dict:
            head_outputs = (sequence_output, pooled_output) if pooled_output is not None else (sequence_output,)
            return head_outputs + encoder_outputs[1:]

        return TFBaseModelOutputWithPooling(
            last_hidden_state=sequence_output,
            pooler_output=pooled_output,
            hidden_states=encoder_outputs.hidden_states,
            attentions=encoder_outputs.attentions,
        )


@add_start_docstrings(
    "The bare ViT Model transformer outputting raw hidden-states without any specific head on top.",
    VIT_START_DOCSTRING,
    """
        add_pooling_layer (`bool`, *optional*, defaults to `True`):
            The `add_pooling_layer` argument of [`ViTModel`].
        use_mask_token (`bool`, *optional*, defaults to `False`):
            The `use_mask_token` argument of [`ViTModel`].
    """,
)
class TFViTModel(TFViTPreTrainedModel):
    def __init__(
        self, config: ViTConfig, add_pooling_layer: bool = True, use_mask_token: bool = False, *inputs, **kwargs
    ):
        super().__init__(config, *inputs, **kwargs)
        self.vit = TFViTMainLayer(
            config, add_pooling_layer=add_pooling_layer, use_mask_token=use_mask_token, name="vit"
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.vit.name):
            self.vit.build(None)

    @unpack_inputs
    @add_start_docstrings_to_model_forward(VIT_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint=_CHECKPOINT_FOR_DOC,
        output_type=TFBaseModelOutputWithPooling,
        config_class=_CONFIG_FOR_DOC,
        modality="vision",
        expected_output=_EXPECTED_OUTPUT_SHAPE,
    )
    def call(
        self,
        pixel_values: Optional[tf.Tensor] = None,
        bool_masked_pos: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        interpolate_pos_encoding: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[Tuple, TFBaseModelOutputWithPooling]:
        r"""
        bool_masked_pos (`tf.Tensor` of shape `(batch_size, num_patches)`, *optional*):
            Boolean masked positions. Indicates which patches are masked (1) and which aren't (0).
        """
        outputs = self.vit(
            pixel_values=pixel_values,
            bool_masked_pos=bool_masked_pos,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=return_dict,
            training=training,
        )
        return outputs


class TFViTPooler(keras.layers.Layer):
    def __init__(self, config: ViTConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dense = keras.layers.Dense(
            config.hidden_size, kernel_initializer=get_initializer(config.initializer_range), name="dense"
        )
        self.activation = get_tf_activation("tanh")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.hidden_size])

    def call(self, hidden_states):
        # We "pool" the model by simply taking the hidden state corresponding
        # to the first token.
        first_token_tensor = hidden_states[:, 0]
        pooled_output = self.dense(first_token_tensor)
        pooled_output = self.activation(pooled_output)
        return pooled_output


@add_start_docstrings(
    """ViT Model with a decoder on top for masked image modeling, as proposed in [SimMIM](https://arxiv.org/abs/2111.09886).

    <Tip>

    Note that we provide a script to pre-train this model on custom data in our [examples
    directory](https://github.com/huggingface/transformers/tree/main/examples/pytorch/image-pretraining).

    </Tip>
    """,
    VIT_START_DOCSTRING,
)
class TFViTForMaskedImageModeling(TFViTPreTrainedModel):
    def __init__(self, config: ViTConfig, *inputs, **kwargs) -> None:
        super().__init__(config, *inputs, **kwargs)

        self.vit = TFViTMainLayer(config, add_pooling_layer=False, use_mask_token=True, name="vit")
        self.config = config

        self.decoder = TFSequential(
            [
                TFConv2d(
                    config.encoder_stride**2 * config.num_channels,
                    1,
                    kernel_initializer=get_initializer(config.initializer_range),
                    name="0",
                ),
                TFPixelShuffle(config.encoder_stride, name="1"),
            ],
            name="decoder",
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.vit.name):
            self.vit.build(None)
        with tf.name_scope(self.decoder.name):
            with tf.name_scope(self.decoder.sequence[0].name):
                self.decoder.sequence[0].build([None, self.config.hidden_size, None, None])

    @unpack_inputs
    @add_start_docstrings_to_model_forward(VIT_INPUTS_DOCSTRING)
    @replace_return_docstrings(output_type=TFMaskedImageModelingOutput, config_class=_CONFIG_FOR_DOC)
    def call(
        self,
        pixel_values: Optional[tf.Tensor] = None,
        bool_masked_pos: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        interpolate_pos_encoding: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[tuple, TFMaskedImageModelingOutput]:
        r"""
        bool_masked_pos (`tf.Tensor` of shape `(batch_size, num_patches)`):
            Boolean masked positions. Indicates which patches are masked (1) and which aren't (0).

        Returns:

        Examples:
        ```python
        >>> from transformers import AutoImageProcessor, ViTForMaskedImageModeling
        >>> import torch
        >>> from PIL import Image
        >>> import requests

        >>> url = "http://images.cocodataset.org/val2017/000000039769.jpg"
        >>> image = Image.open(requests.get(url, stream=True).raw)

        >>> image_processor = AutoImageProcessor.from_pretrained("google/vit-base-patch16-224-in21k")
        >>> model = ViTForMaskedImageModeling.from_pretrained("google/vit-base-patch16-224-in21k")

        >>> num_patches = (model.config.image_size // model.config.patch_size) ** 2
        >>> pixel_values = image_processor(images=image, return_tensors="tf").pixel_values
        >>> # create random boolean mask of shape (batch_size, num_patches)
        >>> bool_masked_pos = torch.randint(low=0, high=2, size=(1, num_patches)).bool()

        >>> outputs = model(pixel_values, bool_masked_pos=bool_masked_pos)
        >>> loss, reconstructed_pixel_values = outputs.loss, outputs.reconstruction
        >>> list(reconstructed_pixel_values.shape)
        [1, 3, 224, 224]
        ```"""
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        if bool_masked_pos is not None and (self.config.patch_size != self.config.encoder_stride):
            raise ValueError(
                "When `bool_masked_pos` is provided, `patch_size` must be equal to `encoder_stride` to ensure that "
                "the reconstructed image has the same dimensions as the input. "
                f"Got `patch_size` = {self.config.patch_size} and `encoder_stride` = {self.config.encoder_stride}."
            )

        outputs = self.vit(
            pixel_values,
            bool_masked_pos=bool_masked_pos,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=return_dict,
            training=training,
        )

        sequence_output = outputs[0]

        # Reshape to (batch_size, num_channels, height, width)
        sequence_output = sequence_output[:, 1:]
        batch_size, sequence_length, num_channels = shape_list(sequence_output)
        height = width = math.floor(sequence_length**0.5)
        sequence_output = tf.reshape(
            tf.transpose(sequence_output, perm=[0, 2, 1]), [batch_size, num_channels, height, width]
        )

        # Reconstruct pixel values
        reconstructed_pixel_values = self.decoder(sequence_output)

        masked_im_loss = None
        if bool_masked_pos is not None:
            size = self.config.image_size // self.config.patch_size
            bool_masked_pos = tf.reshape(bool_masked_pos, [-1, size, size])
            mask = tf.expand_dims(
                tf.repeat(tf.repeat(bool_masked_pos, self.config.patch_size, axis=1), self.config.patch_size, axis=2),
                axis=1,
            )
            reconstruction_loss = reduce_loss(tf.abs(pixel_values - reconstructed_pixel_values), reduction="none")
            masked_im_loss = (
                tf.reduce_sum(reconstruction_loss * tf.cast(mask, reconstruction_loss.dtype))
                / (tf.cast(tf.reduce_sum(mask), tf.float32) + 1e-5)
                / self.config.num_channels
            )
        if masked_im_loss is not None and masked_im_loss.shape.rank == 0:
            masked_im_loss = tf.reshape(masked_im_loss, (1,))

        if not return_dict:
            output = (reconstructed_pixel_values,) + outputs[1:]
            return ((masked_im_loss,) + output) if masked_im_loss is not None else output

        return TFMaskedImageModelingOutput(
            loss=masked_im_loss,
            reconstruction=reconstructed_pixel_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


@add_start_docstrings(
    """
    ViT Model transformer with an image classification head on top (a linear layer on top of the final hidden state of
    the [CLS] token) e.g. for ImageNet.

    <Tip>

        Note that it's possible to fine-tune ViT on higher resolution images than the ones it has been trained on, by
        setting `interpolate_pos_encoding` to `True` in the forward of the model. This will interpolate the pre-trained
        position embeddings to the higher resolution.

    </Tip>
    """,
    VIT_START_DOCSTRING,
)
class TFViTForImageClassification(TFViTPreTrainedModel, TFSequenceClassificationLoss):
    def __init__(self, config: ViTConfig, *inputs, **kwargs) -> None:
        super().__init__(config, *inputs, **kwargs)

        self.num_labels = config.num_labels
        self.vit = TFViTMainLayer(config, add_pooling_layer=False, name="vit")
        self.config = config

        # Classifier head
        self.classifier = (
            keras.layers.Dense(
                config.num_labels, kernel_initializer=get_initializer(config.initializer_range), name="classifier"
            )
            if config.num_labels > 0
            else keras.layers.Identity(name="classifier")
        )

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.vit.name):
            self.vit.build(None)
        with tf.name_scope(self.classifier.name):
            self.classifier.build([None, None, self.config.hidden_size])

    @unpack_inputs
    @add_start_docstrings_to_model_forward(VIT_INPUTS_DOCSTRING)
    @add_code_sample_docstrings(
        checkpoint=_IMAGE_CLASS_CHECKPOINT,
        output_type=TFImageClassifierOutput,
        config_class=_CONFIG_FOR_DOC,
        expected_output=_IMAGE_CLASS_EXPECTED_OUTPUT,
    )
    def call(
        self,
        pixel_values: Optional[tf.Tensor] = None,
        head_mask: Optional[tf.Tensor] = None,
        labels: Optional[tf.Tensor] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        interpolate_pos_encoding: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        training: bool = False,
    ) -> Union[tuple, TFImageClassifierOutput]:
        r"""
        labels (`tf.Tensor` of shape `(batch_size,)`, *optional*):
            Labels for computing the image classification/regression loss. Indices should be in `[0, ...,
            config.num_labels - 1]`. If `config.num_labels == 1` a regression loss is computed (Mean-Square loss), If
            `config.num_labels > 1` a classification loss is computed (Cross-Entropy).
        """
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict

        outputs = self.vit(
            pixel_values,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            interpolate_pos_encoding=interpolate_pos_encoding,
            return_dict=return_dict,
            training=training,
        )

        sequence_output = outputs[0]

        logits = self.classifier(sequence_output[:, 0, :])

        loss = None
        # TODO(tfscaffold): BCEWithLogitsLoss: multi-label classification (BCEWithLogitsLoss) is not computed by the TF loss mixin, which covers regression (one label) and single-label classification
        if labels is not None:
            # move labels to correct device to enable model parallelism
            labels = labels

            loss = self.hf_compute_loss(labels=labels, logits=logits)

        if not return_dict:
            output = (logits,) + outputs[1:]
            return ((loss,) + output) if loss is not None else output

        return TFImageClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
