"""Output dataclasses a module defines itself (no ``modeling_tf_outputs`` twin)."""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule, dotted


class OutputFieldsDefaultNone(Rule):
    """Every field of a ``ModelOutput`` dataclass defaults to None, as in ``modeling_tf_outputs``.

    A PyTorch output may declare a field with no default (``last_hidden_state: torch.FloatTensor``);
    Keras rebuilds a TF output from the tensors it holds (saving a functional model), and a field
    with no default then makes the class refuse to be built without it.
    """

    name = "output-fields-default-none"
    phase = "model-inputs"
    summary = "last_hidden_state: tf.Tensor in a ModelOutput dataclass -> last_hidden_state: tf.Tensor = None."
    examples = (
        Example(
            before="""
@dataclass
class TFXLNetModelOutput(ModelOutput):
    last_hidden_state: tf.Tensor
    mems: Optional[List[tf.Tensor]] = None
""",
            after="""
@dataclass
class TFXLNetModelOutput(ModelOutput):
    last_hidden_state: tf.Tensor = None
    mems: Optional[List[tf.Tensor]] = None
""",
        ),
        Example(
            before="""
@dataclass
class TFXLNetConfigPart:
    size: int
""",
            after="""
@dataclass
class TFXLNetConfigPart:
    size: int
""",
            note="a dataclass that is no model output",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if not any((dotted(b.value) or "").endswith("ModelOutput") for b in updated.bases):
            return updated
        body = []
        for stmt in updated.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                stmt = stmt.with_changes(body=[_defaulted(s) for s in stmt.body])
            body.append(stmt)
        return updated.with_changes(body=updated.body.with_changes(body=body))


def _defaulted(small: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
    if isinstance(small, cst.AnnAssign) and small.value is None:
        return small.with_changes(value=cst.Name("None"), equal=cst.AssignEqual())
    return small
