"""What torch functions, tensor methods and ``torch.nn.functional`` calls become in TF: data only.

The rules in ``rules/ops/`` read these tables. An op entry is a torch signature and one or
more TF templates:

* the signature lists torch's parameters in positional order, ``input`` first (the receiver
  of a tensor method); ``name=code`` gives the value used when the argument is absent (the
  torch default, written where it differs from the TF default); ``*name`` collects varargs
  (``x.view(a, b)`` and ``x.view((a, b))`` both bind ``shape``); parameters after a bare ``*``
  are keyword-only;
* a template is TF code in which the parameter names stand for the arguments given. A keyword
  argument of the template whose parameter was not given (and has no default) is dropped;
* several templates are tried in order; ``(("dim",), "...")`` applies only when ``dim`` was
  given with a value other than its torch default; a bare string always applies.

An argument the call passes that no template uses is never dropped silently: the rule leaves
the call alone with a TODO, except the PyTorch-only parameters of :data:`IGNORED_PARAMS`.
Names of :data:`SUPPORT` used by a template are emitted once into the generated module as
helper functions; names of :data:`IMPORTS` get their import line.
"""

from __future__ import annotations

from scaffold.convert.tables_layers import UNFOLD_SOURCE
from scaffold.convert.tables_model import CROSS_ENTROPY_SOURCE

# -- dtypes and tensor types -----------------------------------------------------------------
DTYPES = {
    "float32": "tf.float32",
    "float": "tf.float32",
    "float16": "tf.float16",
    "half": "tf.float16",
    "bfloat16": "tf.bfloat16",
    "float64": "tf.float64",
    "double": "tf.float64",
    "int64": "tf.int64",
    "long": "tf.int64",
    "int32": "tf.int32",
    "int": "tf.int32",
    "int16": "tf.int16",
    "short": "tf.int16",
    "int8": "tf.int8",
    "uint8": "tf.uint8",
    "bool": "tf.bool",
    "complex64": "tf.complex64",
}

# torch names of types (annotations, isinstance) and their TF counterparts
TYPES = {
    "Tensor": "tf.Tensor",
    "FloatTensor": "tf.Tensor",
    "LongTensor": "tf.Tensor",
    "BoolTensor": "tf.Tensor",
    "IntTensor": "tf.Tensor",
    "ByteTensor": "tf.Tensor",
    "HalfTensor": "tf.Tensor",
    "DoubleTensor": "tf.Tensor",
    "dtype": "tf.DType",
    "Size": "tf.TensorShape",
}

# ``torch.finfo(d).<attr>``: attributes a TF DType has itself; the others go through numpy
FINFO_ON_DTYPE = frozenset({"min", "max"})
FINFO_THROUGH_NUMPY = frozenset({"eps", "tiny", "smallest_normal", "resolution", "bits"})

# Context managers and decorators that only steer autograd or mixed precision; the block stays.
NOOP_CONTEXTS = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.enable_grad",
        "torch.autocast",
        "torch.amp.autocast",
        "torch.cuda.amp.autocast",
        "torch.cpu.amp.autocast",
    }
)

# Decorators that only steer PyTorch's compilers and tracers (TorchScript, torch.compile, torch.fx): the
# function is the same without them.
COMPILE_ONLY_DECORATORS = frozenset(
    {
        "torch.jit.script",
        "torch.jit.script_if_tracing",
        "torch.jit.unused",
        "torch.jit.ignore",
        "torch.compiler.disable",
        "torch.fx.wrap",
    }
)

# Decorators that rename a deprecated argument (``@deprecate_kwarg("past_key_value", new_name=...)``): a new
# TF port has no old name to accept, and the wrapper's (*args, **kwargs) hides ``call``'s signature from
# Keras, which then cannot find the layer's first input.
DEPRECATION_DECORATORS = frozenset({"deprecate_kwarg"})

# Calls whose value is a constant once PyTorch's tracing/compiling machinery is gone.
CONSTANT_CALLS = {
    "torch.jit.is_tracing": "False",
    "torch.jit.is_scripting": "False",
    "torch.compiler.is_compiling": "False",
    "torch.is_autocast_enabled": "False",
}

# Parameters with no TF meaning: dropped wherever they are passed.
# numpy-style keyword spellings torch accepts for its own: ``x.sum(axis=1, keepdims=True)``
ARGUMENT_ALIASES = {"axis": "dim", "keepdims": "keepdim"}

IGNORED_PARAMS = frozenset(
    {"device", "layout", "pin_memory", "requires_grad", "memory_format", "non_blocking", "copy", "generator"}
)

# Spellings of the torch.nn.functional module (an ``import ... as`` alias is found per module).
FUNCTIONAL_MODULES = ("torch.nn.functional", "nn.functional", "F")

# Tensor methods and torch functions whose result is a boolean tensor (a mask for indexing).
BOOLEAN_OPS = frozenset(
    {"eq", "ne", "gt", "lt", "ge", "le", "logical_and", "logical_or", "logical_not", "isnan", "isinf", "bool"}
)
# Tensor methods whose result is a tensor: ``<call of one>[i]`` subscripts a tensor, whatever ``i`` is.
TENSOR_RESULT_METHODS = frozenset(
    {"t", "transpose", "permute", "view", "reshape", "contiguous", "float", "squeeze", "unsqueeze", "flatten"}
)
# Tensor methods that keep the value (and so a mask stays a mask).
VALUE_PRESERVING_METHODS = frozenset({"to", "detach", "contiguous", "clone"})

# torch promotes an integer tensor in arithmetic with a float; TF refuses. What the
# integer-promotion rule knows: annotations that mean an integer (or boolean) tensor, methods that
# keep an integer tensor integer (layout and sums), and calls whose result is a float tensor.
INTEGER_TENSOR_TYPES = frozenset({"BoolTensor", "LongTensor", "IntTensor", "ByteTensor"})
INTEGER_KEEPING_METHODS = frozenset(
    {
        *VALUE_PRESERVING_METHODS,
        *("reshape", "view", "repeat", "repeat_interleave", "unsqueeze", "squeeze", "expand", "flatten"),
        *("permute", "transpose", "sum", "prod"),
    }
)
# inputs TFPreTrainedModel.input_signature declares int32 whatever the PyTorch annotation says
INTEGER_INPUTS = frozenset(
    {"input_ids", "attention_mask", "token_type_ids", "decoder_input_ids", "decoder_attention_mask"}
)
# id inputs that index a tensor's rows by themselves (``cos[position_ids]``): always integer tensors
INTEGER_INDEX_INPUTS = frozenset({"input_ids", "token_type_ids", "decoder_input_ids", "position_ids"})
FLOAT_METHODS = frozenset({"float", "half", "double", "softmax", "log_softmax", "sigmoid", "tanh", "mean"})
FLOAT_FUNCTIONALS = frozenset({"l1_loss", "mse_loss", "softmax", "log_softmax", "sigmoid", "tanh", "normalize"})

