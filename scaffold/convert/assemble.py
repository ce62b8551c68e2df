"""Turn ``modeling_<m>.py`` into ``modeling_tf_<m>.py``: reuse, convert, assemble, tidy.

Imports are emitted generously (everything the TF idiom may need, plus what reused code
imports) and then ruff, under the tree's own settings, drops the unused ones and sorts the
rest; that is more robust than predicting which names a rule will introduce.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from scaffold.changeset import read_text
from scaffold.checkout import Checkout, Model
from scaffold.convert import tables
from scaffold.convert.copies import CopiedFrom, copy_dependents, defined_objects, object_sources, tidy_markers
from scaffold.convert.import_pool import with_imports
from scaffold.convert.pt_imports import is_pt_only_import
from scaffold.convert.pt_module import PTModule, read_pt_module
from scaffold.convert.reuse import KeptCopies, ReuseIndex, SourceModule, Twin, keep_copied, recover_copied
from scaffold.convert.rules import FINAL, PIPELINE
from scaffold.convert.rules.base import TODO_PREFIX, ConvertContext, Todo, apply_rules, parse_module
from scaffold.convert.rules.tying import find_tied_decoders
from scaffold.convert.submodels import sub_model_facts
from scaffold.convert.twin_fit import class_names_used, keep_consistent_callers
from scaffold.errors import ScaffoldError
from scaffold.formatting import ruff_binary, ruff_format
from scaffold.pysource import parsed

_PLACEHOLDER = "__tfscaffold_reused__"


@dataclass
class ReusedClass:
    pt_name: str
    tf_name: str
    origin: str  # transformers.models.roberta.modeling_tf_roberta.TFRobertaLayer
    how: str  # "copied-from" (the PyTorch marker) or "identical" (same code once renamed)


@dataclass
class TodoLine:
    line: int
    unit: str | None
    text: str


@dataclass
class Conversion:
    model: str
    tf_path: Path
    code: str
    public_names: list[str]
    reused: list[ReusedClass] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    todos: list[TodoLine] = field(default_factory=list)
    seconds: float = 0.0
    copies: list[CopiedName] = field(default_factory=list)  # what other TF files copy from this port
    declared: list[str] = field(default_factory=list)  # the public names in the PyTorch file's order


@dataclass
class CopiedName:
    """An object other TF files copy (``# Copied from transformers.<this port>.<name>``) and what became of it."""

    name: str  # TFBertMLMHead, TFBertMainLayer._prune_heads
    status: str  # kept, unchanged, no longer defined, defined differently, regenerated (...)
    files: list[str]  # the files whose markers name it
    why_not_kept: str | None = None
    remarked: bool = False  # the copies' markers were pointed at one of them, or removed

    @property
    def breaks(self) -> bool:
        """Whether transformers' check_copies fails (or may fail) on the files that copy it."""
        return self.status not in ("kept", "unchanged") and not self.remarked


def _output_classes(path: Path) -> dict[str, tuple[list[tuple[str, str]], str]]:
    """The output dataclasses of ``modeling_outputs.py`` or ``modeling_tf_outputs.py``.

    Per class: its fields in dataclass order (bases first), each with its annotation's source,
    and its docstring. A TF twin may lack a field the PyTorch class has; the port then defines
    its own class from the PyTorch fields and docstring (the docstring decorators read its Args).
    """
    if not path.is_file():
        return {}
    classes = {n.name: n for n in ast.parse(read_text(path)).body if isinstance(n, ast.ClassDef)}

    def fields(name: str, depth: int = 0) -> list[tuple[str, str]]:
        node = classes.get(name)
        if node is None or depth > 10:
            return []
        out: list[tuple[str, str]] = []
        for base in node.bases:
            if isinstance(base, ast.Name):
                out.extend(f for f in fields(base.id, depth + 1) if f[0] not in {o[0] for o in out})
        for s in node.body:
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
                out = [f for f in out if f[0] != s.target.id]
                out.append((s.target.id, ast.unparse(s.annotation)))
        return out

    return {name: (fields(name), ast.get_docstring(node, clean=False) or "") for name, node in classes.items()}


def _config_facts(model: Model) -> tuple[set[str], frozenset[str], dict[str, set[str]]]:
    """What the model's configuration classes take or set (parameters, ``self.<attr>``), their strings,
    and the same attributes per configuration class a layer may read (the parts of a composite config
    differ: SAM's prompt encoder config has no ``initializer_range``)."""
    found: set[str] = set()
    strings: set[str] = set()
    per_class: dict[str, set[str]] = {}
    for path in model.folder.glob("configuration_*.py"):
        try:
            tree = ast.parse(read_text(path))
        except SyntaxError:
            continue
        configs = {"PretrainedConfig"}  # model configs only (an OnnxConfig is not one)
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if not any(isinstance(b, ast.Name) and b.id in configs for b in cls.bases):
                continue
            configs.add(cls.name)
            attributes = per_class.setdefault(cls.name, set())
            for node in ast.walk(cls):
                if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                    attributes.update(a.arg for a in node.args.args + node.args.kwonlyargs)
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                    attributes.add(node.attr)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                found.update(a.arg for a in node.args.args + node.args.kwonlyargs)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                found.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 40:
                strings.add(node.value)
        # a composite config (it builds the others: CLIPConfig, SamConfig) is not what a layer reads
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in per_class):
            if any(isinstance(n, ast.Name) and n.id in per_class and n.id != cls.name for n in ast.walk(cls)):
                per_class[cls.name] = {"<composite>"}
    per_class = {name: attributes for name, attributes in per_class.items() if attributes != {"<composite>"}}
    return found, frozenset(strings), per_class


