"""Seeded inconsistencies in a copy of the real 4.46.3 tree: ``check`` must catch each one, ``apply`` must fix it.

Each fault is made with ``str.replace`` on real bytes of the upstream files (the replacement must match
exactly once, so a fault can never silently seed nothing). For every fault the tests require:

- ``check`` exits 1 and prints a problem line that names the damaged file and the name concerned;
- for faults ``apply`` can fix: ``apply`` (of the model, or ``--all``) exits 0, ``check`` passes afterwards,
  a second ``apply`` changes no byte, and where upstream is the only consistent answer, the tree is
  byte-identical to upstream again;
- for faults only a person can fix (the source of truth itself is wrong): ``apply`` exits 1 and says what
  needs a hand edit, and ``check`` keeps failing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import tree_hashes
from typer.testing import CliRunner

from scaffold.cli import app

pytestmark = pytest.mark.tree

MAIN = "src/transformers/__init__.py"
DUMMY = "src/transformers/utils/dummy_tf_objects.py"
AUTO = "src/transformers/models/auto/modeling_tf_auto.py"
BERT_INIT = "src/transformers/models/bert/__init__.py"
BERT_TF = "src/transformers/models/bert/modeling_tf_bert.py"

# Real bytes of the 4.46.3 files, used as anchors for the seeding.
BERT_NAMES = [
    "TFBertForMaskedLM",
    "TFBertForMultipleChoice",
    "TFBertForNextSentencePrediction",
    "TFBertForPreTraining",
    "TFBertForQuestionAnswering",
    "TFBertForSequenceClassification",
    "TFBertForTokenClassification",
    "TFBertLMHeadModel",
    "TFBertMainLayer",
    "TFBertModel",
    "TFBertPreTrainedModel",
]


def _structure_block(package: str, names: list[str]) -> str:
    body = "".join(f'            "{n}",\n' for n in names)
    return f'    _import_structure["{package}"].extend(\n        [\n{body}        ]\n    )\n'


def _tc_block(package: str, names: list[str]) -> str:
    body = "".join(f"            {n},\n" for n in names)
    return f"        from .{package} import (\n{body}        )\n"


def _dummy(name: str) -> str:
    return (
        f"class {name}(metaclass=DummyObject):\n"
        '    _backends = ["tf"]\n\n'
        "    def __init__(self, *args, **kwargs):\n"
        '        requires_backends(self, ["tf"])\n\n\n'
    )


BART_NAMES = [
    "TFBartForConditionalGeneration",
    "TFBartForSequenceClassification",
    "TFBartModel",
    "TFBartPretrainedModel",
]
BERT_STRUCTURE = _structure_block("models.bert", BERT_NAMES)
BERT_TC = _tc_block("models.bert", BERT_NAMES)
BART_STRUCTURE = _structure_block("models.bart", BART_NAMES)
BART_TC = _tc_block("models.bart", BART_NAMES)


def replace(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old``: a fault that matched nothing (or twice) would test nothing."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{rel}: expected exactly one occurrence of {old!r}, found {text.count(old)}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def swap(root: Path, rel: str, first: str, second: str) -> None:
    """Swap two adjacent chunks (``first`` directly followed by ``second``)."""
    replace(root, rel, first + second, second + first)


# ----------------------------------------------------------------------------- the faults


@dataclass(frozen=True)
class Fault:
    id: str
    seed: Callable[[Path], None]
    file: str  # the file the problem line must name
    names: tuple[str, ...]  # the problem line must name one of these
    apply_args: tuple[str, ...] | None  # None: only a hand edit fixes it
    upstream_after_apply: bool = True  # apply must restore the upstream bytes exactly
    after: Callable[[Path], None] | None = None  # extra assertions once apply has run
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()  # further (file, names) check must report


def _dummy_missing(root: Path) -> None:
    replace(root, DUMMY, _dummy("TFBertModel"), "")


def _dummy_extra(root: Path) -> None:
    replace(root, DUMMY, _dummy("TFBertModel"), _dummy("TFBertModel") + _dummy("TFBertModelStale"))


def _dummy_wrong_text(root: Path) -> None:
    wrong = _dummy("TFBertModel").replace('requires_backends(self, ["tf"])', 'requires_backends(self, ["torch"])')
    replace(root, DUMMY, _dummy("TFBertModel"), wrong)


def _dummy_out_of_order(root: Path) -> None:
    swap(root, DUMMY, _dummy("TFBertModel"), _dummy("TFBertPreTrainedModel"))


def _dummy_file_missing(root: Path) -> None:
    (root / DUMMY).unlink()


def _structure_half_only(root: Path) -> None:
    """TFBertModel stays in ``_import_structure`` but leaves the TYPE_CHECKING import."""
    replace(root, MAIN, BERT_TC, BERT_TC.replace("            TFBertModel,\n", ""))


def _type_checking_half_only(root: Path) -> None:
    replace(root, MAIN, BERT_STRUCTURE, BERT_STRUCTURE.replace('            "TFBertModel",\n', ""))


def _structure_unsorted(root: Path) -> None:
    block = BERT_STRUCTURE.replace(
        '"TFBertMainLayer",\n            "TFBertModel"', '"TFBertModel",\n            "TFBertMainLayer"'
    )
    replace(root, MAIN, BERT_STRUCTURE, block)


def _type_checking_unsorted(root: Path) -> None:
    block = BERT_TC.replace("TFBertMainLayer,\n            TFBertModel,", "TFBertModel,\n            TFBertMainLayer,")
    replace(root, MAIN, BERT_TC, block)


def _type_checking_indentation(root: Path) -> None:
    """Still valid Python, but transformers' dummy generator reads ``line[12:-2]`` and gets a wrong name."""
    block = BERT_TC.replace("            TFBertModel,\n", "                TFBertModel,\n")
    replace(root, MAIN, BERT_TC, block)


