"""PyTorch-only constructs with no place in a TF module.

A model class that returns a ``modeling_outputs`` class with no ``modeling_tf_outputs`` twin,
and that no other class of the module uses, is a PyTorch-only entry point (the Backbone classes:
TF has no backbone output and no backbone auto class). Its output would have to be invented, so
the class is dropped and the report says so. So is a leaf class that builds a class of
transformers' shared PyTorch modules TF has no counterpart of (``SQuADHead`` of
``modeling_utils``: the TF ports have no beam-search question-answering head).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_layers as TL
from scaffold.convert.rules.base import Example, Rule, Todo, add_comments, dotted, names_in
from scaffold.convert.tables_model import ATTN_IMPLEMENTATION_ATTRIBUTES

# transformers' shared PyTorch modules a modeling file builds classes from; the TF names of those
# that have a counterpart come from the layers table (SequenceSummary, Conv1D) or the base classes
SHARED_TORCH_MODULES = ("modeling_utils", "pytorch_utils")
SHARED_WITH_TF_COUNTERPART = frozenset({"PreTrainedModel", "PretrainedConfig", "ModelOutput"})


def _imports_from(module: cst.Module, sources: tuple[str, ...]) -> list[cst.ImportFrom]:
    """The module's ``from ...<source> import ...`` statements, for relative sources named by their last part."""
    found = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and small.module is not None
                    and (dotted(small.module) or "") in sources
                    and isinstance(small.names, list | tuple)
                ):
                    found.append(small)
    return found


def _imported_names(small: cst.ImportFrom) -> list[str]:
    return [a.name.value for a in small.names if isinstance(a.name, cst.Name)]  # type: ignore[union-attr]


