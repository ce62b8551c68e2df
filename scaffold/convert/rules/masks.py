"""The 2D-mask helpers of ``modeling_attn_mask_utils`` as TF support functions.

Encoder-decoder and older decoder models build their 4D additive masks with
``_prepare_4d_attention_mask`` (padding only) and ``_prepare_4d_causal_attention_mask`` (causal
plus padding, optional sliding window). Both are plain functions of the 2D mask, so the generated
file gets TF functions of the same name and semantics: 0 where attended, ``dtype.min`` where
masked. The ``_for_sdpa`` variants are only reached on the SDPA path, which TF never takes.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule

PREPARE_4D_ATTENTION_MASK = '''
def _prepare_4d_attention_mask(mask, dtype, tgt_len=None):
    """``modeling_attn_mask_utils._prepare_4d_attention_mask``: [bsz, src_len] -> [bsz, 1, tgt_len, src_len]."""
    src_len = shape_list(mask)[1]
    tgt_len = tgt_len if tgt_len is not None else src_len
    expanded = tf.tile(tf.cast(mask[:, None, None, :], dtype), [1, 1, tgt_len, 1])
    inverted = 1.0 - expanded
    return tf.where(tf.cast(inverted, tf.bool), tf.cast(dtype.min, dtype), inverted)
'''

PREPARE_4D_CAUSAL_ATTENTION_MASK = '''
def _prepare_4d_causal_attention_mask(
    attention_mask, input_shape, inputs_embeds, past_key_values_length, sliding_window=None
):
    """``modeling_attn_mask_utils._prepare_4d_causal_attention_mask``: [bsz, 1, tgt_len, past + tgt_len]."""
    dtype = inputs_embeds.dtype
    batch_size, tgt_len = input_shape[0], input_shape[-1]
    if attention_mask is not None and len(shape_list(attention_mask)) == 4:
        inverted = 1.0 - tf.cast(attention_mask, dtype)
        return tf.where(tf.cast(inverted, tf.bool), tf.cast(dtype.min, dtype), inverted)
    rows = tf.range(tgt_len)[:, None] + past_key_values_length
    cols = tf.range(tgt_len + past_key_values_length)[None, :]
    masked = cols > rows
    if sliding_window is not None:
        masked = tf.logical_or(masked, cols <= rows - sliding_window - 1)
    masked = tf.tile(masked[None, None, :, :], [batch_size, 1, 1, 1])
    if attention_mask is not None:
        masked = tf.logical_or(masked, tf.equal(attention_mask, 0)[:, None, None, :])
    return tf.where(masked, tf.cast(dtype.min, dtype), tf.zeros((), dtype))
'''

CREATE_4D_CAUSAL_ATTENTION_MASK = '''
def _create_4d_causal_attention_mask(input_shape, dtype, device=None, past_key_values_length=0, sliding_window=None):
    """``modeling_attn_mask_utils._create_4d_causal_attention_mask``: [bsz, 1, tgt_len, past + tgt_len]."""
    batch_size, tgt_len = input_shape[0], input_shape[-1]
    rows = tf.range(tgt_len)[:, None] + past_key_values_length
    cols = tf.range(tgt_len + past_key_values_length)[None, :]
    masked = cols > rows
    if sliding_window is not None:
        masked = tf.logical_or(masked, cols <= rows - sliding_window - 1)
    masked = tf.tile(masked[None, None, :, :], [batch_size, 1, 1, 1])
    return tf.where(masked, tf.cast(dtype.min, dtype), tf.zeros((), dtype))
'''

# module-level PyTorch helper -> TF source of a function with the same name and semantics
MASK_FUNCTIONS = {
    "_prepare_4d_attention_mask": PREPARE_4D_ATTENTION_MASK,
    "_prepare_4d_causal_attention_mask": PREPARE_4D_CAUSAL_ATTENTION_MASK,
    "_create_4d_causal_attention_mask": CREATE_4D_CAUSAL_ATTENTION_MASK,
}


class AttentionMaskHelpers(Rule):
    """Calls of the 2D-mask helpers of ``modeling_attn_mask_utils`` get TF helpers of the same name."""

    name = "attention-mask-helpers"
    phase = "scopes"
    summary = "_prepare_4d_attention_mask / _prepare_4d_causal_attention_mask -> TF support functions."
    examples = (
        Example(
            before="""
mask = _prepare_4d_attention_mask(attention_mask, inputs_embeds.dtype)
causal = _prepare_4d_causal_attention_mask(attention_mask, input_shape, inputs_embeds, 0)
""",
            after="""
mask = _prepare_4d_attention_mask(attention_mask, inputs_embeds.dtype)
causal = _prepare_4d_causal_attention_mask(attention_mask, input_shape, inputs_embeds, 0)
""",
            note="the call stays; the generated file gains the TF definitions",
        ),
        Example(
            before="""
mask = _prepare_4d_attention_mask_for_sdpa(attention_mask, inputs_embeds.dtype)
""",
            after="""
mask = _prepare_4d_attention_mask_for_sdpa(attention_mask, inputs_embeds.dtype)
""",
            note="the SDPA variant is not given a definition (left undefined, so marked as a TODO)",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Name) and updated.func.value in MASK_FUNCTIONS:
            self.ctx.need_support(updated.func.value, MASK_FUNCTIONS[updated.func.value])
        return updated


RULES: list[type[Rule]] = [AttentionMaskHelpers]
