"""Names: the ``TF`` prefix on every class of the module, TF base classes, TF output classes."""

from __future__ import annotations

import re

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.rules.base import Example, Rule, dotted


class PrefixLocalClasses(Rule):
    """Every class the module defines gets ``TF`` in front, at its definition and every use."""

    name = "prefix-local-classes"
    summary = "BertSelfOutput -> TFBertSelfOutput, wherever the module names one of its classes."
    examples = (
        Example(
            before="""
class BertLayer(nn.Module):
    def __init__(self, config):
        self.attention = BertAttention(config)


def make(config) -> BertLayer:
    return BertLayer(config)
""",
            after="""
class TFBertLayer(nn.Module):
    def __init__(self, config):
        self.attention = TFBertAttention(config)


def make(config) -> TFBertLayer:
    return TFBertLayer(config)
""",
        ),
    )

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if updated.value in self.ctx.local_classes:
            return updated.with_changes(value=self.ctx.tf_name(updated.value))
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        # ``self.BertLayer`` is an attribute, not the class: undo the Name rewrite on ``attr``
        if original.attr.value in self.ctx.local_classes:
            return updated.with_changes(attr=original.attr)
        return updated


class TFBaseClasses(Rule):
    """``nn.Module`` becomes ``keras.layers.Layer``, ``PreTrainedModel`` ``TFPreTrainedModel``."""

    name = "tf-base-classes"
    summary = "Replace PyTorch base classes with their TF counterparts; drop GenerationMixin."
    examples = (
        Example(
            before="""
class BertPooler(nn.Module):
    pass


class BertPreTrainedModel(PreTrainedModel):
    pass


class BertLMHeadModel(BertPreTrainedModel, GenerationMixin):
    pass
""",
            after="""
class BertPooler(keras.layers.Layer):
    pass


class BertPreTrainedModel(TFPreTrainedModel):
    pass


class BertLMHeadModel(BertPreTrainedModel):
    pass
""",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        bases = []
        for arg in updated.bases:
            name = dotted(arg.value)
            if name in tables.BASE_CLASSES:
                replacement = tables.BASE_CLASSES[name]
                if replacement is None:
                    continue
                arg = arg.with_changes(value=cst.parse_expression(replacement.replace("keras", self.ctx.keras, 1)))
            bases.append(arg)
        if bases:
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(bases=bases)


class TFOutputClasses(Rule):
    """A ``modeling_outputs`` class becomes its ``modeling_tf_outputs`` twin where one exists.

    Some twins are older than their PyTorch classes (``TFSeq2SeqQuestionAnsweringModelOutput`` has
    no ``cross_attentions``): then the module defines its own class of the twin's name with every
    PyTorch field in PyTorch's order (a support block), so nothing the PyTorch model returns is
    lost and ``to_tuple()`` lines up with PyTorch's (the PT/TF equivalence tests compare them).
    """

    name = "tf-output-classes"
    summary = "BaseModelOutputWithPoolingAndCrossAttentions -> TFBaseModelOutputWithPoolingAndCrossAttentions."
    examples = (
        Example(
            before="""
from ...modeling_outputs import BaseModelOutputWithPooling, MoEModelOutput

out = BaseModelOutputWithPooling(last_hidden_state=x)
moe = MoEModelOutput(last_hidden_state=x)
""",
            after="""
from ...modeling_outputs import BaseModelOutputWithPooling, MoEModelOutput

out = TFBaseModelOutputWithPooling(last_hidden_state=x)
# TODO(tfscaffold): MoEModelOutput: modeling_tf_outputs has no TFMoEModelOutput
moe = MoEModelOutput(last_hidden_state=x)
""",
            context=(("tf_outputs", {"TFBaseModelOutputWithPooling"}),),
        ),
        Example(
            before="""
from ...modeling_outputs import Seq2SeqQuestionAnsweringModelOutput

out = Seq2SeqQuestionAnsweringModelOutput(start_logits=s, cross_attentions=c)
""",
            after="""
from ...modeling_outputs import Seq2SeqQuestionAnsweringModelOutput

out = TFSeq2SeqQuestionAnsweringModelOutput(start_logits=s, cross_attentions=c)
""",
            context=(
                ("tf_outputs", {"TFSeq2SeqQuestionAnsweringModelOutput"}),
                ("tf_output_fields", {"TFSeq2SeqQuestionAnsweringModelOutput": {"start_logits"}}),
                (
                    "pt_output_fields",
                    {
                        "Seq2SeqQuestionAnsweringModelOutput": [
                            ("start_logits", "torch.FloatTensor"),
                            ("cross_attentions", "Optional[Tuple[torch.FloatTensor, ...]]"),
                        ]
                    },
                ),
            ),
            note=(
                "the twin lacks cross_attentions: the module gets its own TFSeq2SeqQuestionAnsweringModelOutput"
                " (start_logits: tf.Tensor, cross_attentions: Optional[Tuple[tf.Tensor, ...]]), nothing imported"
            ),
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.outputs: set[str] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = node.module
        if module is not None and self.code(module) == "modeling_outputs" and len(node.relative) == 3:
            if isinstance(node.names, list | tuple):
                self.outputs.update(a.name.value for a in node.names if isinstance(a.name, cst.Name))
        return False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if updated.value not in self.outputs:
            return updated
        twin = f"TF{updated.value}"
        if twin in self.ctx.tf_outputs:
            pt_fields = self.ctx.pt_output_fields.get(updated.value, [])
            tf_fields = self.ctx.tf_output_fields.get(twin, set())
            if tf_fields and any(name not in tf_fields for name, _ in pt_fields):
                self._local_output(updated.value, twin, pt_fields, tf_fields)
            else:
                self.ctx.imports.add(f"from ...modeling_tf_outputs import {twin}")
            return updated.with_changes(value=twin)
        self.todo(updated.value, f"modeling_tf_outputs has no {twin}")
        return updated

    def _local_output(self, pt_name: str, twin: str, pt_fields: list[tuple[str, str]], tf_fields: set[str]) -> None:
        """The module's own ``twin``: every field of the PyTorch class, in its order, with TF tensor types."""
        missing = ", ".join(name for name, _ in pt_fields if name not in tf_fields)
        # the PyTorch docstring, with TF tensors: the docstring decorators read its Args section
        doc = re.sub(r"\btorch\.\w*Tensor", "tf.Tensor", self.ctx.pt_output_docs.get(pt_name, ""))
        lines = [
            f"# {pt_name} for TF, every field in PyTorch's order: the class of",
            f"# this name in modeling_tf_outputs has no {missing}",
            "@dataclass",
            f"class {twin}(ModelOutput):",
            '    """' + doc.replace("\\", "\\\\") + ('"""' if doc.endswith("\n") else '\n    """'),
            "",
        ]
        for name, annotation in pt_fields:
            lines.append(f"    {name}: {_tf_annotation(annotation)} = None")
        self.ctx.need_support(twin, "\n".join(lines) + "\n")
        self.ctx.imports.update(
            {
                "from dataclasses import dataclass",
                "from ...utils import ModelOutput",
                "from typing import Optional, Tuple",
            }
        )


_TF_ANNOTATION_NAMES = {"Optional", "Tuple", "List", "Union", "tf", "Tensor"}


def _tf_annotation(annotation: str) -> str:
    """A PyTorch field annotation with TF tensors (``Optional[Tuple[torch.FloatTensor, ...]]`` ->
    ``Optional[Tuple[tf.Tensor, ...]]``); ``Optional[tf.Tensor]`` when it names other types (``Cache``)."""
    converted = re.sub(r"\btorch\.\w+", "tf.Tensor", annotation)
    if set(re.findall(r"[A-Za-z_]\w*", converted)) - _TF_ANNOTATION_NAMES:
        return "Optional[tf.Tensor]"
    return converted


class TFOutputFields(Rule):
    """A keyword the ``modeling_tf_outputs`` twin has no field for is left out of the TF output.

    Some TF twins are older than their PyTorch classes (``TFSeq2SeqQuestionAnsweringModelOutput``
    has no ``cross_attentions``); passing the keyword would fail at run time. The value is still
    computed, only not returned: a TODO says so, since a caller may miss it.
    """

    name = "tf-output-fields"
    summary = "TFSeq2SeqQuestionAnsweringModelOutput(..., cross_attentions=x) -> the keyword left out, with a TODO."
    examples = (
        Example(
            before="""
out = TFSeq2SeqQuestionAnsweringModelOutput(
    start_logits=start_logits,
    cross_attentions=outputs.cross_attentions,
    encoder_last_hidden_state=outputs.encoder_last_hidden_state,
)
other = TFLocalOutput(cross_attentions=x)
""",
            after="""
# TODO(tfscaffold): TFSeq2SeqQuestionAnsweringModelOutput(cross_attentions=...): the TF output class has no such field: left out
out = TFSeq2SeqQuestionAnsweringModelOutput(
    start_logits=start_logits,
    encoder_last_hidden_state=outputs.encoder_last_hidden_state,
)
other = TFLocalOutput(cross_attentions=x)
""",
            context=(
                (
                    "tf_output_fields",
                    {"TFSeq2SeqQuestionAnsweringModelOutput": {"start_logits", "encoder_last_hidden_state"}},
                ),
            ),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        name = updated.func.value if isinstance(updated.func, cst.Name) else None
        fields = self.ctx.tf_output_fields.get(name or "")
        if not fields or name in self.ctx.support:  # the module defines its own class with every field
            return updated
        dropped = [a for a in updated.args if a.keyword is not None and a.keyword.value not in fields]
        if not dropped:
            return updated
        for arg in dropped:
            self.todo(f"{name}({arg.keyword.value}=...)", "the TF output class has no such field: left out")
        kept = [a for a in updated.args if a not in dropped]
        if kept and not any(a is updated.args[-1] for a in kept):
            kept[-1] = kept[-1].with_changes(comma=updated.args[-1].comma)
        return updated.with_changes(args=kept)


RULES = [PrefixLocalClasses, TFBaseClasses, TFOutputClasses, TFOutputFields]
