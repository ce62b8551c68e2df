"""Support layers the converter emits into ports, held against the PyTorch modules they replace."""

from __future__ import annotations

import numpy as np
import pytest

from scaffold.convert.tables_layers import LAYERS

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")


def _load(target: str) -> type:
    from transformers.modeling_tf_utils import keras
    from transformers.tf_utils import shape_list

    from scaffold.convert.tables_ops import SUPPORT

    spec = next(s for s in LAYERS.values() if s.target == target)
    namespace = {"keras": keras, "tf": tf, "shape_list": shape_list}
    for helper in spec.helpers:  # the support functions the layer calls, as the port receives them too
        exec(SUPPORT[helper], namespace)
    exec(spec.support, namespace)  # the exact source a port receives
    return namespace[target]


@pytest.mark.parametrize("factor, shape", [(2, (2, 12, 3, 5)), (3, (1, 18, 4, 4))])
def test_pixel_shuffle_matches_pytorch(factor, shape):
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    expected = torch.nn.PixelShuffle(factor)(torch.tensor(x)).numpy()
    got = _load("TFPixelShuffle")(factor)(tf.constant(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() == 0.0


def _helper(name: str):
    from transformers.tf_utils import shape_list

    from scaffold.convert.tables_ops import SUPPORT

    namespace = {"tf": tf, "shape_list": shape_list}
    exec(SUPPORT[name], namespace)
    return namespace[name]


@pytest.mark.parametrize("rows", [[3, -1, 0, 2], -1])
def test_gather_indices_is_pytorch_advanced_indexing(rows):
    x = np.random.default_rng(1).random((4, 5, 3), dtype=np.float32)
    expected = torch.tensor(x)[torch.arange(4), torch.tensor(rows) if isinstance(rows, list) else rows].numpy()
    got = _helper("gather_indices")(tf.constant(x), tf.range(4), tf.constant(rows) if isinstance(rows, list) else rows)
    assert np.array_equal(got.numpy(), expected)


def _mask_helper(name: str):
    from transformers.tf_utils import shape_list

    from scaffold.convert.rules.masks import MASK_FUNCTIONS

    namespace = {"tf": tf, "shape_list": shape_list}
    exec(MASK_FUNCTIONS[name], namespace)
    return namespace[name]


@pytest.mark.parametrize("tgt_len", [None, 3])
def test_prepare_4d_attention_mask_matches_pytorch(tgt_len):
    from transformers.modeling_attn_mask_utils import _prepare_4d_attention_mask

    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=np.int64)
    expected = _prepare_4d_attention_mask(torch.tensor(mask), torch.float32, tgt_len=tgt_len).numpy()
    got = _mask_helper("_prepare_4d_attention_mask")(tf.constant(mask), tf.float32, tgt_len=tgt_len).numpy()
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("with_mask, past, window", [(True, 0, None), (False, 0, None), (True, 2, None), (True, 0, 2)])
def test_prepare_4d_causal_attention_mask_matches_pytorch(with_mask, past, window):
    from transformers.modeling_attn_mask_utils import _prepare_4d_causal_attention_mask

    batch, length = 2, 4
    mask = np.ones((batch, length + past), dtype=np.int64)
    mask[0, -1] = 0
    embeds = np.zeros((batch, length, 3), dtype=np.float32)
    pt_mask = torch.tensor(mask) if with_mask else None
    expected = _prepare_4d_causal_attention_mask(pt_mask, (batch, length), torch.tensor(embeds), past, window).numpy()
    tf_mask = tf.constant(mask) if with_mask else None
    helper = _mask_helper("_prepare_4d_causal_attention_mask")
    got = helper(tf_mask, (batch, length), tf.constant(embeds), past, window).numpy()
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


@pytest.mark.parametrize(
    "rank, groups, padding, size, stride, dilation",
    [
        (2, 1, 1, 5, 1, 1),
        (2, 8, 3, 4, 1, 1),
        (2, 1, 0, 9, 2, 1),
        (2, 2, 2, 9, 1, 2),
        (1, 1, 1, 7, 1, 1),
        (1, 4, 2, 9, 2, 1),
    ],
)
def test_channels_first_conv_matches_pytorch(rank, groups, padding, size, stride, dilation):
    """``nn.Conv1d``/``nn.Conv2d`` as ports receive them: channels-first in and out, on any CPU (TF's own
    channels-first kernels need oneDNN), Keras' size check on the padded input (a depthwise 7x7 conv with
    padding 3 on a 4x4 map)."""
    x = np.random.default_rng(0).random((2, 8) + (size,) * rank, dtype=np.float32)
    kernel = 7 if groups == 8 else 3
    conv = _load(f"TFConv{rank}d")(
        8, kernel, strides=stride, dilation_rate=dilation, groups=groups, explicit_padding=padding
    )
    got = conv(tf.constant(x)).numpy()
    reference = getattr(torch.nn, f"Conv{rank}d")(
        8, 8, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    to_torch = (rank + 1, rank, *range(rank))  # Keras (spatial..., in, out) -> PyTorch (out, in, spatial...)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(conv.kernel.numpy().transpose(to_torch)))
        reference.bias.copy_(torch.tensor(conv.bias.numpy()))
        expected = reference(torch.tensor(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


def _decoder_namespace(source: str) -> dict:
    from transformers.tf_utils import shape_list

    namespace = {"tf": tf, "shape_list": shape_list}
    exec(source, namespace)  # the exact source a port receives
    return namespace


def _decoder_helper(source: str, name: str):
    return _decoder_namespace(source)[name]


@pytest.mark.parametrize("partial", [None, 0.5])
def test_default_rope_parameters_match_pytorch(partial):
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    from scaffold.convert.rules.decoder import ROPE_HELPER, ROPE_SOURCE

    config = LlamaConfig(hidden_size=64, num_attention_heads=4, rope_theta=500000.0)
    if partial is not None:
        config.partial_rotary_factor = partial
    expected, expected_factor = ROPE_INIT_FUNCTIONS["default"](config, None)
    table = _decoder_helper(ROPE_SOURCE, ROPE_HELPER)
    got, factor = table["default"](config, None)
    assert factor == expected_factor
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=0)
    with pytest.raises(NotImplementedError):
        table["yarn"](config, None)


def _qwen2_mask(batch: int, seq: int, past: int, window: int | None, padded: bool):
    """4.46's eager decoder mask (Qwen2, sliding window optional) for a 2D mask with left padding: the oracle."""
    from transformers.models.qwen2.modeling_qwen2 import Qwen2Config, Qwen2Model

    mask = np.ones((batch, past + seq), dtype=np.int64)
    if padded:
        mask[1, :2] = 0  # left padding
    cache_position = np.arange(past, past + seq)
    config = Qwen2Config(sliding_window=window, use_sliding_window=window is not None)
    expected = Qwen2Model._prepare_4d_causal_attention_mask_with_cache_position(
        torch.tensor(mask),
        sequence_length=seq,
        target_length=past + seq,
        dtype=torch.float32,
        device="cpu",
        cache_position=torch.tensor(cache_position),
        batch_size=batch,
        config=config,
        past_key_values=None,
    ).numpy()
    return mask, cache_position, config, expected


@pytest.mark.parametrize("past, window, padded", [(0, None, False), (0, None, True), (3, None, True), (2, 3, True)])
def test_causal_4d_mask_matches_pytorch(past, window, padded):
    from scaffold.convert.rules.decoder import MASK_HELPER, MASK_SOURCE

    batch, seq = 2, 5
    mask, cache_position, config, expected = _qwen2_mask(batch, seq, past, window, padded)
    embeds = tf.zeros((batch, seq, 4))
    got = _decoder_helper(MASK_SOURCE, MASK_HELPER)(
        tf.constant(mask), embeds, tf.constant(cache_position), None, config.sliding_window
    )
    assert config.sliding_window == window
    assert np.array_equal(got.numpy() < 0, expected < 0) and np.array_equal(got.numpy(), expected)


@pytest.mark.parametrize("past, window, padded", [(0, None, False), (0, None, True), (3, None, True), (2, 3, True)])
def test_masking_utils_masks_match_pytorch(past, window, padded):
    """The TF ``create_causal_mask`` / ``create_sliding_window_causal_mask`` (newer trees' masking_utils, eager
    path) against 4.46's mask for the same decoder inputs: causal from the cache position, padding, window."""
    from scaffold.convert.rules.decoder import CACHE_SOURCE
    from scaffold.convert.rules.masks import MASKING_UTILS

    batch, seq = 2, 5
    mask, cache_position, config, expected = _qwen2_mask(batch, seq, past, window, padded)
    cache = _decoder_helper(CACHE_SOURCE, "TFDynamicCache")(config=config)
    if past:
        cache.update(tf.zeros((batch, 2, past, 3)), tf.zeros((batch, 2, past, 3)), 0)
    namespace = _decoder_namespace(MASKING_UTILS)
    make = namespace["create_sliding_window_causal_mask" if window else "create_causal_mask"]
    got = make(
        config=config,
        input_embeds=tf.zeros((batch, seq, 4)),
        attention_mask=tf.constant(mask),
        cache_position=tf.constant(cache_position),
        past_key_values=cache if past else None,
        position_ids=tf.constant(cache_position[None, :]),
    )
    assert np.array_equal(got.numpy(), expected)


def test_masking_utils_mask_of_packed_sequences():
    """Position ids that restart with no mask and no cache: each packed sequence attends only to itself."""
    from scaffold.convert.rules.masks import MASKING_UTILS

    positions = np.array([[0, 1, 2, 0, 1], [0, 1, 2, 3, 4]])
    got = _decoder_namespace(MASKING_UTILS)["create_causal_mask"](
        config=None,
        input_embeds=tf.zeros((2, 5, 4)),
        attention_mask=None,
        cache_position=tf.range(5),
        past_key_values=None,
        position_ids=tf.constant(positions),
    ).numpy()
    sequence = np.cumsum(np.diff(positions, prepend=positions[:, :1] - 1, axis=-1) != 1, axis=-1)
    causal = np.tril(np.ones((5, 5), dtype=bool))
    allowed = causal[None] & (sequence[:, :, None] == sequence[:, None, :])
    assert np.array_equal(got[:, 0] == 0, allowed) and got.min() == np.finfo(np.float32).min


def test_dynamic_cache_matches_pytorch():
    from transformers.cache_utils import DynamicCache

    from scaffold.convert.rules.decoder import CACHE_SOURCE

    rng = np.random.default_rng(2)
    steps = [[rng.random((1, 2, n, 3), dtype=np.float32) for _ in range(4)] for n in (4, 1)]
    pt, tf_cache = DynamicCache(), _decoder_helper(CACHE_SOURCE, "TFDynamicCache")()
    for k0, v0, k1, v1 in steps:
        for layer, (k, v) in enumerate([(k0, v0), (k1, v1)]):
            pt.update(torch.tensor(k), torch.tensor(v), layer)
            tf_cache.update(tf.constant(k), tf.constant(v), layer)
        assert tf_cache.get_seq_length() == pt.get_seq_length()
    for (pk, pv), (tk, tv) in zip(pt.to_legacy_cache(), tf_cache.to_legacy_cache(), strict=True):
        assert np.array_equal(pk.numpy(), tk.numpy()) and np.array_equal(pv.numpy(), tv.numpy())
    again = type(tf_cache).from_legacy_cache(tf_cache.to_legacy_cache())
    assert again.get_seq_length() == tf_cache.get_seq_length()


@pytest.mark.parametrize("args", [(5,), (2, 9), (1, 10, 3), (0.0, 2.0, 0.5), (3, 7.5)])
def test_arange_like_torch_matches_pytorch(args):
    """torch.arange without a dtype: int64 for integer bounds, float32 otherwise (tf.range gives int32)."""
    expected = torch.arange(*args)
    got = _helper("arange_like_torch")(*args)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert np.array_equal(got.numpy(), expected.numpy())
    tensor_bound = _helper("arange_like_torch")(tf.constant(4))
    assert tensor_bound.dtype == tf.int64


@pytest.mark.parametrize("data", [3, -1e4, [[1, 2], [3, 4]], [0.5, 2], True, [[1, 999]]])
def test_tensor_like_torch_matches_pytorch(data):
    """torch.tensor without a dtype: int64 from Python integers, float32 from floats, bool from bools."""
    expected = torch.tensor(data)
    got = _helper("tensor_like_torch")(data)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert np.array_equal(got.numpy(), expected.numpy())
    assert _helper("tensor_like_torch")(tf.constant([1, 2])).dtype == tf.int32  # a tensor keeps its dtype


def test_as_strided_like_torch_matches_pytorch():
    """Overlapping chunks as Longformer makes them: x.as_strided(size, stride) with x.stride() halved."""
    x = np.arange(2 * 8 * 3, dtype=np.float32).reshape(2, 8, 3)
    pt = torch.tensor(x).view(2, 2, 4, 3)
    size, stride = list(pt.size()), list(pt.stride())
    size[1], stride[1] = size[1] * 2 - 1, stride[1] // 2
    expected = pt.as_strided(size=size, stride=stride)
    tx = tf.reshape(tf.constant(x), [2, 2, 4, 3])
    strides = _helper("strides_like_torch")(tx)
    assert strides == list(pt.stride())
    tf_stride = list(strides)
    tf_stride[1] = tf_stride[1] // 2
    got = _helper("as_strided_like_torch")(tx, size, tf_stride)
    assert np.array_equal(got.numpy(), expected.numpy())
    offset = pt.as_strided(size=(3, 2), stride=(2, 1), storage_offset=5)
    assert np.array_equal(_helper("as_strided_like_torch")(tx, (3, 2), (2, 1), 5).numpy(), offset.numpy())


def test_index_put_like_torch_matches_pytorch():
    """x[idx] = v with idx = mask.nonzero(as_tuple=True): rows of values, and one value everywhere."""
    rng = np.random.default_rng(5)
    x = rng.random((2, 4, 3), dtype=np.float32)
    mask = np.array([[True, False, True, False], [False, False, True, True]])
    rows = rng.random((4, 3), dtype=np.float32)
    pt_idx = torch.tensor(mask).nonzero(as_tuple=True)
    tf_idx = tuple(tf.unstack(tf.where(tf.constant(mask)), axis=1))
    for value, tf_value in ((torch.tensor(rows), tf.constant(rows)), (0, 0)):
        expected = torch.tensor(x).clone()
        expected[pt_idx] = value
        got = _helper("index_put_like_torch")(tf.constant(x), tf_idx, tf_value)
        assert np.array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("keepdim", [False, True])
def test_max_along_axis_matches_pytorch(keepdim):
    x = np.random.default_rng(4).random((3, 4, 5), dtype=np.float32)
    values, indices = torch.tensor(x).max(dim=1, keepdim=keepdim)
    got_values, got_indices = _helper("max_along_axis")(tf.constant(x), 1, keepdims=keepdim)
    assert np.array_equal(got_values.numpy(), values.numpy())
    assert np.array_equal(got_indices.numpy(), indices.numpy())


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scatter_like_torch_matches_pytorch(axis):
    """x.scatter(axis, index, src) with a value (GroupViT's hard softmax) and with a tensor src."""
    rng = np.random.default_rng(3)
    x = rng.random((3, 4), dtype=np.float32)
    index = np.argmax(x, axis=axis, keepdims=True)
    expected = torch.zeros(3, 4).scatter(axis, torch.tensor(index), 1.0)
    got = _helper("scatter_like_torch")(tf.zeros((3, 4)), axis, tf.constant(index), 1.0)
    assert np.array_equal(got.numpy(), expected.numpy())
    src = rng.random((3, 4), dtype=np.float32)
    expected = torch.zeros(3, 4).scatter(axis, torch.tensor(index), torch.tensor(src))
    got = _helper("scatter_like_torch")(tf.zeros((3, 4)), axis, tf.constant(index), tf.constant(src))
    assert np.allclose(got.numpy(), expected.numpy())


def test_cast_like_torch_matches_pytorch():
    """x.to(other): a dtype, another tensor's dtype, or a device (nothing to do)."""
    cast = _helper("cast_like_torch")
    x = np.array([[0.0, 1.5], [2.0, -1.0]], dtype=np.float32)
    for pt_other, tf_other in ((torch.int64, tf.int64), (torch.tensor([True]), tf.constant([True])), ("cpu", "cpu")):
        expected = torch.tensor(x).to(pt_other)
        got = cast(tf.constant(x), tf_other)
        assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
        assert np.array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["gelu_pytorch_tanh", "gelu_python", "silu"])
def test_activation_names_match_pytorch(name):
    from transformers.activations import ACT2FN
    from transformers.activations_tf import get_tf_activation

    from scaffold.convert.rules.activation_names import HELPER, SOURCE

    x = np.linspace(-6, 6, 101, dtype=np.float32)
    expected = ACT2FN[name](torch.tensor(x)).numpy()
    got = get_tf_activation(_decoder_helper(SOURCE, HELPER)(name))(tf.constant(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("past, window", [(0, None), (2, None), (0, 2), (3, 1)])
def test_create_4d_causal_attention_mask_matches_pytorch(past, window):
    from transformers.modeling_attn_mask_utils import _create_4d_causal_attention_mask

    expected = _create_4d_causal_attention_mask(
        (2, 5), torch.float32, torch.device("cpu"), past_key_values_length=past, sliding_window=window
    ).numpy()
    got = _mask_helper("_create_4d_causal_attention_mask")(
        (2, 5), tf.float32, past_key_values_length=past, sliding_window=window
    ).numpy()
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("values", [[3, 3, 1, 1, 1, 3, 2], [[1, 1], [1, 2]], [5]])
def test_unique_consecutive_matches_pytorch(values):
    expected = torch.unique_consecutive(torch.tensor(values)).numpy()
    got = _helper("unique_consecutive")(tf.constant(values)).numpy()
    assert np.array_equal(got, expected)


def test_boolean_mask_is_pytorch_mask_indexing():
    """What BooleanMaskIndexing emits: ``tf.boolean_mask(x, m)`` keeps the rows ``x[m, :]`` keeps."""
    rng = np.random.default_rng(2)
    x = rng.random((2, 5, 3), dtype=np.float32)
    ids = np.array([[1, 2, 3, 2, 0], [2, 2, 1, 0, 2]])
    expected = torch.tensor(x)[torch.tensor(ids).eq(2), :].numpy()
    got = tf.boolean_mask(tf.constant(x), tf.math.equal(tf.constant(ids), 2)).numpy()
    assert np.array_equal(got, expected)


def test_shared_embeddings_use_the_owners_table():
    """``share_embeddings(layer, owner)``: one table, made and named where the owner is built."""
    from transformers.modeling_tf_utils import keras

    from scaffold.convert.rules.tying import _SHARE_EMBEDDINGS_SOURCE

    namespace = {"tf": tf}
    exec(_SHARE_EMBEDDINGS_SOURCE, namespace)

    class Scaled(keras.layers.Embedding):
        def call(self, ids):
            return super().call(ids) * 2.0

    owner = keras.layers.Embedding(7, 3, name="shared")
    layer = Scaled(7, 3, name="embed_tokens")
    namespace["share_embeddings"](layer, owner)
    with tf.name_scope("model"):
        with tf.name_scope(owner.name):
            owner.build(None)
    ids = tf.constant([[1, 4, 6]])
    assert np.array_equal(layer(ids).numpy(), 2.0 * owner(ids).numpy())
    assert layer.embeddings is owner.embeddings
    assert [w.name for w in layer.weights] == ["model/shared/embeddings:0"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, ignore_index", [((6, 5), -100), ((2, 5, 3), -100), ((6, 5), 2)])
def test_cross_entropy_loss_matches_pytorch(shape, ignore_index, reduction):
    """``cross_entropy_loss``: PyTorch's CrossEntropyLoss (classes on axis 1, ignored labels left out)."""
    from transformers.modeling_tf_utils import keras

    from scaffold.convert.tables_model import CROSS_ENTROPY_FUNCTION, CROSS_ENTROPY_SOURCE

    namespace = {"tf": tf, "keras": keras}
    exec(CROSS_ENTROPY_SOURCE, namespace)
    rng = np.random.default_rng(2)
    logits = rng.standard_normal(shape).astype(np.float32)
    labels_shape = (shape[0], *shape[2:])
    labels = rng.integers(0, shape[1], labels_shape)
    labels.flat[0] = ignore_index if ignore_index >= 0 else -100
    loss = torch.nn.CrossEntropyLoss(ignore_index=ignore_index, reduction=reduction)
    expected = loss(torch.tensor(logits), torch.tensor(labels)).numpy()
    function = namespace[CROSS_ENTROPY_FUNCTION]
    got = function(tf.constant(logits), tf.constant(labels), ignore_index=ignore_index, reduction=reduction)
    assert got.shape == (labels_shape if reduction == "none" else (1,))
    np.testing.assert_allclose(got.numpy().reshape(expected.shape), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("module", ["BCEWithLogitsLoss", "MSELoss"])
def test_own_elementwise_losses_match_pytorch(module, reduction):
    """The OWN_LOSSES functions a head's own loss code calls, with each reduction, against PyTorch's modules."""
    from scaffold.convert.tables_model import OWN_LOSSES

    function, source, keywords = OWN_LOSSES[module]
    assert "reduction" in keywords
    namespace = {"tf": tf}
    exec(source, namespace)
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4, 2)).astype(np.float32)
    b = rng.random((3, 4, 2)).astype(np.float32)
    expected = getattr(torch.nn, module)(reduction=reduction)(torch.tensor(a), torch.tensor(b)).numpy()
    got = namespace[function](tf.constant(a), tf.constant(b), reduction=reduction)
    assert got.shape == (a.shape if reduction == "none" else (1,))
    np.testing.assert_allclose(got.numpy().reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)


def test_tied_dense_follows_the_resized_table():
    """``TFTiedDense`` as an LM head: its bias resizes with the vocabulary, its table is the embeddings'."""
    from transformers.modeling_tf_utils import keras

    from scaffold.convert.rules.tying import _TIED_DENSE_SOURCE

    namespace = {"tf": tf, "keras": keras}
    exec(_TIED_DENSE_SOURCE, namespace)
    dense = namespace["TFTiedDense"](7, name="decoder")
    dense.tied_to = keras.layers.Embedding(7, 3)
    dense.tied_to.build(None)
    dense.build([None, 3])
    assert set(dense.get_bias()) == {"bias"} and dense.weight is dense.tied_to.embeddings
    dense.tied_to = keras.layers.Embedding(9, 3)
    dense.tied_to.build(None)
    dense.set_bias({"bias": tf.pad(dense.get_bias()["bias"], [[0, 2]])})
    assert dense(tf.ones([2, 3])).shape == (2, 9) and dense.units == 9


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("loss", ["l1_loss", "mse_loss"])
def test_elementwise_losses_match_pytorch(loss, reduction):
    """The FUNCTIONAL table's template for ``F.l1_loss`` / ``F.mse_loss``, evaluated, against PyTorch."""
    from scaffold.convert.tables_ops import FUNCTIONAL

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 4, 4), dtype=np.float32)
    expected = getattr(torch.nn.functional, loss)(torch.tensor(a), torch.tensor(b), reduction=reduction).numpy()
    namespace = {"tf": tf, "reduce_loss": _helper("reduce_loss"), "input": a, "target": b, "reduction": reduction}
    got = eval(FUNCTIONAL[loss][-1], namespace).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "relu6", "silu", "sigmoid", "logsigmoid", "tanh"])
