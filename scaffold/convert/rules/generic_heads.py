"""Heads newer trees inherit from ``modeling_layers``' generic classes, written out in the model's module.

Since 4.54 a decoder's classification heads are often one line,
``class Qwen3ForSequenceClassification(GenericForSequenceClassification, Qwen3PreTrainedModel): pass``:
the code lives in the tree's ``modeling_layers.py`` (which imports torch) and builds the base model with
``AutoModel.from_config(config)`` under ``self.base_model_prefix``. A TF port has no such generic class,
so before any other rule the head gets the generic class's body, read from the tree, with the base model
named: ``self.model = Qwen3Model(config)`` (what AutoModel builds from the model's own config) and
``self.model(...)`` for ``getattr(self, self.base_model_prefix)(...)``. The rest of the converter then sees
a head as older trees wrote it.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, Rule, class_attribute, dotted, find_all
from scaffold.cstwalk import walk

GENERIC_MODULE = "modeling_layers"

_GENERIC = """
class GenericForSequenceClassification:
    base_model_prefix = "model"

    def __init__(self, config):
        super().__init__(config)
        setattr(self, self.base_model_prefix, AutoModel.from_config(config))
        self.score = nn.Linear(config.hidden_size, self.num_labels, bias=False)

    def forward(self, input_ids=None, **kwargs):
        outputs = getattr(self, self.base_model_prefix)(input_ids, **kwargs)
        return SequenceClassifierOutputWithPast(logits=self.score(outputs.last_hidden_state))