def _foreign_layers(checkout: Checkout, pt: PTModule) -> dict[str, tuple[str, str]]:
    """``from ..bert.modeling_bert import BertModel``: the TF class of that model's port standing for it
    (or of the TF twin of a sibling module: ``from .modeling_blip_text import BlipTextModel``).

    A model class (``TFBertModel`` derives from ``TFPreTrainedModel``) is held through its main
    layer (``TFBertMainLayer``): a Keras model inside a layer would put its own name level into
    the weight names, where PyTorch's state dict has none. Names the other port lacks are left
    out (they stay undefined, with the usual TODO).
    """
    from scaffold.pysource import module_facts

    found: dict[str, tuple[str, str]] = {}
    for stmt in pt.module.body:
        for small in getattr(stmt, "body", []) if isinstance(stmt, cst.SimpleStatementLine) else []:
            if not (isinstance(small, cst.ImportFrom) and small.module is not None):
                continue
            if not isinstance(small.names, list | tuple):
                continue
            located = _tf_twin_module(checkout, pt, len(small.relative), pt.code(small.module))
            if located is None:
                continue
            tf_file, tf_module = located
            classes = module_facts(tf_file).classes
            for alias in small.names:
                name = pt.code(alias.name)
                local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                target = f"TF{name}"
                if target not in classes:
                    continue
                if "TFPreTrainedModel" in classes[target].bases or name.endswith("Model"):
                    main = f"TF{name.removesuffix('Model')}MainLayer"
                    target = main if main in classes else target
                found[local] = (target, f"from {tf_module} import {target}")
    return found


def _tf_twin_module(checkout: Checkout, pt: PTModule, dots: int, module: str) -> tuple[Path, str] | None:
    """The TF file of a PyTorch module the modeling file imports from, and how to import it.

    Another model's modeling file (``..bert.modeling_bert`` -> ``..bert.modeling_tf_bert``), or a sibling
    module of the same folder (BLIP's ``.modeling_blip_text`` -> ``.modeling_tf_blip_text``, IDEFICS's
    ``.vision`` -> ``.vision_tf``, the two namings TF ports of such modules have).
    """
    if dots == 2:
        folder, _, stem = module.partition(".")
        tf_file = checkout.src / "models" / folder / f"modeling_tf_{folder}.py"
        return (
            (tf_file, f"..{folder}.modeling_tf_{folder}")
            if stem == f"modeling_{folder}" and tf_file.is_file()
            else None
        )
    if dots != 1 or "." in module or module == pt.path.stem:
        return None
    names = [f"modeling_tf_{module.removeprefix('modeling_')}"] if module.startswith("modeling_") else []
    for stem in [*names, f"{module}_tf"]:
        tf_file = pt.path.parent / f"{stem}.py"
        if tf_file.is_file():
            return tf_file, f".{stem}"
    return None