def _structure_duplicate(root: Path) -> None:
    block = BERT_STRUCTURE.replace('            "TFBertModel",\n', '            "TFBertModel",\n' * 2)
    replace(root, MAIN, BERT_STRUCTURE, block)


def _type_checking_duplicate(root: Path) -> None:
    block = BERT_TC.replace("            TFBertModel,\n", "            TFBertModel,\n" * 2)
    replace(root, MAIN, BERT_TC, block)


def _model_block_missing(root: Path) -> None:
    replace(root, MAIN, BERT_STRUCTURE, "")
    replace(root, MAIN, BERT_TC, "")


def _name_under_wrong_model(root: Path) -> None:
    """TFBertModel registered under models.bart in both halves (a copy-paste slip)."""
    replace(root, MAIN, BERT_STRUCTURE, BERT_STRUCTURE.replace('            "TFBertModel",\n', ""))
    replace(root, MAIN, BERT_TC, BERT_TC.replace("            TFBertModel,\n", ""))
    names = sorted([*BART_NAMES, "TFBertModel"])
    replace(root, MAIN, BART_STRUCTURE, _structure_block("models.bart", names))
    replace(root, MAIN, BART_TC, _tc_block("models.bart", names))


def _stale_name_both_halves(root: Path) -> None:
    """A name the model never exported, registered consistently in both halves and the dummies."""
    names = sorted([*BERT_NAMES, "TFBertModelStale"])
    replace(root, MAIN, BERT_STRUCTURE, _structure_block("models.bert", names))
    replace(root, MAIN, BERT_TC, _tc_block("models.bert", names))
    replace(root, DUMMY, _dummy("TFBertModel"), _dummy("TFBertModel") + _dummy("TFBertModelStale"))


def _model_blocks_out_of_order(root: Path) -> None:
    """Models must follow the alphabetical order of their folders, as ``make style`` writes them."""
    swap(root, MAIN, BART_STRUCTURE, BERT_STRUCTURE)
    swap(root, MAIN, BART_TC, BERT_TC)


