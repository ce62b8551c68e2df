"""The TF part of model doc pages and the TensorFlow column of ``index.md``.

The 4.46.3 source distribution has no ``docs/`` folder, so every test writes the pages it needs into
its own copy of the tree. The upstream-like pages below copy the shape of the real 4.46 pages (bert's
two ``<frameworkcontent>`` blocks and its mistyped ``TFBertModelLMHeadModel`` heading, convbert's
missing ``TFConvBertLayer``, swin's ``transformers.``-qualified entry, DPR's undocumented
``TFDPRPretrained*`` bases, openai's page named after its model type): on them ``check`` must stay
silent and ``apply`` must not change a byte.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import tree_hashes
from typer.testing import CliRunner

from scaffold.checkout import Checkout
from scaffold.cli import app
from scaffold.registry import docs
from scaffold.registry.sync import sync

pytestmark = pytest.mark.tree

DOCS = "docs/source/en"
BERT_PAGE = f"{DOCS}/model_doc/bert.md"
INDEX = f"{DOCS}/index.md"
YES, NO = "✅", "❌"

HEADER = """<!--Copyright 2020 The HuggingFace Team. All rights reserved.

Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in compliance with
the License. You may obtain a copy of the License at

http://www.apache.org/licenses/LICENSE-2.0

-->
"""

# The task order upstream pages use, and the PyTorch/Flax twins that go with it.
BERT_TASKS = [
    "Model",
    "ForPreTraining",
    "LMHeadModel",
    "ForMaskedLM",
    "ForNextSentencePrediction",
    "ForSequenceClassification",
    "ForMultipleChoice",
    "ForTokenClassification",
    "ForQuestionAnswering",
]


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def check(tree: Path, *models: str, warnings: bool = False):
    return run("check", *models, "--repo", str(tree), *(["--warnings"] if warnings else []))


def apply(tree: Path, *models: str):
    return run("apply", *models, "--repo", str(tree))


def tf_names(tree: Path, model: str) -> list[str]:
    """The model's public TF names as its ``__init__`` lists them, read independently of tfscaffold."""
    text = (tree / "src/transformers/models" / model / "__init__.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and ast.literal_eval(node.targets[0].slice) == f"modeling_tf_{model}"
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no TF names in {model}/__init__.py")


def documentable(tree: Path, model: str) -> list[str]:
    skip = ("MainLayer", "PreTrainedModel", "Embeddings")
    return [n for n in tf_names(tree, model) if not n.endswith(skip)]


def section(name: str, option: str | None = None, target: str | None = None) -> str:
    body = f"## {name}\n\n[[autodoc]] {target or name}\n"
    return body + (f"    - {option}\n" if option else "")


def framework(pt: list[str], tf: list[str], jax: list[str] | None = None) -> str:
    parts = ["<frameworkcontent>", "<pt>", "", "\n".join(pt), "</pt>", "<tf>", "", "\n".join(tf), "</tf>"]
    if jax:
        parts += ["<jax>", "", "\n".join(jax), "</jax>"]
    return "\n".join([*parts, "</frameworkcontent>"]) + "\n"


def generated_tf_part(names: list[str]) -> str:
    """A ``<tf>`` part exactly as tfscaffold writes it, spelled out here rather than imported."""
    body = "\n".join(f"## {n}\n\n[[autodoc]] {n}\n    - call\n" for n in names)
    return f"<tf>\n\n{body}\n</tf>\n"


def upstream_bert_page() -> str:
    """bert.md as 4.46 has it, shortened: the TF entries are in task order, one heading mistyped."""
    pt = [section(f"Bert{t}", "forward") for t in BERT_TASKS]
    tf = [section(f"TFBert{t}", "call") for t in BERT_TASKS]
    tf[2] = section("TFBertModelLMHeadModel", "call", target="TFBertLMHeadModel")
    jax = [section(f"FlaxBert{t.replace('LMHeadModel', 'ForCausalLM')}", "__call__") for t in BERT_TASKS]
    return (
        HEADER
        + "\n# BERT\n\n## Overview\n\nThe BERT model was proposed in a paper.\n\n"
        + "```python\n>>> from transformers import TFBertModel\n```\n\n"
        + "<!--\n[[autodoc]] TFBertCommentedOut\n-->\n\n"
        + section("BertConfig", "all")
        + "\n"
        + section("BertTokenizer", "save_vocabulary")
        + "\n"
        + framework([section("BertTokenizerFast")], [section("TFBertTokenizer")])
        + "\n## Bert specific outputs\n\n"
        + "[[autodoc]] models.bert.modeling_bert.BertForPreTrainingOutput\n\n"
        + "[[autodoc]] models.bert.modeling_tf_bert.TFBertForPreTrainingOutput\n\n"
        + "[[autodoc]] models.bert.modeling_flax_bert.FlaxBertForPreTrainingOutput\n\n\n"
        + framework(pt, tf, jax)
    )


def upstream_pages() -> dict[str, str]:
    conv_tasks = [
        "Model",
        "ForMaskedLM",
        "ForSequenceClassification",
        "ForMultipleChoice",
        "ForTokenClassification",
        "ForQuestionAnswering",
    ]
    openai_tasks = ["Model", "LMHeadModel", "DoubleHeadsModel", "ForSequenceClassification"]
    dpr = ["ContextEncoder", "QuestionEncoder", "Reader"]
    return {
        "bert.md": upstream_bert_page(),
        "convbert.md": HEADER
        + "\n# ConvBERT\n\n"
        + section("ConvBertConfig")
        + "\n"
        + framework(
            [section(f"ConvBert{t}", "forward") for t in conv_tasks],
            [section(f"TFConvBert{t}", "call") for t in conv_tasks],
        ),
        "openai-gpt.md": HEADER
        + "\n# OpenAI GPT\n\n"
        + framework(
            [section(f"OpenAIGPT{t}", "forward") for t in openai_tasks],
            [section(f"TFOpenAIGPT{t}", "call") for t in openai_tasks],
        )
        + "\n## OpenAI specific outputs\n\n"
        + "[[autodoc]] models.openai.modeling_openai.OpenAIGPTDoubleHeadsModelOutput\n\n"
        + "[[autodoc]] models.openai.modeling_tf_openai.TFOpenAIGPTDoubleHeadsModelOutput\n",
        "swin.md": HEADER
        + "\n# Swin Transformer\n\n"
        + framework(
            [section("SwinModel", "forward"), section("SwinForImageClassification", "forward")],
            [
                section("TFSwinModel", "call"),
                section("TFSwinForMaskedImageModeling", "call"),
                section("TFSwinForImageClassification", "call", target="transformers.TFSwinForImageClassification"),
            ],
        ),
        "dpr.md": HEADER
        + "\n# DPR\n\n"
        + framework([section(f"DPR{n}", "forward") for n in dpr], [section(f"TFDPR{n}", "call") for n in dpr]),
    }


def center(text: str, width: int) -> str:
    length = 2 if text in (YES, NO) else len(text)
    left = (width - length) // 2
    return " " * left + text + " " * (width - length - left)


# (name, doc page, PyTorch, TensorFlow, Flax) as the 4.46 index has them.
UPSTREAM_ROWS = [
    ("ALBERT", "albert", YES, YES, YES),
    ("BARThez", "barthez", YES, YES, YES),
    ("BERT", "bert", YES, YES, YES),
    ("BigBird", "big_bird", YES, NO, YES),
    ("ByT5", "byt5", YES, YES, YES),
    ("ConvBERT", "convbert", YES, YES, NO),
    ("Data2VecAudio", "data2vec", YES, NO, NO),
    ("Data2VecText", "data2vec", YES, NO, NO),
    ("Data2VecVision", "data2vec", YES, YES, NO),
    ("DPR", "dpr", YES, YES, NO),
    ("OpenAI GPT", "openai-gpt", YES, YES, NO),
    ("Swin Transformer", "swin", YES, YES, NO),
]


def index_text(rows: list[tuple[str, str, str, str, str]]) -> str:
    """index.md with the table as utils/check_table.py writes it."""
    columns = ["Model", "PyTorch support", "TensorFlow support", "Flax Support"]
    links = [f"[{name}](model_doc/{page})" for name, page, *_ in rows]
    widths = [len(c) + 2 for c in columns]
    widths[0] = max(len(link) for link in links) + 2
    table = "|" + "|".join(center(c, w) for c, w in zip(columns, widths, strict=True)) + "|\n"
    table += "|" + "|".join(":" + "-" * (w - 2) + ":" for w in widths) + "|\n"
    for link, (_, _, *marks) in zip(links, rows, strict=True):
        table += "|" + "|".join(center(c, w) for c, w in zip([link, *marks], widths, strict=True)) + "|\n"
    return (
        "# 🤗 Transformers\n\n## Supported models and frameworks\n\n"
        "<!--This table is updated automatically from the auto modules with _make fix-copies_. "
        "Do not update manually!-->\n\n" + table + "\n<!-- End table-->\n"
    )


def write_docs(tree: Path, pages: dict[str, str], index: str | None = None) -> None:
    folder = tree / DOCS / "model_doc"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    if index is not None:
        (tree / INDEX).write_text(index, encoding="utf-8")


def read(tree: Path, rel: str) -> str:
    return (tree / rel).read_text(encoding="utf-8")


def bert_page_with_tf_part(tree: Path, names: list[str]) -> str:
    pt = [section(f"Bert{t}", "forward") for t in BERT_TASKS]
    return (
        HEADER
        + "\n# BERT\n\n"
        + "<frameworkcontent>\n<pt>\n\n"
        + "\n".join(pt)
        + "\n</pt>\n"
        + generated_tf_part(names)
        + "</frameworkcontent>\n"
    )


def doc_problems(tree: Path, *models: str):
    checkout = Checkout(tree)
    result = sync(checkout, [checkout.model(m) for m in models])
    return [p for p in result.problems if p.file.startswith("docs/")], result


def index_problems(tree: Path, *models: str):
    """Problems of the index table, which must also leave the file alone exactly when there are none."""
    problems, result = doc_problems(tree, *models)
    problems = [p for p in problems if p.file == INDEX]
    assert (INDEX in result.changes.paths()) == bool(problems)
    return problems


# ---------------------------------------------------------------- upstream pages: silence


def test_upstream_like_docs_give_no_error_and_apply_changes_nothing(tree: Path) -> None:
    write_docs(tree, upstream_pages(), index_text(UPSTREAM_ROWS))
    models = ["bert", "convbert", "openai", "swin", "dpr"]
    before = tree_hashes(tree)

    result = check(tree, *models, warnings=True)
    assert result.exit_code == 0, result.output
    # The one class upstream really leaves out is pointed out, never enforced.
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: docs/")]
    assert warnings == [line for line in warnings if "TFConvBertLayer" in line] and len(warnings) == 1, warnings
    assert "docs/source/en/model_doc/convbert.md" in warnings[0]

    result = apply(tree, *models)
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.output
    assert tree_hashes(tree) == before


def test_openai_page_is_found_by_model_type(tree: Path) -> None:
    write_docs(tree, {"openai-gpt.md": upstream_pages()["openai-gpt.md"]})
    problems, _ = doc_problems(tree, "openai")
    assert problems == []
    assert not (tree / DOCS / "model_doc/openai.md").exists()


def test_page_is_found_by_what_it_documents(tree: Path) -> None:
    """A page named after the folder that documents other things does not hide the model's real page."""
    write_docs(
        tree,
        {
            "openai.md": HEADER + "\n# OpenAI\n\nSee the GPT pages.\n",
            "gpt-original.md": upstream_pages()["openai-gpt.md"],
        },
    )
    before = tree_hashes(tree)
    problems, result = doc_problems(tree, "openai")
    assert problems == [] and not result.changes
    assert tree_hashes(tree) == before


# ---------------------------------------------------------------- model page: missing and extra entries


def test_missing_entry_in_generated_part_is_an_error_and_apply_adds_it(tree: Path) -> None:
    names = documentable(tree, "bert")
    assert "TFBertForQuestionAnswering" in names and "TFBertMainLayer" not in names
    complete = bert_page_with_tf_part(tree, names)
    write_docs(
        tree, {"bert.md": bert_page_with_tf_part(tree, [n for n in names if n != "TFBertForQuestionAnswering"])}
    )

    result = check(tree, "bert")
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "TFBertForQuestionAnswering" in line)
    assert line.startswith(BERT_PAGE + ":") and "tfscaffold apply bert" in line

    assert apply(tree, "bert").exit_code == 0
    assert read(tree, BERT_PAGE) == complete
    assert check(tree, "bert").exit_code == 0
    before = tree_hashes(tree)
    second = apply(tree, "bert")
    assert "nothing to change" in second.output and tree_hashes(tree) == before