def test_elementwise_functionals_match_pytorch(name):
    """The FUNCTIONAL table's template for ``F.<name>(input)``, evaluated, against PyTorch (large inputs too)."""
    from scaffold.convert.tables_ops import FUNCTIONAL

    x = np.concatenate([np.random.default_rng(5).standard_normal(64), [-40.0, -8.0, 8.0, 40.0]]).astype(np.float32)
    expected = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    got = eval(FUNCTIONAL[name][-1], {"tf": tf, "input": tf.constant(x)}).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 8), (2, 3, 8), (2, 3, 5, 8)])
def test_layer_norm_last_axis_matches_pytorch_at_any_rank(shape):
    """Built before any call (at rank 2, as build() does), then called at the rank the model gives."""
    layer_class = _load("TFLayerNormLastAxis")
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    torch_norm = torch.nn.LayerNorm(8, eps=1e-6)
    with torch.no_grad():
        torch_norm.weight.uniform_(0.5, 1.5)
        torch_norm.bias.uniform_(-0.5, 0.5)
    expected = torch_norm(torch.tensor(x)).detach().numpy()
    layer = layer_class(epsilon=1e-6)
    layer.build([None, 8])
    layer.set_weights([torch_norm.weight.detach().numpy(), torch_norm.bias.detach().numpy()])
    np.testing.assert_allclose(layer(tf.constant(x)).numpy(), expected, atol=1e-5)


