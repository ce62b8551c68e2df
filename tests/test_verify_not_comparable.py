"""A class PyTorch itself cannot run on verify's inputs is reported as not comparable, not as a mismatch.

The real case is a public stack that needs the token embeddings its parent hands it (mT5's
``MT5Stack``): its PyTorch forward raises on ids alone, and a faithful port raises the same way.
Here the failure is seeded into a private copy of the tree's bert: a ``raise`` at the top of a
class's forward (PyTorch) and of its ``call`` (TF, so that loading, which runs the model on dummy
inputs, fails as well).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.checkout import open_checkout
from scaffold.verify import verify_model
from scaffold.verify.report import render

pytestmark = pytest.mark.tree

NEEDS = 'raise ValueError("this class needs embeddings its parent hands it")'


def seed_raise(path: Path, class_name: str, anchor: str) -> None:
    """Put ``NEEDS`` before the first ``anchor`` line inside ``class_name``."""
    text = path.read_text()
    start = text.index(f"\nclass {class_name}(")
    at = text.index(anchor, start)
    line_start = text.rindex("\n", 0, at) + 1
    indent = text[line_start:at]
    path.write_text(text[:line_start] + indent + NEEDS + "\n" + text[line_start:])


def test_classes_pytorch_cannot_run_are_not_comparable(tree: Path) -> None:
    folder = tree / "src" / "transformers" / "models" / "bert"
    # both frameworks fail on the next-sentence head: nothing to compare
    seed_raise(folder / "modeling_bert.py", "BertForNextSentencePrediction", "outputs = self.bert(")
    seed_raise(folder / "modeling_tf_bert.py", "TFBertForNextSentencePrediction", "outputs = self.bert(")
    # only the port fails on the sequence-classification head: a mismatch, as before
    seed_raise(folder / "modeling_tf_bert.py", "TFBertForSequenceClassification", "outputs = self.bert(")
    checkout = open_checkout(tree)
    classes = ["TFBertModel", "TFBertForNextSentencePrediction", "TFBertForSequenceClassification"]
    result = verify_model(checkout, "bert", classes=classes)
    by_name = {c.tf_class: c for c in result.classes}

    nsp = by_name["TFBertForNextSentencePrediction"]
    assert not nsp.comparable and "needs embeddings its parent hands it" in nsp.pytorch_fails
    assert by_name["TFBertModel"].ok and by_name["TFBertModel"].comparable
    seq = by_name["TFBertForSequenceClassification"]
    assert seq.comparable and not seq.ok
    assert not result.ok  # the sequence-classification port is still wrong

    text = render(result)
    assert "TFBertForNextSentencePrediction (from BertForNextSentencePrediction): not comparable" in text
    assert "MISMATCH in 1 of 3 class(es)" in text and "TFBertForSequenceClassification" in text
    assert result.to_json()["classes"][1]["comparable"] is False

    alone = verify_model(checkout, "bert", classes=["TFBertModel", "TFBertForNextSentencePrediction"])
    assert alone.ok  # every class PyTorch can run matches
    assert "verdict: ok: 1 class(es) of bert" in render(alone)
    assert not verify_model(checkout, "bert", classes=["TFBertForNextSentencePrediction"]).ok
