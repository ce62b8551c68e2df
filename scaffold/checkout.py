"""Where a transformers tree keeps what, and which layout it uses.

Everything else asks this module for paths instead of joining strings, so the rules of the
tree (``models/<m>/`` or ``models/deprecated/<m>/``, the legacy or the newer ``__init__``
layout) live in one place.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from scaffold.errors import ScaffoldError
from scaffold.names import is_identifier

# a model's entry in the main __init__'s TF section: ``_import_structure["models.bert"].extend(``
_MODEL_ENTRY = re.compile(r'_import_structure\["models\.[\w.]+"\]\.(?:extend|append)\(')
_VERSION = re.compile(r'^__version__ = "(\d+)\.(\d+)', re.M)
_TF_SECTION = "# TensorFlow-backed objects"


@dataclass(frozen=True)
class Model:
    """One model of the tree: its folder, and the name its files carry (``modeling_<name>.py``).

    The name is the folder's, except in a folder holding several models (``data2vec`` holds
    ``modeling_data2vec_audio.py``, ``_text`` and ``_vision``), where each is named by its files.
    """

    name: str
    folder: Path

    @property
    def package(self) -> str:
        """The key of the model in the main ``__init__``: ``models.bert``, ``models.deprecated.x``."""
        parts = self.folder.parts
        return ".".join(parts[parts.index("models") :])

    @property
    def init(self) -> Path:
        return self.folder / "__init__.py"

    @property
    def tf_modeling_files(self) -> list[Path]:
        return sorted(self.folder.glob("modeling_tf_*.py"))


@dataclass
class Checkout:
    """A transformers source tree (the folder that holds ``src/transformers``)."""

    root: Path

    @property
    def src(self) -> Path:
        return self.root / "src" / "transformers"

    @property
    def main_init(self) -> Path:
        return self.src / "__init__.py"

    @property
    def dummy_tf(self) -> Path:
        return self.src / "utils" / "dummy_tf_objects.py"

    @property
    def tf_auto(self) -> Path:
        return self.src / "models" / "auto" / "modeling_tf_auto.py"

    @property
    def pt_auto(self) -> Path:
        return self.src / "models" / "auto" / "modeling_auto.py"

    @property
    def docs(self) -> Path:
        return self.root / "docs" / "source" / "en"

    def rel(self, path: Path) -> str:
        """A path as the user sees it in messages and diffs: relative to the tree."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @cached_property
    def models(self) -> dict[str, Model]:
        """Every model folder, by name; ``deprecated/`` models are found by their own name."""
        found: dict[str, Model] = {}
        base = self.src / "models"
        for folder in (base, base / "deprecated"):
            if not folder.is_dir():
                continue
            for child in sorted(folder.iterdir()):
                if child.name == "deprecated" or not (child / "__init__.py").is_file():
                    continue
                found.setdefault(child.name, Model(child.name, child))
        return found

    def model(self, name: str) -> Model:
        if not is_identifier(name):
            raise ScaffoldError(
                f"invalid model name {name!r}: expected the name of a folder of "
                "src/transformers/models, a Python identifier such as brand_new_bert"
            )
        model = self.models.get(name)
        if model is not None:
            return model
        # a model of a folder holding several: data2vec_vision is models/data2vec/modeling_data2vec_vision.py
        for folder_name, folder_model in self.models.items():
            if name.startswith(f"{folder_name}_") and (folder_model.folder / f"modeling_{name}.py").is_file():
                return Model(name, folder_model.folder)
        raise ScaffoldError(f"no model {name!r} in {self.root}: src/transformers/models/{name}/ does not exist")

    def models_in_folder(self, model: Model) -> list[str]:
        """The models a folder holds when its PyTorch files are named after several (``data2vec_audio``, ...)."""
        if (model.folder / f"modeling_{model.name}.py").is_file():
            return [model.name]
        prefix = f"modeling_{model.folder.name}_"
        return sorted(
            p.stem.removeprefix("modeling_")
            for p in model.folder.glob(f"{prefix}*.py")
            if not p.stem.startswith("modeling_tf_") and not p.stem.startswith("modeling_flax_")
        )

    def tf_test_file(self, model: Model) -> Path:
        """``tests/models/<folder>/test_modeling_tf_<name>.py``."""
        rel = model.folder.relative_to(self.src / "models")
        return self.root / "tests" / "models" / rel / f"test_modeling_tf_{model.name}.py"

    def tf_models(self) -> list[Model]:
        """Models that have a TF modeling file or declare TF names: what ``--all`` covers."""
        out = []
        for model in self.models.values():
            if model.tf_modeling_files or "modeling_tf_" in model.init.read_text(encoding="utf-8"):
                out.append(model)
        return out

    @cached_property
    def version(self) -> tuple[int, int] | None:
        """The tree's transformers version (major, minor), read from the main ``__init__``; None when unreadable."""
        match = _VERSION.search(self.main_init.read_text(encoding="utf-8"))
        return (int(match.group(1)), int(match.group(2))) if match else None

    @cached_property
    def tf_in_main_init(self) -> bool:
        """Whether the main ``__init__`` lists the TF classes (both halves) and dummy objects stand for them.

        Up to transformers 4.51 it does; from 4.52 a TF class is registered by its modeling file's
        ``__all__`` (read as text by transformers' lazy module), a ``TYPE_CHECKING`` import in the
        model ``__init__`` and the auto mappings, and the main ``__init__`` and
        ``dummy_tf_objects.py`` no longer name model classes.
        """
        text = self.main_init.read_text(encoding="utf-8")
        section = text.partition(_TF_SECTION)[2]
        return bool(section) and _MODEL_ENTRY.search(section) is not None

    @functools.cached_property
    def implies_embedding_accessors(self) -> bool:
        """Whether the tree's PreTrainedModel supplies the embedding accessors its models leave out (4.53+:
        ``EmbeddingAccessMixin``, returning ``embed_tokens`` and ``lm_head``)."""
        utils = self.src / "modeling_utils.py"
        return utils.is_file() and "class EmbeddingAccessMixin" in utils.read_text(encoding="utf-8")

    @property
    def ships_tf_test_mixin(self) -> bool:
        """Whether the tree's transformers still has ``TFModelTesterMixin`` (removed in 4.53)."""
        return self.version is None or self.version < (4, 53)


def _is_tree(path: Path) -> bool:
    return (path / "src" / "transformers" / "__init__.py").is_file()


def find_tree(start: Path) -> Path | None:
    """The tree around ``start``: ``start`` itself or the nearest parent holding src/transformers."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if _is_tree(candidate):
            return candidate
    return None


def open_checkout(repo: Path | None, *, cwd: Path | None = None, quiet: bool = False) -> Checkout:
    """The tree a command works on: ``--repo``, else the one around cwd, else the default tree."""
    if repo is not None:
        if not repo.exists():
            raise ScaffoldError(f"{repo} does not exist")
        root = find_tree(repo)
        if root is None:
            raise ScaffoldError(
                f"{repo} is not a transformers source tree (no src/transformers/__init__.py in it " "or above it)"
            )
    else:
        root = find_tree(cwd or Path.cwd())
        if root is None:
            from scaffold.tree_cache import default_tree

            root = default_tree(quiet=quiet)
    checkout = Checkout(root)
    if not (checkout.src / "models").is_dir():
        raise ScaffoldError(f"{root} is not a transformers source tree (no src/transformers/models)")
    return checkout