# -- ops shared by torch.<op>(x, ...) and x.<op>(...) ------------------------------------------
_UNARY = {
    "abs": "tf.math.abs",
    "exp": "tf.math.exp",
    "log": "tf.math.log",
    "log1p": "tf.math.log1p",
    "expm1": "tf.math.expm1",
    "sqrt": "tf.math.sqrt",
    "rsqrt": "tf.math.rsqrt",
    "tanh": "tf.math.tanh",
    "sigmoid": "tf.math.sigmoid",
    "sin": "tf.math.sin",
    "cos": "tf.math.cos",
    "erf": "tf.math.erf",
    "neg": "tf.math.negative",
    "sign": "tf.math.sign",
    "floor": "tf.math.floor",
    "ceil": "tf.math.ceil",
    "round": "tf.math.round",
    "square": "tf.math.square",
    "reciprocal": "tf.math.reciprocal",
    "logical_not": "tf.math.logical_not",
    "isnan": "tf.math.is_nan",
    "isinf": "tf.math.is_inf",
}
_BINARY = {
    "pow": "tf.math.pow",
    "maximum": "tf.math.maximum",  # also torch.max(a, b) where b is built by one of TENSOR_CONSTRUCTORS
    "minimum": "tf.math.minimum",
    "eq": "tf.math.equal",
    "ne": "tf.math.not_equal",
    "gt": "tf.math.greater",
    "ge": "tf.math.greater_equal",
    "lt": "tf.math.less",
    "le": "tf.math.less_equal",
    "logical_and": "tf.math.logical_and",
    "logical_or": "tf.math.logical_or",
    "matmul": "tf.matmul",
    "bmm": "tf.matmul",
    "mul": "tf.math.multiply",
    "multiply": "tf.math.multiply",  # torch's numpy-style aliases
    "subtract": "tf.math.subtract",
    "true_divide": "tf.math.truediv",
}
_REDUCTIONS = {
    "sum": "tf.reduce_sum",
    "mean": "tf.reduce_mean",
    "prod": "tf.reduce_prod",
    "amax": "tf.reduce_max",
    "amin": "tf.reduce_min",
    "logsumexp": "tf.reduce_logsumexp",
}

TENSOR_OPS: dict[str, tuple] = {
    **{name: ("input", f"{tf}(input)") for name, tf in _UNARY.items()},
    **{name: ("input, other", f"{tf}(input, other)") for name, tf in _BINARY.items()},
    **{
        name: (
            "input, dim, keepdim, *, dtype",
            (("dtype",), f"{tf}(tf.cast(input, dtype), axis=dim, keepdims=keepdim)"),
            f"{tf}(input, axis=dim, keepdims=keepdim)",
        )
        for name, tf in _REDUCTIONS.items()
    },
    "all": ("input, dim, keepdim", "tf.reduce_all(tf.cast(input, tf.bool), axis=dim, keepdims=keepdim)"),
    "any": ("input, dim, keepdim", "tf.reduce_any(tf.cast(input, tf.bool), axis=dim, keepdims=keepdim)"),
    # torch var/std are unbiased (correction=1) by default; tf.math.reduce_variance is biased
    "var": (
        "input, dim, unbiased, keepdim, *, correction",
        "reduce_variance(input, axis=dim, keepdims=keepdim, unbiased=unbiased, correction=correction)",
    ),
    "std": (
        "input, dim, unbiased, keepdim, *, correction",
        "reduce_std(input, axis=dim, keepdims=keepdim, unbiased=unbiased, correction=correction)",
    ),
    "argmax": (
        "input, dim, keepdim",
        (("keepdim",), None),
        (("dim",), "tf.math.argmax(input, axis=dim)"),
        "tf.math.argmax(tf.reshape(input, [-1]))",
    ),
    "argmin": (
        "input, dim, keepdim",
        (("keepdim",), None),
        (("dim",), "tf.math.argmin(input, axis=dim)"),
        "tf.math.argmin(tf.reshape(input, [-1]))",
    ),
    "cumsum": (
        "input, dim, *, dtype",
        (("dtype",), "tf.math.cumsum(tf.cast(input, dtype), axis=dim)"),
        "tf.math.cumsum(input, axis=dim)",
    ),
    "cumprod": ("input, dim, *, dtype", "tf.math.cumprod(input, axis=dim)"),
    "softmax": (
        "input, dim, dtype",
        (("dtype",), "stable_softmax(tf.cast(input, dtype), axis=dim)"),
        "stable_softmax(input, axis=dim)",
    ),
    "log_softmax": (
        "input, dim, dtype",
        (("dtype",), "tf.nn.log_softmax(tf.cast(input, dtype), axis=dim)"),
        "tf.nn.log_softmax(input, axis=dim)",
    ),
    "clamp": (
        "input, min, max",
        (("min", "max"), "tf.clip_by_value(input, min, max)"),
        (("min",), "tf.math.maximum(input, min)"),
        (("max",), "tf.math.minimum(input, max)"),
    ),
    "clip": (
        "input, min, max",
        (("min", "max"), "tf.clip_by_value(input, min, max)"),
        (("min",), "tf.math.maximum(input, min)"),
        (("max",), "tf.math.minimum(input, max)"),
    ),
    # rounding_mode: "floor" or "trunc" division; without it a true division, as torch.div
    "div": (
        "input, other, *, rounding_mode",
        (("rounding_mode",), "divide_rounded(input, other, rounding_mode)"),
        "tf.math.divide(input, other)",
    ),
    # the remainder with the dividend's sign (C's fmod), not Python's
    "fmod": ("input, other", "tf.truncatemod(input, other)"),
    "clamp_min": ("input, min", "tf.math.maximum(input, min)"),
    "clamp_max": ("input, max", "tf.math.minimum(input, max)"),
    "reshape": ("input, *shape", "tf.reshape(input, shape)"),
    "permute": ("input, *dims", "tf.transpose(input, perm=dims)"),
    "unsqueeze": ("input, dim", "tf.expand_dims(input, axis=dim)"),
    # tf.squeeze fails where torch's squeeze(dim) of a dimension that is not 1 is a no-op
    "squeeze": ("input, dim", "tf.squeeze(input, axis=dim)"),
    "flatten": (
        "input, start_dim=0, end_dim=-1",
        (("start_dim",), "flatten_dims(input, start_dim=start_dim, end_dim=end_dim)"),
        (("end_dim",), "flatten_dims(input, start_dim=start_dim, end_dim=end_dim)"),
        "tf.reshape(input, [-1])",
    ),
    "flip": ("input, *dims", "tf.reverse(input, axis=dims)"),
    "roll": ("input, shifts, dims", "tf.roll(input, shift=shifts, axis=dims)"),
    "repeat_interleave": ("input, repeats, dim", "tf.repeat(input, repeats, axis=dim)"),
    "index_select": ("input, dim, index", "tf.gather(input, index, axis=dim)"),
    "gather": ("input, dim, index", "gather_along_axis(input, dim, index)"),
    "chunk": ("input, chunks, dim=0", "tf.split(input, chunks, axis=dim)"),
    "unbind": ("input, dim=0", "tf.unstack(input, axis=dim)"),
    "split": ("input, split_size_or_sections, dim=0", "split_by_size(input, split_size_or_sections, axis=dim)"),
    "tril": (
        "input, diagonal=0",
        (("diagonal",), "tril_with_diagonal(input, diagonal)"),
        "tf.linalg.band_part(input, -1, 0)",
    ),
    "triu": (
        "input, diagonal=0",
        (("diagonal",), "triu_with_diagonal(input, diagonal)"),
        "tf.linalg.band_part(input, 0, -1)",
    ),
    "masked_fill": ("input, mask, value", "masked_fill(input, mask, value)"),
    "unique_consecutive": ("input", "unique_consecutive(input)"),
    # tf.norm over a pair of axes is a matrix norm (ord=2: the spectral norm); torch's is the vector
    # norm of the entries over those axes
    "norm": ("input, p=2, dim, keepdim", "vector_norm(input, p, dim, keepdim)"),
    "numel": ("input", "tf.size(input)"),
    "t": ("input", "tf.transpose(input)"),
    "outer": ("input, vec2", "tf.tensordot(input, vec2, axes=0)"),
    # torch.max(x) reduces; torch.max(x, dim) and x.max(dim) return (values, indices)
    "max": ("input, dim, keepdim", (("dim",), "max_along_axis(input, dim, keepdims=keepdim)"), "tf.reduce_max(input)"),
    "min": ("input, dim, keepdim", (("dim",), "min_along_axis(input, dim, keepdims=keepdim)"), "tf.reduce_min(input)"),
}