def _auto_undefined_class(root: Path) -> None:
    replace(
        root,
        AUTO,
        '("bert", "TFBertForNextSentencePrediction")',
        '("bert", "TFBertForNextSentencePrediktion")',
    )


def _auto_class_no_longer_exported(root: Path) -> None:
    """bert stops exporting TFBertForMultipleChoice (the class stays defined) but it is still registered."""
    replace(root, BERT_INIT, '        "TFBertForMultipleChoice",\n', "")
    replace(root, BERT_INIT, "            TFBertForMultipleChoice,\n", "")


def _auto_only_entry_removed(root: Path) -> None:
    """hubert's one and only TF auto entry is gone, so nothing maps it any more."""
    replace(root, AUTO, '        ("hubert", "TFHubertModel"),\n', "")


def _auto_unsorted(root: Path) -> None:
    swap(root, AUTO, '        ("albert", "TFAlbertModel"),\n', '        ("bart", "TFBartModel"),\n')


def _auto_duplicate_entry(root: Path) -> None:
    """A merge leaves the same entry twice in one mapping."""
    line = '        ("bert", "TFBertForNextSentencePrediction"),\n'
    replace(root, AUTO, line, line * 2)


def _undefined_public_name(root: Path) -> None:
    """bert declares a public TF name its modeling file does not define: only a person can decide."""
    replace(
        root, BERT_INIT, '        "TFBertForMaskedLM",\n', '        "TFBertForMaskedLM",\n        "TFBertGhost",\n'
    )
    replace(
        root,
        BERT_INIT,
        "            TFBertForMaskedLM,\n",
        "            TFBertForMaskedLM,\n            TFBertGhost,\n",
    )


def _module_key_typo(root: Path) -> None:
    """A typo in the module key while modeling_tf_bert.py is still there: not a deleted port, a slip of the pen."""
    replace(root, BERT_INIT, '_import_structure["modeling_tf_bert"] = [', '_import_structure["modeling_tf_bret"] = [')


def _tf_file_deleted(root: Path) -> None:
    (root / "src/transformers/models/convbert/modeling_tf_convbert.py").unlink()


def _is_tf_available_missing(root: Path) -> None:
    replace(root, BERT_INIT, "    is_tf_available,\n", "")


def _new_public_name(root: Path) -> None:
    """The porting workflow: a new class joins the model's list; every derived file must follow."""
    replace(root, BERT_INIT, '        "TFBertEmbeddings",\n', '        "TFBertEmbeddings",\n        "TFBertFoo",\n')
    replace(
        root, BERT_INIT, "            TFBertEmbeddings,\n", "            TFBertEmbeddings,\n            TFBertFoo,\n"
    )
    path = root / BERT_TF
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\nclass TFBertFoo(TFBertPreTrainedModel):\n    pass\n", encoding="utf-8"
    )


def _new_public_name_registered(root: Path) -> None:
    main = (root / MAIN).read_text(encoding="utf-8")
    assert _structure_block("models.bert", sorted([*BERT_NAMES, "TFBertFoo"], key=str.lower)) in main
    assert '            "TFBertFoo",\n' in main and "            TFBertFoo,\n" in main
    dummy = (root / DUMMY).read_text(encoding="utf-8")
    assert _dummy("TFBertFoo") in dummy


def _convbert_unregistered(root: Path) -> None:
    for rel in (MAIN, DUMMY, AUTO, "src/transformers/models/convbert/__init__.py"):
        text = (root / rel).read_text(encoding="utf-8")
        assert "TFConvBert" not in text, f"{rel} still registers TFConvBert names"
        assert "modeling_tf_convbert" not in text, f"{rel} still mentions modeling_tf_convbert"


GPT2_INIT = "src/transformers/models/gpt2/__init__.py"
GPT2_TF = "src/transformers/models/gpt2/modeling_tf_gpt2.py"
GPT2_QA = "TFGPT2ForQuestionAnswering"