def _tf_sample_docstrings(checkout: Checkout) -> frozenset[str]:
    """The keys of ``TF_SAMPLE_DOCSTRINGS`` in the tree's ``utils/doc.py`` (empty when not found)."""
    path = checkout.src / "utils" / "doc.py"
    if not path.is_file():
        return frozenset()
    for node in ast.parse(read_text(path)).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "TF_SAMPLE_DOCSTRINGS"
            and isinstance(node.value, ast.Dict)
        ):
            return frozenset(k.value for k in node.value.keys if isinstance(k, ast.Constant))
    return frozenset()


def _initializer_attr(pt: PTModule) -> str:
    """The config field the PyTorch ``_init_weights`` takes its std from, read before cleanup drops it.

    "" when that field may be None (``_init_weights`` then computes the std): no initializer is
    written from it and Keras' defaults apply, as for a config without one.
    """
    if pt.pretrained_class is None:
        return "initializer_range"
    code = pt.code(pt.classes[pt.pretrained_class].node)
    found = (
        re.search(r"self\.config\.(\w+)", code[code.find("def _init_weights") :])
        if "def _init_weights" in code
        else None
    )
    if found and f"self.config.{found.group(1)} is None" in code:
        # the std is computed when the field is None (Funnel: from the fan sizes): no single config value
        return ""
    return found.group(1) if found else "initializer_range"


_STACKED_PAST = re.compile(r"cache_batch_axis = 1 if any\(model_prefix in model_name for model_prefix in (\([^)]*\))")


def _stacked_past(checkout: Checkout, prefix: str) -> bool:
    """Whether the tree's TF ``generate()`` reads this model's cache with the batch on axis 1.

    ``generation/tf_utils.py`` picks the cache layout by class name (``cache_batch_axis = 1 if any(model_prefix
    in model_name for model_prefix in (...))``): those models keep one tensor stacking key and value per layer.
    """
    path = checkout.src / "generation" / "tf_utils.py"
    if not path.is_file():
        return False
    prefixes: set[str] = set()
    for group in _STACKED_PAST.findall(read_text(path)):
        prefixes.update(str(p) for p in ast.literal_eval(group))
    return any(p in f"TF{prefix}" for p in prefixes)


def _keras_idiom(checkout: Checkout) -> str:
    """``keras`` where the tree's TF code imports it from modeling_tf_utils (4.46), else ``tf.keras``."""
    utils = checkout.src / "modeling_tf_utils.py"
    if utils.is_file() and re.search(r"^\s*import keras\b|^from .* import .*\bkeras\b", read_text(utils), re.M):
        return "keras"
    return "tf.keras"


def _generic_heads(checkout: Checkout) -> dict[str, str]:
    """The tree's generic head classes (``modeling_layers.GenericForSequenceClassification`` ...) -> their source."""
    path = checkout.src / "modeling_layers.py"
    if not path.is_file():
        return {}
    text = read_text(path)
    lines = text.splitlines(keepends=True)
    return {
        node.name: "".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.parse(text).body
        if isinstance(node, ast.ClassDef) and node.name.startswith("Generic")
    }


def _pt_public_names(model: Model, pt_stem: str) -> list[str]:
    text = read_text(model.init)
    match = re.search(rf'_import_structure\["{pt_stem}"\] = (\[.*?\])', text, re.S)
    if match:
        return [str(n) for n in ast.literal_eval(match.group(1))]
    pt = model.folder / f"{pt_stem}.py"
    tree = ast.parse(read_text(pt))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            return [str(n) for n in ast.literal_eval(node.value)]
    return [n.name for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]


