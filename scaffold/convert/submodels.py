"""Which models ``AutoModel.from_config(config.<sub>_config)`` builds, and which of them TF can build.

4.57's multimodal models hold their towers as auto models (``self.vision_tower =
AutoModel.from_config(config.vision_config)``): the model built is the one the sub-config's
``model_type`` names. A TF port can hold such a tower only when the tree's TF auto classes serve
that model type, or when the tower is a model of the port itself. These facts are read from the
configuration modules (``sub_configs = {"vision_config": SiglipVisionConfig}``, each config class's
``model_type``) and from ``modeling_tf_auto.py``, without importing anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import read_text
from scaffold.checkout import Checkout, Model
from scaffold.pysource import parsed
from scaffold.registry.auto import read_mappings

# config classes whose model type is decided by the values given at run time
RUNTIME_CONFIGS = frozenset({"AutoConfig", "PretrainedConfig", "PreTrainedConfig"})


@dataclass(frozen=True)
class SubModelFacts:
    own_types: dict[str, str] = field(default_factory=dict)  # the model's config classes -> their model_type
    sub_types: dict[str, str | None] = field(
        default_factory=dict
    )  # sub-config attribute -> model_type (None: run time)
    tf_types: dict[str, frozenset[str]] = field(default_factory=dict)  # TF auto mapping -> the model types it serves


def _config_trees(folder: Path) -> list[ast.Module]:
    out = []
    for path in sorted(folder.glob("configuration_*.py")):
        try:
            out.append(parsed(read_text(path)))
        except SyntaxError:
            continue
    return out


def _class_constants(cls: ast.ClassDef, name: str) -> ast.expr | None:
    """The value of ``<name> = ...`` in a class body, None without one."""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == [name]:
            return stmt.value
    return None


def _classes(trees: list[ast.Module]) -> list[ast.ClassDef]:
    return [n for tree in trees for n in tree.body if isinstance(n, ast.ClassDef)]


def _model_types(trees: list[ast.Module]) -> dict[str, str]:
    found: dict[str, str] = {}
    for cls in _classes(trees):
        value = _class_constants(cls, "model_type")
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found[cls.name] = value.value
    return found


def _sub_configs(trees: list[ast.Module]) -> dict[str, str]:
    """Sub-config attribute -> config class name, from ``sub_configs = {...}`` or ``XConfig(**x)`` in __init__."""
    found: dict[str, str] = {}
    for cls in _classes(trees):
        value = _class_constants(cls, "sub_configs")
        if isinstance(value, ast.Dict):
            for key, sub in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(sub, ast.Name):
                    found.setdefault(str(key.value), sub.id)
        for call in ast.walk(cls):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.endswith("Config"):
                for kw in call.keywords:
                    if kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id.endswith("_config"):
                        found.setdefault(kw.value.id, call.func.id)
    return found


def _imported_from(trees: list[ast.Module], name: str) -> str | None:
    """The model folder ``from ..siglip import SiglipVisionConfig`` names (a sibling package)."""
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                if any((a.asname or a.name) == name for a in node.names):
                    return node.module.split(".")[0]
    return None


def sub_model_facts(checkout: Checkout, model: Model) -> SubModelFacts:
    trees = _config_trees(model.folder)
    own = _model_types(trees)
    sub_types: dict[str, str | None] = {}
    for attr, config in _sub_configs(trees).items():
        if config in own:
            sub_types[attr] = own[config]
            continue
        folder = _imported_from(trees, config)
        other = _model_types(_config_trees(checkout.src / "models" / folder)) if folder else {}
        sub_types[attr] = None if config in RUNTIME_CONFIGS else other.get(config)
    tf_types: dict[str, frozenset[str]] = {}
    if checkout.tf_auto.is_file():
        mappings = read_mappings(checkout.tf_auto, read_text(checkout.tf_auto), checkout.root)
        tf_types = {name: frozenset(e.key for e in entries) for name, entries in mappings.entries.items()}
    return SubModelFacts(own, sub_types, tf_types)
