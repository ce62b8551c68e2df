"""Names: the ``TF`` prefix on every class of the module, TF base classes, TF output classes, TF docstrings."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.rules.base import Example, Rule, changed, dotted, find_all


class PrefixLocalClasses(Rule):
    """Every class the module defines gets ``TF`` in front, at its definition and every use."""

    name = "prefix-local-classes"
    phase = "naming"
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

    name_gated = frozenset({"Name", "Attribute"})  # the module's class names, where they are spelled

    def names_reacted_to(self) -> Iterable[str]:
        return self.ctx.local_classes

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
    phase = "naming"
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
        if bases and bases[-1].comma is not cst.MaybeSentinel.DEFAULT:
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return changed(updated, bases=bases)


class TFOutputClasses(Rule):
    """A ``modeling_outputs`` class becomes its ``modeling_tf_outputs`` twin where one exists.

    Some twins are older than their PyTorch classes (``TFSeq2SeqQuestionAnsweringModelOutput`` has
    no ``cross_attentions``): then the module defines its own class of the twin's name with every
    PyTorch field in PyTorch's order (a support block), so nothing the PyTorch model returns is
    lost and ``to_tuple()`` lines up with PyTorch's (the PT/TF equivalence tests compare them).
    """

    name = "tf-output-classes"
    phase = "naming"
    summary = "BaseModelOutputWithPoolingAndCrossAttentions -> TFBaseModelOutputWithPoolingAndCrossAttentions."
    examples = (
        Example(
            before="""
from ...modeling_outputs import BaseModelOutputWithPooling, ModelOutput, MoEModelOutput

out = BaseModelOutputWithPooling(last_hidden_state=x)
moe = MoEModelOutput(last_hidden_state=x)


class CvtOutput(ModelOutput):
    pass
""",
            after="""
from ...modeling_outputs import BaseModelOutputWithPooling, ModelOutput, MoEModelOutput

out = TFBaseModelOutputWithPooling(last_hidden_state=x)
# TODO(tfscaffold): MoEModelOutput: modeling_tf_outputs has no TFMoEModelOutput
moe = MoEModelOutput(last_hidden_state=x)


