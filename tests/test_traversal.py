"""Rule passes and helper visitors pass over subtrees holding no node they have a hook for.

That is only the same pass when every hook counts: these tests hold the hook tables to the rules'
methods, so a new rule (or a new kind of hook) cannot be skipped by mistake.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules import FINAL, PIPELINE
from scaffold.convert.rules.base import (
    ConvertContext,
    HookVisitor,
    Rule,
    SubtreeKinds,
    _hooked_mask,
    apply_rules,
    kind_bit,
)

NODE_TYPES = sorted(
    name for name in dir(cst) if isinstance(getattr(cst, name), type) and issubclass(getattr(cst, name), cst.CSTNode)
)

SOURCE = '''
import torch


class A:
    """Doc."""

    def f(self, a):
        x = [1, 2, 3]
        return a + x[0]


def g():
    return "text"
'''


def test_every_hook_of_every_rule_counts() -> None:
    for rule in [*PIPELINE, *FINAL]:
        mask = _hooked_mask(rule)
        for name in NODE_TYPES:
            for prefix in ("visit_", "leave_"):
                hook = getattr(rule, prefix + name, None)
                if hook is not None and hook is not getattr(cst.CSTTransformer, prefix + name):
                    assert mask & kind_bit(name), f"{rule.__name__}.{prefix}{name} is not in its hook kinds"


def test_rules_leave_the_traversal_to_the_base() -> None:
    # a rule that takes over on_visit / on_leave would bypass the subtree test
    for rule in [*PIPELINE, *FINAL]:
        for klass in rule.__mro__[: rule.__mro__.index(Rule)]:
            assert "on_visit" not in klass.__dict__ and "on_leave" not in klass.__dict__, rule.__name__


class _RenameA(Rule):
    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value="b") if updated.value == "a" else updated


class _Noop(Rule):
    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.Lambda:
        return updated


def test_a_pass_changes_what_a_full_walk_changes_and_keeps_the_rest() -> None:
    module = cst.parse_module(SOURCE)
    renamed = apply_rules(module, [_RenameA], ConvertContext.for_examples())
    assert renamed.code == SOURCE.replace("(self, a)", "(self, b)").replace("return a +", "return b +")
    untouched = apply_rules(module, [_Noop], ConvertContext.for_examples())
    assert untouched.code == SOURCE
    assert untouched.body[1] is module.body[1]  # nothing to hook there: not walked, not rebuilt


def test_visitor_hooks() -> None:
    module = cst.parse_module(SOURCE)
    seen: list[str] = []

    class Strings(HookVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            seen.append(node.value)

    module.visit(Strings())
    assert seen == ['"""Doc."""', '"text"']

    class Attribute(HookVisitor):
        def visit_Call_func(self, node: cst.Call) -> None:  # runs on the children of a Call
            pass

    assert _hooked_mask(Attribute) == -1  # nothing may be passed over
    kinds = SubtreeKinds()
    assert kinds.below(module) & kind_bit("SimpleString")
    assert not kinds.below(module.body[2]) & kind_bit("Lambda")


class _CallToName(Rule):
    phase = "test-walk"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        return cst.Name("called") if isinstance(updated.func, cst.Name) and updated.func.value == "h" else updated


class _CountCalls(Rule):
    phase = "test-walk"
    seen = 0

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        type(self).seen += 1
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value="B") if updated.value == "b" else updated


def test_rules_of_one_phase_share_a_walk_with_the_passes_results() -> None:
    """Two rules of one phase give what their two passes give; a node the first replaced (a call become a
    name) is not handed to the second's hook for the old kind of node."""
    source = "def f(b):\n    return h(b) + k(b)\n"
    module = cst.parse_module(source)
    ctx = ConvertContext.for_examples()
    walked = apply_rules(module, [_CallToName, _CountCalls], ctx)
    separate = apply_rules(apply_rules(module, [_CallToName], ctx), [_CountCalls], ctx)
    assert walked.code == separate.code == "def f(B):\n    return called + k(B)\n"


def test_a_phase_is_one_run_of_consecutive_rules() -> None:
    """A phase split by a rule of another phase would silently become two walks."""
    for pipeline in (PIPELINE, FINAL):
        order = [rule.phase for rule in pipeline]
        runs = [phase for i, phase in enumerate(order) if phase and (i == 0 or order[i - 1] != phase)]
        assert len(runs) == len(set(runs)), runs
