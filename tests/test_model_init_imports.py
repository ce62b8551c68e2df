"""A legacy model ``__init__`` whose ``...utils`` import is one line still gets ``is_tf_available``."""

from __future__ import annotations

from scaffold.registry.model_init import set_tf_exports

ONE_LINE_INIT = """\
from typing import TYPE_CHECKING

from ...file_utils import _LazyModule, is_tokenizers_available, is_torch_available
from ...utils import OptionalDependencyNotAvailable


_import_structure = {"configuration_x": ["XConfig"]}

try:
    if not is_torch_available():
        raise OptionalDependencyNotAvailable()
except OptionalDependencyNotAvailable:
    pass
else:
    _import_structure["modeling_x"] = ["XModel"]


if TYPE_CHECKING:
    from .configuration_x import XConfig

    try:
        if not is_torch_available():
            raise OptionalDependencyNotAvailable()
    except OptionalDependencyNotAvailable:
        pass
    else:
        from .modeling_x import XModel

else:
    import sys

    sys.modules[__name__] = _LazyModule(__name__, globals()["__file__"], _import_structure, module_spec=__spec__)
"""


def test_one_line_utils_import_gets_is_tf_available():
    new = set_tf_exports(ONE_LINE_INIT, "modeling_tf_x", "modeling_x", ["TFXModel"])
    assert "from ...utils import OptionalDependencyNotAvailable, is_tf_available\n" in new
    assert '_import_structure["modeling_tf_x"]' in new and "from .modeling_tf_x import" in new
    compile(new, "__init__.py", "exec")


def test_a_flax_block_importing_from_the_tf_module_is_not_the_ports(pristine) -> None:
    """wav2vec2's ``__init__`` imports its Flax classes from ``.modeling_tf_wav2vec2`` under is_flax_available:
    rewriting the TF exports must leave that block as it is (transformers' check_inits compares backends)."""
    text = (pristine / "src/transformers/models/wav2vec2/__init__.py").read_text()
    flax_block = text[text.index("        if not is_flax_available()") :].split("\n\n")[0]
    assert "from .modeling_tf_wav2vec2 import" in flax_block and "FlaxWav2Vec2Model" in flax_block
    names = ["TFWav2Vec2ForCTC", "TFWav2Vec2Model", "TFWav2Vec2PreTrainedModel", "TFWav2Vec2ForMaskedLM"]
    new = set_tf_exports(text, "modeling_tf_wav2vec2", "modeling_wav2vec2", names)
    assert flax_block in new
    assert "TFWav2Vec2ForMaskedLM," in new and '"TFWav2Vec2ForMaskedLM",' in new
    assert new.count("FlaxWav2Vec2Model") == text.count("FlaxWav2Vec2Model")
