"""Rules for the decoder-only architecture of recent models: rotary embeddings, key/value caches, causal masks.

PyTorch decoders of the Llama family take three things from shared PyTorch modules that have no TF
twin: ``ROPE_INIT_FUNCTIONS`` (``modeling_rope_utils``), the ``Cache``/``DynamicCache`` classes
(``cache_utils``) and the 4D causal mask built by the model's ``_update_causal_mask`` method. Each
rule here replaces one of them by a TF support helper with the same semantics, or leaves a precise
TODO where the semantics are not covered.

BEFORE_CLEANUP runs first (it must see ``_update_causal_mask`` before cleanup drops it);
AFTER_OPS runs last (it must see the code once autocast blocks are unwrapped).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted, find_all, names_in
from scaffold.cstwalk import walk

ROPE_HELPER = "TF_ROPE_INIT_FUNCTIONS"
ROPE_SOURCE = '''
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
'''

CACHE_SOURCE = '''
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
'''

# PyTorch cache class -> TF helper class (all defined by CACHE_SOURCE). StaticCache, SlidingWindowCache
# and the others are not converted: they stay undefined and get the undefined-name TODO.
CACHE_CLASSES = {
    "Cache": "TFCache",
    "DynamicCache": "TFDynamicCache",
    "EncoderDecoderCache": "TFEncoderDecoderCache",
    "HybridCache": "TFHybridCache",
}
# what a TF cache class does not do as its PyTorch class does: said where the class is used
CACHE_LIMITS = {
    "HybridCache": "the TF cache keeps every key; PyTorch's sliding layers keep only the last sliding_window: "
    "generating past the window needs the rolling cache",
}

MASK_HELPER = "tf_causal_4d_mask"
MASK_SOURCE = '''
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
'''


def _has_self_attr_call(node: cst.CSTNode, method: str) -> bool:
    return isinstance(node, cst.Call) and dotted(node.func) == f"self.{method}"


class RopeInitFunctions(Rule):
    """``ROPE_INIT_FUNCTIONS`` is torch code in ``modeling_rope_utils``; TF gets a helper dict.

    Only the 'default' rope type is converted (``inv_freq = 1 / base ** (arange(0, dim, 2) / dim)``, the
    exact float32 computation of PyTorch); any other rope type raises NotImplementedError at build time
    and the lookup carries a TODO, so scaled rope types are never silently computed as 'default'.
    """

    name = "rope-init-functions"
    summary = "ROPE_INIT_FUNCTIONS -> a TF helper dict with the 'default' rope type; TODO for the others."
    examples = (
        Example(
            before="self.rope_init_fn = ROPE_INIT_FUNCTIONS[self.rope_type]\n",
            after=(
                "# TODO(tfscaffold): ROPE_INIT_FUNCTIONS: only the 'default' rope type is converted; linear, dynamic,"
                " yarn, longrope and llama3 raise NotImplementedError: port them from modeling_rope_utils\n"
                "self.rope_init_fn = TF_ROPE_INIT_FUNCTIONS[self.rope_type]\n"
            ),
        ),
        Example(
            before="rope = config.rope_init_functions[kind]\n",
            after="rope = config.rope_init_functions[kind]\n",
            note="an attribute of the same name is not the module-level table",
        ),
    )

    name_gated = frozenset({"Name"})

    def names_reacted_to(self) -> Iterable[str]:
        return ("ROPE_INIT_FUNCTIONS",)

    def leave_Name(self, original, updated):
        if updated.value != "ROPE_INIT_FUNCTIONS":
            return updated
        self.todo(
            "ROPE_INIT_FUNCTIONS",
            "only the 'default' rope type is converted; linear, dynamic, yarn, longrope and llama3 raise "
            "NotImplementedError: port them from modeling_rope_utils",
        )
        return cst.Name(self.ctx.need_support(ROPE_HELPER, ROPE_SOURCE))

    def visit_ImportFrom(self, node):
        return False


class CacheClasses(Rule):
    """``Cache``/``DynamicCache``/``EncoderDecoderCache`` (``cache_utils``) are torch classes; TF gets helper classes.

    ``TFDynamicCache`` keeps the PyTorch semantics (per-layer keys/values concatenated on the sequence
    axis, ``get_seq_length``, ``to_legacy_cache``/``from_legacy_cache``), so ``use_cache=True`` returns
    the same ``past_key_values`` as PyTorch. Other cache classes (static, sliding window, hybrid) are
    not converted and keep the undefined-name TODO.
    """

    name = "cache-classes"
    summary = "Cache/DynamicCache/EncoderDecoderCache -> TF support classes; other caches left undefined."
    examples = (
        Example(
            before="if use_cache and not isinstance(past_key_values, Cache):\n    past_key_values = DynamicCache()\n",
            after=(
                "if use_cache and not isinstance(past_key_values, TFCache):\n"
                "    past_key_values = TFDynamicCache()\n"
            ),
        ),
        Example(
            before="past_key_values = HybridCache(self.config, batch_size=b, max_cache_len=n)\n",
            after=(
                "# TODO(tfscaffold): HybridCache: the TF cache keeps every key; PyTorch's sliding layers keep only the"
                " last sliding_window: generating past the window needs the rolling cache\n"
                "past_key_values = TFHybridCache(self.config, batch_size=b, max_cache_len=n)\n"
            ),
        ),
        Example(
            before="using_static_cache = isinstance(past_key_values, StaticCache)\n",
            after="using_static_cache = isinstance(past_key_values, StaticCache)\n",
            note="static caches are not converted",
        ),
    )

    def visit_ImportFrom(self, node):
        return False

    name_gated = frozenset({"Name"})

    def names_reacted_to(self) -> Iterable[str]:
        return CACHE_CLASSES

    def leave_Name(self, original, updated):
        target = CACHE_CLASSES.get(updated.value)
        if target is None:
            return updated
        if updated.value in CACHE_LIMITS and updated.value not in self.said:
            self.said.add(updated.value)
            self.todo(updated.value, CACHE_LIMITS[updated.value])
        self.ctx.need_support("TFCache", CACHE_SOURCE)
        return cst.Name(target)

    def visit_Module(self, node):
        self.said: set[str] = set()
        return True


_CACHE_MADE = frozenset(v for v in CACHE_CLASSES.values() if v != "TFCache")


def _past_name(value: cst.BaseExpression) -> str | None:
    """The cache a ``past_key_values=`` value hands on: ``<name>``, or ``<name> if use_cache else None``."""
    if isinstance(value, cst.IfExp) and isinstance(value.orelse, cst.Name) and value.orelse.value == "None":
        value = value.body
    return value.value if isinstance(value, cst.Name) else None


def _hands_on_past(arg: cst.Arg) -> bool:
    """``past_key_values=<name>`` (or ``<name> if ... else None``)."""
    return isinstance(arg.keyword, cst.Name) and arg.keyword.value == "past_key_values" and bool(_past_name(arg.value))


def _name_bound_to_call(assign: cst.Assign) -> bool:
    """``<name> = <call>(...)``."""
    return (
        len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(assign.value, cst.Call)
    )


def _returned_cache_name(function: cst.FunctionDef) -> str | None:
    """The name a ``return`` hands over as ``past_key_values=`` (the output dataclass's field), in the
    returned expression or in the output a returned name was bound to (``output = X(...)``)."""
    returned = set()
    for ret in find_all(function.body, cst.Return):
        for arg in find_all(ret, cst.Arg, _hands_on_past):
            return _past_name(arg.value)
        returned |= {n.value for n in find_all(ret, cst.Name)}
    for assign in find_all(function.body, cst.Assign, _name_bound_to_call):
        if assign.targets[0].target.value in returned:
            for arg in find_all(assign.value, cst.Arg, _hands_on_past):
                return _past_name(arg.value)
    return None


def _binds(stmt: cst.CSTNode, name: str) -> bool:
    return bool(find_all(stmt, cst.AssignTarget, lambda t: isinstance(t.target, cst.Name) and t.target.value == name))


class LegacyCacheAtTheBoundary(Rule):
    """A ``call`` that makes a cache object and returns it hands TF the legacy tuples, both ways.

    PyTorch models that never convert (``Gemma2``, and every decoder from 4.48 on) return the
    cache object itself; TF outputs must be tensors (Keras saving, ``generate()``, XLA), and TF
    ``generate()`` hands the tuples of one step's output back as the next step's
    ``past_key_values``. The call turns tuples it is given into the cache class it makes and returns
    ``to_legacy_cache()``, as transformers' PyTorch decoders of 4.46 do with ``return_legacy_cache``.
    A call that converts already (reads ``to_legacy_cache``/``from_legacy_cache``) is left alone.
    """

    name = "legacy-cache-at-the-boundary"
    phase = "ops-methods"
    summary = "call making a TF cache object and returning it -> tuples in, to_legacy_cache() out."
    examples = (
        Example(
            before="""
class TFGemma2Model(TFGemma2PreTrainedModel):
    def call(self, inputs_embeds=None, past_key_values=None, use_cache=None):
        if use_cache and past_key_values is None:
            past_key_values = TFHybridCache(self.config)
        hidden_states = self.layers(inputs_embeds, past_key_values)
        next_cache = past_key_values if use_cache else None
        return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=next_cache)