# -- torch.<name>(...) only ----------------------------------------------------------------
FUNCTIONS: dict[str, tuple] = {
    "cat": ("tensors, dim=0", "tf.concat(tensors, axis=dim)"),
    "concat": ("tensors, dim=0", "tf.concat(tensors, axis=dim)"),
    "concatenate": ("tensors, dim=0", "tf.concat(tensors, axis=dim)"),
    "stack": ("tensors, dim=0", "tf.stack(tensors, axis=dim)"),
    "arange": (
        "start, end, step, *, dtype",
        (("dtype",), "tf.range(start, end, step, dtype=dtype)"),
        "arange_like_torch(start, end, step)",
    ),
    "zeros": ("*size, dtype", "tf.zeros(size, dtype=dtype)"),
    "ones": ("*size, dtype", "tf.ones(size, dtype=dtype)"),
    "empty": ("*size, dtype", "tf.zeros(size, dtype=dtype)"),
    # same distributions; random streams are per framework anyway
    "rand": ("*size, dtype", "tf.random.uniform(size, dtype=dtype)"),
    "randn": ("*size, dtype", "tf.random.normal(size, dtype=dtype)"),
    "full": (
        "size, fill_value, *, dtype",
        (("dtype",), "tf.fill(size, tf.cast(fill_value, dtype))"),
        "tf.fill(size, fill_value)",
    ),
    "zeros_like": ("input, *, dtype", "tf.zeros_like(input, dtype=dtype)"),
    "ones_like": ("input, *, dtype", "tf.ones_like(input, dtype=dtype)"),
    "empty_like": ("input, *, dtype", "tf.zeros_like(input, dtype=dtype)"),
    "full_like": (
        "input, fill_value, *, dtype",
        (("dtype",), "tf.fill(shape_list(input), tf.cast(fill_value, dtype))"),
        "tf.fill(shape_list(input), tf.cast(fill_value, input.dtype))",
    ),
    "tensor": ("data, *, dtype", (("dtype",), "tf.constant(data, dtype=dtype)"), "tensor_like_torch(data)"),
    # torch.as_tensor of a tensor with a dtype casts it (tf.convert_to_tensor would refuse)
    "as_tensor": ("data, dtype", (("dtype",), "tf.cast(data, dtype)"), "tensor_like_torch(data)"),
    "from_numpy": ("ndarray", "tf.convert_to_tensor(ndarray)"),
    "is_tensor": ("obj", "tf.is_tensor(obj)"),
    "is_floating_point": ("input", "input.dtype.is_floating"),
    "baddbmm": (
        "input, batch1, batch2, *, beta=1, alpha=1",
        "beta * input + alpha * tf.matmul(batch1, batch2)",
    ),
    # torch.where(condition) alone is nonzero(as_tuple=True): one index tensor per dimension
    "where": (
        "condition, input, other",
        (("input",), "tf.where(condition, input, other)"),
        "tuple(tf.unstack(tf.where(condition), axis=1))",
    ),
    "einsum": ("equation, *operands", "tf.einsum(equation, *operands)"),
    # torch gives the default float dtype even for int bounds; tf.linspace would keep the int dtype
    "linspace": (
        "start, end, steps, *, dtype",
        (("dtype",), "tf.linspace(tf.cast(start, dtype), tf.cast(end, dtype), steps)"),
        "tf.linspace(tf.cast(start, tf.float32), tf.cast(end, tf.float32), steps)",
    ),
    "sigmoid": ("input", "tf.math.sigmoid(input)"),
    "mm": ("input, mat2", "tf.matmul(input, mat2)"),
    "get_default_dtype": ("", "tf.float32"),
    # (values, indices) of the k largest along the last axis; another axis or the smallest: no helper
    "topk": (
        "input, k, dim=-1, largest=True, sorted=True",
        (("dim",), None),
        (("largest",), None),
        "tf.math.top_k(input, k=k, sorted=sorted)",
    ),
    "eye": ("n, m, *, dtype", (("dtype",), "tf.eye(n, m, dtype=dtype)"), "tf.eye(n, m)"),
    "cosine_similarity": ("x1, x2, dim=1, eps=1e-8", "cosine_similarity_like_torch(x1, x2, axis=dim, eps=eps)"),
}