def convert_model(checkout: Checkout, model: Model, *, reuse: bool = True) -> Conversion:
    """Convert the model's main PyTorch modeling file into TF source text (nothing is written)."""
    start = time.perf_counter()
    pt_path = model.folder / f"modeling_{model.name}.py"
    if not pt_path.is_file():
        several = checkout.models_in_folder(model)
        if several:
            raise ScaffoldError(
                f"{checkout.rel(model.folder)} holds several models ({', '.join(several)}): name the one to port"
            )
        raise ScaffoldError(f"{checkout.rel(pt_path)} does not exist: nothing to convert")
    pt = read_pt_module(pt_path, read_text(pt_path))
    tf_path = model.folder / f"modeling_tf_{model.name}.py"
    ctx = _context(checkout, model, pt)
    twins = _reused_twins(checkout, model, pt, ctx) if reuse else {}
    ctx.reused = set(twins)

    code = _converted_code(pt, twins, ctx)
    code, reused = _place_twins(code, pt, twins, ctx)

    own = dotted_module(checkout, tf_path)
    copied_by = copy_dependents(checkout.src, own, exclude=tf_path)
    sources = list(twins.values())
    kept = KeptCopies()
    if copied_by and reuse and tf_path.is_file():
        old = SourceModule(tf_path, tf_path.read_bytes())
        code, kept = keep_copied(code, old, copied_by)
        sources.append(Twin(model.name, old, own, "", ()))  # the kept code's imports and helpers
    elif copied_by and reuse:
        # a fresh port other ports copy from: what they copy is recovered from their copies
        recovered = recover_copied(own, copied_by)
        if recovered is not None:
            code, kept = keep_copied(code, recovered, copied_by, partial=True)
            sources.append(Twin(model.name, recovered, own, "", ()))
    code = _with_support(code, ctx)
    code = with_imports(code, ctx, sources)
    code = _resolve_undefined(code, sources, checkout)
    code, _ = tidy_markers(code, own, _tree_objects(checkout))
    code = _tidy(code, checkout, tf_path)
    code = _finish(code, ctx, checkout, tf_path)
    code, todos = _mark_undefined(code, checkout, tf_path)
    for _ in range(3):  # a pragma that made a line too long: formatted again, then marked again if it moved
        formatted = ruff_format(code, str(tf_path.relative_to(checkout.root)), checkout.root)
        if formatted == code:
            break
        code, todos = _mark_undefined(formatted, checkout, tf_path)
    defined = {n.name for n in parsed(code).body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    public = [ctx.tf_name(n) for n in _pt_public_names(model, pt_path.stem) if ctx.tf_name(n) in defined]
    if ctx.main_layer in defined and ctx.main_layer not in public:
        public.append(ctx.main_layer)
    reused = [r for r in reused if r.tf_name not in kept.classes]  # a kept class replaces the twin it had
    for name in kept.classes:
        reused.append(ReusedClass(name.removeprefix("TF"), name, f"transformers.{own}.{name}", "kept"))
    converted = [
        n for n in pt.classes if n not in twins and ctx.tf_name(n) in defined and ctx.tf_name(n) not in kept.classes
    ]
    return Conversion(
        model.name,
        tf_path,
        code,
        sorted(public),
        reused,
        converted,
        todos,
        time.perf_counter() - start,
        copies=_copies_report(code, copied_by, kept, checkout, tf_path),
        declared=public,
    )


def _context(checkout: Checkout, model: Model, pt: PTModule) -> ConvertContext:
    """What the rules know of the model: its names, output classes, config, the tree's idioms."""
    tf_outputs = _output_classes(checkout.src / "modeling_tf_outputs.py")
    pt_outputs = _output_classes(checkout.src / "modeling_outputs.py")
    config_attributes, config_strings, per_config = _config_facts(model)
    initializer_attr = _initializer_attr(pt)
    submodels = sub_model_facts(checkout, model)
    return ConvertContext(
        prefix=pt.prefix,
        config_class=pt.config_class,
        base_model_prefix=pt.base_model_prefix,
        base_model_class=pt.base_model_class,
        pretrained_class=pt.pretrained_class,
        local_classes=set(pt.classes),
        class_bases={name: list(unit.bases) for name, unit in pt.classes.items()},
        class_configs=pt.class_configs,
        own_model_types=submodels.own_types,
        sub_model_types=submodels.sub_types,
        tf_model_types=submodels.tf_types,
        tf_outputs=set(tf_outputs),
        tf_output_fields={name: {f for f, _ in fields} for name, (fields, _) in tf_outputs.items()},
        pt_output_fields={name: fields for name, (fields, _) in pt_outputs.items()},
        pt_output_docs={name: doc for name, (_, doc) in pt_outputs.items() if doc},
        keras=_keras_idiom(checkout),
        implied_embedding_accessors=checkout.implies_embedding_accessors,
        generic_heads=_generic_heads(checkout),
        initializer_attr=initializer_attr,
        configs_without_initializer=frozenset(
            name for name, attributes in per_config.items() if initializer_attr not in attributes
        ),
        stacked_past=_stacked_past(checkout, pt.prefix),
        config_attributes=config_attributes,
        config_strings=config_strings,
        tf_sample_docstrings=_tf_sample_docstrings(checkout),
        foreign_layers=_foreign_layers(checkout, pt),
    )


def _reused_twins(checkout: Checkout, model: Model, pt: PTModule, ctx: ConvertContext) -> dict[str, Twin]:
    """The PyTorch classes whose existing TF twin is copied, by name."""
    twins: dict[str, Twin] = {}
    index = ReuseIndex(checkout, model.name)
    for name, unit in pt.classes.items():
        twin = None
        if unit.marker is not None:
            twin = index.by_marker(unit.marker, ctx.tf_name(name))
        if twin is None:
            twin = index.by_identity(pt, name, pt.code(unit.node))
        if twin is not None:
            twins[name] = twin
    # a decoder PyTorch ties to the input embeddings is tied by the converter (rules/tying.py);
    # a TF twin ties (or not) in its own port's way, so its owner is never reused, nor is a twin
    # that builds such an owner (its port passes the owner TF arguments of its own)
    frontier, dropped = set(find_tied_decoders(pt.module)), set()
    while frontier:
        for name in frontier:
            twins.pop(name, None)
        dropped |= frontier
        frontier = {name for name in twins if class_names_used(pt, name) & dropped}
    keep_consistent_callers(pt, twins)
    return twins


def _converted_code(pt: PTModule, twins: dict[str, Twin], ctx: ConvertContext) -> str:
    """The module with reused classes replaced by placeholders, through the rule pipeline."""
    body: list[cst.BaseStatement] = []
    for unit in pt.units:
        if unit.kind == "function" and unit.name and unit.name.startswith(tables.PT_ONLY_FUNCTION_PREFIXES):
            continue
        if unit.kind == "class" and unit.name in twins:
            body.append(cst.parse_statement(f'{_PLACEHOLDER}("{unit.name}")\n'))
            continue
        body.append(unit.node)  # type: ignore[arg-type]
    converted_module = apply_rules(pt.module.with_changes(body=body), PIPELINE, ctx)
    # PyTorch imports stay visible to the rules (they tell what a name is), then go
    kept = [s for s in converted_module.body if not is_pt_only_import(s, converted_module, pt.path.parent)]
    return converted_module.with_changes(body=kept).code


def _place_twins(
    code: str, pt: PTModule, twins: dict[str, Twin], ctx: ConvertContext
) -> tuple[str, list[ReusedClass]]:
    """The reused twins in place of their placeholders (a main layer twin before the pretrained class)."""
    reused: list[ReusedClass] = []
    main_layer_twin = None
    for name, twin in twins.items():
        marker = twin.marker()
        block = f"{marker.render()}\n{twin.code()}"
        code = code.replace(f'{_PLACEHOLDER}("{name}")\n', block, 1)
        how = "copied-from" if pt.classes[name].marker else "identical"
        reused.append(ReusedClass(name, ctx.tf_name(name), f"transformers.{marker.module}.{marker.obj}", how))
        if name == pt.base_model_class:
            main_layer_twin = _main_layer_twin(twin, ctx)
    if main_layer_twin is not None:
        code = _insert_before_class(
            code, ctx.tf_name(pt.pretrained_class or pt.base_model_class or ""), main_layer_twin
        )
    return code, reused


def _copies_report(
    code: str, copied_by: dict[str, list[Path]], kept: KeptCopies, checkout: Checkout, tf_path: Path
) -> list[CopiedName]:
    """Per object other files copy from this port: kept, or why their ``# Copied from`` markers now fail."""
    defined = defined_objects(code)
    old = read_text(tf_path) if tf_path.is_file() else None
    old_code = object_sources(old) if old is not None else {}
    new_code = object_sources(code)
    report = []
    for obj, files in sorted(copied_by.items()):
        top = obj.partition(".")[0]
        if top in kept.classes or obj in kept.methods:
            status = "kept"
        elif obj not in defined:
            status = "no longer defined"
        elif old is None:
            status = "regenerated (no earlier port to compare with)"
        elif old_code.get(obj) != new_code.get(obj):
            status = "defined differently"
        else:
            status = "unchanged"
        report.append(CopiedName(obj, status, [checkout.rel(f) for f in files], kept.not_kept.get(obj)))
    return report


def dotted_module(checkout: Checkout, path: Path) -> str:
    """``models.bert.modeling_tf_bert`` for ``src/transformers/models/bert/modeling_tf_bert.py``."""
    return ".".join(path.relative_to(checkout.src).with_suffix("").parts)


def _tree_objects(checkout: Checkout):
    """A reader of the classes and functions (dotted, methods too) of the tree's modules, by dotted name."""
    found: dict[str, set[str] | None] = {}

    def objects(module: str) -> set[str] | None:
        if module not in found:
            path = checkout.src.joinpath(*module.split(".")).with_suffix(".py")
            found[module] = defined_objects(read_text(path)) if path.is_file() else None
        return found[module]

    return objects


def _main_layer_twin(base_twin: Twin, ctx: ConvertContext) -> str | None:
    """The MainLayer of the port the base model was reused from, renamed the same way."""
    source = base_twin.tf_module
    original = base_twin.tf_name.removesuffix("Model") + "MainLayer"
    if original not in source.top:
        return None
    twin = Twin(base_twin.model, source, base_twin.module_dotted, original, base_twin.replacements)
    return f"{twin.marker().render()}\n{twin.code()}"


def _definition_start(code: str, class_name: str | None = None) -> int | None:
    """Offset of the first top-level class or function (the class ``class_name``), with its decorators and
    the comment lines right above them: a ``# Copied from`` marker sits between the decorators and
    ``class``, where transformers' copy checker reads it, and a decorator may span lines."""
    for node in parsed(code).body:
        if not isinstance(node, ast.ClassDef | ast.FunctionDef):
            continue
        if class_name is not None and not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        lines = code.splitlines(keepends=True)
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        while first > 0 and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        return sum(len(line) for line in lines[:first])
    return None


def _insert_before_class(code: str, class_name: str, block: str) -> str:
    at = _definition_start(code, class_name)
    if at is None:
        return code + "\n\n" + block
    return code[:at] + block + "\n\n" + code[at:]


def _with_support(code: str, ctx: ConvertContext) -> str:
    """Helper functions rules asked for, placed before the first class or function of the module."""
    if not ctx.support:
        return code
    block = "\n\n".join(src.strip() + "\n" for _, src in sorted(ctx.support.items()))
    at = _definition_start(code)
    at = len(code) if at is None else at
    return code[:at] + block + "\n\n" + code[at:]


def _ruff_check(code: str, select: str | None, checkout: Checkout, path: Path, *, fix: bool = False) -> str:
    """Run ``ruff check`` on text under the tree's settings: the fixed text, or JSON findings.

    ``select`` None: the tree's own rules, and only their safe fixes (what its ``make style`` applies)."""
    cmd = [ruff_binary(), "check", *(["--select", select] if select else []), "--stdin-filename", str(path)]
    if (checkout.root / "pyproject.toml").is_file():
        cmd += ["--config", str(checkout.root / "pyproject.toml")]
    if fix:
        cmd += ["--fix-only", "--exit-zero", *(["--unsafe-fixes"] if select else [])]
    else:
        cmd += ["--output-format", "json", "--exit-zero"]
    proc = subprocess.run([*cmd, "-"], input=code, capture_output=True, text=True, cwd=checkout.root)
    if proc.returncode != 0:
        raise ScaffoldError(f"ruff failed on {path.name}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return proc.stdout


def _undefined(code: str, checkout: Checkout, path: Path) -> list[dict]:
    return json.loads(_ruff_check(code, "F821", checkout, path) or "[]")


def _resolve_undefined(code: str, twins, checkout: Checkout) -> str:
    """Names reused code needs from its source module: copy their definitions, renamed."""
    twins = list(twins)
    for _ in range(5):
        missing = {
            item["message"].split("`")[1]
            for item in _undefined(code, checkout, checkout.root / "x.py")
            if "`" in item["message"]
        }
        added = False
        for name in sorted(missing):
            for twin in twins:
                original = name
                for replacement in reversed(twin.replacements):
                    original = replacement.reversed().apply(original)
                source: SourceModule = twin.tf_module
                if original in source.top:
                    text = source.source(original)
                    for replacement in twin.replacements:
                        text = replacement.apply(text)
                    if source.kind(original) in ("class", "function"):
                        marker = CopiedFrom(twin.module_dotted, original, twin.replacements).render()
                        text = f"{marker}\n{text}"
                    code = _insert_before_first_use(code, name, text)
                    added = True
                    break
        if not added:
            break
    return code


def _insert_before_first_use(code: str, name: str, block: str) -> str:
    """``block`` above the top-level statement that first mentions ``name``: above its decorators (which may
    span lines) and the comment lines right above them."""
    lines = code.splitlines(keepends=True)
    use = next((i for i, line in enumerate(lines) if re.search(rf"\b{re.escape(name)}\b", line)), len(lines))
    top = use
    for node in parsed(code).body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))]) - 1
        if first <= use < (node.end_lineno or node.lineno):
            top = first
            break
    while top > 0 and lines[top - 1].startswith("#"):
        top -= 1
    return "".join(lines[:top]) + block + "\n\n" + "".join(lines[top:])