def test_missing_entry_in_hand_written_part_is_only_a_warning(tree: Path) -> None:
    page = upstream_bert_page().replace(section("TFBertForQuestionAnswering", "call") + "\n", "")
    assert "TFBertForQuestionAnswering" not in page.split("</pt>\n<tf>")[2]
    write_docs(tree, {"bert.md": page})
    problems, result = doc_problems(tree, "bert")
    assert [(p.name, p.severity, p.fixable) for p in problems] == [("TFBertForQuestionAnswering", "warning", False)]
    assert BERT_PAGE not in result.changes.paths()


def test_a_single_generated_looking_entry_proves_nothing(tree: Path) -> None:
    """One ``## TFBertModel`` entry is in any order at all: the page may be upstream's, so only warnings."""
    write_docs(tree, {"bert.md": bert_page_with_tf_part(tree, ["TFBertModel"])})
    problems, result = doc_problems(tree, "bert")
    assert {p.severity for p in problems} == {"warning"}
    assert sorted(p.name for p in problems) == sorted(n for n in documentable(tree, "bert") if n != "TFBertModel")
    assert BERT_PAGE not in result.changes.paths()


def test_extra_entry_is_an_error_and_apply_removes_it(tree: Path) -> None:
    names = documentable(tree, "bert")
    page = bert_page_with_tf_part(tree, names)
    extra = "## TFBertForImaginaryTask\n\n[[autodoc]] TFBertForImaginaryTask\n    - call\n\n"
    write_docs(tree, {"bert.md": page.replace("</tf>", extra + "</tf>")})

    problems, _ = doc_problems(tree, "bert")
    assert [(p.name, p.severity) for p in problems] == [("TFBertForImaginaryTask", "error")]
    lines = read(tree, BERT_PAGE).splitlines()
    assert lines[problems[0].line - 1] == "[[autodoc]] TFBertForImaginaryTask"

    result = check(tree, "bert")
    assert result.exit_code == 1 and f"{BERT_PAGE}:{problems[0].line}: TFBertForImaginaryTask" in result.output
    assert apply(tree, "bert").exit_code == 0
    assert read(tree, BERT_PAGE) == page
    assert check(tree, "bert").exit_code == 0


