"""The 2D-mask helpers of ``modeling_attn_mask_utils`` as TF support functions.

Encoder-decoder and older decoder models build their 4D additive masks with
``_prepare_4d_attention_mask`` (padding only) and ``_prepare_4d_causal_attention_mask`` (causal
plus padding, optional sliding window). Both are plain functions of the 2D mask, so the generated
file gets TF functions of the same name and semantics: 0 where attended, ``dtype.min`` where
masked. The ``_for_sdpa`` variants are only reached on the SDPA path, which TF never takes.

Newer trees (4.53+) build them with ``masking_utils.create_causal_mask`` and
``create_sliding_window_causal_mask``: the generated file gets TF functions of those names with the
semantics of their eager path.
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


MASKING_UTILS = '''
def create_causal_mask(
    config,
    input_embeds,
    attention_mask,
    cache_position,
    past_key_values=None,
    position_ids=None,
    or_mask_function=None,
    and_mask_function=None,
    sliding_window=None,
):
    """``masking_utils.create_causal_mask`` as its eager path makes it: (batch, 1, query, key), 0 where attended and
    dtype.min where masked: a key after the query (causal), outside the sliding window if any, padded in the 2D
    mask, or of another packed sequence (position ids restarting, with neither a mask nor a cache). A 4D mask
    is returned as it is; the cache keeps every key, so keys span the whole past."""
    if or_mask_function is not None or and_mask_function is not None:
        raise NotImplementedError("or_mask_function / and_mask_function are PyTorch mask functions: not converted")
    if attention_mask is not None and len(attention_mask.shape) == 4:
        return attention_mask
    dtype = input_embeds.dtype
    batch_size, query_length = shape_list(input_embeds)[:2]
    past_seen = past_key_values.get_seq_length() if past_key_values is not None else 0
    kv_length = past_seen + query_length
    keys = tf.range(kv_length)[None, :]
    queries = tf.reshape(tf.cast(cache_position, keys.dtype), [-1, 1])
    allowed = keys <= queries
    if sliding_window is not None:
        allowed = tf.logical_and(allowed, keys > queries - sliding_window)
    allowed = tf.broadcast_to(allowed[None, None, :, :], [batch_size, 1, query_length, kv_length])
    if attention_mask is not None:
        padding = tf.cast(tf.cast(attention_mask, tf.bool), tf.int32)[:, :kv_length]
        padding = tf.pad(padding, [[0, 0], [0, kv_length - shape_list(padding)[-1]]])
        allowed = tf.logical_and(allowed, tf.cast(padding, tf.bool)[:, None, None, :])
    elif position_ids is not None and past_key_values is None and position_ids.shape[0] == input_embeds.shape[0]:
        positions = tf.cast(position_ids, tf.int64)
        steps = positions - tf.concat([positions[:, :1] - 1, positions[:, :-1]], axis=-1)
        sequence = tf.cumsum(tf.cast(tf.not_equal(steps, 1), tf.int32), axis=-1)
        allowed = tf.logical_and(allowed, tf.equal(sequence[:, None, :, None], sequence[:, None, None, :]))
    return tf.where(allowed, tf.zeros((), dtype), tf.cast(dtype.min, dtype))


def create_sliding_window_causal_mask(config, input_embeds, attention_mask, cache_position, past_key_values=None, **kwargs):
    """``masking_utils.create_sliding_window_causal_mask``: the causal mask within ``config.sliding_window``."""
    sliding_window = getattr(config, "sliding_window", None)
    if sliding_window is None:
        raise ValueError("Could not find a `sliding_window` argument in the config, or it is not set")
    return create_causal_mask(
        config, input_embeds, attention_mask, cache_position, past_key_values, sliding_window=sliding_window, **kwargs
    )
'''

# the functions of masking_utils the generated file defines (one source: the sliding one calls the other)
MASKING_UTILS_FUNCTIONS = ("create_causal_mask", "create_sliding_window_causal_mask")


class MaskingUtilsMasks(Rule):
    """``create_causal_mask`` / ``create_sliding_window_causal_mask`` imported from ``masking_utils`` get TF
    definitions of the same names (``masking_utils`` imports torch: the import goes).

    Only when the module imports them from ``masking_utils``: a module's own function of that name is its
    own. A call passing ``or_mask_function``/``and_mask_function`` (PyTorch mask functions) is marked: the
    TF definition raises for them.
    """

    name = "masking-utils-masks"
    phase = "scopes"  # only reads: it shares the walk of the rules around it
    summary = "create_causal_mask / create_sliding_window_causal_mask from masking_utils -> TF support functions."
    examples = (
        Example(
            before="""
from ...masking_utils import create_causal_mask
mask = create_causal_mask(config=self.config, input_embeds=inputs_embeds, attention_mask=attention_mask,
    cache_position=cache_position, past_key_values=past_key_values)
""",
            after="""
from ...masking_utils import create_causal_mask
mask = create_causal_mask(config=self.config, input_embeds=inputs_embeds, attention_mask=attention_mask,
    cache_position=cache_position, past_key_values=past_key_values)
""",
            note="the call stays; the generated file gains the TF definition (and loses the import)",
        ),
        Example(
            before="""
from ...masking_utils import create_causal_mask
mask = create_causal_mask(**mask_kwargs, or_mask_function=token_type_ids_mask_function(token_type_ids))
""",
            after="""
from ...masking_utils import create_causal_mask
# TODO(tfscaffold): create_causal_mask(or_mask_function=...): a PyTorch mask function; the TF create_causal_mask raises NotImplementedError for it
mask = create_causal_mask(**mask_kwargs, or_mask_function=token_type_ids_mask_function(token_type_ids))
""",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self.imported: set[str] = set()
        for stmt in node.body:
            if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom)):
                continue
            found = stmt.body[0]
            module = self.code(found.module) if found.module is not None else ""
            if module.split(".")[-1] != "masking_utils" or isinstance(found.names, cst.ImportStar):
                continue
            for alias in found.names:
                if alias.asname is None and isinstance(alias.name, cst.Name):
                    if alias.name.value in MASKING_UTILS_FUNCTIONS:
                        self.imported.add(alias.name.value)
        if self.imported:
            self.ctx.need_support(MASKING_UTILS_FUNCTIONS[0], MASKING_UTILS)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in self.imported:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value in ("or_mask_function", "and_mask_function"):
                    self.todo(
                        f"{node.func.value}({arg.keyword.value}=...)",
                        f"a PyTorch mask function; the TF {node.func.value} raises NotImplementedError for it",
                    )


RULES: list[type[Rule]] = [AttentionMaskHelpers, MaskingUtilsMasks]
