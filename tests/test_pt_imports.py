"""Imports a TF module must not keep: read from the tree, not only from a table (newer trees' masking_utils)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from scaffold.convert.pt_imports import is_pt_only_import


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "src" / "transformers"
    model = src / "models" / "m"
    model.mkdir(parents=True)
    (src / "masking_utils.py").write_text("import torch\n\ndef create_causal_mask():\n    pass\n")
    (src / "guarded.py").write_text(
        "from .utils import is_torch_available\n\nif is_torch_available():\n    import torch\n\ndef helper():\n"
        "    import torch\n"
    )
    (src / "layers").mkdir()
    (src / "layers" / "__init__.py").write_text("from torch import nn\n")
    (src / "plain.py").write_text("import math\n")
    return model


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("from ...masking_utils import create_causal_mask", True),  # imports torch at its top level
        ("from ...layers import GradientCheckpointingLayer", True),  # a package whose __init__ does
        ("from ...guarded import helper", False),  # torch only behind a guard or inside a function
        ("from ...plain import x", False),
        ("from ...no_such_module import x", False),  # not in the tree: left to the rules
        ("from ...modeling_utils import PreTrainedModel", True),  # the table
        ("import torch.nn.functional as F", True),
        ("from .configuration_m import MConfig", False),
    ],
)
def test_pt_only_imports(folder: Path, line: str, expected: bool) -> None:
    module = cst.parse_module(line + "\n")
    assert is_pt_only_import(module.body[0], module, folder) is expected


def test_a_sibling_pytorch_module_is_replaced_by_its_tf_twin(pristine: Path) -> None:
    """BLIP imports its text model from ``.modeling_blip_text``, IDEFICS its vision tower from ``.vision``:
    the TF classes of ``.modeling_tf_blip_text`` and ``.vision_tf`` stand for them (not the PyTorch ones)."""
    from scaffold.checkout import open_checkout
    from scaffold.convert.assemble import _foreign_layers
    from scaffold.convert.pt_module import read_pt_module

    checkout = open_checkout(pristine)

    def layers(model: str) -> dict[str, tuple[str, str]]:
        path = checkout.model(model).folder / f"modeling_{model}.py"
        return _foreign_layers(checkout, read_pt_module(path, path.read_text(encoding="utf-8")))

    blip = layers("blip")
    assert blip["BlipTextLMHeadModel"] == (
        "TFBlipTextLMHeadModel",
        "from .modeling_tf_blip_text import TFBlipTextLMHeadModel",
    )
    idefics = layers("idefics")
    assert idefics["IdeficsVisionTransformer"] == (
        "TFIdeficsVisionTransformer",
        "from .vision_tf import TFIdeficsVisionTransformer",
    )