def test_entry_of_a_class_removed_from_the_init_is_removed(tree: Path) -> None:
    names = documentable(tree, "bert")
    write_docs(tree, {"bert.md": bert_page_with_tf_part(tree, names)})
    init = tree / "src/transformers/models/bert/__init__.py"
    text = init.read_text(encoding="utf-8")
    init.write_text(text.replace('        "TFBertForMultipleChoice",\n', ""), encoding="utf-8")

    result = check(tree, "bert")
    assert result.exit_code == 1
    assert any(line.startswith(BERT_PAGE) and "TFBertForMultipleChoice" in line for line in result.output.splitlines())
    assert apply(tree, "bert").exit_code == 0
    assert read(tree, BERT_PAGE) == bert_page_with_tf_part(tree, [n for n in names if n != "TFBertForMultipleChoice"])


# ---------------------------------------------------------------- model page: new TF parts and pages


def test_page_without_frameworkcontent_gets_one_after_the_pytorch_entries(tree: Path) -> None:
    pt = "\n".join(section(f"Bert{t}", "forward") for t in BERT_TASKS)
    flax = section("FlaxBertModel", "__call__")
    page = HEADER + "\n# BERT\n\n" + section("BertConfig") + "\n" + pt + "\n" + flax
    write_docs(tree, {"bert.md": page})
    names = documentable(tree, "bert")

    problems, _ = doc_problems(tree, "bert")
    assert sorted(p.name for p in problems) == sorted(names)
    assert {p.severity for p in problems} == {"error"}

    assert apply(tree, "bert").exit_code == 0
    block = "<frameworkcontent>\n" + generated_tf_part(names) + "</frameworkcontent>\n"
    assert (
        read(tree, BERT_PAGE)
        == HEADER + "\n# BERT\n\n" + section("BertConfig") + "\n" + pt + "\n" + block + "\n" + flax
    )
    assert check(tree, "bert").exit_code == 0
    before = tree_hashes(tree)
    assert "nothing to change" in apply(tree, "bert").output and tree_hashes(tree) == before


