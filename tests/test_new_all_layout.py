"""``new`` on a model whose ``__init__`` is built by ``define_import_structure`` (albert in 4.46.3).

There the TF file's own ``__all__`` is the source of truth: ``new`` declares the port's names
there, in the PyTorch file's order, leaves the model ``__init__`` as it is, and the registrations
derived from ``__all__`` are consistent afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.new import with_all

runner = CliRunner()


def test_with_all_replaces_an_existing_declaration():
    code = 'class TFA:\n    pass\n\n\n__all__ = ["TFOld"]\n'
    out = with_all(code, ["TFA", "TFB"])
    assert out.endswith('class TFA:\n    pass\n\n\n__all__ = [\n    "TFA",\n    "TFB",\n]\n')
    assert "TFOld" not in out


@pytest.mark.slow
def test_new_declares_all_in_the_tf_file(tree: Path):
    folder = tree / "src" / "transformers" / "models" / "albert"
    tf_file = folder / "modeling_tf_albert.py"
    tf_file.unlink()
    init_before = (folder / "__init__.py").read_bytes()
    result = runner.invoke(app, ["new", "albert", "--repo", str(tree)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (folder / "__init__.py").read_bytes() == init_before
    text = tf_file.read_text()
    declared = text[text.index("__all__ = [") :]
    assert declared.index('"TFAlbertModel"') < declared.index('"TFAlbertForMaskedLM"')  # PyTorch's order
    assert '"TFAlbertMainLayer"' in declared
    check = runner.invoke(app, ["check", "albert", "--repo", str(tree)])
    assert check.exit_code == 0, check.output