def _tidy(code: str, checkout: Checkout, path: Path) -> str:
    """Drop unused imports, sort imports, format: all under the tree's ruff settings.

    Also the two rewrites of a converted expression that only say the same thing shorter:
    ``list(tuple(x))`` and ``[x for x in y]`` (what is left once ``.to(device)`` goes), which
    transformers' ruff settings reject (C414, C416; ruff calls their fixes unsafe only because
    a user-defined ``list`` or ``tuple`` could differ).
    """
    fixed = _ruff_check(code, "F401,I001,C414,C416", checkout, path, fix=True)
    # then the safe fixes of whatever else the tree's settings select (4.57's: SIM910 and the like)
    fixed = _ruff_check(fixed, None, checkout, path, fix=True)
    return ruff_format(fixed, str(path.relative_to(checkout.root)), checkout.root)


def _finish(code: str, ctx: ConvertContext, checkout: Checkout, path: Path) -> str:
    """The rules that need the finished module; formatted again only when one changed it."""
    module = parse_module(code)
    finished = apply_rules(module, FINAL, ctx)
    if finished is module or finished.code == code:
        return code
    return _tidy(finished.code, checkout, path)


def _statement_starts(code: str) -> dict[int, int]:
    """Line -> first line of the innermost statement that contains it (1-based)."""
    starts: dict[int, int] = {}
    for node in ast.walk(parsed(code)):
        if isinstance(node, ast.stmt):
            for row in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                if starts.get(row, 0) < node.lineno:
                    starts[row] = node.lineno
    return starts


