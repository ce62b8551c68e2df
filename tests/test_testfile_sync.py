"""``check`` and ``apply`` keep a TF test file's ``all_model_classes`` in line with the port.

The test files here are written by hand for the test (transformers' own test files are not in the
source distribution; ``test_full_checkout.py`` runs on them); the ports are upstream's bert, gpt2
and opt, whose public model classes are known. The imports the sync writes are checked with ruff's
F821 (an undefined name), an oracle independent of the editor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import tree_hashes
from hypothesis import given
from hypothesis import strategies as st
from lint import undefined_names
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.formatting import ruff_format
from scaffold.registry.exports import Kinds
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


# ----------------------------------------------------------------------------- imports in the file's own style

GPT2_MODELS = ["TFGPT2Model", "TFGPT2LMHeadModel", "TFGPT2ForSequenceClassification", "TFGPT2DoubleHeadsModel"]

# As upstream's gpt2 test file: the port's classes come from the modeling module's own path, and the
# only ``from transformers import`` under the guard imports no TF class.
MODULE_PATH_TEMPLATE = """import unittest

from transformers import GPT2Config, is_tf_available

if is_tf_available():
    import tensorflow as tf

    from transformers import GPT2Tokenizer
    from transformers.models.gpt2.modeling_tf_gpt2 import (
{imports}
    )


class TFGPT2ModelTest(unittest.TestCase):
    all_model_classes = ({listed}) if is_tf_available() else ()

    def test_nothing(self):
        self.assertTrue(tf is not None and GPT2Config is not None and GPT2Tokenizer is not None)
"""


def write_gpt2_test_file(tree: Path, imported: list[str], listed: list[str]) -> Path:
    path = tree / "tests" / "models" / "gpt2" / "test_modeling_tf_gpt2.py"
    path.parent.mkdir(parents=True)
    imports = "\n".join(f"        {n}," for n in sorted(imported))
    text = MODULE_PATH_TEMPLATE.format(imports=imports, listed=as_tuple(listed))
    path.write_text(ruff_format(text, path.name, tree))
    return path


def test_missing_class_is_imported_from_the_modeling_module_the_file_uses(tree: Path) -> None:
    """The file imports the port by module path: the added class joins that import, not GPT2Tokenizer's."""
    kept = [n for n in GPT2_MODELS if n != "TFGPT2ForSequenceClassification"]
    path = write_gpt2_test_file(tree, kept, kept)
    assert run("apply", "gpt2", "--repo", str(tree)).exit_code == 0
    text = path.read_text()
    assert sorted(listed_classes(text)[0]) == sorted(GPT2_MODELS)
    module_import = text.split("from transformers.models.gpt2.modeling_tf_gpt2 import (")[1].split(")")[0]
    assert "TFGPT2ForSequenceClassification," in module_import
    assert "from transformers import GPT2Tokenizer\n" in text  # left as it was
    assert undefined_names([path]) == set()


def test_listed_class_the_file_does_not_import_is_an_error_apply_imports_it(tree: Path) -> None:
    """A listed class with no import breaks the test module: an error, and apply imports it in the file's style."""
    imported = [n for n in GPT2_MODELS if n != "TFGPT2LMHeadModel"]
    path = write_gpt2_test_file(tree, imported, GPT2_MODELS)
    assert undefined_names([path]) == {(str(path), "TFGPT2LMHeadModel")}
    result = run("check", "gpt2", "--repo", str(tree))
    assert result.exit_code == 1
    assert "TFGPT2LMHeadModel: all_model_classes names a class the file does not import" in result.stdout
    assert run("apply", "gpt2", "--repo", str(tree)).exit_code == 0
    assert undefined_names([path]) == set()
    assert "TFGPT2LMHeadModel," in path.read_text().split("modeling_tf_gpt2 import (")[1]
    assert run("check", "gpt2", "--repo", str(tree)).exit_code == 0


NO_TF_IMPORT = """import unittest

from transformers import BertConfig, is_tf_available

if is_tf_available():
    import tensorflow as tf


class TFBertModelTest(unittest.TestCase):
    all_model_classes = ({listed}) if is_tf_available() else ()

    def test_nothing(self):
        self.assertTrue(tf is not None and BertConfig is not None)
"""


def test_a_file_that_imports_no_tf_class_gets_an_import_under_the_tf_guard(tree: Path) -> None:
    path = tree / "tests" / "models" / "bert" / "test_modeling_tf_bert.py"
    path.parent.mkdir(parents=True)
    path.write_text(ruff_format(NO_TF_IMPORT.format(listed="TFBertModel,"), path.name, tree))
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    text = path.read_text()
    assert sorted(listed_classes(text)[0]) == sorted(BERT_MODELS)
    guarded = text.split("if is_tf_available():\n")[1].split("\n\n\n")[0]
    assert "from transformers import" in guarded and "TFBertForQuestionAnswering" in guarded
    assert undefined_names([path]) == set()
    assert run("check", "bert", "--repo", str(tree)).exit_code == 0