def test_untied_dense_is_a_linear_with_a_resizable_matrix():
    """Untied, ``TFTiedDense`` holds PyTorch's [out, in] matrix as a variable (resize_token_embeddings reads it)."""
    from transformers.modeling_tf_utils import keras

    from scaffold.convert.rules.tying import _TIED_DENSE_SOURCE

    namespace = {"tf": tf, "keras": keras}
    exec(_TIED_DENSE_SOURCE, namespace)
    linear = torch.nn.Linear(3, 7, bias=False)
    dense = namespace["TFTiedDense"](7, use_bias=False, name="lm_head")
    dense.build([None, None, 3])
    assert isinstance(dense.weight, tf.Variable) and [w.name for w in dense.weights] == ["weight:0"]
    dense.set_weights([linear.weight.detach().numpy()])  # PyTorch's layout, no transpose
    x = np.random.default_rng(5).standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(dense(x).numpy(), linear(torch.tensor(x)).detach().numpy(), atol=1e-6)
    dense.set_output_embeddings(tf.Variable(tf.zeros([9, 3])))
    assert dense(x).shape == (2, 4, 9) and isinstance(dense.weight, tf.Variable)


@pytest.mark.parametrize(
    "p, dim, keepdim", [(2, (1, 2), True), (2, None, False), (1, -1, False), ("fro", (0, 1), True)]
)
def test_vector_norm_matches_torch_norm(p, dim, keepdim):
    """tf.norm over two axes is a matrix norm; torch.norm is the entries' vector norm (ConvNeXt V2's GRN)."""
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32)
    expected = torch.norm(torch.tensor(x), p=p, dim=dim, keepdim=keepdim).numpy()
    got = _helper("vector_norm")(tf.constant(x), p, dim, keepdim).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