def test_tf_part_joins_the_block_of_the_pytorch_twins(tree: Path) -> None:
    pt = "\n".join(section(f"Bert{t}", "forward") for t in BERT_TASKS)
    tokenizers = framework([section("BertTokenizerFast")], [section("TFBertTokenizer")])
    models = (
        f"<frameworkcontent>\n<pt>\n\n{pt}\n</pt>\n<jax>\n\n{section('FlaxBertModel')}\n</jax>\n</frameworkcontent>\n"
    )
    write_docs(tree, {"bert.md": HEADER + "\n" + tokenizers + "\n" + models})

    assert check(tree, "bert").exit_code == 1
    assert apply(tree, "bert").exit_code == 0
    names = documentable(tree, "bert")
    expected = models.replace("</pt>\n", "</pt>\n" + generated_tf_part(names))
    assert read(tree, BERT_PAGE) == HEADER + "\n" + tokenizers + "\n" + expected
    assert check(tree, "bert").exit_code == 0


def test_missing_page_is_created(tree: Path) -> None:
    (tree / DOCS / "model_doc").mkdir(parents=True)
    (tree / DOCS / "_toctree.yml").write_text("- sections:\n  - local: model_doc/albert\n", encoding="utf-8")

    problems, _ = doc_problems(tree, "bert")
    created = [p for p in problems if p.severity == "error"]
    assert [(p.file, p.name) for p in created] == [(BERT_PAGE, "bert")]
    assert [p.file for p in problems if p.severity == "warning"] == [f"{DOCS}/_toctree.yml"]

    assert apply(tree, "bert").exit_code == 0
    text = read(tree, BERT_PAGE)
    assert text.startswith("<!--Copyright ") and "\n# BERT\n\n## Overview\n" in text
    assert "## BertConfig\n\n[[autodoc]] BertConfig\n\n<frameworkcontent>\n" in text
    assert text.endswith(
        "<frameworkcontent>\n" + generated_tf_part(documentable(tree, "bert")) + "</frameworkcontent>\n"
    )
    assert check(tree, "bert").exit_code == 0
    before = tree_hashes(tree)
    assert "nothing to change" in apply(tree, "bert").output and tree_hashes(tree) == before