_NOQA = "  # noqa: F821"


def _line_length(checkout: Checkout) -> int:
    """The tree's ``line-length`` (transformers: 119)."""
    path = checkout.root / "pyproject.toml"
    found = re.search(r"^line-length\s*=\s*(\d+)", read_text(path), re.M) if path.is_file() else None
    return int(found.group(1)) if found else 119


def _room_for_noqa(code: str, checkout: Checkout, path: Path) -> tuple[str, list[dict]]:
    """Split the bracket around an undefined name where ``# noqa: F821`` would push its line past the limit.

    The formatter leaves a line whole when it fits without its pragma comment, so the noqa added
    afterwards may overflow. A magic trailing comma in the innermost call, parameter list or
    display holding the name makes the formatter put one item per line; then the noqa fits.
    """
    limit = _line_length(checkout)
    for _ in range(4):
        undefined = _undefined(code, checkout, path)
        lines = code.splitlines()
        long_rows = {
            (item["location"]["row"], item["location"]["column"] - 1)
            for item in undefined
            if "# noqa" not in lines[item["location"]["row"] - 1]
            and len(lines[item["location"]["row"] - 1]) + len(_NOQA) > limit
        }
        commas = {c for row, col in long_rows if (c := _trailing_comma_at(code, row, col)) is not None}
        if not commas:
            return code, undefined
        lines = code.splitlines(keepends=True)
        for row, col in sorted(commas, reverse=True):
            lines[row - 1] = lines[row - 1][:col] + "," + lines[row - 1][col:]
        code = ruff_format("".join(lines), str(path.relative_to(checkout.root)), checkout.root)
    return code, _undefined(code, checkout, path)


