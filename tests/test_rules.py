"""Every converter rule's own examples, run as tests (the rule is its documentation).

Each example is applied with that rule alone and compared with its expected text after black
formatting, so examples can be written for reading.
"""

from __future__ import annotations

import textwrap

import black
import libcst as cst
import pytest

from scaffold.convert.rules import PIPELINE
from scaffold.convert.rules.base import ConvertContext

CASES = [
    pytest.param(rule, example, id=f"{rule.name}-{i}") for rule in PIPELINE for i, example in enumerate(rule.examples)
]


def _fmt(code: str) -> str:
    return black.format_str(textwrap.dedent(code).strip() + "\n", mode=black.Mode(line_length=119))


def test_every_rule_documents_itself():
    for rule in PIPELINE:
        assert rule.name and rule.summary, rule
        assert rule.examples, f"{rule.name} has no examples"
        assert rule.__doc__, f"{rule.name} has no docstring"


def test_rule_names_are_unique():
    names = [rule.name for rule in PIPELINE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule, example", CASES)
def test_rule_example(rule, example):
    ctx = ConvertContext(local_classes={"BertSelfAttention", "BertAttention", "BertModel", "BertLayer"})
    for key, value in example.context:
        setattr(ctx, key, value)
    module = cst.parse_module(textwrap.dedent(example.before).lstrip())
    result = module.visit(rule(ctx)).code
    assert _fmt(result) == _fmt(example.after)