# -- x.<name>(...) only ---------------------------------------------------------------------
METHODS: dict[str, tuple] = {
    "view": ("input, *shape", "tf.reshape(input, shape)"),
    "view_as": ("input, other", "tf.reshape(input, shape_list(other))"),
    "reshape_as": ("input, other", "tf.reshape(input, shape_list(other))"),
    "expand": ("input, *sizes", "expand_to(input, sizes)"),
    "expand_as": ("input, other", "tf.broadcast_to(input, shape_list(other))"),
    # torch adds leading axes when given more sizes than the tensor has dimensions; tf.tile refuses
    "repeat": ("input, *sizes", "tile_like_torch(input, sizes)"),
    "transpose": ("input, dim0, dim1", "swap_axes(input, dim0, dim1)"),
    "float": ("input", "tf.cast(input, tf.float32)"),
    "half": ("input", "tf.cast(input, tf.float16)"),
    "double": ("input", "tf.cast(input, tf.float64)"),
    "bfloat16": ("input", "tf.cast(input, tf.bfloat16)"),
    "long": ("input", "tf.cast(input, tf.int64)"),
    "int": ("input", "tf.cast(input, tf.int32)"),
    "bool": ("input", "tf.cast(input, tf.bool)"),
    "type_as": ("input, other", "tf.cast(input, other.dtype)"),
    "type": ("input, dtype", (("dtype",), "tf.cast(input, dtype)")),
    "dim": ("input", "len(shape_list(input))"),
    "ndimension": ("input", "len(shape_list(input))"),
    "nelement": ("input", "tf.size(input)"),
    "new_zeros": ("input, *size, dtype", "tf.zeros(size, dtype=input.dtype)"),
    "new_ones": ("input, *size, dtype", "tf.ones(size, dtype=input.dtype)"),
    "new_empty": ("input, *size, dtype", "tf.zeros(size, dtype=input.dtype)"),
    "new_full": ("input, size, fill_value, *, dtype", "tf.fill(size, tf.cast(fill_value, input.dtype))"),
    "new_tensor": ("input, data, *, dtype", "tf.cast(data, input.dtype)"),
    # a TF tensor is always laid out row-major: its strides follow from its shape
    "stride": ("input, dim", (("dim",), "strides_like_torch(input)[dim]"), "strides_like_torch(input)"),
    "as_strided": (
        "input, size, stride, storage_offset=0",
        "as_strided_like_torch(input, size, stride, storage_offset)",
    ),
    "nonzero": (
        "input, *, as_tuple=False",
        (("as_tuple",), "tuple(tf.unstack(tf.where(input), axis=1))"),
        "tf.where(input)",
    ),
    "where": ("input, condition, other", "tf.where(condition, input, tf.cast(other, input.dtype))"),
    "scatter": ("input, dim, index, src", "scatter_like_torch(input, dim, index, src)"),
    "scatter_reduce": (
        "input, dim, index, src, reduce, *, include_self=True",
        "scatter_reduce_like_torch(input, dim, index, src, reduce, include_self)",
    ),
    "item": ("input", "input.numpy().item()"),
    "tolist": ("input", "input.numpy().tolist()"),
}

# In-place methods with no out-of-place twin in the tables: ``x.fill_(v)`` -> ``x = <template>``.
INPLACE = {
    "fill_": ("input, value", "tf.fill(shape_list(input), tf.cast(value, input.dtype))"),
    "zero_": ("input", "tf.zeros_like(input)"),
    # each element 1 with probability p (a dropout mask drawn into an empty tensor)
    "bernoulli_": (
        "input, p=0.5, *, generator",
        (("generator",), None),
        "tf.cast(tf.random.uniform(shape_list(input)) < p, input.dtype)",
    ),
    # rows of source added at the indices of the first axis (repeated indices add up, as in torch)
    "index_add_": (
        "input, dim=0, index, source, *, alpha=1",
        (("dim",), None),
        (("alpha",), None),
        "tf.tensor_scatter_nd_add(input, tf.expand_dims(index, -1), tf.cast(source, input.dtype))",
    ),
}

# Method names that are also methods of Python builtins (str, list, tuple, dict, set) with a
# different meaning: converted only where the receiver is known to be a tensor (a parameter
# annotated as a tensor, a tensor op's result, or a call with a tensor-only keyword argument).
AMBIGUOUS_METHODS = frozenset({"split", "index", "count", "copy", "sort", "add", "sub"})
# Keyword arguments only torch tensor methods take: their presence settles an ambiguous receiver.
TENSOR_ONLY_KEYWORDS = frozenset({"dim", "keepdim", "dtype"})

