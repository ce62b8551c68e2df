"""The dtype of token ids in the methods TF ``generate()`` calls with them.

PyTorch makes the tokens a head appends to the generated ids (a mask token, a dummy token) as
``torch.long``, the dtype of its ids; the ops rules turn that into ``tf.int64``. TF ``generate()``
feeds ``input_ids`` as int32 (the main layer casts what it is given to int64 itself), so a
``tf.concat`` of the two fails on the first step. In ``prepare_inputs_for_generation`` the long
dtype is the dtype of the ids it is given.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, Rule, dotted
from scaffold.cstwalk import walk

METHOD = "prepare_inputs_for_generation"


class _LongIsIdsDtype(HookTransformer):
    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if dotted(updated) == "tf.int64":
            return cst.parse_expression("input_ids.dtype")
        return updated


class GenerationIdsDtype(Rule):
    """``tf.int64`` in ``prepare_inputs_for_generation(self, input_ids, ...)`` -> ``input_ids.dtype``."""

    name = "generation-ids-dtype"
    phase = "generation"
    summary = "tf.int64 in prepare_inputs_for_generation -> input_ids.dtype (TF generate() feeds int32 ids)."
    examples = (
        Example(
            before="""
class TFXLMWithLMHeadModel(TFXLMPreTrainedModel):
    def prepare_inputs_for_generation(self, input_ids, **kwargs):
        mask_token = tf.fill((shape_list(input_ids)[0], 1), tf.cast(self.config.mask_token_id, tf.int64))
        return {"input_ids": tf.concat([input_ids, mask_token], axis=1)}
""",
            after="""
class TFXLMWithLMHeadModel(TFXLMPreTrainedModel):
    def prepare_inputs_for_generation(self, input_ids, **kwargs):
        mask_token = tf.fill((shape_list(input_ids)[0], 1), tf.cast(self.config.mask_token_id, input_ids.dtype))
        return {"input_ids": tf.concat([input_ids, mask_token], axis=1)}
""",
        ),
        Example(
            before="""
class TFXLMModel(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return tf.cast(input_ids, tf.int64)
""",
            after="""
class TFXLMModel(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return tf.cast(input_ids, tf.int64)
""",
            note="only the method generate() calls: the model's own int64 stays",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        params = [p.name.value for p in updated.params.params]
        if updated.name.value != METHOD or "input_ids" not in params:
            return updated
        return updated.with_changes(body=walk(updated.body, _LongIsIdsDtype()))


RULES: list[type[Rule]] = [GenerationIdsDtype]
