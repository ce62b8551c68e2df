"""Data of the model concern (``rules/model/``): what the structure rules map to what.

What becomes of a head's loss, which decorators document a public ``call``, which PyTorch-only
switches are constant in TF, and the TF versions of the ``PreTrainedModel`` helpers a base
model's ``forward`` calls on ``self``.
"""

from __future__ import annotations

# -- attention implementation and PyTorch-only switches ----------------------------------------
# ``<x>._attn_implementation == "sdpa"`` is decided at conversion time: TF keeps the eager path.
ATTN_IMPLEMENTATION_ATTRIBUTES = frozenset({"_attn_implementation", "attn_implementation"})
TF_ATTN_IMPLEMENTATION = "eager"

# ``self.<flag>`` attributes that are constants in a TF port (model parallelism is PyTorch-only).
CONSTANT_SELF_FLAGS = {"model_parallel": False}

# -- training -------------------------------------------------------------------------------------
# Layers whose behaviour depends on ``training`` (matched on the last part of the constructor's
# dotted name, so ``nn.Dropout`` and ``keras.layers.Dropout`` both count).
TRAINING_LAYERS = frozenset(
    {
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "BatchNormalization",
    }
)

# Containers of sublayers: ``self.layer = nn.ModuleList([...])``; an item's calls go through them.
LAYER_CONTAINERS = frozenset({"ModuleList", "Sequential", "ModuleDict"})

# ``apply_chunking_to_forward(fn, chunk_size, dim, *inputs)`` is ``fn(*inputs)`` computed in chunks
# along ``dim`` to save memory; the result is the same, and TF ports call ``fn`` directly.
CHUNKING_FUNCTIONS = {"apply_chunking_to_forward": 3}  # name -> number of leading non-input arguments

# -- model classes --------------------------------------------------------------------------------
# Class attributes a TF<X>PreTrainedModel keeps; everything else of the PyTorch class goes.
PRETRAINED_KEPT_ATTRIBUTES = ("config_class", "base_model_prefix", "main_input_name")
# Methods of the PyTorch pretrained class that go even when a class calls them: weight initialisation.
PRETRAINED_DROPPED_METHODS = frozenset({"_init_weights", "init_weights", "post_init", "_initialize_weights"})

# Decorators that write a public ``call``'s docstring: they stay on TF<X>Model, not on the MainLayer.
DOCSTRING_DECORATORS = frozenset(
    {"add_start_docstrings_to_model_forward", "add_code_sample_docstrings", "replace_return_docstrings"}
)

# Methods of the base model TFPreTrainedModel already answers through its main layer: the MainLayer split
# moves them to the main layer and the model does not repeat them; its other public methods call the main layer's.
MAIN_LAYER_ACCESSORS = frozenset({"get_input_embeddings", "set_input_embeddings"})

# PreTrainedModel methods called on self that only warn: dropped in TF (no numerical effect).
WARNING_ONLY_SELF_CALLS = frozenset({"warn_if_padding_and_no_attention_mask"})

# ``self.<method>(args)`` of ModuleUtilsMixin -> a module-level helper of the generated file.
# Values: (helper name, extra arguments appended to the call). ``{dtype}`` is the layer's compute
# dtype, ``{is_decoder}`` the config's flag.
MODULE_UTILS_HELPERS = {
    "get_extended_attention_mask": ("get_extended_attention_mask", ("is_decoder={is_decoder}", "dtype={dtype}")),
    "invert_attention_mask": ("invert_attention_mask", ("dtype={dtype}",)),
    "get_head_mask": ("get_head_mask", ("dtype={dtype}",)),
}
# Parameters of the PyTorch methods that TF helpers do not take (devices).
MODULE_UTILS_DROPPED_ARGUMENTS = {"get_extended_attention_mask": ("device",)}
MODULE_UTILS_POSITIONAL = {
    "get_extended_attention_mask": ("attention_mask", "input_shape", "device", "dtype"),
    "invert_attention_mask": ("encoder_attention_mask",),
    "get_head_mask": ("head_mask", "num_hidden_layers", "is_attention_chunked"),
}

# ``self.dtype`` of a PyTorch module is its parameters' dtype; a Keras layer's compute dtype.
SELF_DTYPE = "tf.as_dtype(self.compute_dtype)"
# ``self.<sublayer>.weight.dtype`` asks the same (the parameters' dtype): also the compute dtype.
PARAMETER_NAMES = frozenset({"weight", "bias"})