# ``torch.nn.functional.<name>`` ------------------------------------------------------------
FUNCTIONAL: dict[str, tuple] = {
    "softmax": TENSOR_OPS["softmax"],
    "log_softmax": TENSOR_OPS["log_softmax"],
    "relu": ("input, inplace", "tf.nn.relu(input)"),
    "relu6": ("input, inplace", "tf.nn.relu6(input)"),
    "silu": ("input, inplace", "tf.nn.silu(input)"),
    "sigmoid": ("input", "tf.math.sigmoid(input)"),
    "logsigmoid": ("input", "tf.math.log_sigmoid(input)"),
    "tanh": ("input", "tf.math.tanh(input)"),
    "softplus": ("input, beta=1, threshold=20", (("beta",), None), "tf.math.softplus(input)"),
    "elu": ("input, alpha=1.0, inplace", (("alpha",), None), "tf.nn.elu(input)"),
    "leaky_relu": ("input, negative_slope=0.01, inplace", "tf.nn.leaky_relu(input, alpha=negative_slope)"),
    "gelu": (
        "input, *, approximate",
        (("approximate",), "tf.nn.gelu(input, approximate=approximate == 'tanh')"),  # folded for literals
        "tf.nn.gelu(input, approximate=False)",
    ),
    "dropout": (
        "input, p=0.5, training=True, inplace",
        "dropout_if_training(input, rate=p, training=training)",
    ),
    "linear": (
        "input, weight, bias",
        (("bias",), "tf.matmul(input, weight, transpose_b=True) + bias"),
        "tf.matmul(input, weight, transpose_b=True)",
    ),
    "embedding": ("input, weight", "tf.gather(weight, input)"),
    "one_hot": ("tensor, num_classes", "tf.one_hot(tensor, depth=num_classes, dtype=tf.int64)"),
    "pad": (
        "input, pad, mode='constant', value",
        (("mode",), None),
        "pad_like_torch(input, pad, value=value)",
    ),
    # torch divides by max(norm, eps); tf.math.l2_normalize by sqrt(max(norm**2, epsilon))
    "normalize": (
        "input, p=2, dim=1, eps=1e-12",
        (("p",), None),
        "tf.math.l2_normalize(input, axis=dim, epsilon=eps**2)",
    ),
    "glu": ("input, dim=-1", "gated_linear_unit(input, axis=dim)"),
    "unfold": (
        "input, kernel_size, dilation=1, padding=0, stride=1",
        "unfold_like_torch(input, kernel_size, dilation=dilation, padding=padding, stride=stride)",
    ),
    "cosine_similarity": FUNCTIONS["cosine_similarity"],
    "interpolate": (
        "input, size, scale_factor, mode='nearest', align_corners, recompute_scale_factor, antialias=False",
        (("antialias",), None),
        "interpolate_like_torch(input, size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners)",
    ),
    # class indices only (the loss mixins' form); per-class weights and smoothing have no helper
    "cross_entropy": (
        "input, target, weight, size_average, ignore_index=-100, reduce, reduction='mean', label_smoothing=0.0",
        (("weight",), None),
        (("size_average",), None),
        (("reduce",), None),
        (("label_smoothing",), None),
        "cross_entropy_loss(input, target, ignore_index=ignore_index, reduction=reduction)",
    ),
    "layer_norm": (
        "input, normalized_shape, weight, bias, eps=1e-05",
        "layer_norm(input, normalized_shape, weight=weight, bias=bias, eps=eps)",
    ),
    # elementwise losses; the deprecated size_average/reduce arguments are left with a TODO
    "l1_loss": (
        "input, target, size_average, reduce, reduction='mean'",
        (("size_average",), None),
        (("reduce",), None),
        "reduce_loss(tf.abs(input - target), reduction=reduction)",
    ),
    "mse_loss": (
        "input, target, size_average, reduce, reduction='mean'",
        (("size_average",), None),
        (("reduce",), None),
        "reduce_loss(tf.math.squared_difference(input, target), reduction=reduction)",
    ),
}

# bounds a whole float literal may be given for while the dtype is an integer one (torch casts them)
INTEGRAL_WITH_DTYPE = {"arange": ("start", "end", "step")}

# string arguments whose other values the helper cannot reproduce: op -> parameter -> values it can
STRING_ARGUMENTS = {"interpolate": {"mode": frozenset({"nearest", "bilinear", "linear"})}}