class CvtOutput(ModelOutput):
    pass
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
        Example(
            before="""
from ...modeling_outputs import MoeModelOutputWithPast

out = MoeModelOutputWithPast(last_hidden_state=x, router_logits=r)
""",
            after="""
from ...modeling_outputs import MoeModelOutputWithPast

out = TFMoeModelOutputWithPast(last_hidden_state=x, router_logits=r)
""",
            note="no twin at all: the module defines TFMoeModelOutputWithPast with the PyTorch fields (a support class)",
            context=(
                ("tf_outputs", set()),
                (
                    "pt_output_fields",
                    {
                        "MoeModelOutputWithPast": [
                            ("last_hidden_state", "torch.FloatTensor"),
                            ("router_logits", "torch.FloatTensor"),
                        ]
                    },
                ),
            ),
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.outputs: set[str] = set()

    name_gated = frozenset({"Name"})  # the output classes imported from modeling_outputs

    def names_reacted_to(self) -> Iterable[str]:
        return self.outputs

    def visit_Module(self, node: cst.Module) -> None:
        for found in find_all(node, cst.ImportFrom):
            module = found.module
            if module is not None and self.code(module) == "modeling_outputs" and len(found.relative) == 3:
                if isinstance(found.names, list | tuple):
                    names = {a.name.value for a in found.names if isinstance(a.name, cst.Name)}
                    if "ModelOutput" in names:
                        # the base class re-exported there is framework-neutral: TF ports import it from utils
                        self.ctx.imports.add("from ...utils import ModelOutput")
                    self.outputs.update(names - {"ModelOutput"})

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
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
        pt_fields = self.ctx.pt_output_fields.get(updated.value, [])
        if pt_fields:
            # no twin at all: the module defines it, every field of the PyTorch class (MoE outputs)
            self._local_output(updated.value, twin, pt_fields, set())
            return updated.with_changes(value=twin)
        self.todo(updated.value, f"modeling_tf_outputs has no {twin}")
        return updated

    def _local_output(self, pt_name: str, twin: str, pt_fields: list[tuple[str, str]], tf_fields: set[str]) -> None:
        """The module's own ``twin``: every field of the PyTorch class, in its order, with TF tensor types."""
        missing = ", ".join(name for name, _ in pt_fields if name not in tf_fields)
        # the PyTorch docstring, with TF tensors: the docstring decorators read its Args section
        doc = re.sub(r"\btorch\.\w*Tensor", "tf.Tensor", self.ctx.pt_output_docs.get(pt_name, ""))
        why = (
            [
                f"# {pt_name} for TF, every field in PyTorch's order: the class of",
                f"# this name in modeling_tf_outputs has no {missing}",
            ]
            if tf_fields
            else [f"# {pt_name} for TF, every field in PyTorch's order: modeling_tf_outputs has no {twin}"]
        )
        lines = [
            *why,
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
    phase = "naming"
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

    # a call of an output class: spelled as PyTorch spells it when the walk starts (tf-output-classes renames it)
    name_gated = frozenset({"Call"})

    def names_reacted_to(self) -> Iterable[str]:
        return {spelled for name in self.ctx.tf_output_fields for spelled in (name, name.removeprefix("TF"))}

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


_PT_MODULE_PARAGRAPH = re.compile(
    r"This\s+model\s+is\s+(?:also\s+)?a\s+PyTorch\s+\[(?:torch\.)?nn\.Module\]\(https://pytorch\.org/docs/stable/nn\.html"
    r"#torch\.nn\.Module\)\s+sub-?class\.\s+Use\s+it\s+as\s+a\s+regular\s+PyTorch\s+Module\s+and\s+refer\s+to\s+the\s+"
    r"PyTorch\s+documentation\s+for\s+(?:all\s+matters?\s+related\s+to\s+)?general\s+usage\s+and\s+behaviou?r\."
)

# what hand-written TF ports say instead (modeling_tf_bert.py of 4.46), wrapped as they wrap it at an indent of 4;
# {keras} is the tree's spelling of keras
_TF_MODEL_PARAGRAPH = """\
This model is also a [{keras}.Model](https://www.tensorflow.org/api_docs/python/tf/keras/Model) subclass. Use it
as a regular TF 2.0 Keras Model and refer to the TF 2.0 documentation for all matter related to general usage and
behavior.

<Tip>

TensorFlow models and layers in `transformers` accept two formats as input:

- having all inputs as keyword arguments (like PyTorch models), or
- having all inputs as a list, tuple or dict in the first positional argument.

The reason the second format is supported is that Keras methods prefer this format when passing inputs to models
and layers. Because of this support, when using methods like `model.fit()` things should "just work" for you - just
pass your inputs and labels in any format that `model.fit()` supports! If, however, you want to use the second
format outside of Keras methods like `fit()` and `predict()`, such as when creating your own layers or models with
the Keras `Functional` API, there are three possibilities you can use to gather all the input Tensors in the first
positional argument:

- a single Tensor with `input_ids` only and nothing else: `model(input_ids)`
- a list of varying length with one or several input Tensors IN THE ORDER given in the docstring:
`model([input_ids, attention_mask])` or `model([input_ids, attention_mask, token_type_ids])`
- a dictionary with one or several input Tensors associated to the input names given in the docstring:
`model({"input_ids": input_ids, "token_type_ids": token_type_ids})`

Note that when creating models and layers with
[subclassing](https://keras.io/guides/making_new_layers_and_models_via_subclassing/) then you don't need to worry
about any of this, as you can just pass inputs like you would to any other Python function!

</Tip>
"""


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else "" for line in text.split("\n"))


class TFDocstringWording(Rule):
    """Docstrings say what the TF class is: a Keras model taking TF tensors, documented as hand ports are.

    The ``X_START_DOCSTRING`` constant comes from the PyTorch module, which calls every model "a
    PyTorch torch.nn.Module subclass": that paragraph becomes the one hand-written TF ports carry
    (a Keras ``Model`` subclass, with the tip on the input formats Keras accepts), references to
    ``PreTrainedModel`` become ``TFPreTrainedModel``, PyTorch tensor types ``tf.Tensor``, and code
    examples ask tokenizers for TF tensors. Runs on triple-quoted strings only (docstrings and
    docstring constants); the rest of a PyTorch code example (``import torch``) is left as it is.
    """

    name = "tf-docstring-wording"
    phase = "naming"
    summary = 'PyTorch wording of docstrings ("a PyTorch torch.nn.Module subclass", torch.FloatTensor) -> TF.'
    examples = (
        Example(
            before='''
BERT_START_DOCSTRING = r"""
    This model inherits from [`PreTrainedModel`]. Check the superclass documentation.

    This model is also a PyTorch [torch.nn.Module](https://pytorch.org/docs/stable/nn.html#torch.nn.Module) subclass.
    Use it as a regular PyTorch Module and refer to the PyTorch documentation for all matter related to general usage
    and behavior.

    Parameters:
        config ([`BertConfig`]): Check out the [`~PreTrainedModel.from_pretrained`] method to load the model weights.
"""
BERT_INPUTS_DOCSTRING = r"""
    Args:
        input_ids (`torch.LongTensor` of shape `({0})`):
            Indices of input sequence tokens; `inputs = tokenizer("Hello", return_tensors="pt")`.
"""
message = "expects a torch.FloatTensor"
''',
            after='''
BERT_START_DOCSTRING = r"""
    This model inherits from [`TFPreTrainedModel`]. Check the superclass documentation.

    '''
            + _indented(_TF_MODEL_PARAGRAPH.replace("{keras}", "keras").rstrip(), "    ")[4:]
            + '''

    Parameters:
        config ([`BertConfig`]): Check out the [`~TFPreTrainedModel.from_pretrained`] method to load the model weights.
"""
BERT_INPUTS_DOCSTRING = r"""
    Args:
        input_ids (`tf.Tensor` of shape `({0})`):
            Indices of input sequence tokens; `inputs = tokenizer("Hello", return_tensors="tf")`.
"""
message = "expects a torch.FloatTensor"
''',
            note="only triple-quoted strings change: a runtime message keeps its words",
        ),
    )

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        value = updated.value
        quote_at = len(value) - len(value.lstrip("rbuRBU"))
        if value[quote_at : quote_at + 3] not in ('"""', "'''"):
            return updated
        text = _PT_MODULE_PARAGRAPH.sub(self._tf_paragraph(value), value)
        text = re.sub(r"(?<=[`~])PreTrainedModel\b", "TFPreTrainedModel", text)
        text = re.sub(r"\btorch\.(?:[A-Z][a-z]*)?Tensor\b", "tf.Tensor", text)
        text = text.replace('return_tensors="pt"', 'return_tensors="tf"')
        return updated.with_changes(value=text) if text != value else updated

    def _tf_paragraph(self, value: str):
        keras = self.ctx.keras

        def replace(match: re.Match) -> str:
            line_start = value.rfind("\n", 0, match.start()) + 1
            indent = value[line_start : match.start()]
            return _indented(_TF_MODEL_PARAGRAPH.replace("{keras}", keras).rstrip(), indent)[len(indent) :]

        return replace


_ARGS_HEADER = re.compile(r"^(\s*)(Args?|Arguments?|Attributes?|Params?|Parameters?):\s*$")
_ARG_LINE = re.compile(r"^(\s*)(\S+)\s+\((.+)\)(?:\:|$)")


def _documented(text: str) -> tuple[list[str], int | None, bool]:
    """Argument names of the first Args section of a docstring, the section's indent, and whether it ends the text."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        header = _ARGS_HEADER.match(line)
        if header is None:
            continue
        indent = len(header.group(1))
        names, last = [], True
        for rest in lines[i + 1 :]:
            if not rest.strip():
                continue
            current = len(rest) - len(rest.lstrip())
            if current <= indent:
                last = False
                break
            found = _ARG_LINE.match(rest)
            if found and current == indent + 4:
                names.append(found.group(2))
        return names, indent, last
    return [], None, True


def _described(text: str, name: str) -> str | None:
    """The description a docstring of the module gives an argument ``name``, on the lines below its entry."""
    found = re.search(rf"^(\s*){re.escape(name)} \([^\n]*\):[ \t]*\n((?:\1[ \t]+\S[^\n]*\n?)+)", text, re.M)
    if found is None:
        return None
    return " ".join(line.strip() for line in found.group(2).splitlines())


class DocumentInitArguments(Rule):
    """A public class documents every argument of its constructor, as ``utils/check_docstrings.py`` demands.

    transformers' checker reads the Args section of a class's docstring (here assembled by
    ``@add_start_docstrings`` from the ``X_START_DOCSTRING`` constant, which documents ``config``
    only) and fails when a constructor argument such as ``add_pooling_layer`` is missing. PyTorch
    classes get away with it by being listed in the checker's ignore list; their TF twins are not.
    The missing arguments are documented in one more decorator argument, as transformers documents
    ``SwinModel``'s, with the type and default the checker expects and the description the module
    gives the argument elsewhere (else a pointer to the PyTorch class). Classes whose docstring has
    text after its Args section are left alone (an appended entry would land outside it).
    """

    name = "document-init-arguments"
    summary = "@add_start_docstrings(intro, X_START_DOCSTRING) on a class whose __init__ takes more than config -> the rest documented."
    examples = (
        Example(
            before='''
MPNET_START_DOCSTRING = r"""
    Parameters:
        config ([`MPNetConfig`]): Model configuration class with all the parameters of the model.
"""


@add_start_docstrings("The bare MPNet Model.", MPNET_START_DOCSTRING)
class TFMPNetModel(TFMPNetPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True, *inputs, **kwargs):
        pass


@add_start_docstrings("MPNet for masked LM.", MPNET_START_DOCSTRING)
class TFMPNetForMaskedLM(TFMPNetPreTrainedModel):
    def __init__(self, config):
        pass
''',
            after='''
MPNET_START_DOCSTRING = r"""
    Parameters:
        config ([`MPNetConfig`]): Model configuration class with all the parameters of the model.
"""


@add_start_docstrings(
    "The bare MPNet Model.",
    MPNET_START_DOCSTRING,
    """
        add_pooling_layer (`bool`, *optional*, defaults to `True`):
            The `add_pooling_layer` argument of [`MPNetModel`].
    """,
)
class TFMPNetModel(TFMPNetPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True, *inputs, **kwargs):
        pass


@add_start_docstrings("MPNet for masked LM.", MPNET_START_DOCSTRING)
class TFMPNetForMaskedLM(TFMPNetPreTrainedModel):
    def __init__(self, config):
        pass
''',
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.constants: dict[str, str] = {}
        self.all_docs = ""

    def visit_Module(self, node: cst.Module) -> bool:
        texts = []
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                assign = stmt.body[0]
                target = assign.targets[0].target
                value = _string_value(assign.value)
                if isinstance(target, cst.Name) and value is not None:
                    self.constants[target.value] = value
        for string in find_all(node, cst.SimpleString, lambda s: s.value.lstrip("rR").startswith('"""')):
            texts.append(string.value.lstrip("rR")[3:-3])
        self.all_docs = "\n".join(texts)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        params = _init_parameters(updated)
        if not params:
            return updated
        decorators = list(updated.decorators)
        for i, decorator in enumerate(decorators):
            call = decorator.decorator
            if not (isinstance(call, cst.Call) and dotted(call.func) == "add_start_docstrings"):
                continue
            texts = [self._text(arg.value) for arg in call.args]
            if any(t is None for t in texts):
                return updated
            names, indent, last = _documented("".join(t for t in texts if t))
            if indent is None or not last or "config" not in names:
                return updated
            missing = [p for p in params if p[0] not in names]
            if not missing:
                return updated
            pad = " " * (indent + 4)
            entries = []
            for name, kind, default in missing:
                described = _described(self.all_docs, name) or (
                    f"The `{name}` argument of [`{updated.name.value.removeprefix('TF')}`]."
                )
                entries.append(f"{pad}{name} ({kind}{default}):\n{pad}    {described}")
            extra = cst.SimpleString('"""\n' + "\n".join(entries) + '\n    """')
            args = [*call.args]
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            args.append(cst.Arg(extra))
            decorators[i] = decorator.with_changes(decorator=call.with_changes(args=args))
            return updated.with_changes(decorators=decorators)
        return updated

    def _text(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return self.constants.get(node.value)
        return _string_value(node)


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _init_parameters(node: cst.ClassDef) -> list[tuple[str, str, str]]:
    """Constructor arguments the checker wants documented: (name, `type`, default text) after ``self``."""
    init = next(
        (s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
        None,
    )
    if init is None:
        return []
    out = []
    params = [*init.params.posonly_params, *init.params.params, *init.params.kwonly_params]
    for param in params[1:]:
        name = param.name.value
        if name.startswith("_"):
            continue
        default = param.default
        value = None
        if default is not None:
            try:
                value = ast.literal_eval(cst.Module(body=[]).code_for_node(default))
            except (ValueError, SyntaxError):
                value = ...
        if param.annotation is not None:
            kind = cst.Module(body=[]).code_for_node(param.annotation.annotation)
        elif value is not None and value is not ...:
            kind = type(value).__name__
        else:
            kind = "object"
        if default is None:
            suffix = ""
        elif value is None:
            suffix = ", *optional*"
        elif isinstance(value, bool) or value is ...:
            suffix = f", *optional*, defaults to `{cst.Module(body=[]).code_for_node(default)}`"
        elif isinstance(value, int | float):
            suffix = f", *optional*, defaults to {value}"
        else:
            suffix = (
                f', *optional*, defaults to `"{value}"`'
                if isinstance(value, str)
                else f", *optional*, defaults to `{value}`"
            )
        out.append((name, f"`{kind}`", suffix))
    return out


RULES = [PrefixLocalClasses, TFBaseClasses, TFOutputClasses, TFOutputFields, TFDocstringWording, DocumentInitArguments]
