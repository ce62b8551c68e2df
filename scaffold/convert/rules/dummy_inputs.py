"""A multiple-choice head builds on inputs with a choices axis, whatever dummies its base class makes.

Keras builds a TF model by calling it on ``dummy_inputs``. ``TFPreTrainedModel`` makes them from
``input_signature``, which gives a class named ``...ForMultipleChoice`` inputs of rank 3
(batch, choices, length). A base class that writes its own ``dummy_inputs`` (language ids, a
fixed attention mask) makes rank-2 inputs; a multiple-choice head that inherits them reshapes
its logits by a choices count of 5 and fails while its weights load. The rule runs on the
finished module, where reused base classes are in place, and gives such a head the base class's
dummies with a choices axis.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule, dotted

_CHOICES_DUMMY_INPUTS = '''
@property
def dummy_inputs(self):
    """The base class's dummy inputs with a choices axis: this head reads (batch, choices, length)."""
    return {name: tf.stack([value, value], axis=1) for name, value in super().dummy_inputs.items()}
'''


def _methods(node: cst.ClassDef) -> set[str]:
    return {s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)}


class MultipleChoiceDummyInputs(Rule):
    """``TFXForMultipleChoice`` under a base class with its own ``dummy_inputs`` gets them with a choices axis."""

    name = "multiple-choice-dummy-inputs"
    summary = "a ForMultipleChoice head whose base class writes dummy_inputs -> the same dummies, stacked on axis 1."
    examples = (
        Example(
            before="""
class TFXLMPreTrainedModel(TFPreTrainedModel):
    @property
    def dummy_inputs(self):
        return {"input_ids": tf.constant([[7, 6, 0], [1, 2, 3]])}


class TFXLMForMultipleChoice(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids


class TFXLMForSequenceClassification(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
            after="""
class TFXLMPreTrainedModel(TFPreTrainedModel):
    @property
    def dummy_inputs(self):
        return {"input_ids": tf.constant([[7, 6, 0], [1, 2, 3]])}


class TFXLMForMultipleChoice(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids

    @property
    def dummy_inputs(self):
        \"\"\"The base class's dummy inputs with a choices axis: this head reads (batch, choices, length).\"\"\"
        return {name: tf.stack([value, value], axis=1) for name, value in super().dummy_inputs.items()}


class TFXLMForSequenceClassification(TFXLMPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
        ),
        Example(
            before="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    base_model_prefix = "bert"


class TFBertForMultipleChoice(TFBertPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
            after="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    base_model_prefix = "bert"


class TFBertForMultipleChoice(TFBertPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
            note="the default dummies come from input_signature, which already has the choices axis",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._bases: dict[str, list[str]] = {}
        self._with_dummies: set[str] = set()

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, cst.ClassDef):
                self._bases[stmt.name.value] = [dotted(b.value) or "" for b in stmt.bases]
                if "dummy_inputs" in _methods(stmt):
                    self._with_dummies.add(stmt.name.value)

    def _inherits_dummies(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        for base in self._bases.get(name, []):
            if base in seen:
                continue
            if base in self._with_dummies or self._inherits_dummies(base, seen | {name}):
                return True
        return False

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        name = updated.name.value
        if not name.endswith("ForMultipleChoice") or "dummy_inputs" in _methods(updated):
            return updated
        if not self._inherits_dummies(name):
            return updated
        prop = cst.parse_statement(_CHOICES_DUMMY_INPUTS.lstrip()).with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, prop]))


RULES: list[type[Rule]] = [MultipleChoiceDummyInputs]
