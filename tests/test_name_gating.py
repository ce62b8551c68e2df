"""Rules that say which identifiers their hooks act on (``name_gated``) convert exactly as they would without
saying it: the walk only passes over subtrees where those hooks would have done nothing.

Real modules of the 4.46.3 source distribution, converted twice in one process: once as the pipeline runs,
once with every rule's ``names_reacted_to`` answering None and every helper visitor's ``names_looked_for``
ignored (no gating). The identifier bits hash names, so
which subtrees a gated walk passes over changes from process to process; the output must not.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from scaffold.checkout import open_checkout
from scaffold.convert.assemble import convert_model
from scaffold.convert.rules import FINAL, PIPELINE, base
from scaffold.convert.rules.base import HookVisitor, Rule, SubtreeKinds, kind_bit, name_bit, names_mask

GATED = [rule for rule in PIPELINE + FINAL if rule.name_gated]


def test_rules_gate_only_kinds_they_hook() -> None:
    """A gated kind the rule has no hook for would say nothing; a typo there would gate nothing."""
    for rule in GATED:
        hooked = {
            attribute.partition("_")[2]
            for klass in rule.__mro__
            if klass.__module__.startswith("scaffold")
            for attribute in vars(klass)
            if attribute.startswith(("visit_", "leave_"))
        }
        assert rule.name_gated <= hooked, (rule.name, rule.name_gated - hooked)


def test_subtree_bits_hold_the_names_below() -> None:
    module = cst.parse_module("x = torch.cat([a, b])\ny = 1\n")
    kinds = SubtreeKinds()
    first, second = module.body
    assert kinds.with_node(first) & name_bit("torch")
    assert kinds.with_node(first) & names_mask(["cat", "a"]) == names_mask(["cat", "a"])
    assert kinds.with_node(first) & kind_bit("Call")
    # the second line holds a name (y) and no call: unless y's bit is torch's, it is passed over for torch
    if name_bit("y") != name_bit("torch"):
        assert not kinds.with_node(second) & name_bit("torch")
    assert not kinds.with_node(second) & kind_bit("Call")


@pytest.mark.parametrize("model", ["bert", "llama", "t5", "vit"])
def test_gating_changes_no_output(pristine: Path, model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = open_checkout(pristine, quiet=True)
    gated = convert_model(checkout, checkout.model(model)).code
    monkeypatch.setattr(Rule, "names_reacted_to", lambda self: None)
    for rule in GATED:  # the rules' own answers too
        monkeypatch.setattr(rule, "names_reacted_to", lambda self: None)
    # and the helper visitors that look for names (names_looked_for)
    monkeypatch.setattr(HookVisitor, "subtree_filter", lambda self: base._subtree_filter(self))
    assert convert_model(checkout, checkout.model(model)).code == gated
