"""A model's public TF names: the source of truth every other registration is derived from.

Legacy layout: ``_import_structure["modeling_tf_<m>"]`` in ``models/<m>/__init__.py``, mirrored
under ``TYPE_CHECKING``. Models whose ``__init__`` is built by ``define_import_structure``
(albert already, in 4.46) declare them in ``__all__`` of the TF modeling file instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import ChangeSet, read_text
from scaffold.checkout import Checkout, Model
from scaffold.pysource import ModuleFacts, cached_by_content, module_facts, parse, resolve_relative

_PRETRAINED_BASE = "TFPreTrainedModel"
_SERIALIZABLE = "keras_serializable"


@dataclass
class TFExports:
    model: Model
    layout: str  # "legacy" or "all"
    modules: dict[str, list[str]] = field(default_factory=dict)  # module -> names, as written
    lines: dict[str, int] = field(default_factory=dict)  # module -> line of its block
    mirror: dict[str, list[str]] = field(default_factory=dict)  # TYPE_CHECKING imports
    mirror_lines: dict[str, int] = field(default_factory=dict)
    imports_is_tf_available: bool = True

    @property
    def names(self) -> list[str]:
        out: list[str] = []
        for names in self.modules.values():
            out.extend(n for n in names if n not in out)
        return out

    def module_path(self, module: str) -> Path:
        return self.model.folder / f"{module}.py"

    def missing_modules(self, changes: ChangeSet | None = None) -> list[str]:
        if changes is None:
            return [m for m in self.modules if not self.module_path(m).is_file()]
        return [m for m in self.modules if not changes.exists(self.module_path(m))]


def _is_structure_target(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "_import_structure"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def read_exports(checkout: Checkout, model: Model, changes: ChangeSet | None = None) -> TFExports:
    """The model's TF names, as the files are on disk or as ``changes`` would leave them."""
    text = changes.current(model.init) if changes is not None else read_text(model.init)
    if "define_import_structure" in text:
        exports = TFExports(model, "all")
        files = changes.glob(model.folder, "modeling_tf_*.py") if changes is not None else model.tf_modeling_files
        for path in files:
            facts = module_facts(
                path, changes.current(path) if changes is not None and path in changes.changes else None
            )
            if facts.all_names is not None:
                exports.modules[path.stem] = facts.all_names
                exports.lines[path.stem] = facts.defined.get("__all__", 1)
        return exports
    modules, lines, mirror, mirror_lines, tf_available = cached_by_content(
        "init-exports-v1", text.encode("utf-8"), lambda: _legacy_exports(parse(model.init, text, root=checkout.root))
    )
    # copies: the cached values are shared, and the sync edits what it is given
    return TFExports(
        model,
        "legacy",
        {k: list(v) for k, v in modules.items()},
        dict(lines),
        {k: list(v) for k, v in mirror.items()},
        dict(mirror_lines),
        tf_available,
    )


def _legacy_exports(tree: ast.Module) -> tuple[dict, dict, dict, dict, bool]:
    """What a model ``__init__`` of the legacy layout lists (``_import_structure``) and imports, from its text
    alone: kept in the facts cache, as ``sync`` reads every model's on every run (a file that does not parse
    is not kept, and said again the next time)."""
    exports = TFExports(None, "legacy")  # type: ignore[arg-type]
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            key = _is_structure_target(node.targets[0])
            if key and key.startswith("modeling_tf_"):
                try:
                    exports.modules[key] = [str(n) for n in ast.literal_eval(node.value)]
                except ValueError:
                    exports.modules[key] = []
                exports.lines[key] = node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1 and (node.module or "").startswith("modeling_tf_"):
                exports.mirror.setdefault(node.module, []).extend(a.name for a in node.names)
                exports.mirror_lines.setdefault(node.module, node.lineno)
            if node.level > 1 and (node.module or "") == "utils":
                imported.update(a.name for a in node.names)
    tf_available = "is_tf_available" in imported
    return exports.modules, exports.lines, exports.mirror, exports.mirror_lines, tf_available


class Kinds:
    """Tells models and main layers from building-block layers, across modules of the tree.

    Why it matters: the main ``__init__`` exports a model's TF models, heads, main layer and
    pretrained base, but not always its building blocks (``TFBertEmbeddings`` is exported by
    ``models/bert`` only). A class is a model if it derives from ``TFPreTrainedModel``, whatever
    its decorators; else a main layer if it is ``@keras_serializable`` or derives from one; any
    other class is a building block.
    """

    def __init__(self, changes: ChangeSet | None = None) -> None:
        self._memo: dict[tuple[Path, str], str] = {}
        self._changes = changes

    def kind(self, path: Path, name: str, _depth: int = 0) -> str:
        """``model``, ``main_layer``, ``block``, ``other`` (function, constant, import) or ``unknown``.

        ``unknown`` means the name is not defined where it is said to be.
        """
        key = (path, name)
        if key in self._memo:
            return self._memo[key]
        result = self._kind(path, name, _depth)
        self._memo[key] = result
        return result

    def _kind(self, path: Path, name: str, depth: int) -> str:
        changed = self._changes is not None and path in self._changes.changes
        exists = self._changes.exists(path) if changed else path.is_file()
        if depth > 20 or not exists:
            return "unknown"
        facts: ModuleFacts = module_facts(path, self._changes.current(path) if changed else None)
        if name in facts.classes:
            # the ancestry decides before the decorator: upstream marks some models
            # @keras_serializable too (TFOPTModel, TFOPTForCausalLM), and a model read as a main
            # layer would drop out of the test file's all_model_classes
            cls = facts.classes[name]
            inherited = "block"
            for base in cls.bases:
                base_name = base.split("[")[0].split(".")[-1]
                if base_name == _PRETRAINED_BASE:
                    return "model"
                sub = self.kind(path, base_name, depth + 1)
                if sub == "model":
                    return "model"
                if sub == "main_layer":
                    inherited = sub
            if any(d.split("(")[0].split(".")[-1] == _SERIALIZABLE for d in cls.decorators):
                return "main_layer"
            return inherited
        if name in facts.imports:
            module, level, original = facts.imports[name]
            target = resolve_relative(path, module, level)
            if target is not None:
                return self.kind(target, original, depth + 1)
            return "other"  # imported from outside the tree's relative modules: defined, kind unknown
        if name in facts.defined:
            return "other"
        return "unknown"


def exported_at_top(kind: str) -> bool:
    """Whether a name of this kind belongs in the main ``__init__`` when first registered."""
    return kind != "block"