"""


class _NameBaseModel(HookTransformer):
    """``setattr(self, self.base_model_prefix, AutoModel.from_config(config))`` -> ``self.<prefix> = <Model>(config)``;
    ``getattr(self, self.base_model_prefix)`` -> ``self.<prefix>``. ``left`` counts what stays generic."""

    def __init__(self, prefix: str, model: str) -> None:
        super().__init__()
        self.prefix, self.model, self.left = prefix, model, 0

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = dotted(updated.func)
        args = [cst.Module(body=[]).code_for_node(a.value) for a in updated.args]
        if name == "getattr" and args == ["self", "self.base_model_prefix"]:
            return cst.parse_expression(f"self.{self.prefix}")
        if name == "AutoModel.from_config":
            self.left += 1
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.BaseSmallStatement:
        call = updated.value
        if isinstance(call, cst.Call) and dotted(call.func) == "setattr" and len(call.args) == 3:
            target, attr, value = (cst.Module(body=[]).code_for_node(a.value) for a in call.args)
            if target == "self" and attr == "self.base_model_prefix" and value.startswith("AutoModel.from_config("):
                self.left -= 1  # its AutoModel call was counted on the way up
                config = value[len("AutoModel.from_config(") : -1]
                return cst.parse_statement(f"self.{self.prefix} = {self.model}({config})\n").body[0]
        return updated


class GenericHeads(Rule):
    """``class XForY(GenericForY, XPreTrainedModel)`` -> the generic class's body in the head, its base model named."""

    name = "generic-heads"
    summary = "class XForY(GenericForY, XPreTrainedModel): pass (4.54+) -> the body of modeling_layers' GenericForY, base model named."
    examples = (
        Example(
            before="""
from ...modeling_layers import GenericForSequenceClassification


class Qwen3ForSequenceClassification(GenericForSequenceClassification, Qwen3PreTrainedModel):
    pass
""",
            after="""
from ...modeling_layers import GenericForSequenceClassification
from ...modeling_outputs import SequenceClassifierOutputWithPast


class Qwen3ForSequenceClassification(Qwen3PreTrainedModel):
    base_model_prefix = "model"

    def __init__(self, config):
        super().__init__(config)
        self.model = Qwen3Model(config)
        self.score = nn.Linear(config.hidden_size, self.num_labels, bias=False)

    def forward(self, input_ids=None, **kwargs):
        outputs = self.model(input_ids, **kwargs)
        return SequenceClassifierOutputWithPast(logits=self.score(outputs.last_hidden_state))
""",
            context=(
                ("generic_heads", {"GenericForSequenceClassification": _GENERIC}),
                ("base_model_class", "Qwen3Model"),
                ("pt_output_fields", {"SequenceClassifierOutputWithPast": [("logits", "torch.FloatTensor")]}),
            ),
        ),
        Example(
            before="""
from ...modeling_layers import GenericForSequenceClassification


class LlamaForSequenceClassification(GenericForSequenceClassification, LlamaPreTrainedModel):
    base_model_prefix = "transformer"  # For BC
""",
            after="""
from ...modeling_layers import GenericForSequenceClassification
from ...modeling_outputs import SequenceClassifierOutputWithPast


class LlamaForSequenceClassification(LlamaPreTrainedModel):
    base_model_prefix = "transformer"  # For BC

    def __init__(self, config):
        super().__init__(config)
        self.transformer = LlamaModel(config)
        self.score = nn.Linear(config.hidden_size, self.num_labels, bias=False)

    def forward(self, input_ids=None, **kwargs):
        outputs = self.transformer(input_ids, **kwargs)
        return SequenceClassifierOutputWithPast(logits=self.score(outputs.last_hidden_state))
""",
            note="the head's own class attributes win over the generic ones, as in Python's lookup",
            context=(
                ("generic_heads", {"GenericForSequenceClassification": _GENERIC}),
                ("base_model_class", "LlamaModel"),
                ("pt_output_fields", {"SequenceClassifierOutputWithPast": [("logits", "torch.FloatTensor")]}),
            ),
        ),
        Example(
            before="""
from ...modeling_layers import GenericForSequenceClassification


class Gemma3TextForSequenceClassification(GenericForSequenceClassification, Gemma3PreTrainedModel):
    config: Gemma3TextConfig
""",
            after="""
from ...modeling_layers import GenericForSequenceClassification
from ...modeling_outputs import SequenceClassifierOutputWithPast


class Gemma3TextForSequenceClassification(Gemma3PreTrainedModel):
    config: Gemma3TextConfig
    base_model_prefix = "model"

    def __init__(self, config):
        super().__init__(config)
        self.model = Gemma3TextModel(config)
        self.score = nn.Linear(config.hidden_size, self.num_labels, bias=False)

    def forward(self, input_ids=None, **kwargs):
        outputs = self.model(input_ids, **kwargs)
        return SequenceClassifierOutputWithPast(logits=self.score(outputs.last_hidden_state))
""",
            note="a module of two configs: the base model is the one of the head's config, not the module's",
            context=(
                ("generic_heads", {"GenericForSequenceClassification": _GENERIC}),
                ("config_class", "Gemma3Config"),
                ("base_model_class", "Gemma3Model"),
                ("pretrained_class", "Gemma3PreTrainedModel"),
                ("local_classes", {"Gemma3PreTrainedModel", "Gemma3TextModel", "Gemma3Model"}),
                (
                    "class_bases",
                    {
                        "Gemma3TextModel": ["Gemma3PreTrainedModel"],
                        "Gemma3Model": ["Gemma3PreTrainedModel"],
                        "Gemma3TextForSequenceClassification": [
                            "GenericForSequenceClassification",
                            "Gemma3PreTrainedModel",
                        ],
                    },
                ),
                (
                    "class_configs",
                    {
                        "Gemma3PreTrainedModel": "Gemma3Config",
                        "Gemma3TextModel": "Gemma3TextConfig",
                        "Gemma3TextForSequenceClassification": "Gemma3TextConfig",
                    },
                ),
                ("pt_output_fields", {"SequenceClassifierOutputWithPast": [("logits", "torch.FloatTensor")]}),
            ),
        ),
        Example(
            before="""
class Qwen3ForSequenceClassification(GenericForSequenceClassification, Qwen3PreTrainedModel):
    pass
""",
            after="""
class Qwen3ForSequenceClassification(GenericForSequenceClassification, Qwen3PreTrainedModel):
    pass
""",
            note="not imported from modeling_layers: a class of that name is someone else's",
            context=(("generic_heads", {"GenericForSequenceClassification": _GENERIC}),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.imported: set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom):
                found = stmt.body[0]
                module = dotted(found.module) if found.module is not None else ""
                if (module or "").split(".")[-1] == GENERIC_MODULE and not isinstance(found.names, cst.ImportStar):
                    self.imported |= {
                        a.name.value for a in found.names if isinstance(a.name, cst.Name) and a.asname is None
                    }
        self.imported &= set(self.ctx.generic_heads)
        self.bound = {
            n.value
            for n in find_all(node, cst.ImportAlias)
            for n in [n.asname.name if n.asname else n.name]
            if isinstance(n, cst.Name)
        }
        self.outputs: set[str] = set()
        return bool(self.imported)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.outputs:
            return updated
        body = list(updated.body)
        at = max(
            (
                i + 1
                for i, s in enumerate(body)
                if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Import | cst.ImportFrom)
            ),
            default=0,
        )
        line = cst.parse_statement(f"from ...modeling_outputs import {', '.join(sorted(self.outputs))}\n")
        return updated.with_changes(body=[*body[:at], line, *body[at:]])

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False  # heads are top-level; nothing inside a class is looked at

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        generic = [b for b in updated.bases if dotted(b.value) in self.imported]
        if not generic:
            return updated
        base_model = self.ctx.base_model_of(self.ctx.config_of(updated.name.value))
        if len(generic) > 1 or base_model is None:
            self.todo(
                f"base {dotted(generic[0].value)}",
                "a generic head needs exactly one generic base and one base model of its config: not written out",
            )
            return updated
        source = cst.parse_module(self.ctx.generic_heads[dotted(generic[0].value) or ""].strip() + "\n")
        template = next(s for s in source.body if isinstance(s, cst.ClassDef))
        # the head's own base_model_prefix wins over the generic one (``base_model_prefix = "transformer"``)
        prefix = (
            _class_string(updated, "base_model_prefix")
            or _class_string(template, "base_model_prefix")
            or self.ctx.base_model_prefix
            or "model"
        )
        namer = _NameBaseModel(prefix, base_model)
        own_attributes = _class_attributes(updated)
        body = [
            stmt
            for stmt in walk(template.body, namer).body
            if not (_class_attributes_of(stmt) & own_attributes)  # the head's own class attributes win
        ]
        if namer.left:
            self.todo(f"base {dotted(generic[0].value)}", "AutoModel.from_config other than as the base model: left")
        # the output classes the generic code returns come from modeling_outputs, as in its own module
        self.outputs |= {
            n.value
            for n in find_all(template, cst.Name)
            if n.value in self.ctx.pt_output_fields and n.value not in self.bound
        }
        own = [s for s in _statements(updated.body) if not _is_placeholder(s)]
        bases = [b for b in updated.bases if b is not generic[0]]
        bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(
            bases=bases,
            decorators=[*template.decorators, *updated.decorators] if not updated.decorators else updated.decorators,
            body=cst.IndentedBlock(body=[*own, *body]),
        )


def _class_string(cls: cst.ClassDef, name: str) -> str | None:
    value = class_attribute(cls, name)
    return str(value.evaluated_value) if isinstance(value, cst.SimpleString) else None


def _class_attributes_of(stmt: cst.CSTNode) -> set[str]:
    if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
        return {t.target.value for t in stmt.body[0].targets if isinstance(t.target, cst.Name)}
    return set()


def _class_attributes(cls: cst.ClassDef) -> set[str]:
    return set().union(*(_class_attributes_of(stmt) for stmt in _statements(cls.body)))


def _statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """A class body's statements; a one-line body (``class X(Y): ...``) as statement lines."""
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=[small]) for small in suite.body]
    return list(suite.body)


def _is_placeholder(stmt: cst.CSTNode) -> bool:
    """``pass``, ``...`` or a lone docstring-less ellipsis: a class body that only exists to be one."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        return isinstance(small, cst.Pass) or (isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis))
    return False


RULES: list[type[Rule]] = [GenericHeads]
