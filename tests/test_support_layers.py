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

    spec = next(s for s in LAYERS.values() if s.target == target)
    namespace = {"keras": keras, "tf": tf, "shape_list": shape_list}
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
