"""A code-sample docstring decorator TF has no sample for is dropped, not left to fail the import.

``add_code_sample_docstrings`` picks a sample by the class's name and ``modality``
(``tables_model.SAMPLE_DOCSTRING_KINDS``) from ``TF_SAMPLE_DOCSTRINGS`` for a TF class. That
table lacks some PyTorch kinds (audio classification, frame classification, x-vectors in 4.46),
and the decorator then raises ``KeyError`` while the module is imported. The rule reads which
kinds the tree's ``utils/doc.py`` has (``ConvertContext.tf_sample_docstrings``) and drops a
decorator whose kind is missing, with a TODO: the method keeps its docstring, only the sample
is gone.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_model as TM
from scaffold.convert.rules.base import ClassStack, Example, Rule, dotted

DECORATOR = "add_code_sample_docstrings"


def sample_kind(class_name: str, modality: str | None) -> str | None:
    """The sample key ``add_code_sample_docstrings`` looks up for a class, None when it raises."""
    for names, needs, key in TM.SAMPLE_DOCSTRING_KINDS:
        if any(n in class_name for n in names) and (needs is None or needs == modality):
            return key
    return None


class SampleDocstringKinds(ClassStack, Rule):
    """``@add_code_sample_docstrings`` whose sample TF lacks is dropped, with a TODO (see the module doc)."""

    name = "sample-docstring-kinds"
    summary = "@add_code_sample_docstrings(modality='audio') on TFXForSequenceClassification: no TF sample, dropped."
    examples = (
        Example(
            before="""
class TFWav2Vec2ForSequenceClassification(TFWav2Vec2PreTrainedModel):
    @add_code_sample_docstrings(checkpoint=_CHECKPOINT, modality="audio")
    def call(self, input_values):
        return input_values


class TFWav2Vec2ForCTC(TFWav2Vec2PreTrainedModel):
    @add_code_sample_docstrings(checkpoint=_CHECKPOINT)
    def call(self, input_values):
        return input_values
""",
            after="""
class TFWav2Vec2ForSequenceClassification(TFWav2Vec2PreTrainedModel):
    # TODO(tfscaffold): @add_code_sample_docstrings: TF_SAMPLE_DOCSTRINGS has no 'AudioClassification' sample; decorator dropped
    def call(self, input_values):
        return input_values


class TFWav2Vec2ForCTC(TFWav2Vec2PreTrainedModel):
    @add_code_sample_docstrings(checkpoint=_CHECKPOINT)
    def call(self, input_values):
        return input_values
""",
            context=(("tf_sample_docstrings", frozenset({"SequenceClassification", "CTC", "SpeechBaseModel"})),),
        ),
    )

    name_gated = frozenset({"FunctionDef"})  # a method the decorator decorates

    def names_reacted_to(self) -> Iterable[str]:
        return (DECORATOR.rpartition(".")[2],)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if self.current_class is None or not self.ctx.tf_sample_docstrings:
            return updated
        kept = []
        for decorator in updated.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and dotted(call.func) == DECORATOR:
                modality = next(
                    (
                        a.value.evaluated_value
                        for a in call.args
                        if a.keyword is not None
                        and a.keyword.value == "modality"
                        and isinstance(a.value, cst.SimpleString)
                    ),
                    None,
                )
                kind = sample_kind(self.current_class, modality)
                if kind not in self.ctx.tf_sample_docstrings:
                    missing = f"no {kind!r} sample" if kind else f"no sample for a class named {self.current_class}"
                    self.todo(f"@{DECORATOR}", f"TF_SAMPLE_DOCSTRINGS has {missing}; decorator dropped")
                    continue
            kept.append(decorator)
        return updated if len(kept) == len(updated.decorators) else updated.with_changes(decorators=kept)


RULES: list[type[Rule]] = [SampleDocstringKinds]