def _trailing_comma_at(code: str, row: int, col: int) -> tuple[int, int] | None:
    """Where a magic trailing comma goes in the innermost bracket holding (row, col), None if none may.

    Calls, parameter lists and list/set/dict displays only: a comma in plain parentheses or a
    subscript would make a tuple.
    """
    best = None
    for node in ast.walk(parsed(code)):
        items: list[ast.AST] = []
        if isinstance(node, ast.Call):
            items = [*node.args, *node.keywords]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            items = [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else []), *a.kwonlyargs]
            items += [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
            items += [x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs] if x.annotation]
            items += [a.kwarg] if a.kwarg else []
        elif isinstance(node, ast.List | ast.Set):
            items = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = [*(k for k in node.keys if k is not None), *node.values]
        items = [i for i in items if getattr(i, "end_lineno", None) is not None]
        if not items:
            continue
        first = min((i.lineno, i.col_offset) for i in items)
        last = max((i.end_lineno, i.end_col_offset) for i in items)
        if not (first <= (row, col) <= last):
            continue
        span = (last[0] - first[0], last[1] - first[1])
        if best is None or span < best[0]:
            best = (span, last)
    if best is None:
        return None
    row_end, col_end = best[1]
    rest = code.splitlines()[row_end - 1][col_end:].lstrip()
    if rest.startswith(","):
        return None  # already split one item per line: nothing more a comma can do
    return row_end, col_end


