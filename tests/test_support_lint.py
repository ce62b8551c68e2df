"""The support code the converter pastes into ports is clean under the tree's own lint settings.

A helper that ruff flags (``dict(...)`` where the tree asks for a literal) makes every port that
uses it fail at the first level of the benchmark, whatever the rest of the port does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scaffold.convert.rules.decoder import CACHE_SOURCE, MASK_SOURCE, ROPE_SOURCE
from scaffold.convert.tables_layers import LAYERS
from scaffold.convert.tables_model import CROSS_ENTROPY_SOURCE
from scaffold.convert.tables_ops import SUPPORT, SUPPORT_NEEDS
from scaffold.formatting import ruff_binary

HEADER = "import tensorflow as tf\n\nfrom ...modeling_tf_utils import keras\nfrom ...tf_utils import shape_list\n"


def _with(helpers, code: str) -> str:
    """A source with the support functions it calls, as a port receives them together."""
    return "\n\n\n".join([*(SUPPORT[h].strip() for h in helpers), code.strip()])


def _sources() -> dict[str, str]:
    sources = {f"SUPPORT[{name!r}]": _with(SUPPORT_NEEDS.get(name, ()), code) for name, code in SUPPORT.items()}
    sources.update(
        {f"LAYERS[{key!r}].support": _with(spec.helpers, spec.support) for key, spec in LAYERS.items() if spec.support}
    )
    sources.update({"CACHE_SOURCE": CACHE_SOURCE, "MASK_SOURCE": MASK_SOURCE, "ROPE_SOURCE": ROPE_SOURCE})
    sources["CROSS_ENTROPY_SOURCE"] = CROSS_ENTROPY_SOURCE
    return sources


@pytest.mark.tree
@pytest.mark.parametrize("label", sorted(_sources()))
def test_support_source_passes_the_trees_ruff(label: str, pristine: Path, tmp_path: Path) -> None:
    folder = tmp_path / "src" / "transformers" / "models" / "m"
    folder.mkdir(parents=True)
    module = folder / "modeling_tf_m.py"
    module.write_text(HEADER + "\n\n" + _sources()[label].strip() + "\n")
    config = ["--config", str(pristine / "pyproject.toml")]
    # unused imports of the header are no finding of the source's
    lint = subprocess.run(
        [ruff_binary(), "check", *config, "--ignore", "F401", str(module)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout
