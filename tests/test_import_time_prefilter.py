"""The import-time rule skips libcst's scope analysis only where it would find nothing.

``_may_leave_names_unresolved`` reads Python's own tree in a few hundredths of a second; when it
says no name read at import time can be unresolved, the scope analysis (about a second on a
large module) is not run. That is safe only if the analysis would indeed have found nothing:
checked on real modeling files, whole and with their imports taken out (which leaves names
unresolved at import time in decorators, defaults, annotations and bases), and on small modules
that bind names in the scopes a module-level reading could mistake for the module's own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from scaffold.convert.rules.import_time import _may_leave_names_unresolved, unresolved_at_import

SNIPPETS = [
    "x = 1\ny = x\n",
    "import torch\n\n@torch.jit.script\ndef f(a):\n    return a\n",
    "def f(a, norm=nn.LayerNorm):\n    return a\n",
    "def f():\n    y = 1\n\nz = y\n",
    "if flag:\n    def f():\n        q = 1\nflag = 0\nz = q\n",
    "flag = 1\nvalues = [i for i in range(3)]\nz = i\n",
    "class A:\n    size = 3\n\nclass B:\n    twice = size * 2\n",
    "class A:\n    size = 3\n    twice = size * 2\n",
    "f = lambda a=unknown: a\n",
    "f = lambda a: unknown\n",
    "try:\n    pass\nexcept Exception as err:\n    pass\nz = err\n",
    "from typing import Optional\n\ndef f(a: Optional[Tensor]) -> Tensor:\n    return a\n",
    "class X(PreTrainedModel):\n    pass\n",
    "def f():\n    global g\n    g = 1\n\nz = g\n",
]


def _agrees(code: str) -> None:
    module = cst.parse_module(code)
    found, _ = unresolved_at_import(module)
    if not _may_leave_names_unresolved(code):
        assert not found, f"the prefilter passed over unresolved names {sorted(n.value for n in found)}"


@pytest.mark.parametrize("code", SNIPPETS)
def test_snippets(code: str):
    _agrees(code)


@pytest.mark.parametrize("model", ["bert", "gpt2", "swin", "wav2vec2"])
def test_modeling_files_whole_and_without_imports(pristine: Path, model: str):
    text = (pristine / "src" / "transformers" / "models" / model / f"modeling_{model}.py").read_text()
    # the file as it is imports everything it reads at import time: the analysis is skipped
    assert not _may_leave_names_unresolved(text)
    _agrees(text)
    lines = text.splitlines(True)
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import | ast.ImportFrom) and node.col_offset == 0:
            lines[node.lineno - 1 : node.end_lineno] = [""] * (node.end_lineno - node.lineno + 1)
    stripped = "".join(lines)
    assert _may_leave_names_unresolved(stripped)
    _agrees(stripped)