def _add_gpt2_head(root: Path, *, mirror: bool) -> None:
    """A head added to a port that already has auto entries (its PyTorch twin is in modeling_auto.py)."""
    path = root / GPT2_TF
    path.write_text(
        path.read_text(encoding="utf-8") + f"\n\nclass {GPT2_QA}(TFGPT2PreTrainedModel):\n    pass\n", encoding="utf-8"
    )
    replace(
        root,
        GPT2_INIT,
        '        "TFGPT2DoubleHeadsModel",\n',
        f'        "TFGPT2DoubleHeadsModel",\n        "{GPT2_QA}",\n',
    )
    if mirror:
        replace(
            root,
            GPT2_INIT,
            "            TFGPT2DoubleHeadsModel,\n",
            f"            TFGPT2DoubleHeadsModel,\n            {GPT2_QA},\n",
        )


def _gpt2_head_registered(root: Path) -> None:
    auto_text = (root / AUTO).read_text(encoding="utf-8")
    assert f'        ("gpt2", "{GPT2_QA}"),\n' in auto_text, "the new head is in no auto mapping"
    assert auto_text.count(GPT2_QA) == 1, "the new head joined more than its twin's mapping"
    init = (root / GPT2_INIT).read_text(encoding="utf-8")
    assert f"            {GPT2_QA},\n" in init, "the TYPE_CHECKING import lacks the new head"
    assert _dummy(GPT2_QA) in (root / DUMMY).read_text(encoding="utf-8")