# ---------------------------------------------------------------- model page: TF file deleted


def test_deleted_tf_file_removes_the_tf_part_and_keeps_the_rest(tree: Path) -> None:
    write_docs(tree, {"bert.md": upstream_bert_page()}, index_text(UPSTREAM_ROWS))
    (tree / "src/transformers/models/bert/modeling_tf_bert.py").unlink()

    problems, _ = doc_problems(tree, "bert")
    page_errors = {p.name for p in problems if p.file == BERT_PAGE}
    assert page_errors == {f"TFBert{t}" for t in BERT_TASKS} | {"TFBertForPreTrainingOutput"}
    assert [(p.file, p.name) for p in problems if p.file == INDEX] == [(INDEX, "BERT")]

    assert apply(tree, "bert").exit_code == 0
    text = read(tree, BERT_PAGE)
    page = upstream_bert_page()
    tf_part = page[page.rindex("<tf>\n") : page.rindex("</tf>\n") + len("</tf>\n")]
    expected = page.replace(tf_part, "").replace(
        "[[autodoc]] models.bert.modeling_tf_bert.TFBertForPreTrainingOutput\n\n", ""
    )
    assert text == expected
    # The tokenizer's own <tf> part stays: TFBertTokenizer does not live in the deleted file.
    assert "<tf>\n\n## TFBertTokenizer\n" in text
    index_line = next(line for line in read(tree, INDEX).splitlines() if "[BERT]" in line)
    assert index_line.split("|")[3].strip() == NO
    assert check(tree, "bert").exit_code == 0