""",
            after="""
class TFGemma2Model(TFGemma2PreTrainedModel):
    def call(self, inputs_embeds=None, past_key_values=None, use_cache=None):
        # TF generate() hands the cache back as the legacy tuples the call returned
        if past_key_values is not None and not isinstance(past_key_values, TFCache):
            past_key_values = TFHybridCache.from_legacy_cache(past_key_values)
        if use_cache and past_key_values is None:
            past_key_values = TFHybridCache(self.config)
        hidden_states = self.layers(inputs_embeds, past_key_values)
        next_cache = past_key_values if use_cache else None
        # TF outputs carry tensors: the legacy tuples of the cache
        if isinstance(next_cache, TFCache):
            next_cache = next_cache.to_legacy_cache()
        return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=next_cache)
""",
        ),
        Example(
            before="""
class TFLlamaModel(TFLlamaPreTrainedModel):
    def call(self, past_key_values=None, use_cache=None):
        if use_cache and not isinstance(past_key_values, TFCache):
            past_key_values = TFDynamicCache.from_legacy_cache(past_key_values)
        next_cache = past_key_values.to_legacy_cache()
        return TFBaseModelOutputWithPast(past_key_values=next_cache)
""",
            after="""
class TFLlamaModel(TFLlamaPreTrainedModel):
    def call(self, past_key_values=None, use_cache=None):
        if use_cache and not isinstance(past_key_values, TFCache):
            past_key_values = TFDynamicCache.from_legacy_cache(past_key_values)
        next_cache = past_key_values.to_legacy_cache()
        return TFBaseModelOutputWithPast(past_key_values=next_cache)