FAULTS = [
    Fault("dummy-missing", _dummy_missing, DUMMY, ("TFBertModel",), ("bert",)),
    Fault("dummy-extra", _dummy_extra, DUMMY, ("TFBertModelStale",), ("--all",)),
    Fault("dummy-wrong-text", _dummy_wrong_text, DUMMY, ("TFBertModel",), ("--all",)),
    Fault(
        "dummy-out-of-order",
        _dummy_out_of_order,
        DUMMY,
        ("TFBertModel", "TFBertPreTrainedModel", "dummy_tf_objects"),
        ("--all",),
    ),
    Fault("dummy-file-missing", _dummy_file_missing, DUMMY, ("TFBertModel",), ("--all",)),
    Fault("structure-half-only", _structure_half_only, MAIN, ("TFBertModel",), ("bert",)),
    Fault("type-checking-half-only", _type_checking_half_only, MAIN, ("TFBertModel",), ("bert",)),
    Fault("structure-unsorted", _structure_unsorted, MAIN, ("models.bert", "TFBertModel"), ("bert",)),
    Fault("type-checking-unsorted", _type_checking_unsorted, MAIN, ("models.bert", "TFBertModel"), ("bert",)),
    Fault("type-checking-indentation", _type_checking_indentation, MAIN, ("models.bert", "TFBertModel"), ("bert",)),
    Fault("structure-duplicate", _structure_duplicate, MAIN, ("TFBertModel",), ("bert",)),
    Fault("type-checking-duplicate", _type_checking_duplicate, MAIN, ("TFBertModel",), ("bert",)),
    Fault("model-block-missing", _model_block_missing, MAIN, ("TFBertModel",), ("bert",)),
    Fault("name-under-wrong-model", _name_under_wrong_model, MAIN, ("TFBertModel",), ("--all",)),
    Fault("stale-name-both-halves", _stale_name_both_halves, MAIN, ("TFBertModelStale",), ("bert",)),
    Fault("model-blocks-out-of-order", _model_blocks_out_of_order, MAIN, ("models.bert", "models.bart"), ("--all",)),
    Fault("auto-undefined-class", _auto_undefined_class, AUTO, ("TFBertForNextSentencePrediktion",), ("--all",)),
    Fault(
        "auto-class-no-longer-exported",
        _auto_class_no_longer_exported,
        AUTO,
        ("TFBertForMultipleChoice",),
        ("bert",),
        upstream_after_apply=False,  # the name leaves every registration: a new consistent state
        also=((MAIN, ("TFBertForMultipleChoice",)), (DUMMY, ("TFBertForMultipleChoice",))),
    ),
    Fault("auto-only-entry-removed", _auto_only_entry_removed, AUTO, ("TFHubertModel",), ("hubert",)),
    Fault(
        "auto-unsorted",
        _auto_unsorted,
        AUTO,
        ("TF_MODEL_MAPPING_NAMES", "TFAlbertModel", "TFBartModel"),
        ("--all",),
    ),
    Fault(
        "auto-duplicate-entry",
        _auto_duplicate_entry,
        AUTO,
        ("TFBertForNextSentencePrediction", "TF_MODEL_FOR_NEXT_SENTENCE_PREDICTION_MAPPING_NAMES"),
        ("--all",),
    ),
    Fault("undefined-public-name", _undefined_public_name, BERT_TF, ("TFBertGhost",), None),
    Fault(
        "tf-file-deleted",
        _tf_file_deleted,
        "src/transformers/models/convbert/__init__.py",
        ("convbert",),
        ("convbert",),
        upstream_after_apply=False,  # every registration of convbert's TF names goes away
        after=_convbert_unregistered,
        also=((MAIN, ("TFConvBertModel",)), (AUTO, ("TFConvBertModel",))),
    ),
    Fault("module-key-typo", _module_key_typo, BERT_INIT, ("modeling_tf_bret",), None),
    Fault("is-tf-available-missing", _is_tf_available_missing, BERT_INIT, ("is_tf_available",), None),
    Fault(
        "new-public-name",
        _new_public_name,
        MAIN,
        ("TFBertFoo",),
        ("bert",),
        upstream_after_apply=False,  # the new name is registered everywhere
        after=_new_public_name_registered,
        also=((DUMMY, ("TFBertFoo",)),),
    ),
    Fault(
        "new-head-of-a-mapped-model",
        lambda root: _add_gpt2_head(root, mirror=True),
        AUTO,
        (GPT2_QA,),
        ("gpt2",),
        upstream_after_apply=False,  # the new head joins its twin's mapping, like every other registration
        after=_gpt2_head_registered,
        also=((MAIN, (GPT2_QA,)), (DUMMY, (GPT2_QA,))),
    ),
    Fault(
        "type-checking-import-incomplete",
        lambda root: _add_gpt2_head(root, mirror=False),
        GPT2_INIT,
        (GPT2_QA,),
        ("gpt2",),
        upstream_after_apply=False,  # the list is the truth: its import follows it (check_inits.py)
        after=_gpt2_head_registered,
        also=((AUTO, (GPT2_QA,)),),
    ),
]


# ----------------------------------------------------------------------------- running the CLI


