"""Integer inputs of the main layer as PyTorch has them: int64.

PyTorch's token ids and masks are int64, and the converted code mixes them with the int64
tensors it makes itself (``torch.ones(..., dtype=torch.long)``, ``torch.tensor(3)``). TF models
are handed int32: ``input_processing`` casts every int64 input down. Mixed int32/int64
arithmetic or concatenation, which PyTorch promotes, raises in TF; the main layer casts its
integer inputs back to int64 once, where PyTorch's base model receives them.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule
from scaffold.cstwalk import walk

HELPER = "int64_like_torch"

HELPER_SOURCE = f'''
def {HELPER}(*tensors):
    """PyTorch's integer inputs are int64; TF's input processing hands them over as int32."""
    out = []
    for tensor in tensors:
        if tensor is not None:
            tensor = tf.convert_to_tensor(tensor)
            if tensor.dtype.is_integer:
                tensor = tf.cast(tensor, tf.int64)
        out.append(tensor)
    return out
'''


def _computed_with(body: cst.BaseSuite, names: list[str]) -> list[str]:
    """The names the code uses otherwise than as an argument handed on to a call."""
    used: set[str] = set()

    class Visitor(HookVisitor):
        def visit_Arg(self, node: cst.Arg) -> bool:
            return not (isinstance(node.value, cst.Name) and node.value.value in names)

        def visit_Name(self, node: cst.Name) -> None:
            if node.value in names:
                used.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            walk(node.value, self)
            return False  # ``x.input_ids``: an attribute, not the input

        def visit_Param(self, node: cst.Param) -> bool:
            return False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
            return False  # assigning the name is not computing with it

        def visit_Comparison(self, node: cst.Comparison) -> bool:
            # ``input_ids is not None`` asks whether it was given, whatever its dtype
            return not all(
                isinstance(c.operator, cst.Is | cst.IsNot)
                and isinstance(c.comparator, cst.Name)
                and c.comparator.value == "None"
                for c in node.comparisons
            )

    walk(body, Visitor())
    return [n for n in names if n in used]


class IntegerInputsLikeTorch(Rule):
    """The main layer's ``call`` casts its integer inputs (token ids, masks, positions) to int64 first.

    Only inputs of the table ``INT64_INPUTS`` that the call takes are cast; everything downstream
    then sees PyTorch's dtypes. A head casts the ones it computes with itself (TAPAS' answer
    selection reads the token type ids); those it only hands on to the main layer stay as given.
    """

    name = "integer-inputs-like-torch"
    phase = "ops-methods"
    summary = "TFXMainLayer.call: input_ids, attention_mask, ... = int64_like_torch(...) (PyTorch's int64)."
    examples = (
        Example(
            before='''
class TFLayoutLMv3MainLayer(keras.layers.Layer):
    def call(self, input_ids=None, bbox=None, attention_mask=None, pixel_values=None, training=False):
        """Docstring."""
        visual_mask = tf.ones((batch_size, n), dtype=tf.int64)
        attention_mask = tf.concat([attention_mask, visual_mask], axis=1)


class TFLayoutLMv3Model(TFLayoutLMv3PreTrainedModel):
    def call(self, input_ids=None, training=False):
        return self.layoutlmv3(input_ids, training=training)


class TFLayoutLMv3ForQuestionAnswering(TFLayoutLMv3PreTrainedModel):
    def call(self, input_ids=None, token_type_ids=None, training=False):
        outputs = self.layoutlmv3(input_ids, token_type_ids=token_type_ids, training=training)
        return outputs[0] * tf.cast(token_type_ids == 1, tf.float32)
''',
            after='''
class TFLayoutLMv3MainLayer(keras.layers.Layer):
    def call(self, input_ids=None, bbox=None, attention_mask=None, pixel_values=None, training=False):
        """Docstring."""
        input_ids, bbox, attention_mask = int64_like_torch(input_ids, bbox, attention_mask)
        visual_mask = tf.ones((batch_size, n), dtype=tf.int64)
        attention_mask = tf.concat([attention_mask, visual_mask], axis=1)


class TFLayoutLMv3Model(TFLayoutLMv3PreTrainedModel):
    def call(self, input_ids=None, training=False):
        return self.layoutlmv3(input_ids, training=training)


class TFLayoutLMv3ForQuestionAnswering(TFLayoutLMv3PreTrainedModel):
    def call(self, input_ids=None, token_type_ids=None, training=False):
        (token_type_ids,) = int64_like_torch(token_type_ids)
        outputs = self.layoutlmv3(input_ids, token_type_ids=token_type_ids, training=training)
        return outputs[0] * tf.cast(token_type_ids == 1, tf.float32)
''',
            context=(
                ("prefix", "LayoutLMv3"),
                ("local_classes", {"LayoutLMv3Model", "LayoutLMv3ForQuestionAnswering"}),
                (
                    "class_bases",
                    {"LayoutLMv3Model": ["PreTrainedModel"], "LayoutLMv3ForQuestionAnswering": ["PreTrainedModel"]},
                ),
            ),
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.in_main_layer = False
        self.in_model = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.in_main_layer = node.name.value == self.ctx.main_layer
        self.in_model = any(self.ctx.derives_from(pt, "PreTrainedModel") for pt in self._pt_names(node.name.value))
        return self.in_main_layer or self.in_model

    def _pt_names(self, tf_name: str) -> list[str]:
        return [pt for pt in self.ctx.local_classes if self.ctx.tf_name(pt) == tf_name]

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != "call" or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        names = [p.name.value for p in updated.params.params if p.name.value in T.INT64_INPUTS]
        if not self.in_main_layer:
            names = _computed_with(updated.body, names) if self.in_model else []
        if not names:
            return updated
        self.ctx.need_support(HELPER, HELPER_SOURCE.strip() + "\n")
        targets = ", ".join(names) if len(names) > 1 else f"({names[0]},)"
        cast = cst.parse_statement(f"{targets} = {HELPER}({', '.join(names)})\n")
        body = list(updated.body.body)
        first = body[0] if body else None
        docstring = (
            isinstance(first, cst.SimpleStatementLine)
            and isinstance(first.body[0], cst.Expr)
            and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
        )
        at = 1 if docstring else 0
        body.insert(at, cast)
        return updated.with_changes(body=updated.body.with_changes(body=body))


RULES: list[type[Rule]] = [IntegerInputsLikeTorch]