# The helpers, with the semantics of transformers' ModuleUtilsMixin (modeling_utils.py).
HELPER_SOURCES = {
    "get_extended_attention_mask": '''
def get_extended_attention_mask(attention_mask, input_shape, is_decoder=False, dtype=tf.float32):
    """``ModuleUtilsMixin.get_extended_attention_mask``: 0 where attended, ``dtype.min`` where masked."""
    dtype = tf.as_dtype(dtype)
    attention_mask = tf.convert_to_tensor(attention_mask)
    if attention_mask.shape.rank == 3:
        extended_attention_mask = attention_mask[:, None, :, :]
    elif attention_mask.shape.rank == 2:
        if is_decoder:
            batch_size, seq_length = input_shape[0], input_shape[1]
            seq_ids = tf.range(seq_length)
            causal_mask = tf.tile(seq_ids[None, None, :], (batch_size, seq_length, 1)) <= seq_ids[None, :, None]
            causal_mask = tf.cast(causal_mask, attention_mask.dtype)
            prefix_seq_len = shape_list(attention_mask)[1] - seq_length
            causal_mask = tf.concat(
                [tf.ones((batch_size, seq_length, prefix_seq_len), dtype=causal_mask.dtype), causal_mask], axis=-1
            )
            extended_attention_mask = causal_mask[:, None, :, :] * attention_mask[:, None, None, :]
        else:
            extended_attention_mask = attention_mask[:, None, None, :]
    else:
        raise ValueError(
            f"Wrong shape for input_ids (shape {input_shape}) or attention_mask (shape {attention_mask.shape})"
        )
    extended_attention_mask = tf.cast(extended_attention_mask, dtype)
    return (1.0 - extended_attention_mask) * dtype.min
''',
    "invert_attention_mask": '''
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
''',
    "get_head_mask": '''
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
''',
}

# -- heads and losses -----------------------------------------------------------------------------
# Head class suffix -> (TF loss mixin, form of its ``hf_compute_loss`` call). First match wins.
# "single": hf_compute_loss(labels=<labels>, logits=<logits>);
# "span": labels={"start_position": .., "end_position": ..}, logits=(start_logits, end_logits).
LOSS_MIXINS = (
    ("ForSequenceClassification", "TFSequenceClassificationLoss", "single"),
    ("ForImageClassification", "TFSequenceClassificationLoss", "single"),
    ("ForAudioClassification", "TFSequenceClassificationLoss", "single"),
    ("ForTokenClassification", "TFTokenClassificationLoss", "single"),
    ("ForQuestionAnswering", "TFQuestionAnsweringLoss", "span"),
    ("ForMultipleChoice", "TFMultipleChoiceLoss", "single"),
    ("ForMaskedLM", "TFMaskedLanguageModelingLoss", "single"),
    ("ForCausalLM", "TFCausalLanguageModelingLoss", "single"),
    ("LMHeadModel", "TFCausalLanguageModelingLoss", "single"),
    ("ForNextSentencePrediction", "TFNextSentencePredictionLoss", "single"),
)