def run(*args: str):
    """Run the CLI in-process; any exception other than the exit itself is a bug, not a result."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _diff(old_root: Path, new_root: Path, rels: list[str], limit: int = 40) -> str:
    """A short unified diff of ``rels`` between two trees, for failure messages."""
    out: list[str] = []
    for rel in rels:
        old = (
            (old_root / rel).read_text(encoding="utf-8").splitlines(keepends=True) if (old_root / rel).exists() else []
        )
        new = (
            (new_root / rel).read_text(encoding="utf-8").splitlines(keepends=True) if (new_root / rel).exists() else []
        )
        out.extend(difflib.unified_diff(old, new, f"upstream/{rel}", f"after-apply/{rel}"))
    return "".join(out[:limit])


def _head(text: str, limit: int = 12) -> str:
    lines = text.splitlines()
    more = f"\n... and {len(lines) - limit} more lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def problem_lines(stdout: str, file: str, names: tuple[str, ...]) -> list[str]:
    """Lines of the form ``file[:line]: name: message (fix: ...)`` for one of ``names``."""
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(rf"^{re.escape(file)}(:\d+)?: ({alternatives}): .+ \(fix: .+\)$")
    return [line for line in stdout.splitlines() if pattern.match(line)]


def test_faults_are_distinct_and_enough() -> None:
    """The brief for this suite is at least 20 kinds of fault, each its own test id."""
    ids = [f.id for f in FAULTS]
    assert len(ids) == len(set(ids)) >= 20


def test_pristine_tree_is_consistent(tree: Path) -> None:
    """Every fault test starts from this state, so it must pass check and apply must leave it alone."""
    result = run("check", "--repo", str(tree))
    assert result.exit_code == 0, result.stdout
    before = tree_hashes(tree)
    result = run("apply", "--all", "--repo", str(tree))
    assert result.exit_code == 0, result.output
    assert tree_hashes(tree) == before


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_check_catches_and_apply_fixes(fault: Fault, tree: Path, pristine: Path) -> None:
    """One seeded fault: reported with file and name; fixed by apply (or left for a person, clearly).

    Expectations are collected rather than stopping at the first: a fault that check names badly may
    still be fixed by apply, and the report should say both.
    """
    repo = str(tree)
    upstream = tree_hashes(tree)
    fault.seed(tree)
    seeded = tree_hashes(tree)
    assert seeded != upstream, "the seeding changed nothing"
    failures: list[str] = []

    def expect(ok: object, message: str) -> None:
        if not ok:
            failures.append(message)

    result = run("check", "--repo", repo)
    shown = _head(result.stdout)
    expect(result.exit_code == 1, f"check exited {result.exit_code} (missed the fault):\n{result.output}")
    expect(
        problem_lines(result.stdout, fault.file, fault.names),
        f"check printed no problem line naming {fault.file} and one of {fault.names}:\n{shown}",
    )
    for file, names in fault.also:
        expect(
            problem_lines(result.stdout, file, names),
            f"check printed no problem line naming {file} and one of {names}:\n{shown}",
        )
    expect(tree_hashes(tree) == seeded, "check wrote to the tree")

    if fault.apply_args is None:
        sources = {rel: digest for rel, digest in seeded.items() if rel.endswith("/__init__.py") and "/models/" in rel}
        result = run("apply", "--all", "--repo", repo)
        expect(result.exit_code == 1, f"apply exited {result.exit_code}; a fault only a person can fix needs exit 1")
        expect(
            any(
                "needs a hand edit" in line and any(n in line for n in fault.names)
                for line in result.stderr.splitlines()
            ),
            f"apply did not say what needs a hand edit:\n{_head(result.stderr)}",
        )
        after = tree_hashes(tree)
        rewritten = sorted(rel for rel, digest in sources.items() if after.get(rel) != digest)
        expect(not rewritten, f"apply rewrote the models' own __init__ (the source of truth): {rewritten}")
        result = run("check", "--repo", repo)
        expect(result.exit_code == 1, "check passes after apply although the fault needs a hand edit")
        assert not failures, "\n\n".join(failures)
        return

    result = run("apply", *fault.apply_args, "--repo", repo)
    expect(result.exit_code == 0, f"apply {' '.join(fault.apply_args)} exited {result.exit_code}:\n{result.output}")
    result = run("check", "--repo", repo)
    expect(
        result.exit_code == 0, f"check still fails after apply {' '.join(fault.apply_args)}:\n{_head(result.output)}"
    )

    fixed = tree_hashes(tree)
    result = run("apply", *fault.apply_args, "--repo", repo)
    expect(result.exit_code == 0 and tree_hashes(tree) == fixed, f"a second apply changed files:\n{result.output}")
    result = run("apply", "--all", "--dry-run", "--repo", repo)
    expect(result.stdout == "", f"apply --all still has changes after the fix:\n{_head(result.stdout)}")

    if fault.upstream_after_apply:
        changed = sorted(k for k in upstream.keys() | fixed.keys() if upstream.get(k) != fixed.get(k))
        expect(not changed, f"apply did not restore the upstream bytes:\n{_diff(pristine, tree, changed)}")
    if fault.after is not None:
        fault.after(tree)
    assert not failures, "\n\n".join(failures)