def test_deleted_tf_file_removes_qualified_entries_too(tree: Path) -> None:
    """swin documents one class as ``transformers.TFSwinForImageClassification``; it goes with the rest."""
    page = upstream_pages()["swin.md"]
    write_docs(tree, {"swin.md": page})
    (tree / "src/transformers/models/swin/modeling_tf_swin.py").unlink()

    problems, _ = doc_problems(tree, "swin")
    assert {p.name for p in problems} == {
        "TFSwinModel",
        "TFSwinForMaskedImageModeling",
        "TFSwinForImageClassification",
    }
    assert apply(tree, "swin").exit_code == 0
    text = read(tree, "docs/source/en/model_doc/swin.md")
    assert text == page[: page.index("<tf>\n")] + page[page.index("</tf>\n") + len("</tf>\n") :]
    assert check(tree, "swin").exit_code == 0


def test_deleted_tf_file_removes_a_generated_block_entirely(tree: Path) -> None:
    (tree / DOCS / "model_doc").mkdir(parents=True)
    assert apply(tree, "bert").exit_code == 0
    created = read(tree, BERT_PAGE)
    (tree / "src/transformers/models/bert/modeling_tf_bert.py").unlink()

    assert apply(tree, "bert").exit_code == 0
    text = read(tree, BERT_PAGE)
    assert "<frameworkcontent>" not in text and "TFBert" not in text
    assert text == created[: created.index("<frameworkcontent>")].rstrip("\n") + "\n"


# ---------------------------------------------------------------- index table


def test_wrong_tensorflow_cell_is_an_error_and_apply_recentres_it(tree: Path) -> None:
    rows = [
        r if r[0] not in ("BERT", "BigBird") else (*r[:3], NO if r[3] == YES else YES, r[4]) for r in UPSTREAM_ROWS
    ]
    write_docs(tree, {}, index_text(rows))

    result = check(tree, "bert")
    assert result.exit_code == 1
    lines = index_text(rows).splitlines()
    bert_line = next(i for i, line in enumerate(lines, 1) if "[BERT]" in line)
    assert f"{INDEX}:{bert_line}: BERT: TensorFlow column says ❌ but TFBertModel exists" in result.output
    assert "BigBird: TensorFlow column says ✅ but no TFBigBird(" in result.output

    assert apply(tree, "bert").exit_code == 0
    assert read(tree, INDEX) == index_text(UPSTREAM_ROWS)
    assert check(tree, "bert").exit_code == 0


def test_rows_per_model_type_follow_their_own_classes(tree: Path) -> None:
    """data2vec is one folder and three model types; only the vision one has TF classes."""
    rows = [r if r[0] != "Data2VecAudio" else (*r[:3], YES, r[4]) for r in UPSTREAM_ROWS]
    write_docs(tree, {}, index_text(rows))
    problems = index_problems(tree, "bert")
    assert [(p.name, p.message) for p in problems] == [
        (
            "Data2VecAudio",
            "TensorFlow column says ✅ but no TFData2VecAudio(Model|Encoder|Decoder|ForConditionalGeneration) class exists",
        )
    ]