class DropClassesWithoutTFOutput(Rule):
    """A leaf model class whose output class has no TF twin is dropped, with a report line.

    Why: converting it would need an output dataclass TF transformers does not have (and, for the
    Backbone classes, an auto class TF does not have either). Keeping it half-converted leaves an
    undefined name evaluated at import time (``replace_return_docstrings(output_type=...)``).
    A class another class of the module uses is kept (its output gets the usual TODO).
    """

    name = "drop-classes-without-tf-output"
    summary = "A model class returning e.g. BackboneOutput (no TFBackboneOutput) and used by nothing is dropped."
    examples = (
        Example(
            before="""
from ...modeling_outputs import BackboneOutput, BaseModelOutput


class ConvNextModel(ConvNextPreTrainedModel):
    def forward(self, x) -> BaseModelOutput:
        return BaseModelOutput(last_hidden_state=x)


class ConvNextBackbone(ConvNextPreTrainedModel, BackboneMixin):
    def forward(self, x) -> BackboneOutput:
        return BackboneOutput(feature_maps=x)


X = 1
""",
            after="""
from ...modeling_outputs import BackboneOutput, BaseModelOutput


class ConvNextModel(ConvNextPreTrainedModel):
    def forward(self, x) -> BaseModelOutput:
        return BaseModelOutput(last_hidden_state=x)


# TODO(tfscaffold): ConvNextBackbone: dropped: returns BackboneOutput, and modeling_tf_outputs has no TFBackboneOutput
X = 1
""",
            context=(("tf_outputs", {"TFBaseModelOutput"}), ("local_classes", {"ConvNextModel", "ConvNextBackbone"})),
        ),
        Example(
            before="""
from ...modeling_outputs import MoeModelOutput


class MixModel(MixPreTrainedModel):
    def forward(self, x) -> MoeModelOutput:
        return MoeModelOutput(last_hidden_state=x)


class MixForCausalLM(MixPreTrainedModel):
    def __init__(self, config):
        self.model = MixModel(config)
""",
            after="""
from ...modeling_outputs import MoeModelOutput


class MixModel(MixPreTrainedModel):
    def forward(self, x) -> MoeModelOutput:
        return MoeModelOutput(last_hidden_state=x)


class MixForCausalLM(MixPreTrainedModel):
    def __init__(self, config):
        self.model = MixModel(config)
""",
            note="a class another class uses stays; its output gets the usual TODO from tf-output-classes",
            context=(("tf_outputs", set()), ("local_classes", {"MixModel", "MixForCausalLM"})),
        ),
        Example(
            before="""
from ...modeling_utils import PreTrainedModel, SequenceSummary, SQuADHead


class XLMForMultipleChoice(XLMPreTrainedModel):
    def __init__(self, config):
        self.sequence_summary = SequenceSummary(config)


class XLMForQuestionAnswering(XLMPreTrainedModel):
    def __init__(self, config):
        self.qa_outputs = SQuADHead(config)
""",
            after="""
from ...modeling_utils import PreTrainedModel, SequenceSummary, SQuADHead


class XLMForMultipleChoice(XLMPreTrainedModel):
    def __init__(self, config):
        self.sequence_summary = SequenceSummary(config)


# TODO(tfscaffold): XLMForQuestionAnswering: dropped: builds SQuADHead of modeling_utils, which TF transformers has no counterpart of
""",
            note="SequenceSummary has a TF counterpart (the layers table); PreTrainedModel is a base class",
            context=(("local_classes", {"XLMForMultipleChoice", "XLMForQuestionAnswering"}),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        # name -> why it has no TF counterpart
        missing: dict[str, str] = {}
        for small in _imports_from(node, ("modeling_outputs",)):
            for name in _imported_names(small):
                if f"TF{name}" not in self.ctx.tf_outputs and name not in SHARED_WITH_TF_COUNTERPART:
                    missing[name] = f"returns {name}, and modeling_tf_outputs has no TF{name}"
        for small in _imports_from(node, SHARED_TORCH_MODULES):
            module = self.code(small.module)  # type: ignore[arg-type]
            for name in _imported_names(small):
                if name[:1].isupper() and name not in SHARED_WITH_TF_COUNTERPART and name not in TL.LAYERS:
                    missing[name] = f"builds {name} of {module}, which TF transformers has no counterpart of"
        classes = {s.name.value: s for s in node.body if isinstance(s, cst.ClassDef)}
        self.dropped: dict[str, str] = {}
        for name, cls in classes.items():
            used = names_in(cls) & set(missing)
            if not used:
                continue
            others = [s for s in node.body if s is not cls]
            if any(name in names_in(s) for s in others):
                continue
            self.dropped[name] = missing[sorted(used)[0]]
        return False

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        pending: list[str] = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value in self.dropped:
                item = Todo(stmt.name.value, stmt.name.value, f"dropped: {self.dropped[stmt.name.value]}")
                self.ctx.todos.append(item)
                pending.append(item.marker())
                continue
            if pending:
                stmt = add_comments(stmt, pending)
                pending = []
            body.append(stmt)
        footer = [*updated.footer, *(cst.EmptyLine(comment=cst.Comment(c)) for c in pending)]
        return updated.with_changes(body=body, footer=footer)


class FoldWeightIsTensor(Rule):
    """``isinstance(<module>.weight, torch.Tensor)`` is always true in PyTorch: it is folded away.

    Why: the check guards PyTorch's quantized weights (8-bit ``Linear``), which TF does not
    have; converted literally it reads ``.weight`` of a Keras layer, which has none, and
    ``isinstance(variable, tf.Tensor)`` is false for a ``tf.Variable``. In an ``and`` the
    operand goes; elsewhere it becomes ``True``. A check of anything but ``.weight`` stays.
    """

    name = "fold-weight-is-tensor"
    phase = "naming"
    summary = "isinstance(self.wo.weight, torch.Tensor) and x.dtype != d -> x.dtype != d."
    examples = (
        Example(
            before="""
if isinstance(self.wo.weight, torch.Tensor) and hidden_states.dtype != self.wo.weight.dtype:
    pass
flag = isinstance(self.wo.weight, torch.Tensor)
other = isinstance(self.wo.bias, torch.Tensor)
""",
            after="""
if hidden_states.dtype != self.wo.weight.dtype:
    pass
flag = True
other = isinstance(self.wo.bias, torch.Tensor)
""",
            note="a bias may be None, so its check stays",
        ),
    )

    name_gated = frozenset({"Call", "BooleanOperation"})  # an ``isinstance(...)`` call, an ``and`` holding one

    def names_reacted_to(self) -> Iterable[str]:
        return ("isinstance",)

    @staticmethod
    def _always_true(node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value == "isinstance"
            and len(node.args) == 2
            and isinstance(node.args[0].value, cst.Attribute)
            and node.args[0].value.attr.value == "weight"
            and dotted(node.args[1].value) in ("torch.Tensor", "nn.Parameter", "torch.nn.Parameter")
        )

    def leave_BooleanOperation(
        self, original: cst.BooleanOperation, updated: cst.BooleanOperation
    ) -> cst.BaseExpression:
        if not isinstance(updated.operator, cst.And):
            return updated
        pairs = ((original.left, updated.right), (original.right, updated.left))
        for this, other in pairs:
            if self._always_true(this):
                return other.with_changes(lpar=updated.lpar, rpar=updated.rpar) if updated.lpar else other
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        return cst.Name("True") if self._always_true(updated) else updated


class DropAttnImplementationArguments(Rule):
    """``attn_implementation=...`` passed to a call goes: TF keeps the eager attention only.

    Why: ``Model._from_config(sub_config, attn_implementation=config._attn_implementation)``
    picks PyTorch's attention kernel; the TF model's constructor is a Keras one and rejects
    unknown keyword arguments.
    """

    name = "drop-attn-implementation-arguments"
    phase = "naming"
    summary = "CLIPTextModel._from_config(c, attn_implementation=x) -> CLIPTextModel._from_config(c)."
    examples = (
        Example(
            before="""
self.text_model = CLIPTextModel._from_config(text_config, attn_implementation=config._attn_implementation)
self.other = make(config, implementation=config.implementation)
""",
            after="""
self.text_model = CLIPTextModel._from_config(text_config)
self.other = make(config, implementation=config.implementation)
""",
        ),
    )

    name_gated = frozenset({"Call"})  # a call passing one of those keywords

    def names_reacted_to(self) -> Iterable[str]:
        return ATTN_IMPLEMENTATION_ATTRIBUTES

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args = [a for a in updated.args if a.keyword is None or a.keyword.value not in ATTN_IMPLEMENTATION_ATTRIBUTES]
        if len(args) == len(updated.args):
            return updated
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=args)


BEFORE_NAMING = [DropClassesWithoutTFOutput, FoldWeightIsTensor, DropAttnImplementationArguments]
