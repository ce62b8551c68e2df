"""Every converter rule's own examples, run as tests (the rule is its documentation).

Each example is applied with that rule alone and compared with its expected text after black
formatting, so examples can be written for reading.
"""

from __future__ import annotations

import textwrap

import black
import libcst as cst
import pytest

from scaffold.convert.rules import FINAL, PIPELINE
from scaffold.convert.rules.base import ConvertContext

CASES = [
    pytest.param(rule, example, id=f"{rule.name}-{i}")
    for rule in PIPELINE + FINAL
    for i, example in enumerate(rule.examples)
]


def _fmt(code: str) -> str:
    return black.format_str(textwrap.dedent(code).strip() + "\n", mode=black.Mode(line_length=119))


def test_every_rule_documents_itself():
    for rule in PIPELINE + FINAL:
        assert rule.name and rule.summary, rule
        assert rule.examples, f"{rule.name} has no examples"
        assert rule.__doc__, f"{rule.name} has no docstring"


def test_rule_names_are_unique():
    names = [rule.name for rule in PIPELINE + FINAL]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule, example", CASES)
def test_rule_example(rule, example):
    local = {"local_classes": {"BertSelfAttention", "BertAttention", "BertModel", "BertLayer"}}
    ctx = ConvertContext.for_examples(**(local | dict(example.context)))
    module = cst.parse_module(textwrap.dedent(example.before).lstrip())
    result = module.visit(rule(ctx)).code
    assert _fmt(result) == _fmt(example.after)


def test_output_class_missing_a_field_is_defined_locally():
    """The TF twin lacks a PyTorch field: the module defines the class itself, PyTorch's fields in order."""
    from scaffold.convert.rules.naming import TFOutputClasses

    example = next(e for e in TFOutputClasses.examples if "pt_output_fields" in dict(e.context))
    ctx = ConvertContext.for_examples(**dict(example.context))
    cst.parse_module(textwrap.dedent(example.before).lstrip()).visit(TFOutputClasses(ctx))
    source = ctx.support["TFSeq2SeqQuestionAnsweringModelOutput"]
    assert "class TFSeq2SeqQuestionAnsweringModelOutput(ModelOutput):" in source
    assert source.index("start_logits: tf.Tensor = None") < source.index(
        "cross_attentions: Optional[Tuple[tf.Tensor, ...]] = None"
    )
    assert not any("modeling_tf_outputs" in line for line in ctx.imports)