def test_alias_rows_follow_the_model_whose_classes_they_reuse(tree: Path) -> None:
    """BARThez and ByT5 reuse BART's and T5's classes: the tree's own check_table.py says so."""
    rows = [r if r[0] != "BARThez" else (*r[:3], NO, r[4]) for r in UPSTREAM_ROWS]
    write_docs(tree, {}, index_text(rows))
    # Without utils/ (a source distribution) nothing says what BARThez reuses: the row is left alone.
    assert index_problems(tree, "bert") == []

    utils = tree / "utils"
    utils.mkdir()
    (utils / "check_table.py").write_text(
        'MODEL_NAMES_WITH_SAME_CONFIG = {\n    "BARThez": "BART",\n    "ByT5": "T5",\n}\n', encoding="utf-8"
    )
    problems = index_problems(tree, "bert")
    assert [(p.name, p.message) for p in problems] == [("BARThez", "TensorFlow column says ❌ but TFBartModel exists")]
    assert apply(tree, "bert").exit_code == 0
    assert read(tree, INDEX) == index_text(UPSTREAM_ROWS)


def test_alias_row_follows_its_base_when_the_base_loses_its_tf_port(tree: Path) -> None:
    write_docs(tree, {}, index_text(UPSTREAM_ROWS))
    (tree / "utils").mkdir()
    (tree / "utils/check_table.py").write_text('MODEL_NAMES_WITH_SAME_CONFIG = {"ByT5": "T5"}\n', encoding="utf-8")
    (tree / "src/transformers/models/t5/modeling_tf_t5.py").unlink()
    assert [p.name for p in index_problems(tree, "t5")] == ["ByT5"]


def test_index_without_markers_is_left_alone(tree: Path) -> None:
    write_docs(
        tree, {}, "# Transformers\n\n| Model | TensorFlow support |\n|:-:|:-:|\n| [BERT](model_doc/bert) | ❌ |\n"
    )
    assert index_problems(tree, "bert") == []


# ---------------------------------------------------------------- the rules in isolation


def test_tf_support_matches_the_table_generator() -> None:
    prefixes = {"Bert", "Data2VecVision", "Data2VecAudio", "EncoderDecoder", "DPR"}
    support = docs.tf_support(
        {
            "TFBertLMHeadModel",  # cut word by word: BertLMHead -> BertLM -> Bert
            "TFData2VecVisionForSemanticSegmentation",  # no model suffix: no ✅ on its own
            "TFEncoderDecoderModel",
            "TFDPRQuestionEncoder",
            "TFBertTokenizer",
        },
        prefixes,
    )
    assert support == {
        "Bert": ["TFBertLMHeadModel"],
        "EncoderDecoder": ["TFEncoderDecoderModel"],
        "DPR": ["TFDPRQuestionEncoder"],
    }


def test_parse_page_skips_code_and_comments() -> None:
    page = docs.parse_page(upstream_bert_page())
    names = [e.name for e in page.entries]
    assert "TFBertCommentedOut" not in names and "TFBertModel" in names
    assert [p.tag for b in page.blocks for p in b.parts] == ["pt", "tf", "pt", "tf", "jax"]
    lm_head = next(e for e in page.entries if e.name == "TFBertLMHeadModel")
    assert page.lines[lm_head.start] == "## TFBertModelLMHeadModel"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TFBertModel", True),
        ("TFConvBertLayer", True),
        ("TFBertMainLayer", False),
        ("TFBertEmbeddings", False),
        ("TFBertPreTrainedModel", False),
        ("TFDPRPretrainedReader", False),
        ("TF_MODEL_MAPPING", False),
    ],
)
def test_documentable(name: str, expected: bool) -> None:
    assert docs.is_documentable(name) is expected