def _mark_undefined(code: str, checkout: Checkout, path: Path) -> tuple[str, list[TodoLine]]:
    """Every name still undefined gets a TODO marker and ``noqa``: say it, never hide it."""
    code, undefined = _room_for_noqa(code, checkout, path)
    if undefined:
        lines = code.splitlines(keepends=True)
        starts = _statement_starts(code)
        markers: dict[int, list[str]] = {}
        for item in undefined:
            row = item["location"]["row"]
            name = item["message"].split("`")[1] if "`" in item["message"] else "?"
            line = lines[row - 1].rstrip("\n")
            if "# noqa" not in line:
                lines[row - 1] = f"{line}  # noqa: F821\n"
            markers.setdefault(starts.get(row, row), []).append(name)
        for start in sorted(markers, reverse=True):
            indent = re.match(r"\s*", lines[start - 1]).group(0)
            above = lines[max(0, start - 4) : start - 1]
            for name in sorted(set(markers[start]), reverse=True):
                marker = f"{indent}{TODO_PREFIX}{name}: undefined in TF, no rule converts it\n"
                if marker not in above:
                    lines.insert(start - 1, marker)
        code = "".join(lines)
    lines = code.splitlines()
    units = _unit_spans(code, lines)
    todos = [
        TodoLine(
            number,
            next((name for first, last, name in units if first <= number <= last), None),
            line.strip()[len(TODO_PREFIX) :],
        )
        for number, line in enumerate(lines, 1)
        if TODO_PREFIX in line
    ]
    return code, todos


def _unit_spans(code: str, lines: list[str]) -> list[tuple[int, int, str]]:
    """Each top-level class or function: (first line, last line, name), its decorators and the comment lines
    right above them included, so a marker above a class is reported as that class's."""
    spans = []
    for node in parsed(code).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while first > 1 and lines[first - 2].lstrip().startswith("#"):
                first -= 1
            spans.append((first, node.end_lineno or node.lineno, node.name))
    return spans


__all__ = ["Conversion", "CopiedName", "convert_model", "Todo"]