# -- helpers the generated module gets when a template names them ---------------------------
SUPPORT = {
    "adaptive_average_matrix": '''
def adaptive_average_matrix(length, size, dtype):
    """(size, length): row i averages bin i of PyTorch's adaptive average pooling of ``length`` values
    to ``size`` (from floor(i * length / size) to ceil((i + 1) * length / size)); None keeps the axis."""
    if size is None:
        return tf.eye(length, dtype=dtype)
    index = tf.range(size)
    start = index * length // size
    end = -(-(index + 1) * length // size)
    position = tf.range(length)[None, :]
    weights = tf.cast((position >= start[:, None]) & (position < end[:, None]), dtype)
    return weights / tf.reduce_sum(weights, axis=1, keepdims=True)
''',
    "gather_indices": '''
def gather_indices(params, *indices):
    """PyTorch's ``params[i0, i1, ...]`` with integer tensors (or ints) on the leading axes.

    The indices broadcast against each other and negative ones count from the end, as in PyTorch.
    """
    shape = shape_list(params)
    indices = [tf.cast(index, tf.int64) for index in indices]
    indices = [tf.where(index < 0, index + tf.cast(shape[axis], tf.int64), index) for axis, index in enumerate(indices)]
    zero = indices[0] * 0
    for index in indices[1:]:
        zero = zero + index * 0
    return tf.gather_nd(params, tf.stack([index + zero for index in indices], axis=-1))
''',
    "vector_norm": '''
def vector_norm(x, p=2, axis=None, keepdims=False):
    """PyTorch's ``torch.norm(x, p, dim)``: the p-norm of the entries over ``axis`` (all axes if None)."""
    if p == 2 or p == "fro":
        return tf.sqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=keepdims))
    if p == float("inf"):
        return tf.reduce_max(tf.abs(x), axis=axis, keepdims=keepdims)
    return tf.reduce_sum(tf.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
''',
    "swap_axes": '''
def swap_axes(x, axis_a, axis_b):
    """PyTorch's ``x.transpose(a, b)``: swap two axes, whatever the rank."""
    perm = list(range(x.shape.rank))
    perm[axis_a], perm[axis_b] = perm[axis_b], perm[axis_a]
    return tf.transpose(x, perm=perm)
''',
    "expand_to": '''
def expand_to(x, shape):
    """PyTorch's ``x.expand(*shape)``: broadcast, where -1 keeps the size of that dimension."""
    current = shape_list(x)
    offset = len(shape) - len(current)
    target = [current[i - offset] if isinstance(s, int) and s == -1 else s for i, s in enumerate(shape)]
    return tf.broadcast_to(x, target)
''',
    "cast_like_torch": '''
def cast_like_torch(x, other):
    """PyTorch's ``x.to(other)``: the dtype ``other`` is, or the dtype of the tensor ``other``."""
    if isinstance(other, tf.DType):
        return tf.cast(x, other)
    if hasattr(other, "dtype"):
        return tf.cast(x, other.dtype)
    return x
''',
    "tensor_like_torch": '''
def tensor_like_torch(data):
    """PyTorch's ``torch.tensor`` without a dtype: Python integers give int64 (``tf.constant`` gives int32)."""
    value = tf.convert_to_tensor(data)
    if value.dtype == tf.int32 and not tf.is_tensor(data):
        value = tf.cast(value, tf.int64)
    return value
''',
    "arange_like_torch": '''
def arange_like_torch(start, end=None, step=1):
    """PyTorch's ``torch.arange`` without a dtype: int64 for integer bounds (``tf.range`` gives int32), else float32."""

    def integral(bound):
        dtype = getattr(bound, "dtype", None)
        return isinstance(bound, int) or (dtype is not None and tf.as_dtype(dtype).is_integer)

    dtype = tf.int64 if all(integral(b) for b in (start, end, step) if b is not None) else tf.float32
    if end is None:
        start, end = 0, start
    return tf.range(tf.cast(start, dtype), tf.cast(end, dtype), tf.cast(step, dtype), dtype=dtype)
''',
    "split_by_size": '''
def split_by_size(x, split_size, axis=0):
    """PyTorch's ``x.split(split_size, dim)``: an int is the size of each piece, not their number."""
    if isinstance(split_size, (list, tuple)):
        return tf.split(x, split_size, axis=axis)
    length = shape_list(x)[axis]
    sizes = [split_size] * (length // split_size)
    if length % split_size:
        sizes.append(length % split_size)
    return tf.split(x, sizes, axis=axis)
''',
    "unique_consecutive": '''
def unique_consecutive(x):
    """PyTorch's ``torch.unique_consecutive(x)``: the flattened values, each run of equal ones once."""
    x = tf.reshape(x, [-1])
    keep = tf.concat([tf.ones([1], dtype=tf.bool), tf.not_equal(x[1:], x[:-1])], axis=0)
    return tf.boolean_mask(x, keep)
''',
    "masked_fill": '''
def masked_fill(x, mask, value):
    """PyTorch's ``x.masked_fill(mask, value)``: ``value`` where ``mask`` is true, ``x`` elsewhere."""
    return tf.where(tf.cast(mask, tf.bool), tf.cast(value, x.dtype), x)
''',
    "tril_with_diagonal": '''
def tril_with_diagonal(x, diagonal=0):
    """PyTorch's ``torch.tril(x, diagonal)``: keep elements on and below the given diagonal."""
    rows, cols = shape_list(x)[-2:]
    keep = tf.range(cols)[None, :] - tf.range(rows)[:, None] <= diagonal
    return tf.where(keep, x, tf.zeros_like(x))
''',
    "triu_with_diagonal": '''
def triu_with_diagonal(x, diagonal=0):
    """PyTorch's ``torch.triu(x, diagonal)``: keep elements on and above the given diagonal."""
    rows, cols = shape_list(x)[-2:]
    keep = tf.range(cols)[None, :] - tf.range(rows)[:, None] >= diagonal
    return tf.where(keep, x, tf.zeros_like(x))
''',
    "gather_along_axis": '''
def gather_along_axis(x, axis, index):
    """PyTorch's ``x.gather(axis, index)``: ``out[..i..] = x[..index[..i..]..]`` along ``axis``."""
    index = tf.convert_to_tensor(index)
    axis = axis % index.shape.rank
    grids = tf.meshgrid(*[tf.range(n, dtype=index.dtype) for n in shape_list(index)], indexing="ij")
    grids[axis] = index
    return tf.gather_nd(x, tf.stack(grids, axis=-1))
''',
    "flatten_dims": '''
def flatten_dims(x, start_dim=0, end_dim=-1):
    """PyTorch's ``x.flatten(start_dim, end_dim)``: merge the dimensions start_dim..end_dim."""
    shape = shape_list(x)
    start_dim, end_dim = start_dim % len(shape), end_dim % len(shape)
    return tf.reshape(x, shape[:start_dim] + [-1] + shape[end_dim + 1 :])
''',
    "reduce_variance": '''
def reduce_variance(x, axis=None, keepdims=False, unbiased=None, correction=None):
    """PyTorch's ``x.var(dim)``: unbiased (divides by n - 1) unless told otherwise."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    variance = tf.math.reduce_variance(x, axis=axis, keepdims=keepdims)
    n = tf.cast(tf.size(x) // tf.size(tf.math.reduce_sum(x, axis=axis)), variance.dtype)
    return variance * n / (n - correction)
''',
    "reduce_std": '''
def reduce_std(x, axis=None, keepdims=False, unbiased=None, correction=None):
    """PyTorch's ``x.std(dim)``: unbiased (divides by n - 1) unless told otherwise."""
    return tf.math.sqrt(reduce_variance(x, axis, keepdims, unbiased, correction))
''',
    "dropout_if_training": '''
def dropout_if_training(x, rate, training):
    """PyTorch's ``F.dropout(x, p, training)``: dropout in training only."""
    return tf.nn.dropout(x, rate=rate) if training and rate > 0 else x
''',
    "pad_like_torch": '''
def pad_like_torch(x, pad, value=None):
    """PyTorch's ``F.pad(x, pad)``: ``pad`` holds (before, after) pairs from the last axis backwards."""
    pairs = [[pad[i], pad[i + 1]] for i in range(0, len(pad), 2)][::-1]
    paddings = [[0, 0]] * (x.shape.rank - len(pairs)) + pairs
    return tf.pad(x, paddings, constant_values=0 if value is None else value)
''',
    "layer_norm": '''
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """PyTorch's ``F.layer_norm``: normalise over the last ``len(normalized_shape)`` axes."""
    axes = list(range(-len(normalized_shape), 0))
    mean, variance = tf.nn.moments(x, axes=axes, keepdims=True)
    x = (x - mean) * tf.math.rsqrt(variance + eps)
    if weight is not None:
        x = x * weight
    if bias is not None:
        x = x + bias
    return x
''',
    "reduce_loss": '''
def reduce_loss(loss, reduction="mean"):
    """PyTorch's ``reduction`` argument of its losses: "none", "sum" or "mean" of the elementwise loss."""
    if reduction == "none":
        return loss
    return tf.reduce_sum(loss) if reduction == "sum" else tf.reduce_mean(loss)
''',
    "divide_rounded": '''
def divide_rounded(x, y, rounding_mode=None):
    """PyTorch's ``torch.div(x, y, rounding_mode=...)``: "floor" rounds down, "trunc" towards zero.

    Integers stay integers when rounded; a true division of integers is float32, as in PyTorch.
    """
    x = tf.convert_to_tensor(x)
    y = tf.convert_to_tensor(y, dtype_hint=x.dtype)
    if x.dtype.is_integer and y.dtype.is_integer:
        if rounding_mode == "floor":
            return tf.math.floordiv(x, tf.cast(y, x.dtype))
        if rounding_mode == "trunc":
            return tf.truncatediv(x, tf.cast(y, x.dtype))
        return tf.cast(x, tf.float32) / tf.cast(y, tf.float32)
    dtype = x.dtype if x.dtype.is_floating else y.dtype
    quotient = tf.cast(x, dtype) / tf.cast(y, dtype)
    if rounding_mode == "floor":
        return tf.math.floor(quotient)
    if rounding_mode == "trunc":
        return tf.where(quotient < 0, tf.math.ceil(quotient), tf.math.floor(quotient))
    return quotient
''',
    "cosine_similarity_like_torch": '''
def cosine_similarity_like_torch(x1, x2, axis=1, eps=1e-8):
    """PyTorch's ``F.cosine_similarity``: the dot product over the norms, each norm at least ``eps``."""
    dot = tf.reduce_sum(x1 * x2, axis=axis)
    norm1 = tf.maximum(tf.norm(x1, axis=axis), eps)
    norm2 = tf.maximum(tf.norm(x2, axis=axis), eps)
    return dot / (norm1 * norm2)
''',
    "gated_linear_unit": '''
def gated_linear_unit(x, axis=-1):
    """PyTorch's ``F.glu``: the first half of ``axis`` gated by the sigmoid of the second."""
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.math.sigmoid(b)
''',
    "interpolate_like_torch": '''
def interpolate_like_torch(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """PyTorch's ``F.interpolate`` of channels-first maps (batch, channels, [height,] width).

    "nearest" picks ``floor(out_index * in_size / out_size)`` as PyTorch does (TF's own nearest
    resize uses pixel centres); "bilinear"/"linear" match with and without ``align_corners``.
    Other modes (bicubic: PyTorch's kernel differs from TF's) raise.
    """
    rank = x.shape.rank
    if rank == 3:  # (batch, channels, width): a map of height 1
        x = x[:, :, None, :]
    shape = shape_list(x)
    if size is None:
        factors = scale_factor if isinstance(scale_factor, (list, tuple)) else [scale_factor] * (rank - 2)
        size = [tf.cast(tf.math.floor(tf.cast(n, tf.float32) * f), tf.int32) for n, f in zip(shape[4 - (rank - 2) :], factors)]
    elif isinstance(size, int) or (not isinstance(size, (list, tuple)) and getattr(size, "shape", None) == ()):
        size = [size] * (rank - 2)
    size = list(size)
    if rank == 3:
        size = [1, *size]
    x = tf.transpose(x, [0, 2, 3, 1])
    if mode == "nearest":
        x = tf.compat.v1.image.resize_nearest_neighbor(x, size, align_corners=False, half_pixel_centers=False)
    elif mode in ("bilinear", "linear") and align_corners:
        x = tf.compat.v1.image.resize_bilinear(x, size, align_corners=True)
    elif mode in ("bilinear", "linear"):
        x = tf.image.resize(x, size, method="bilinear")
    else:
        raise NotImplementedError(f"interpolate: mode {mode!r} has no TF counterpart that matches PyTorch")
    x = tf.transpose(x, [0, 3, 1, 2])
    return x[:, :, 0, :] if rank == 3 else x
''',
    "unfold_like_torch": UNFOLD_SOURCE,
    "assign_slices_like_torch": '''
def assign_slices_like_torch(x, index, value):
    """PyTorch's ``x[index] = value`` with basic indices (slices, ints, ``...``): a new tensor.

    The selected box is a mask over ``x``; its coordinates in row-major order take ``value``
    broadcast to the box, as PyTorch broadcasts it.
    """
    x = tf.convert_to_tensor(x)
    shape = shape_list(x)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (len(shape) - len(index) + 1) + index[at + 1 :]
    index = index + (slice(None),) * (len(shape) - len(index))
    mask, box = tf.ones([], tf.bool), []
    for axis, (item, size) in enumerate(zip(index, shape)):
        positions = tf.range(size)
        if isinstance(item, slice):
            step = 1 if item.step is None else item.step
            start = 0 if item.start is None else item.start
            stop = size if item.stop is None else item.stop
            start = tf.clip_by_value(tf.where(start < 0, start + size, start), 0, size)
            stop = tf.clip_by_value(tf.where(stop < 0, stop + size, stop), 0, size)
            keep = (positions >= start) & (positions < stop) & ((positions - start) % step == 0)
            box.append(tf.reduce_sum(tf.cast(keep, tf.int32)))
        else:
            keep = tf.equal(positions, item % size)
        mask = mask & tf.reshape(keep, [-1 if a == axis else 1 for a in range(len(shape))])
    coordinates = tf.where(mask)
    values = tf.reshape(tf.broadcast_to(tf.cast(value, x.dtype), tf.stack(box)), [-1])
    return tf.tensor_scatter_nd_update(x, coordinates, values)
''',
    "index_put_like_torch": '''
def index_put_like_torch(x, indices, value):
    """PyTorch's ``x[indices] = value`` with a tuple of index tensors (one per leading axis): a new tensor."""
    coordinates = tf.stack(indices, axis=-1)
    shape = tf.concat([tf.shape(coordinates)[:-1], tf.shape(x)[len(indices) :]], axis=0)
    return tf.tensor_scatter_nd_update(x, coordinates, tf.broadcast_to(tf.cast(value, x.dtype), shape))
''',
    "scatter_like_torch": '''
def scatter_like_torch(x, axis, index, src):
    """PyTorch's ``x.scatter(axis, index, src)``: ``out[..index[..i..]..] = src[..i..]`` along ``axis``
    (``src`` a tensor at least as large as ``index``, or one value for every position)."""
    index = tf.convert_to_tensor(index)
    axis = axis % index.shape.rank
    sizes = shape_list(index)
    grids = tf.meshgrid(*[tf.range(n, dtype=index.dtype) for n in sizes], indexing="ij")
    grids[axis] = index
    if tf.is_tensor(src) and src.shape.rank:
        updates = src[tuple(slice(0, n) for n in sizes)]
    else:
        updates = tf.fill(sizes, tf.cast(src, x.dtype))
    return tf.tensor_scatter_nd_update(x, tf.stack(grids, axis=-1), tf.cast(updates, x.dtype))
''',
    "scatter_reduce_like_torch": '''
def scatter_reduce_like_torch(x, axis, index, src, reduce, include_self=True):
    """PyTorch's ``x.scatter_reduce(axis, index, src, reduce)``: ``src[..i..]`` reduced ("sum", "mean", "amax",
    "amin") into ``out[..index[..i..]..]`` along ``axis``, x's own value included unless ``include_self=False``."""
    index = tf.convert_to_tensor(index)
    axis = axis % index.shape.rank
    sizes = shape_list(index)
    grids = tf.meshgrid(*[tf.range(n, dtype=index.dtype) for n in sizes], indexing="ij")
    grids[axis] = index
    coordinates = tf.stack(grids, axis=-1)
    updates = tf.cast(src[tuple(slice(0, n) for n in sizes)], x.dtype)
    hit = tf.tensor_scatter_nd_add(tf.zeros_like(x), coordinates, tf.ones_like(updates)) > 0
    if reduce in ("sum", "mean"):
        base = x if include_self else tf.where(hit, tf.zeros_like(x), x)
        total = tf.tensor_scatter_nd_add(base, coordinates, updates)
        if reduce == "sum":
            return total
        count = tf.tensor_scatter_nd_add(tf.zeros_like(x), coordinates, tf.ones_like(updates))
        count += 1 if include_self else 0
        return tf.where(hit, total / tf.maximum(count, 1), x)
    if reduce in ("amax", "amin"):
        fill = x.dtype.min if reduce == "amax" else x.dtype.max
        base = x if include_self else tf.where(hit, tf.cast(fill, x.dtype), x)
        scatter = tf.tensor_scatter_nd_max if reduce == "amax" else tf.tensor_scatter_nd_min
        return scatter(base, coordinates, updates)
    raise NotImplementedError(f"scatter_reduce with reduce={reduce!r}: no TF form written")
''',
    "strides_like_torch": '''
def strides_like_torch(x):
    """PyTorch's ``x.stride()`` of a contiguous tensor: elements to step over per axis (row-major)."""
    shape = shape_list(x)
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    return strides
''',
    "as_strided_like_torch": '''
def as_strided_like_torch(x, size, stride, storage_offset=0):
    """PyTorch's ``x.as_strided(size, stride)`` over a contiguous tensor: a view read from its
    row-major elements (overlapping windows included), gathered here into a new tensor."""
    flat = tf.reshape(x, [-1])
    index = tf.cast(storage_offset, tf.int64)
    for axis, (n, step) in enumerate(zip(size, stride)):
        steps = tf.range(tf.cast(n, tf.int64), dtype=tf.int64) * tf.cast(step, tf.int64)
        index = tf.expand_dims(index, -1) + tf.reshape(steps, [1] * axis + [-1])
    return tf.gather(flat, index)
''',
    "take_like_torch": '''
def take_like_torch(x, index):
    """PyTorch's ``x[index]`` on a tensor: an integer tensor picks rows (``tf.gather``), a boolean one the
    elements it marks (``tf.boolean_mask``); an int or a slice as TF does."""
    if tf.is_tensor(index) and index.dtype.is_integer:
        return tf.gather(x, index)
    if tf.is_tensor(index) and index.dtype == tf.bool:
        return tf.boolean_mask(x, index)
    return x[index]
''',
    "tile_like_torch": '''
def tile_like_torch(x, sizes):
    """PyTorch's ``x.repeat(*sizes)``: more sizes than dimensions first add leading axes of size 1."""
    sizes = list(sizes)
    extra = len(sizes) - x.shape.rank
    if extra > 0:
        x = tf.reshape(x, [1] * extra + shape_list(x))
    return tf.tile(x, sizes)
''',
    "max_along_axis": '''
def max_along_axis(x, axis, keepdims=False):
    """PyTorch's ``x.max(dim)``: the pair (values, indices), both keeping the axis with ``keepdims``."""
    indices = tf.math.argmax(x, axis=axis)
    return tf.reduce_max(x, axis=axis, keepdims=keepdims), tf.expand_dims(indices, axis) if keepdims else indices
''',
    "min_along_axis": '''
def min_along_axis(x, axis, keepdims=False):
    """PyTorch's ``x.min(dim)``: the pair (values, indices), both keeping the axis with ``keepdims``."""
    indices = tf.math.argmin(x, axis=axis)
    return tf.reduce_min(x, axis=axis, keepdims=keepdims), tf.expand_dims(indices, axis) if keepdims else indices
''',
}

SUPPORT["cross_entropy_loss"] = CROSS_ENTROPY_SOURCE

# helpers that call other helpers
SUPPORT_NEEDS = {"reduce_std": ("reduce_variance",)}

# names a template may use and the import line each needs
IMPORTS = {
    "shape_list": "from ...tf_utils import shape_list",
    "stable_softmax": "from ...tf_utils import stable_softmax",
    "np": "import numpy as np",
}

# ``torch.max(x, <one of these>(...))`` compares two tensors elementwise (never a reduction over a dim)
TENSOR_CONSTRUCTORS = frozenset(
    {"torch.tensor", "torch.as_tensor", "torch.full", "torch.full_like", "torch.zeros_like"}
)
