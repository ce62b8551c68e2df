"""When a TF twin of another port may stand in for a converted class: the interface its callers rely on.

Fixture classes written for these tests; the twins a real tree offers are measured by the port
benchmark (``bench/port_benchmark.py``).
"""

from __future__ import annotations

import textwrap

import pytest

from scaffold.convert.twin_fit import same_interface

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
    assert same_interface(textwrap.dedent(PT_LAYER), textwrap.dedent(tf_code)) is fits


def test_unknown_returns_do_not_block_a_twin() -> None:
    """Returns the check cannot classify (a call's value) say nothing either way."""
    pt = PT_LAYER.replace("return layer_output\n", "return self.post(layer_output)\n")
    assert same_interface(textwrap.dedent(pt), textwrap.dedent(TF_TUPLE_ALWAYS))


def test_pytorch_tuple_against_twin_bare_value() -> None:
    """The other way round: PyTorch always returns a tuple, the twin the bare tensor."""
    pt = PT_LAYER.replace("        return layer_output\n", "        return (layer_output,)\n")
    tf = TF_SAME_CONVENTION.replace(
        "            return (layer_output, att_matrix)\n", "            return layer_output\n"
    )
    assert not same_interface(textwrap.dedent(pt), textwrap.dedent(tf))


# -- arguments a twin passes by position: they must land where they did in the twin's own port ------------------

PT_BASE = """
class ToyPreTrainedModel(PreTrainedModel):
    config_class = ToyConfig
    base_model_prefix = "toy"


class ToyModel(ToyPreTrainedModel):
    def forward(self, input_ids, attention_mask=None, encoder_hidden_states=None, output_attentions=None):
        return self.encoder(input_ids, attention_mask, encoder_hidden_states, output_attentions)


class ToyForMultipleChoice(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.toy = ToyModel(config)

    def forward(self, input_ids, attention_mask=None, output_attentions=None):
        return self.toy(input_ids, attention_mask=attention_mask, output_attentions=output_attentions)
"""

OTHER_TF_PORT = """
class TFOtherMainLayer(keras.layers.Layer):
    def call(self, input_ids, attention_mask=None, {third}=None, training=False):
        return input_ids


class TFOtherForMultipleChoice(TFOtherPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.other = TFOtherMainLayer(config, name="other")

    def call(self, input_ids, attention_mask=None, output_attentions=None, training=False):
        return self.other(input_ids, attention_mask, output_attentions, training=training)
"""


@pytest.mark.parametrize(
    "third, kept",
    [
        pytest.param("output_attentions", False, id="third-argument-lands-elsewhere-here"),
        pytest.param("encoder_hidden_states", True, id="same-parameters-by-position"),
    ],
)
def test_twin_passing_arguments_by_position(tmp_path, third: str, kept: bool) -> None:
    """TFConvBertForMultipleChoice hands its main layer eight arguments by position; BERT's converted main layer
    mirrors BertModel, whose seventh parameter is ``encoder_hidden_states``: reused, it would take the flags there."""
    from scaffold.convert.copies import rename
    from scaffold.convert.pt_module import read_pt_module
    from scaffold.convert.reuse import SourceModule, Twin
    from scaffold.convert.twin_fit import keep_consistent_callers

    pt = read_pt_module(tmp_path / "modeling_toy.py", textwrap.dedent(PT_BASE))
    tf_path = tmp_path / "modeling_tf_other.py"
    tf_path.write_text(textwrap.dedent(OTHER_TF_PORT.format(third=third)))
    source = SourceModule(tf_path, tf_path.read_bytes())
    twin = Twin("other", source, "models.other.modeling_tf_other", "TFOtherForMultipleChoice", rename("Other", "Toy"))
    twins = {"ToyForMultipleChoice": twin}
    keep_consistent_callers(pt, twins)
    assert ("ToyForMultipleChoice" in twins) is kept


def test_keras_constructor_keywords_only_through_kwargs() -> None:
    """``**kwargs`` of a layer's constructor go to keras' Layer, which rejects ``use_mask_token``: a kept class
    whose constructor lacks a parameter the regenerated code passes does not fit."""
    from scaffold.convert.reuse import _mismatched_calls

    code = textwrap.dedent("""
        class TFToyMainLayer(keras.layers.Layer):
            def __init__(self, config, add_pooling_layer=True, **kwargs):
                super().__init__(**kwargs)


        class TFToyModel(TFToyPreTrainedModel):
            def __init__(self, config, *inputs, **kwargs):
                self.toy = TFToyMainLayer(config, add_pooling_layer=False, {extra}name="toy")
        """)
    assert _mismatched_calls(code.format(extra="")) == set()
    assert _mismatched_calls(code.format(extra="use_mask_token=True, ")) == {("TFToyModel", "TFToyMainLayer")}
