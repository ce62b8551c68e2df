"""verify on hand-written 4.46.3 ports it once failed on the source distribution (no tests/ folder).

Each was a fault of verify, not of the port: a tiny config that broke the model's own size
constraints (Swin's window against 1x1 feature maps), a vocabulary size left at its None default
(ESM), a recorded PyTorch output rewritten by an in-place update (GroupViT), BatchNorm step
counters counted as lost weights (GroupViT, ResNet), inputs the model needs beyond the usual
modalities (LXMERT), separator-token rules of question answering heads (Longformer), a random
draw the forward makes when an argument is left out (ViTMAE's noise), a frozen table TF computes
itself (Speech2Text), tower widths shrunk apart (SAM's vision output against its decoder's width).
``bench/verify_hand_ports.py`` runs every hand-written port.
"""

from __future__ import annotations

import pytest
from conftest import HAND_PORT_SAMPLE

from scaffold.verify.report import render


@pytest.mark.slow
@pytest.mark.parametrize("model", HAND_PORT_SAMPLE)
def test_hand_port_passes_on_the_source_distribution(pristine_verdicts: dict, model: str) -> None:
    result = pristine_verdicts[model]
    assert result.ok, render(result)
    assert all(source.startswith("signature of") for source in result.config_sources.values())
