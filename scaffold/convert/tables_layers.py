"""What each PyTorch module becomes in Keras: the data the ``layers`` rules read.

A :class:`LayerMap` says how the arguments of a PyTorch constructor (bound to its signature,
``params``) turn into the arguments of the Keras layer. Templates name PyTorch parameters in
braces; a keyword whose template names a parameter the call does not pass (and that has no
default here) is left out, so Keras defaults apply only where they agree with PyTorch's.
Defaults are listed where they do not agree (``eps``: PyTorch 1e-5, Keras 1e-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LayerMap:
    target: str  # the Keras callable, ``keras`` spelled as in the 4.46 idiom
    params: tuple[str, ...]  # the PyTorch constructor's parameters, in order
    args: tuple[str, ...] = ()  # Keras positional arguments (templates)
    kwargs: tuple[tuple[str, str], ...] = ()  # (Keras keyword, template); the first usable one per keyword wins
    defaults: dict[str, str] = field(default_factory=dict)  # PyTorch defaults that differ from Keras'
    todo: dict[str, str] = field(default_factory=dict)  # PyTorch parameter -> why Keras has no equivalent
    # parameter -> the only value that converts (or the values, all meaning the same)
    todo_unless: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    initializer: tuple[str, str] | None = None  # (keyword, template of the config's init range ``{range}``)
    conv_rank: int = 0  # 1 or 2: PyTorch padding becomes Keras padding or explicit zero padding
    imports: tuple[str, ...] = ()
    support: str | None = None  # source of a helper layer class ``target`` names, emitted once
    helpers: tuple[str, ...] = ()  # support functions of tables_ops.SUPPORT that class calls
    # the input shape build() can give the layer before any call (weights from the constructor alone)
    build_shape: str | None = None
    build_fixes_rank: bool = False  # building fixes the input rank: only when no call builds it
    # the LAYERS key to use instead when the rank the calls give is not written in the module
    any_rank: str | None = None
    # the LAYERS key to use instead when a ``todo_unless`` value is not met (the general form)
    general: str | None = None


_DEVICE = ("device", "dtype")
_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias")


_CONV_SOURCE = '''
class TFConv{rank}d(keras.layers.Conv{rank}D):
    """PyTorch's ``nn.Conv{rank}d``: channels-first maps in and out, as the code around it expects.

    Computed channels-last: TF's CPU kernels run channels-first convolutions only where oneDNN is on
    (not on CPUs without AVX-512), so the input and output are transposed around Keras' layer. The
    kernel is Keras' (spatial..., in, out) in either layout: PyTorch's weight loads as into any
    Conv{rank}D. ``explicit_padding``: PyTorch's zero padding of each spatial side.
    """

    def __init__(self, filters, kernel_size, explicit_padding=0, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        padding = (explicit_padding,) * {rank} if isinstance(explicit_padding, int) else tuple(explicit_padding)
        self.explicit_padding = [[0, 0], [0, 0]] + [[p, p] for p in padding]

    def build(self, input_shape=None):
        # Keras checks the output size in build(); the kernel sees the padded input
        shape = tf.TensorShape(input_shape).as_list()
        shape = [d if d is None else d + sum(p) for d, p in zip(shape, self.explicit_padding)]
        super().build([shape[0], *shape[2:], shape[1]])
        self.input_spec = keras.layers.InputSpec(ndim={ndim}, axes={{1: shape[1]}})  # the caller's layout

    def call(self, inputs):
        if any(p for side in self.explicit_padding for p in side):
            inputs = tf.pad(inputs, self.explicit_padding)
        outputs = super().call(tf.transpose(inputs, {to_last}))
        return tf.transpose(outputs, {to_first})
'''


def _conv(rank: int) -> LayerMap:
    return LayerMap(
        target=f"TFConv{rank}d",
        params=(*_CONV, "padding_mode", *_DEVICE),
        args=("{out_channels}", "{kernel_size}"),
        kwargs=(
            ("strides", "{stride}"),
            ("dilation_rate", "{dilation}"),
            ("groups", "{groups}"),
            ("use_bias", "{bias}"),
        ),
        todo_unless={"padding_mode": '"zeros"'},
        initializer=("kernel_initializer", "get_initializer({range})"),
        conv_rank=rank,
        build_shape="[None, {in_channels}" + ", None" * rank + "]",  # channels-first
        support=_CONV_SOURCE.format(
            rank=rank,
            ndim=rank + 2,
            to_last=[0, *range(2, rank + 2), 1],
            to_first=[0, rank + 1, *range(1, rank + 1)],
        ),
    )


def _batch_norm(rank: int | None = None) -> LayerMap:
    """``rank``: the input rank when the module fixes it (BatchNorm2d: 4); Keras' build fixes it too."""
    return LayerMap(
        target="keras.layers.BatchNormalization",
        params=("num_features", "eps", "momentum", "affine", "track_running_stats", *_DEVICE),
        kwargs=(
            ("axis", "1"),  # channels-first, as in PyTorch
            ("epsilon", "{eps}"),
            ("momentum", "1 - {momentum}"),  # Keras keeps this much of the old statistic
            ("center", "{affine}"),
            ("scale", "{affine}"),
        ),
        defaults={"eps": "1e-5", "momentum": "0.1"},
        todo_unless={"track_running_stats": "True"},
        build_shape=None if rank is None else "[None, {num_features}" + ", None" * (rank - 2) + "]",
    )


