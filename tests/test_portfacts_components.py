"""A class that cannot run from a config alone is left out of the classes a test file lists."""

from scaffold import portfacts

PORT = """
class TFToyPreTrainedModel(TFPreTrainedModel):
    pass


class TFToyStack(TFToyPreTrainedModel):
    def __init__(self, config, embed_tokens=None, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.embed_tokens = embed_tokens

    def call(self, input_ids=None, inputs_embeds=None):
        if inputs_embeds is None:
            if self.embed_tokens is None:
                raise ValueError("You have to initialize the model with valid token embeddings")
            inputs_embeds = self.embed_tokens(input_ids)
        return inputs_embeds


class TFToyModel(TFToyPreTrainedModel):
    def __init__(self, config, add_pooling_layer=None, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.pooler = add_pooling_layer

    def call(self, input_ids=None):
        if self.pooler is None:
            return input_ids
        return self.pooler(input_ids)
"""


def test_a_class_raising_while_its_init_object_is_none_is_not_listed():
    assert portfacts.testable_model_classes(PORT, ["TFToyStack", "TFToyModel"]) == ["TFToyModel"]


def test_without_the_raise_the_class_is_listed():
    port = PORT.replace('raise ValueError("You have to initialize the model with valid token embeddings")', "pass")
    assert portfacts.testable_model_classes(port, ["TFToyStack", "TFToyModel"]) == ["TFToyStack", "TFToyModel"]
