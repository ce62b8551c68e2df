"""Whether the interpreter tfscaffold runs in can run ``verify`` at all.

``verify`` builds the models in a child process of the same interpreter (``sys.executable``),
importing the tree's own transformers, which needs torch, TensorFlow, numpy and transformers'
runtime dependencies. tfscaffold itself needs none of them, so a user who installed it alone
would otherwise learn it from a traceback of the child (``No module named 'numpy'``) after the
tiny config was built. This check runs first, finds modules without importing them (milliseconds,
not the seconds importing TensorFlow takes) and names the install extra that brings them.
"""

from __future__ import annotations

import importlib.util
import sys

from scaffold.errors import ScaffoldError

# (module, the distribution that provides it): what the child process imports before any model
# is built. The frameworks first; then what ``import transformers`` needs from a source tree
# (transformers' own install_requires, since the tree's transformers is not installed).
REQUIRED: tuple[tuple[str, str], ...] = (
    ("numpy", "numpy"),
    ("torch", "torch"),
    ("tensorflow", "tensorflow-cpu"),
    ("safetensors", "safetensors"),
    ("tokenizers", "tokenizers"),
    ("huggingface_hub", "huggingface-hub"),
    ("yaml", "pyyaml"),
    ("regex", "regex"),
    ("requests", "requests"),
    ("tqdm", "tqdm"),
    ("filelock", "filelock"),
    ("packaging", "packaging"),
)
INSTALL_HINT = "pip install 'tfscaffold[verify]' (from a clone: pip install -e '.[verify]')"


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # imported already, with no __spec__ (run as a script): it is there
        return True
    except ImportError:
        return False


def missing_requirements() -> list[str]:
    """The distributions ``verify`` needs that this interpreter cannot find, in :data:`REQUIRED` order."""
    return [dist for module, dist in REQUIRED if not _found(module)]


def require_frameworks(command: str = "verify") -> None:
    """Raise a one-line :class:`ScaffoldError` (exit 2) when ``command`` (``verify``, ``weights``) cannot run here."""
    missing = missing_requirements()
    if missing:
        raise ScaffoldError(
            f"{command} needs torch and TensorFlow in the interpreter tfscaffold runs in ({sys.executable}); "
            f"missing: {', '.join(missing)}. Install them with: {INSTALL_HINT}"
        )