""",
            note="a call that converts already",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != "call":
            return updated
        body = list(updated.body.body)
        made = None
        for i, stmt in enumerate(body):
            for assign in find_all(stmt, cst.Assign, _name_bound_to_call):
                func = dotted(assign.value.func)
                if func in _CACHE_MADE:
                    made = made or (i, assign.targets[0].target.value, func)
        names = names_in(updated.body)
        returned = _returned_cache_name(updated)
        if made is None or returned is None or {"to_legacy_cache", "from_legacy_cache"} & names:
            return updated
        at, cache, cls = made
        if returned == cache:  # the cache itself is handed on: converted just before the output is made
            last = max(i for i, stmt in enumerate(body) if find_all(stmt, cst.Arg, _hands_on_past)) - 1
        else:
            last = max(i for i, stmt in enumerate(body) if _binds(stmt, returned))
        out = cst.parse_statement(
            f"if isinstance({returned}, TFCache):\n    {returned} = {returned}.to_legacy_cache()\n"
        ).with_changes(leading_lines=[_comment("TF outputs carry tensors: the legacy tuples of the cache")])
        into = cst.parse_statement(
            f"if {cache} is not None and not isinstance({cache}, TFCache):\n"
            f"    {cache} = {cls}.from_legacy_cache({cache})\n"
        ).with_changes(
            leading_lines=[_comment("TF generate() hands the cache back as the legacy tuples the call returned")]
        )
        body.insert(last + 1, out)
        body.insert(at, into)
        return updated.with_changes(body=updated.body.with_changes(body=body))


def _comment(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(comment=cst.Comment(f"# {text}"))


class CausalMaskHelper(Rule):
    """``self._update_causal_mask(...)`` (a dropped PyTorch method) -> the ``tf_causal_4d_mask`` helper.

    The helper has the semantics of the eager path of the method as ``transformers`` writes it for
    decoders with ``_prepare_4d_causal_attention_mask_with_cache_position``: causal mask from
    ``cache_position``, padding from the 2D mask, both filled with ``dtype.min``. When the module's mask
    builder also reads ``config.sliding_window``, the helper gets it. The rule only rewrites the call
    when the module defines both methods with that shape (a static cache mask or anything else is left
    to the PyTorch-only-method TODO).
    """

    name = "causal-mask-helper"
    summary = "self._update_causal_mask(mask, embeds, cache_position, past, ...) -> tf_causal_4d_mask helper."
    _SHAPE_MODULE = (
        "class M:\n"
        "    def _update_causal_mask(self, attention_mask, input_tensor, cache_position, past_key_values,"
        " output_attentions):\n"
        "        return self._prepare_4d_causal_attention_mask_with_cache_position(attention_mask)\n"
        "    @staticmethod\n"
        "    def _prepare_4d_causal_attention_mask_with_cache_position(attention_mask):\n"
        "        return attention_mask\n"
        "    def forward(self, attention_mask, inputs_embeds, cache_position, past_key_values, output_attentions):\n"
    )
    examples = (
        Example(
            before=_SHAPE_MODULE
            + (
                "        causal_mask = self._update_causal_mask(\n"
                "            attention_mask, inputs_embeds, cache_position, past_key_values, output_attentions\n"
                "        )\n"
            ),
            after=_SHAPE_MODULE
            + "        causal_mask = tf_causal_4d_mask(attention_mask, inputs_embeds, cache_position, past_key_values)\n",
        ),
        Example(
            before="causal_mask = self._update_causal_mask(attention_mask, inputs_embeds)\n",
            after="causal_mask = self._update_causal_mask(attention_mask, inputs_embeds)\n",
            note="without the module's mask builder the semantics are unknown: left for the PyTorch-only TODO",
        ),
    )

    PARAMS = ("attention_mask", "input_tensor", "cache_position", "past_key_values", "output_attentions")
    FLAGS = frozenset({"use_cache", "output_attentions"})

    def visit_Module(self, node):
        self.convertible = False
        self.sliding_window = False
        update = builder = None
        for cls in node.body:
            if not isinstance(cls, cst.ClassDef):
                continue
            for stmt in cls.body.body:
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "_update_causal_mask":
                    update = stmt
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == (
                    "_prepare_4d_causal_attention_mask_with_cache_position"
                ):
                    builder = stmt
        if update is None or builder is None:
            return True
        params = [p.name.value for p in update.params.params if p.name.value != "self"]
        code = self.code(update)
        # the four inputs the mask depends on, then flags it reads only for the SDPA path
        self.convertible = (
            tuple(params[:4]) == self.PARAMS[:4]
            and set(params[4:]) <= self.FLAGS
            and "_prepare_4d_causal_attention_mask" in code
        )
        self.sliding_window = "sliding_window" in self.code(builder)
        return True

    def leave_Call(self, original, updated):
        if not (self.convertible and _has_self_attr_call(updated, "_update_causal_mask")):
            return updated
        args = list(updated.args)
        if len(args) < 4 or any(a.keyword is not None or a.star for a in args[:4]):
            return updated
        new_args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args[:4]]
        if self.sliding_window:
            new_args.append(
                cst.Arg(
                    keyword=cst.Name("sliding_window"),
                    value=cst.parse_expression("self.config.sliding_window"),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                    ),
                )
            )
        return cst.Call(func=cst.Name(self.ctx.need_support(MASK_HELPER, MASK_SOURCE)), args=new_args)


class DeadDeviceVariables(Rule):
    """Locals computed from ``<tensor>.device`` that nothing reads any more are dropped.

    PyTorch code computes ``device_type = x.device.type`` for ``torch.autocast``; once the autocast block
    is unwrapped the variable is dead, and on a TF tensor ``.device`` is a string (``.device.type``
    raises). Only assignments whose name is read by no statement other than such assignments go.
    """

    name = "dead-device-variables"
    phase = "ops-methods"
    summary = "Drop locals derived from .device that nothing reads once autocast is gone."
    examples = (
        Example(
            before=(
                "def f(x):\n"
                "    # Force float32\n"
                "    device_type = x.device.type\n"
                '    device_type = device_type if device_type != "mps" else "cpu"\n'
                "    return tf.math.cos(x)\n"
            ),
            after="def f(x):\n    # Force float32\n    return tf.math.cos(x)\n",
            note="a dropped statement's comment stays, above the next statement",
        ),
        Example(
            before="def f(x):\n    device = x.device\n    return g(x, device=device)\n",
            after="def f(x):\n    device = x.device\n    return g(x, device=device)\n",
            note="a device variable still read stays",
        ),
    )

    @staticmethod
    def _assigned(stmt: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return None
        small = stmt.body[0]
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            return None
        target = small.targets[0].target
        return (target.value, small.value) if isinstance(target, cst.Name) else None

    def leave_FunctionDef(self, original, updated):
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        dead: dict[str, list[int]] = {}
        for i, stmt in enumerate(body):
            assigned = self._assigned(stmt)
            if assigned and ".device" in self.code(assigned[1]):
                dead.setdefault(assigned[0], []).append(i)
        for name in list(dead):
            # the follow-ups that only reassign the same name from itself
            for i, stmt in enumerate(body):
                assigned = self._assigned(stmt)
                if assigned and assigned[0] == name and i not in dead[name]:
                    dead[name].append(i)
            others = [s for i, s in enumerate(body) if i not in dead[name]]
            if any(_reads(s, name) for s in others):
                del dead[name]
        drop = {i for idx in dead.values() for i in idx}
        if not drop or len(drop) == len(body):
            return updated
        kept: list[cst.BaseStatement] = []
        comments: list[cst.EmptyLine] = []  # a dropped statement's comments move to the next one kept
        for i, stmt in enumerate(body):
            if i in drop:
                comments.extend(line for line in stmt.leading_lines if line.comment is not None)
                continue
            if comments:
                stmt = stmt.with_changes(leading_lines=[*stmt.leading_lines, *comments])
                comments = []
            kept.append(stmt)
        return updated.with_changes(body=updated.body.with_changes(body=kept))


def _reads(node: cst.CSTNode, name: str) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                self.found = True

    finder = Finder()
    walk(node, finder)
    return finder.found


BEFORE_CLEANUP: list[type[Rule]] = [CausalMaskHelper, RopeInitFunctions, CacheClasses]
AFTER_OPS: list[type[Rule]] = [DeadDeviceVariables, LegacyCacheAtTheBoundary]
RULES = [*BEFORE_CLEANUP, *AFTER_OPS]
