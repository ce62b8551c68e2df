"""``docs/rules.md`` is generated from the rule classes and must match them.

After changing a rule (its name, summary, first example, the tables it reads) or a mapping table,
regenerate the index from the project root:

    python -m scaffold.convert.rules_index > docs/rules.md
"""

from __future__ import annotations

import difflib

from conftest import PROJECT

from scaffold.convert.rules import FINAL, PIPELINE
from scaffold.convert.rules_index import COMMAND, readers, render, tables_read

DOC = PROJECT / "docs" / "rules.md"


def test_rules_index_is_up_to_date():
    actual = render()
    expected = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "docs/rules.md", "render()", n=1)
    )
    assert actual == expected, f"docs/rules.md is out of date; refresh it with `{COMMAND}`\n{diff[:4000]}"


def test_every_rule_has_a_section_and_an_index_line():
    text = render()
    for rule in PIPELINE + FINAL:
        assert f"\n### {rule.name}\n" in text
        assert f"| [`{rule.name}`](#{rule.name}) |" in text


def test_tables_a_rule_reads_are_found():
    from scaffold.convert.rules.layers import ModulesToKerasLayers
    from scaffold.convert.rules.ops.calls import TorchFunctions

    assert "tables_layers.LAYERS" in tables_read(ModulesToKerasLayers)
    assert {"tables_ops.FUNCTIONS", "tables_ops.FUNCTIONAL"} <= set(tables_read(TorchFunctions))
    assert ModulesToKerasLayers in readers("tables_layers.LAYERS")


def test_lookup_names_the_rule_of_common_pytorch_names():
    text = render()
    lookup = text[text.index("## Which rule handles X") :]
    for name, rule in [
        ("nn.LayerNorm", "modules-to-keras-layers"),
        ("torch.einsum", "torch-functions"),
        ("F.softmax", "torch-functions"),
        ("x.view()", "tensor-methods"),
        ("DynamicCache", "cache-classes"),
    ]:
        assert f"| `{name}` | [`{rule}`](#{rule})" in lookup, name
