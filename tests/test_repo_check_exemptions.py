"""A class whose PyTorch twin transformers' check_repo.py exempts takes the same exemption, beside the twin."""

from __future__ import annotations

from scaffold.registry.repo_check import parse_repo_check, with_auto_exemptions, with_twin_exemptions

CHECK_REPO = """\
PRIVATE_MODELS = [
    "DPRSpanPredictor",
    "T5Stack",  # a stack of the model
    "TFDPRSpanPredictor",
]

IGNORE_NON_TESTED = (
    PRIVATE_MODELS.copy()
    + [
        "Other", "Inline",
    ]
)

IGNORE_NON_AUTO_CONFIGURED = PRIVATE_MODELS.copy() + [
    "CLIPTextModelWithProjection",
    "CLIPVisionModelWithProjection",
]

UNDOCUMENTED_OBJECTS = [
    "BertModel",
]
"""


def test_twins_exemptions_are_shared_on_the_next_line():
    classes = ["TFT5Stack", "TFCLIPTextModelWithProjection", "TFDPRSpanPredictor", "TFBertModel", "TFInline"]
    text, added = with_twin_exemptions(CHECK_REPO, classes)
    assert added == ["TFCLIPTextModelWithProjection", "TFT5Stack"]
    lines = text.splitlines()
    assert lines[lines.index('    "T5Stack",  # a stack of the model') + 1] == '    "TFT5Stack",'
    assert lines[lines.index('    "CLIPTextModelWithProjection",') + 1] == '    "TFCLIPTextModelWithProjection",'
    assert text.count("TFDPRSpanPredictor") == 1  # named already
    assert "TFBertModel" not in text  # a list other than the three the twin rule follows
    assert "TFInline" not in text  # the twin shares its line with another name: no line of its own
    assert "TFT5Stack" in parse_repo_check(text).not_tested  # the script now skips it, as its twin
    assert with_twin_exemptions(text, classes) == (text, [])  # twice: nothing more
    assert with_twin_exemptions("PRIVATE_MODELS = [", classes) == ("PRIVATE_MODELS = [", [])


def test_a_class_no_tf_auto_mapping_can_take_is_declared_at_the_end_of_the_list():
    text, added = with_auto_exemptions(CHECK_REPO, ["TFXForAudioFrameClassification", "TFDPRSpanPredictor"])
    assert added == ["TFXForAudioFrameClassification"]  # the other is named already
    lines = text.splitlines()
    at = lines.index('    "CLIPVisionModelWithProjection",')
    assert lines[at + 1] == '    "TFXForAudioFrameClassification",  # no TF auto mapping for its task'
    assert lines[at + 2] == "]"
    assert with_auto_exemptions(text, added) == (text, [])