# nn.LayerNorm's signature and what Keras' LayerNormalization (and the any-rank one) take of it
_LAYER_NORM_ARGUMENTS: dict = {
    "params": ("normalized_shape", "eps", "elementwise_affine", "bias", *_DEVICE),
    "kwargs": (
        ("epsilon", "{eps}"),
        ("center", "{elementwise_affine} and {bias}"),
        ("center", "{elementwise_affine}"),
        ("center", "{bias}"),
        ("scale", "{elementwise_affine}"),
    ),
    "defaults": {"eps": "1e-5"},
}
LAYER_NORM_ANY_RANK = "nn.LayerNorm.any_rank"  # never written by a module: set by the build rule
ADAPTIVE_AVG_POOL_1D = "nn.AdaptiveAvgPool1d.any_size"  # never written by a module: the general form
ADAPTIVE_AVG_POOL_2D = "nn.AdaptiveAvgPool2d.any_size"

_ADAPTIVE_POOL = '''
class TFAdaptiveAvgPool{rank}d(keras.layers.Layer):
    """PyTorch's ``nn.AdaptiveAvgPool{rank}d(output_size)`` on {layout}: output cell i averages the
    inputs from floor(i * n / size) to ceil((i + 1) * n / size), PyTorch's bins, whatever n is."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = (output_size,) * {rank} if isinstance(output_size, int) else tuple(output_size)

    def call(self, inputs):
{body}
'''

UNFOLD_SOURCE = '''
def unfold_like_torch(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.unfold`` of (batch, channels, height, width): (batch, channels * kh * kw, blocks).

    The patches come from ``tf.image.extract_patches`` (channels last, ordered kh, kw, channel),
    reordered to PyTorch's channel-major order.
    """
    pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # noqa: E731
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = pair(kernel_size), pair(dilation), pair(padding), pair(stride)
    batch, channels = shape_list(x)[:2]
    x = tf.pad(tf.transpose(x, [0, 2, 3, 1]), [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    patches = tf.image.extract_patches(x, [1, kh, kw, 1], [1, sh, sw, 1], [1, dh, dw, 1], "VALID")
    blocks = shape_list(patches)[1] * shape_list(patches)[2]
    patches = tf.reshape(patches, [batch, blocks, kh * kw, channels])
    return tf.reshape(tf.transpose(patches, [0, 3, 2, 1]), [batch, channels * kh * kw, blocks])
'''