@pytest.mark.parametrize(
    "target, module, shape",
    [("TFGlobalAvgPool2d", "AdaptiveAvgPool2d", (2, 3, 5, 4)), ("TFGlobalAvgPool1d", "AdaptiveAvgPool1d", (2, 3, 7))],
)
def test_global_average_pooling_matches_pytorch(target, module, shape):
    x = np.random.default_rng(3).random(shape, dtype=np.float32)
    expected = getattr(torch.nn, module)(1)(torch.tensor(x)).numpy()
    got = _load(target)()(tf.constant(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6


@pytest.mark.parametrize(
    "target, module, shape, size",
    [
        ("TFAdaptiveAvgPool2d", "AdaptiveAvgPool2d", (2, 3, 8, 8), 2),
        ("TFAdaptiveAvgPool2d", "AdaptiveAvgPool2d", (2, 3, 8, 7), 3),  # overlapping bins
        ("TFAdaptiveAvgPool2d", "AdaptiveAvgPool2d", (1, 2, 5, 9), (6, 4)),  # more cells than rows
        ("TFAdaptiveAvgPool2d", "AdaptiveAvgPool2d", (1, 2, 5, 9), (None, 4)),
        ("TFAdaptiveAvgPool1d", "AdaptiveAvgPool1d", (2, 3, 10), 3),
    ],
)
def test_adaptive_average_pooling_matches_pytorch(target, module, shape, size):
    x = np.random.default_rng(4).random(shape, dtype=np.float32)
    expected = getattr(torch.nn, module)(size)(torch.tensor(x)).numpy()
    layer = _load(target)(size)
    got = layer(tf.constant(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6
    # unknown sizes trace (a serving signature's None height and width)
    traced = tf.function(layer, input_signature=[tf.TensorSpec([None, shape[1], *([None] * (len(shape) - 2))])])
    assert np.abs(traced(tf.constant(x)).numpy() - expected).max() < 1e-6


@pytest.mark.parametrize(
    "mode, module, kwargs",
    [
        ("max", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("max", "MaxPool2d", {"kernel_size": 2}),
        ("average", "AvgPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}),
        ("average", "AvgPool2d", {"kernel_size": (2, 3), "stride": (2, 1)}),
    ],
)
def test_pooling_layers_match_pytorch(mode, module, kwargs):
    """Channels-first pooling with PyTorch's padding rules (-inf for max, counted zeros for average)."""
    x = np.random.default_rng(5).standard_normal((2, 3, 7, 6)).astype(np.float32) - 2.0
    expected = getattr(torch.nn, module)(**kwargs)(torch.tensor(x)).numpy()
    got = _load("TFPool2d")(**kwargs, mode=mode)(tf.constant(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2), (1, 2)])
def test_transposed_convolution_matches_pytorch(kernel, stride):
    """The (in, out, kh, kw) PyTorch weight, loaded as TF's pt-to-tf loader does, gives PyTorch's output."""
    torch.manual_seed(0)
    conv = torch.nn.ConvTranspose2d(4, 3, kernel_size=kernel, stride=stride)
    x = np.random.default_rng(6).standard_normal((2, 4, 5, 6)).astype(np.float32)
    expected = conv(torch.tensor(x)).detach().numpy()
    layer = _load("TFConvTranspose2d")(3, kernel, strides=stride)
    layer.build([None, 4, None, None])
    layer.set_weights([np.transpose(conv.weight.detach().numpy(), (2, 3, 1, 0)), conv.bias.detach().numpy()])
    got = layer(tf.constant(x)).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((2, 3, 5, 7), {"size": (9, 4), "mode": "nearest"}),
        ((2, 3, 5, 7), {"scale_factor": 2, "mode": "nearest"}),
        ((2, 3, 5, 7), {"size": (8, 11), "mode": "bilinear", "align_corners": False}),
        ((2, 3, 5, 7), {"size": (3, 4), "mode": "bilinear", "align_corners": False}),
        ((2, 3, 5, 7), {"size": (8, 11), "mode": "bilinear", "align_corners": True}),
        ((2, 3, 7), {"size": 12, "mode": "linear", "align_corners": False}),
    ],
)
def test_interpolate_matches_pytorch(shape, kwargs):
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).numpy()
    got = _helper("interpolate_like_torch")(tf.constant(x), **kwargs).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


def test_small_functional_helpers_match_pytorch():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 8)).astype(np.float32)
    y = rng.standard_normal((3, 8)).astype(np.float32)
    glu = torch.nn.functional.glu(torch.tensor(x), dim=-1).numpy()
    assert np.abs(_helper("gated_linear_unit")(tf.constant(x), axis=-1).numpy() - glu).max() < 1e-6
    cosine = torch.nn.functional.cosine_similarity(torch.tensor(x), torch.tensor(y), dim=-1).numpy()
    assert (
        np.abs(_helper("cosine_similarity_like_torch")(tf.constant(x), tf.constant(y), axis=-1).numpy() - cosine).max()
        < 1e-6
    )
    a, b = np.array([7, -7, 9, -1]), np.array([2, 2, -4, 3])
    for mode in ("floor", "trunc", None):
        expected = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode).numpy()
        got = _helper("divide_rounded")(tf.constant(a), tf.constant(b), mode).numpy()
        assert np.array_equal(got, expected), mode
    floats = torch.div(torch.tensor(x), 0.3, rounding_mode="trunc").numpy()
    assert np.abs(_helper("divide_rounded")(tf.constant(x), 0.3, "trunc").numpy() - floats).max() < 1e-6


