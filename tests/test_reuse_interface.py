"""When a TF twin of another port may stand in for a converted class: the interface its callers rely on.

Fixture classes written for these tests; the twins a real tree offers are measured by the port
benchmark (``bench/port_benchmark.py``).
"""

from __future__ import annotations

import textwrap

import pytest

from scaffold.convert.assemble import _same_interface

PT_LAYER = """
class DebertaLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = DebertaAttention(config)

    def forward(self, hidden_states, attention_mask, output_attentions=False):
        layer_output = self.attention(hidden_states, attention_mask, output_attentions)
        if output_attentions:
            layer_output, att_matrix = layer_output
            return (layer_output, att_matrix)
        return layer_output
"""

TF_TUPLE_ALWAYS = """
class TFDebertaLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.attention = TFDebertaAttention(config, name="attention")

    def call(self, hidden_states, attention_mask, output_attentions=False, training=False):
        attention_outputs = self.attention(hidden_states, attention_mask, output_attentions, training=training)
        layer_output = attention_outputs[0]
        outputs = (layer_output,) + attention_outputs[1:]
        return outputs
"""

TF_SAME_CONVENTION = """
class TFDebertaLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.attention = TFDebertaAttention(config, name="attention")

    def call(self, hidden_states, attention_mask, output_attentions=False, training=False):
        layer_output = self.attention(hidden_states, attention_mask, output_attentions, training=training)
        if output_attentions:
            layer_output, att_matrix = layer_output
            return (layer_output, att_matrix)
        return layer_output
"""

TF_OTHER_PARAMETERS = TF_SAME_CONVENTION.replace(
    "hidden_states, attention_mask, output", "hidden_states, mask, output"
)


@pytest.mark.parametrize(
    "tf_code, fits",
    [
        pytest.param(TF_SAME_CONVENTION, True, id="same-parameters-same-returns"),
        pytest.param(TF_TUPLE_ALWAYS, False, id="twin-always-returns-a-tuple"),
        pytest.param(TF_OTHER_PARAMETERS, False, id="other-parameter-names"),
    ],
)
def test_twin_fits_callers_of_the_pytorch_class(tf_code: str, fits: bool) -> None:
    assert _same_interface(textwrap.dedent(PT_LAYER), textwrap.dedent(tf_code)) is fits


def test_unknown_returns_do_not_block_a_twin() -> None:
    """Returns the check cannot classify (a call's value) say nothing either way."""
    pt = PT_LAYER.replace("return layer_output\n", "return self.post(layer_output)\n")
    assert _same_interface(textwrap.dedent(pt), textwrap.dedent(TF_TUPLE_ALWAYS))


def test_pytorch_tuple_against_twin_bare_value() -> None:
    """The other way round: PyTorch always returns a tuple, the twin the bare tensor."""
    pt = PT_LAYER.replace("        return layer_output\n", "        return (layer_output,)\n")
    tf = TF_SAME_CONVENTION.replace(
        "            return (layer_output, att_matrix)\n", "            return layer_output\n"
    )
    assert not _same_interface(textwrap.dedent(pt), textwrap.dedent(tf))