_POOL_SOURCE = '''
class TFPool2d(keras.layers.Layer):
    """PyTorch's ``nn.MaxPool2d``/``nn.AvgPool2d`` on (batch, channels, height, width).

    Padding never wins a max (it is the dtype's minimum) and counts as zeros in an average, as
    in PyTorch (``count_include_pad=True``).
    """

    def __init__(self, kernel_size, stride=None, padding=0, mode="max", **kwargs):
        super().__init__(**kwargs)
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # noqa: E731
        self.kernel_size = pair(kernel_size)
        self.stride = pair(kernel_size if stride is None else stride)
        self.padding = pair(padding)
        self.mode = mode

    def call(self, inputs):
        x = tf.transpose(inputs, [0, 2, 3, 1])
        (top, left), fill = self.padding, (x.dtype.min if self.mode == "max" else 0)
        x = tf.pad(x, [[0, 0], [top, top], [left, left], [0, 0]], constant_values=fill)
        pool = tf.nn.max_pool2d if self.mode == "max" else tf.nn.avg_pool2d
        return tf.transpose(pool(x, self.kernel_size, self.stride, "VALID"), [0, 3, 1, 2])
'''

# PyTorch module constructor (as written in the module) -> Keras layer.
LAYERS: dict[str, LayerMap] = {
    "nn.Linear": LayerMap(
        target="keras.layers.Dense",
        params=("in_features", "out_features", "bias", *_DEVICE),
        args=("{out_features}",),
        kwargs=(("use_bias", "{bias}"),),
        initializer=("kernel_initializer", "get_initializer({range})"),
        build_shape="[None, None, {in_features}]",  # Dense reads the last axis only, any rank >= 2 calls
    ),
    "nn.LayerNorm": LayerMap(
        target="keras.layers.LayerNormalization",
        **_LAYER_NORM_ARGUMENTS,
        # Keras turns axis -1 into a positive axis at build: a rank-3 build breaks other ranks
        build_shape="[None, None, {normalized_shape}]",
        build_fixes_rank=True,
        any_rank=LAYER_NORM_ANY_RANK,
    ),
    # what the build rule makes of an nn.LayerNorm whose callers' ranks it cannot read
    # (a pooled or indexed tensor): built before any call, it must not fix the rank
    LAYER_NORM_ANY_RANK: LayerMap(
        target="TFLayerNormLastAxis",
        **_LAYER_NORM_ARGUMENTS,
        build_shape="[None, {normalized_shape}]",
        support='''
class TFLayerNormLastAxis(keras.layers.LayerNormalization):
    """PyTorch's ``nn.LayerNorm(n)`` at any input rank: it normalises the last axis.

    Keras' LayerNormalization turns axis -1 into a positive axis when it is built, so a layer
    built before its first call (to make its weights) would be tied to the rank it was built
    with. Same weights (gamma, beta) as LayerNormalization, so checkpoints load the same.
    """

    def build(self, input_shape):
        super().build([None, input_shape[-1]])

    def call(self, inputs):
        mean, variance = tf.nn.moments(inputs, axes=[-1], keepdims=True)
        outputs = (inputs - mean) * tf.math.rsqrt(variance + self.epsilon)
        if self.scale:
            outputs = outputs * self.gamma
        if self.center:
            outputs = outputs + self.beta
        return outputs
''',
    ),
    # pooling to one value per channel (the usual classifier pooling): a mean over the spatial axes
    "nn.AdaptiveAvgPool1d": LayerMap(
        target="TFGlobalAvgPool1d",
        params=("output_size",),
        todo_unless={"output_size": ("1", "(1,)")},
        general=ADAPTIVE_AVG_POOL_1D,
        support='''
class TFGlobalAvgPool1d(keras.layers.Layer):
    """PyTorch's ``nn.AdaptiveAvgPool1d(1)`` on (batch, channels, length): the mean over the length."""

    def call(self, inputs):
        return tf.reduce_mean(inputs, axis=2, keepdims=True)
''',
    ),
    "nn.AdaptiveAvgPool2d": LayerMap(
        target="TFGlobalAvgPool2d",
        params=("output_size",),
        todo_unless={"output_size": ("1", "(1, 1)")},
        general=ADAPTIVE_AVG_POOL_2D,
        support='''
class TFGlobalAvgPool2d(keras.layers.Layer):
    """PyTorch's ``nn.AdaptiveAvgPool2d((1, 1))`` on (batch, channels, height, width): the mean over the map."""

    def call(self, inputs):
        return tf.reduce_mean(inputs, axis=[2, 3], keepdims=True)
''',
    ),
    # any other output size (a pyramid pooling module's scales 1, 2, 3, 6): PyTorch's bins, which
    # overlap when the size does not divide the input, as one averaging matrix per axis
    ADAPTIVE_AVG_POOL_1D: LayerMap(
        target="TFAdaptiveAvgPool1d",
        params=("output_size",),
        args=("{output_size}",),
        helpers=("adaptive_average_matrix",),
        support=_ADAPTIVE_POOL.format(
            rank=1,
            layout="(batch, channels, length)",
            body="""        pool = adaptive_average_matrix(tf.shape(inputs)[2], self.output_size[0], inputs.dtype)
        return tf.einsum("il,ncl->nci", pool, inputs)""",
        ),
    ),
    ADAPTIVE_AVG_POOL_2D: LayerMap(
        target="TFAdaptiveAvgPool2d",
        params=("output_size",),
        args=("{output_size}",),
        helpers=("adaptive_average_matrix",),
        support=_ADAPTIVE_POOL.format(
            rank=2,
            layout="(batch, channels, height, width)",
            body="""        rows = adaptive_average_matrix(tf.shape(inputs)[2], self.output_size[0], inputs.dtype)
        columns = adaptive_average_matrix(tf.shape(inputs)[3], self.output_size[1], inputs.dtype)
        return tf.einsum("ih,nchw,jw->ncij", rows, inputs, columns)""",
        ),
    ),
    # Keras' Flatten flattens in memory order unless told the input is channels-first (it would
    # move channels last first): left at its default, it is PyTorch's flatten from axis 1
    "nn.Flatten": LayerMap(
        target="keras.layers.Flatten",
        params=("start_dim", "end_dim"),
        todo_unless={"start_dim": "1", "end_dim": "-1"},
    ),
    "nn.Dropout": LayerMap(
        target="keras.layers.Dropout",
        params=("p", "inplace"),
        kwargs=(("rate", "{p}"),),
        defaults={"p": "0.5"},
    ),
    "nn.Embedding": LayerMap(
        target="keras.layers.Embedding",
        # padding_idx only zeroes a row at initialisation and its gradient: the loaded weights carry it
        params=(
            "num_embeddings",
            "embedding_dim",
            "padding_idx",
            "max_norm",
            "norm_type",
            "scale_grad_by_freq",
            "sparse",
            "_weight",
            "_freeze",
            *_DEVICE,
        ),
        args=("{num_embeddings}", "{embedding_dim}"),
        todo={
            "max_norm": "Keras embeddings do not renormalise rows",
            "_weight": "initial embedding values: create the weight with add_weight instead",
            "_freeze": "a frozen embedding: pass trainable=False",
        },
        initializer=("embeddings_initializer", "get_initializer({range})"),
        build_shape="None",  # the table's size is the constructor's
    ),
    "nn.Conv1d": _conv(1),
    "nn.Conv2d": _conv(2),
    "nn.BatchNorm1d": _batch_norm(),
    "nn.BatchNorm2d": _batch_norm(rank=4),
    "nn.GroupNorm": LayerMap(
        target="keras.layers.GroupNormalization",
        params=("num_groups", "num_channels", "eps", "affine", *_DEVICE),
        kwargs=(
            ("groups", "{num_groups}"),
            ("axis", "1"),  # channels-first, as in PyTorch
            ("epsilon", "{eps}"),
            ("center", "{affine}"),
            ("scale", "{affine}"),
        ),
        defaults={"eps": "1e-5"},
    ),
    "nn.Identity": LayerMap(target="keras.layers.Identity", params=()),
    "nn.PixelShuffle": LayerMap(
        target="TFPixelShuffle",
        params=("upscale_factor",),
        args=("{upscale_factor}",),
        support='''
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
''',
    ),
    "nn.Softmax": LayerMap(target="keras.layers.Softmax", params=("dim",), kwargs=(("axis", "{dim}"),)),
    # TF's CPU pooling kernels take channels-last maps only: the helper transposes around them
    "nn.MaxPool2d": LayerMap(
        target="TFPool2d",
        params=("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
        args=("{kernel_size}",),
        kwargs=(("stride", "{stride}"), ("padding", "{padding}"), ("mode", '"max"')),
        todo_unless={"dilation": "1", "return_indices": "False", "ceil_mode": "False"},
        support=_POOL_SOURCE,
    ),
    "nn.AvgPool2d": LayerMap(
        target="TFPool2d",
        params=("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
        args=("{kernel_size}",),
        kwargs=(("stride", "{stride}"), ("padding", "{padding}"), ("mode", '"average"')),
        todo_unless={"ceil_mode": "False", "count_include_pad": "True", "divisor_override": "None"},
        support=_POOL_SOURCE,
    ),
    "nn.Unfold": LayerMap(
        target="TFUnfold",
        params=("kernel_size", "dilation", "padding", "stride"),
        args=("{kernel_size}",),
        kwargs=(("dilation", "{dilation}"), ("padding", "{padding}"), ("stride", "{stride}")),
        helpers=("unfold_like_torch",),
        support='''
class TFUnfold(keras.layers.Layer):
    """PyTorch's ``nn.Unfold``: sliding blocks of a channels-first map (``unfold_like_torch``)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1, **kwargs):
        super().__init__(**kwargs)
        self.options = {"kernel_size": kernel_size, "dilation": dilation, "padding": padding, "stride": stride}

    def call(self, inputs):
        return unfold_like_torch(inputs, **self.options)
''',
    ),
    # drops whole channels in training; the identity in inference, as PyTorch's
    "nn.Dropout2d": LayerMap(
        target="keras.layers.SpatialDropout2D",
        params=("p", "inplace"),
        args=("{p}",),
        kwargs=(("data_format", '"channels_first"'),),
        defaults={"p": "0.5"},
    ),
    "nn.ConvTranspose2d": LayerMap(
        target="TFConvTranspose2d",
        params=(
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "output_padding",
            "groups",
            "bias",
            "dilation",
            "padding_mode",
            *_DEVICE,
        ),
        args=("{out_channels}", "{kernel_size}"),
        kwargs=(("strides", "{stride}"), ("use_bias", "{bias}")),
        todo_unless={"padding": "0", "output_padding": "0", "groups": "1", "dilation": "1", "padding_mode": '"zeros"'},
        initializer=("kernel_initializer", "get_initializer({range})"),
        build_shape="[None, {in_channels}, None, None]",  # channels-first
        support='''
class TFConvTranspose2d(keras.layers.Conv2DTranspose):
    """PyTorch's ``nn.ConvTranspose2d`` (no padding) on channels-first maps.

    TF's CPU kernels for transposed convolutions take channels-last maps only, so the input and
    output are transposed around Keras' layer. ``output_padding=0`` makes Keras size the output
    as PyTorch does, ``(in - 1) * stride + kernel``, also where the kernel is smaller than the
    stride. The kernel loads from PyTorch's (in, out, kh, kw) weight as (kh, kw, out, in).
    """

    def __init__(self, filters, kernel_size, strides=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, output_padding=0, **kwargs)

    def build(self, input_shape=None):
        shape = tf.TensorShape(input_shape).as_list()
        super().build([shape[0], *shape[2:], shape[1]])
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={1: shape[1]})  # the caller's layout

    def call(self, inputs):
        outputs = super().call(tf.transpose(inputs, [0, 2, 3, 1]))
        return tf.transpose(outputs, [0, 3, 1, 2])
''',
    ),
    # transformers' own GPT-2 style layer: its weight is already [in, out], so it is never transposed
    "Conv1D": LayerMap(
        target="TFConv1D",
        params=("nf", "nx"),
        args=("{nf}", "{nx}"),
        initializer=("initializer_range", "{range}"),
        imports=("from ...modeling_tf_utils import TFConv1D",),
        build_shape="[None, None, {nx}]",  # TFConv1D's build reads its own nx
    ),
    # transformers' summary head (double-heads models); the TF twin has the same sublayer names
    "SequenceSummary": LayerMap(
        target="TFSequenceSummary",
        params=("config",),
        args=("{config}",),
        initializer=("initializer_range", "{range}"),
        imports=("from ...modeling_tf_utils import TFSequenceSummary",),
        build_shape="None",  # TFSequenceSummary builds its summary layer from the config
    ),
}

# Where a bare name in LAYERS must come from to mean that layer (``Conv1D`` of pytorch_utils).
LAYER_SOURCES = {"Conv1D": "...pytorch_utils", "SequenceSummary": "...modeling_utils"}

# Activation modules -> the TF activation name (get_tf_activation). Keyed further by the value
# of one argument where PyTorch has variants (exact vs tanh GELU differ by 3e-4).
ACTIVATION_MODULES: dict[str, str] = {
    "nn.GELU": "gelu",
    "nn.ReLU": "relu",
    "nn.Tanh": "tanh",
    "nn.Sigmoid": "sigmoid",
    "nn.SiLU": "silu",
    "nn.Mish": "mish",
}
ACTIVATION_VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "nn.GELU": ("approximate", {"none": "gelu", "tanh": "gelu_new"}),
}

# ACT2FN keys of PyTorch whose TF spelling differs (same function); keys missing from both
# tables and from TF_ACTIVATIONS have no TF twin.
ACTIVATION_ALIASES = {"gelu_pytorch_tanh": "gelu_new", "gelu_python": "gelu"}
TF_ACTIVATIONS = frozenset(
    {
        "gelu",
        "gelu_10",
        "gelu_fast",
        "gelu_new",
        "glu",
        "mish",
        "quick_gelu",
        "relu",
        "sigmoid",
        "silu",
        "swish",
        "tanh",
    }
)
# PyTorch-side ways of looking an activation up by name.
ACTIVATION_LOOKUPS = frozenset({"ACT2FN", "ACT2CLS"})
ACTIVATION_FUNCTIONS = frozenset({"get_activation"})

# Containers of modules.
MODULE_LIST = frozenset({"nn.ModuleList"})
SEQUENTIAL = frozenset({"nn.Sequential"})

# Attributes a Keras layer (or model) owns: assigning them fails or breaks Keras. A PyTorch
# attribute with such a name is renamed in TF; its layer keeps the PyTorch name in ``name=``.
RESERVED_ATTRIBUTES = {
    "self": "self_attention",
    "output": "output_layer",
    "input": "input_layer",
    "name": "name_",
    "dtype": "dtype_",
    "weights": "weights_",
    "variables": "variables_",
    "losses": "losses_",
    "metrics": "metrics_",
    "updates": "updates_",
    "submodules": "submodules_",
    "input_spec": "input_spec_",
    "input_shape": "input_shape_",
    "output_shape": "output_shape_",
    "trainable_weights": "trainable_weights_",
    "non_trainable_weights": "non_trainable_weights_",
    "trainable_variables": "trainable_variables_",
    "non_trainable_variables": "non_trainable_variables_",
    "dynamic": "dynamic_",
    "compute_dtype": "compute_dtype_",
    "variable_dtype": "variable_dtype_",
    "dtype_policy": "dtype_policy_",
    "name_scope": "name_scope_",
    "build": "build_",
    "call": "call_",
    "trainable": "trainable_",
}
# ... and what a Keras Model adds (classes deriving from TFPreTrainedModel).
RESERVED_MODEL_ATTRIBUTES = {"layers": "layers_", "optimizer": "optimizer_", "history": "history_"}

# Tensor factories in nn.Parameter(...) -> Keras initializer (the values are loaded anyway; the
# initializer keeps a fresh model's meaning).
PARAMETER_INITIALIZERS = {
    "torch.zeros": '"zeros"',
    "torch.ones": '"ones"',
    "torch.empty": '"zeros"',
    "torch.Tensor": '"zeros"',
    "torch.FloatTensor": '"zeros"',  # uninitialised storage, as torch.empty
    "torch.randn": "keras.initializers.RandomNormal(stddev=1.0)",
    "torch.rand": "keras.initializers.RandomUniform(minval=0.0, maxval=1.0)",
}

# PyTorch weight attributes of a module -> the attribute of the Keras layer it became, by the
# layer's class. A PyTorch name missing here (Dense ``weight``: the kernel is its transpose) is a TODO.
WEIGHT_ATTRIBUTES: dict[str, dict[str, str]] = {
    "Embedding": {"weight": "embeddings"},
    "LayerNormalization": {"weight": "gamma", "bias": "beta"},
    "GroupNormalization": {"weight": "gamma", "bias": "beta"},
    "BatchNormalization": {
        "weight": "gamma",
        "bias": "beta",
        "running_mean": "moving_mean",
        "running_var": "moving_variance",
    },
    "Dense": {"bias": "bias"},
    "Conv1D": {"bias": "bias"},
    "Conv2D": {"bias": "bias"},
    "TFConv1D": {"weight": "weight", "bias": "bias"},
    "TFTiedDense": {"weight": "weight", "bias": "bias"},
}
# Other PyTorch attributes of a module (its sizes) -> the Keras layer's, by the layer's class.
# ``<layer>.weight`` read as a tensor (not called): Keras keeps the kernel in its own layout, so the
# PyTorch matrix is the kernel transposed by this permutation (Dense [in, out], Conv [*k, in, out]).
KERNEL_FROM_WEIGHT: dict[str, tuple[int, ...]] = {
    "Dense": (1, 0),
    "Conv1D": (2, 1, 0),
    "Conv2D": (3, 2, 0, 1),
}

# torch layers a module's own class may derive from: it derives from the Keras layer instead (constructed
# with the same arguments, its weights read through WEIGHT_ATTRIBUTES / KERNEL_FROM_WEIGHT).
SUBCLASSABLE_LAYERS = frozenset({"nn.Embedding", "nn.Linear"})

LAYER_ATTRIBUTES: dict[str, dict[str, str]] = {
    "Embedding": {"num_embeddings": "input_dim", "embedding_dim": "output_dim"},
}
# ``<module>.weight.dtype`` asks for the compute dtype: a Keras layer knows it before it is built.
DTYPE_OF_WEIGHT = "compute_dtype"

# Activation functions the PyTorch activations module exports by name -> TF activation name.
ACTIVATIONS_MODULE = "...activations"
ACTIVATION_OBJECTS = {
    "gelu": "gelu",
    "gelu_new": "gelu_new",
    "gelu_fast": "gelu_fast",
    "quick_gelu": "quick_gelu",
    "silu": "silu",
    "mish": "mish",
}