def test_stale_class_the_file_still_uses_is_left_for_a_person(tree: Path) -> None:
    """Dropping the import of a class a test still calls would leave an undefined name: a hand edit."""
    path = write_test_file(tree, [*BERT_MODELS, "TFBertForGone"])
    text = path.read_text().replace(
        "        self.assertTrue(True)\n", "        self.assertTrue(TFBertForGone is not None)\n"
    )
    path.write_text(text)
    result = run("check", "bert", "--repo", str(tree))
    assert result.exit_code == 1
    assert "TFBertForGone: all_model_classes names a class the port does not export, and the file uses it" in (
        result.stdout
    )
    before = tree_hashes(tree)
    result = run("apply", "bert", "--repo", str(tree))
    assert result.exit_code == 1 and "TFBertForGone" in result.stderr
    assert tree_hashes(tree) == before


# ----------------------------------------------------------------------------- what utils/check_repo.py requires

CHECK_REPO = """PRIVATE_MODELS = ["TFBertPrivate"]
IGNORE_NON_TESTED = PRIVATE_MODELS.copy() + [
    "TFBertForMultipleChoice",  # a deliberate omission, declared where transformers declares them
]
"""


def test_tree_with_check_repo_requires_what_it_requires(tree: Path) -> None:
    """With the script, a missing class is an error unless IGNORE_NON_TESTED exempts it; apply adds the rest."""
    (tree / "utils").mkdir()
    (tree / "utils" / "check_repo.py").write_text(CHECK_REPO)
    left_out = ["TFBertForMultipleChoice", "TFBertForQuestionAnswering"]
    path = write_test_file(tree, [n for n in BERT_MODELS if n not in left_out])
    result = run("check", "bert", "--repo", str(tree), "--warnings")
    assert result.exit_code == 1
    assert "TFBertForQuestionAnswering: public TF model class is missing from all_model_classes" in result.stdout
    assert "TFBertForMultipleChoice" not in result.stdout
    assert run("apply", "bert", "--repo", str(tree)).exit_code == 0
    listed = listed_classes(path.read_text())[0]
    assert "TFBertForQuestionAnswering" in listed and "TFBertForMultipleChoice" not in listed
    assert run("check", "bert", "--repo", str(tree)).exit_code == 0


OPT_TEMPLATE = """import unittest

from transformers import OPTConfig, is_tf_available

if is_tf_available():
    from transformers import TFOPTForCausalLM, TFOPTModel


class TFOPTModelTest(unittest.TestCase):
    all_model_classes = (TFOPTModel, TFOPTForCausalLM) if is_tf_available() else ()

    def test_nothing(self):
        self.assertTrue(OPTConfig is not None)
"""


def test_models_also_decorated_keras_serializable_are_models(tree: Path) -> None:
    """TFOPTModel is a TFPreTrainedModel that upstream also marks @keras_serializable: still a model class."""
    kinds = Kinds()
    opt = tree / "src" / "transformers" / "models" / "opt" / "modeling_tf_opt.py"
    assert kinds.kind(opt, "TFOPTModel") == "model"
    assert kinds.kind(opt, "TFOPTForCausalLM") == "model"
    assert kinds.kind(opt, "TFOPTMainLayer") == "main_layer"
    assert kinds.kind(opt, "TFOPTDecoder") == "main_layer"
    path = tree / "tests" / "models" / "opt" / "test_modeling_tf_opt.py"
    path.parent.mkdir(parents=True)
    path.write_text(ruff_format(OPT_TEMPLATE, path.name, tree))
    assert run("check", "opt", "--repo", str(tree)).exit_code == 0
    before = tree_hashes(tree)
    assert run("apply", "opt", "--repo", str(tree)).exit_code == 0
    assert tree_hashes(tree) == before


DPR_TEMPLATE = """import unittest

from transformers import DPRConfig, is_tf_available

if is_tf_available():
    from transformers import TFDPRContextEncoder, TFDPRQuestionEncoder, TFDPRReader


class TFDPRModelTest(unittest.TestCase):
    all_model_classes = (TFDPRContextEncoder, TFDPRQuestionEncoder, TFDPRReader) if is_tf_available() else ()

    def test_nothing(self):
        self.assertTrue(DPRConfig is not None)
"""


def test_without_check_repo_only_classes_a_test_can_run_are_required(tree: Path) -> None:
    """DPR exports its encoders' pretrained bases, which define no ``call``: the test generator leaves
    them out, so ``apply`` must not add them back (``new`` followed by ``apply`` changes nothing)."""
    path = tree / "tests" / "models" / "dpr" / "test_modeling_tf_dpr.py"
    path.parent.mkdir(parents=True)
    path.write_text(ruff_format(DPR_TEMPLATE, path.name, tree))
    warned = run("check", "dpr", "--repo", str(tree), "--warnings")
    assert warned.exit_code == 0 and "TFDPRPretrained" not in warned.output
    before = tree_hashes(tree)
    assert run("apply", "dpr", "--repo", str(tree)).exit_code == 0
    assert tree_hashes(tree) == before