# PyTorch loss modules (last part of the dotted name) whose blocks become ``hf_compute_loss``.
LOSS_MODULES = frozenset({"CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "NLLLoss"})

# Loss modules the TF mixins do not compute: a block that uses them keeps a TODO.
LOSS_MODULES_WITHOUT_TF_MIXIN = {
    "BCEWithLogitsLoss": "multi-label classification (BCEWithLogitsLoss) is not computed by the TF loss mixin, "
    "which covers regression (one label) and single-label classification",
}

# A head without a TF loss mixin (or combining several losses) keeps its own loss code: each
# ``CrossEntropyLoss(...)`` call becomes this function. Keywords of the loss module it takes.
CROSS_ENTROPY_FUNCTION = "cross_entropy_loss"
CROSS_ENTROPY_KEYWORDS = frozenset({"ignore_index", "reduction"})
CROSS_ENTROPY_SOURCE = '''
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
'''

BCE_WITH_LOGITS_SOURCE = '''
def bce_with_logits_loss(logits, labels, reduction="mean"):
    """PyTorch's ``nn.BCEWithLogitsLoss(reduction=...)(logits, labels)``: the binary cross-entropy of every
    element, their mean (shape ``(1,)``, as the TF loss mixins return it), their sum, or each one."""
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(labels, logits.dtype), logits=logits)
    if reduction == "none":
        return losses
    return tf.reshape(tf.reduce_sum(losses) if reduction == "sum" else tf.reduce_mean(losses), (1,))
'''

MSE_SOURCE = '''
def mse_loss(predictions, targets, reduction="mean"):
    """PyTorch's ``nn.MSELoss(reduction=...)(input, target)``: the squared error of every element, their mean
    (shape ``(1,)``, as the TF loss mixins return it), their sum, or each one."""
    losses = tf.square(predictions - tf.cast(targets, predictions.dtype))
    if reduction == "none":
        return losses
    return tf.reshape(tf.reduce_sum(losses) if reduction == "sum" else tf.reduce_mean(losses), (1,))
'''

# Loss modules a head's own loss code may use (no TF mixin covers the head, or it combines several
# losses): module -> (the support function each call becomes, its source, the module keywords it takes).
OWN_LOSSES: dict[str, tuple[str, str, frozenset[str]]] = {
    "CrossEntropyLoss": (CROSS_ENTROPY_FUNCTION, CROSS_ENTROPY_SOURCE, CROSS_ENTROPY_KEYWORDS),
    "BCEWithLogitsLoss": ("bce_with_logits_loss", BCE_WITH_LOGITS_SOURCE, frozenset({"reduction"})),
    "MSELoss": ("mse_loss", MSE_SOURCE, frozenset({"reduction"})),
}

# ``self.loss_function(...)`` (transformers' loss_utils) positional parameters, by mixin form and
# head suffix, and whether the PyTorch loss shifts labels itself (causal LM) where the TF mixin does not.
LOSS_FUNCTION_PARAMETERS = {
    "ForCausalLM": ("logits", "labels", "vocab_size"),
    "LMHeadModel": ("logits", "labels", "vocab_size"),
    "ForSequenceClassification": ("labels", "pooled_logits", "config"),
    "ForQuestionAnswering": ("start_logits", "end_logits", "start_positions", "end_positions"),
    "ForTokenClassification": ("logits", "labels", "config"),
}
LOSS_FUNCTION_LOGITS = ("pooled_logits", "logits")  # first one present names the logits
LOSS_FUNCTION_SHIFTS = frozenset({"ForCausalLM", "LMHeadModel"})

# How transformers' ``add_code_sample_docstrings`` picks its sample for a class (utils/doc.py,
# ``docstring_decorator``), in its order: (any of these in the class name, required modality or
# None, sample key). A class matching none makes the decorator raise at import time.
SAMPLE_DOCSTRING_KINDS: tuple[tuple[tuple[str, ...], str | None, str], ...] = (
    (("SequenceClassification", "AudioClassification"), "audio", "AudioClassification"),
    (("SequenceClassification",), None, "SequenceClassification"),
    (("QuestionAnswering",), None, "QuestionAnswering"),
    (("TokenClassification",), None, "TokenClassification"),
    (("MultipleChoice",), None, "MultipleChoice"),
    (("MaskedLM",), None, "MaskedLM"),  # the two *WithLMHeadModel it names exactly are PyTorch names
    (("LMHead", "CausalLM"), None, "LMHead"),
    (("CTC",), None, "CTC"),
    (("AudioFrameClassification",), None, "AudioFrameClassification"),
    (("XVector",), "audio", "AudioXVector"),
    (("Model",), "audio", "SpeechBaseModel"),
    (("Model",), "vision", "VisionBaseModel"),
    (("Model", "Encoder"), None, "BaseModel"),
    (("ImageClassification",), None, "ImageClassification"),
)

# Inputs PyTorch hands a base model as int64 tensors (TF's input processing makes them int32): the main
# layer casts them back (rules/model/integer_inputs.py).
INT64_INPUTS = frozenset(
    {
        "input_ids",
        "attention_mask",
        "token_type_ids",
        "position_ids",
        "bbox",
        "global_attention_mask",
        "decoder_input_ids",
        "decoder_attention_mask",
        "decoder_position_ids",
    }
)

# -- towers built by auto classes (``rules/auto_submodels.py``) -----------------------------------------
# PyTorch auto class -> (its TF twin in ``models/auto/modeling_tf_auto.py``, the mapping that twin reads).
# An auto class missing here has no TF twin: a class holding such a tower is not written.
AUTO_CLASSES = {
    "AutoModel": ("TFAutoModel", "TF_MODEL_MAPPING_NAMES"),
    "AutoModelForCausalLM": ("TFAutoModelForCausalLM", "TF_MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"),
    "AutoModelForSeq2SeqLM": ("TFAutoModelForSeq2SeqLM", "TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"),
    "AutoModelForTextEncoding": ("TFAutoModelForTextEncoding", "TF_MODEL_FOR_TEXT_ENCODING_MAPPING_NAMES"),
}
