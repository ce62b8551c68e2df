"""What the converter needs to know about ``modeling_<m>.py`` before touching it.

The facts (class prefix, config class, pretrained base, base model, heads) decide structure:
which class becomes ``TF<X>MainLayer``, what ``base_model_prefix`` names the main layer, which
classes are heads. They are read from the code (``config_class``, ``base_model_prefix``, base
classes), never from the model's name.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.copies import CopiedFrom, parse_marker
from scaffold.convert.rules.base import class_attribute
from scaffold.errors import ScaffoldError


@dataclass
class Unit:
    """One top-level statement of the module, with the comments above it."""

    kind: str  # "class", "function", "assign", "import", "other"
    name: str | None
    node: cst.CSTNode
    marker: CopiedFrom | None = None
    bases: list[str] = field(default_factory=list)


@dataclass
class PTModule:
    path: Path
    module: cst.Module
    units: list[Unit]
    prefix: str  # "Bert"
    config_class: str  # "BertConfig"
    pretrained_class: str | None  # "BertPreTrainedModel"
    base_model_prefix: str | None  # "bert"
    base_model_class: str | None  # "BertModel"
    text: str = ""  # the source it was read from (``module.code``)

    @property
    def classes(self) -> dict[str, Unit]:
        return {u.name: u for u in self.units if u.kind == "class" and u.name}

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    @functools.cached_property
    def names_read(self) -> tuple[dict[str, set[str]], list[tuple[list[str], set[str]]]]:
        """Every name each top-level class mentions, by class; and per top-level assignment, in order,
        its target names and the names its value mentions (``X_CLASSES = {"eager": XAttention}``).

        Read once from one ``ast`` parse of the source, for the question reuse asks of every class
        (which classes does it use?), which a code generation and a parse per class answered before.
        """
        classes: dict[str, set[str]] = {}
        assignments: list[tuple[list[str], set[str]]] = []
        for node in ast.parse(self.text or self.module.code).body:
            if isinstance(node, ast.ClassDef):
                classes[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            elif isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                assignments.append((targets, {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}))
        return classes, assignments

    @functools.cached_property
    def class_configs(self) -> dict[str, str]:
        """Each class's own configuration class, where it names one (``config: Gemma3TextConfig`` or
        ``config_class = ...``): a module of several configurations has a base model per configuration."""
        out: dict[str, str] = {}
        for name, unit in self.classes.items():
            assert isinstance(unit.node, cst.ClassDef)
            found = class_attribute(unit.node, "config_class") or _annotation(unit.node, "config")
            if isinstance(found, cst.Name):
                out[name] = found.value
        return out

    def subclasses_of(self, base: str) -> list[str]:
        """Classes deriving from ``base`` directly or through other classes of the module."""
        classes = self.classes
        out: list[str] = []

        def derives(name: str, seen: set[str]) -> bool:
            unit = classes.get(name)
            if unit is None or name in seen:
                return False
            return any(b == base or derives(b, seen | {name}) for b in unit.bases)

        for name in classes:
            if derives(name, set()):
                out.append(name)
        return out


def _base_name(arg: cst.Arg, module: cst.Module) -> str:
    name = module.code_for_node(arg.value).split(".")[-1].split("[")[0]
    return tables.LAYER_BASE_ALIASES.get(name, name).split(".")[-1]


def _marker_of(node: cst.CSTNode) -> CopiedFrom | None:
    for line in getattr(node, "leading_lines", ()):
        if line.comment is not None:
            found = parse_marker(line.comment.value)
            if found is not None:
                return found
    return None


def read_pt_module(path: Path, text: str) -> PTModule:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise ScaffoldError(f"{path.name}:{exc.raw_line}: does not parse: {exc.message}") from None
    units: list[Unit] = []
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            bases = [_base_name(a, module) for a in stmt.bases]
            units.append(Unit("class", stmt.name.value, stmt, _marker_of(stmt), bases))
        elif isinstance(stmt, cst.FunctionDef):
            units.append(Unit("function", stmt.name.value, stmt, _marker_of(stmt)))
        elif isinstance(stmt, cst.SimpleStatementLine):
            small = stmt.body[0]
            if isinstance(small, cst.Import | cst.ImportFrom):
                units.append(Unit("import", None, stmt))
            elif isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
                units.append(Unit("assign", small.targets[0].target.value, stmt))
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                units.append(Unit("assign", small.target.value, stmt))
            else:
                units.append(Unit("other", None, stmt))
        else:
            units.append(Unit("other", None, stmt))

    pretrained = None
    config_class = None
    base_model_prefix = None
    for unit in units:
        if unit.kind == "class" and "PreTrainedModel" in unit.bases:
            pretrained = unit.name
            node = unit.node
            assert isinstance(node, cst.ClassDef)
            cfg = class_attribute(node, "config_class") or _annotation(node, "config")
            if cfg is not None:
                config_class = module.code_for_node(cfg)
            prefix_node = class_attribute(node, "base_model_prefix")
            if isinstance(prefix_node, cst.SimpleString):
                base_model_prefix = prefix_node.evaluated_value
            break
    if config_class is None:
        # the model's own configuration module first: PretrainedConfig or GenerationConfig may come before it
        imported = sorted(
            (
                a.name.value
                for u in units
                if u.kind == "import"
                for a in _import_aliases(u.node)
                if isinstance(a.name, cst.Name) and a.name.value.endswith("Config")
            ),
            key=lambda name: name in ("PretrainedConfig", "PreTrainedConfig", "GenerationConfig", "AutoConfig"),
        )
        if not imported:
            raise ScaffoldError(f"{path.name}: no config class found (no config_class, no *Config import)")
        config_class = imported[0]
    prefix = config_class.removesuffix("Config")
    base_model_class = f"{prefix}Model" if f"{prefix}Model" in {u.name for u in units} else None
    if base_model_prefix == "":
        # ``base_model_prefix = ""`` (4.57's multimodal models): the heads hold the model as one more
        # sublayer, with no prefix for a TF main layer to be named after: no main layer
        base_model_class = None
    return PTModule(path, module, units, prefix, config_class, pretrained, base_model_prefix, base_model_class, text)


def _annotation(cls: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    """The annotation of ``<name>: X`` in a class body (4.57's ``config: BertConfig``), None without one."""
    if isinstance(cls.body, cst.SimpleStatementSuite):
        return None
    for line in cls.body.body:
        if isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.AnnAssign):
            found = line.body[0]
            if isinstance(found.target, cst.Name) and found.target.value == name:
                return found.annotation.annotation
    return None


def _import_aliases(node: cst.CSTNode) -> list[cst.ImportAlias]:
    if isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[0], cst.ImportFrom):
        names = node.body[0].names
        if isinstance(names, list | tuple):
            return list(names)
    return []