@pytest.mark.parametrize("shape, sizes", [((3,), (2, 1)), ((2, 3), (2, 2)), ((2, 3), (4, 1, 1))])
def test_tile_like_torch_is_pytorch_repeat(shape, sizes):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    expected = torch.tensor(x).repeat(*sizes).numpy()
    got = _helper("tile_like_torch")(tf.constant(x), sizes).numpy()
    assert np.array_equal(got, expected)


def test_encoder_decoder_cache_matches_pytorch():
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    from scaffold.convert.rules.decoder import CACHE_SOURCE

    rng = np.random.default_rng(3)
    legacy = [tuple(rng.random((1, 2, n, 3), dtype=np.float32) for n in (4, 4, 6, 6)) for _ in range(2)]
    pt = EncoderDecoderCache.from_legacy_cache(tuple(tuple(torch.tensor(x) for x in layer) for layer in legacy))
    tf_cache = _decoder_helper(CACHE_SOURCE, "TFEncoderDecoderCache").from_legacy_cache(
        tuple(tuple(tf.constant(x) for x in layer) for layer in legacy)
    )
    assert tf_cache.is_updated == pt.is_updated and len(tf_cache) == len(pt)
    assert tf_cache.get_seq_length() == pt.get_seq_length() == 4
    assert tf_cache.get_usable_length(1) == pt.self_attention_cache.get_usable_length(1)
    for pt_layer, tf_layer in zip(pt.to_legacy_cache(), tf_cache.to_legacy_cache(), strict=True):
        assert all(np.array_equal(p.numpy(), t.numpy()) for p, t in zip(pt_layer, tf_layer, strict=True))
    empty = _decoder_helper(CACHE_SOURCE, "TFEncoderDecoderCache")
    fresh = empty(_decoder_helper(CACHE_SOURCE, "TFDynamicCache")(), _decoder_helper(CACHE_SOURCE, "TFDynamicCache")())
    assert fresh.is_updated == EncoderDecoderCache(DynamicCache(), DynamicCache()).is_updated == {}


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": [3, 1], "padding": [1, 0]}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "dilation": 2}],
)
def test_unfold_matches_pytorch(kwargs):
    x = np.random.default_rng(9).standard_normal((2, 3, 7, 6)).astype(np.float32)
    expected = torch.nn.functional.unfold(torch.tensor(x), **kwargs).numpy()
    got = _helper("unfold_like_torch")(tf.constant(x), **kwargs).numpy()
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6


@pytest.mark.parametrize(
    "index, value",
    [
        ((slice(None), slice(1, 3)), 7.0),
        ((slice(None), -1, Ellipsis), np.arange(4, dtype=np.float32)),
        ((1, slice(None, None, 2)), np.ones((3, 4), np.float32)),
        ((slice(-2, None), slice(None), slice(1, -1)), 0.0),
    ],
)
def test_assign_slices_like_torch_is_pytorch_item_assignment(index, value):
    x = np.random.default_rng(10).standard_normal((3, 5, 4)).astype(np.float32)
    expected = torch.tensor(x)
    expected[index] = torch.tensor(value) if isinstance(value, np.ndarray) else value
    got = _helper("assign_slices_like_torch")(tf.constant(x), index, value).numpy()
    assert np.array_equal(got, expected.numpy())
