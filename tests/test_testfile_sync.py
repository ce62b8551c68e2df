"""``check`` and ``apply`` keep a TF test file's ``all_model_classes`` in line with the port.

The test file here is written by hand for the test (transformers' own test files are not in the
source distribution); the port is upstream's bert, whose public model classes are known.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import tree_hashes
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.formatting import ruff_format
from scaffold.registry.testfile import listed_classes, set_model_classes

pytestmark = pytest.mark.tree

BERT_MODELS = [
    "TFBertModel",
    "TFBertForPreTraining",
    "TFBertLMHeadModel",
    "TFBertForMaskedLM",
    "TFBertForNextSentencePrediction",
    "TFBertForSequenceClassification",
    "TFBertForMultipleChoice",
    "TFBertForTokenClassification",
    "TFBertForQuestionAnswering",
]

TEMPLATE = """import unittest

from transformers import BertConfig, is_tf_available

if is_tf_available():
    from transformers import (
{imports}
    )


class TFBertModelTest(unittest.TestCase):
    all_model_classes = ({listed}) if is_tf_available() else ()

    def test_nothing(self):
        self.assertTrue(True)
"""


def as_tuple(names: list[str]) -> str:
    return ", ".join(names) + ("," if len(names) == 1 else "")


def write_test_file(tree: Path, names: list[str]) -> Path:
    path = tree / "tests" / "models" / "bert" / "test_modeling_tf_bert.py"
    path.parent.mkdir(parents=True)
    imports = "\n".join(f"        {n}," for n in sorted(names))
    text = TEMPLATE.format(imports=imports, listed=as_tuple(names))
    path.write_text(ruff_format(text, path.name, tree))  # as `make style` leaves a real test file
    return path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_consistent_file_passes_and_apply_changes_nothing(tree: Path) -> None:
    write_test_file(tree, BERT_MODELS)
    assert run("check", "bert", "--repo", str(tree)).exit_code == 0
    before = tree_hashes(tree)
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    assert tree_hashes(tree) == before


def test_stale_name_is_an_error_and_apply_removes_it_with_its_import(tree: Path) -> None:
    path = write_test_file(tree, [*BERT_MODELS, "TFBertForGone"])
    result = run("check", "bert", "--repo", str(tree))
    assert result.exit_code == 1
    assert "tests/models/bert/test_modeling_tf_bert.py" in result.output and "TFBertForGone" in result.output
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    text = path.read_text()
    assert "TFBertForGone" not in text
    assert listed_classes(text)[0] == BERT_MODELS
    assert run("check", "bert", "--repo", str(tree)).exit_code == 0
    once = path.read_text()
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    assert path.read_text() == once


def test_missing_name_is_a_warning_and_apply_adds_and_imports_it(tree: Path) -> None:
    path = write_test_file(tree, BERT_MODELS[:-1])
    result = run("check", "bert", "--repo", str(tree))
    assert result.exit_code == 0  # a hand-written file may leave a class out on purpose
    warned = run("check", "bert", "--repo", str(tree), "--warnings")
    assert "TFBertForQuestionAnswering" in warned.output
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    text = path.read_text()
    assert listed_classes(text)[0] == BERT_MODELS
    assert "        TFBertForQuestionAnswering,\n" in text  # imported, in the formatted layout
    compile(text, str(path), "exec")


def test_other_lines_stay_byte_for_byte(tree: Path) -> None:
    path = write_test_file(tree, [*BERT_MODELS, "TFBertForGone"])
    before = path.read_text().splitlines()
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    after = path.read_text().splitlines()
    untouched = [line for line in before if "TFBertForGone" not in line and "all_model_classes" not in line]
    assert [line for line in after if "all_model_classes" not in line] == untouched


NAMES = st.lists(st.from_regex(r"TF[A-Z][a-z]{1,6}", fullmatch=True), min_size=1, max_size=6, unique=True)


@given(listed=NAMES, wanted=NAMES)
def test_editor_lists_exactly_the_wanted_names(listed: list[str], wanted: list[str]) -> None:
    imports = "\n".join(f"        {n}," for n in sorted(listed))
    text = TEMPLATE.format(imports=imports, listed=as_tuple(listed))
    stale = [n for n in listed if n not in wanted]
    edited = set_model_classes(text, wanted, stale)
    compile(edited, "t.py", "exec")
    result = listed_classes(edited)[0]
    assert sorted(result) == sorted(wanted)
    kept = [n for n in listed if n in wanted]
    assert result[: len(kept)] == kept  # names already listed keep their places, new ones follow
    header = edited.split("class ")[0]
    for name in wanted:
        assert re.search(rf"\b{name},", header), name  # imported above the class
    for name in stale:
        assert not re.search(rf"\b{name}\b", edited), name
