"""``docs/rules.md``: the converter's rules index, generated from the rule classes.

For each rule of the pipeline (``scaffold/convert/rules/__init__.py``), in the order it runs: its
name, where it runs (its module, the main or the FINAL pipeline, its step and the group of the
pipeline list it comes from), the tables it reads, its summary and its first example. Then "which
rule handles X": the keys of the main mapping tables (``nn.LayerNorm``, ``torch.einsum``, tensor
methods, ``torch.nn.functional`` ops, cache classes...) and the rule that reads each table.

The tables a rule reads are found in its source: every reference to a table of
``scaffold/convert/tables*.py`` (``T.LAYERS``, ``OPS.SUPPORT``, a name imported from a table
module) in the rule's class, in the module-level helpers and base classes it uses (followed through
the rule modules), and in the module-level tables of a rule module listed in :data:`RULE_TABLES`.

Regenerate after changing a rule or a table (``tests/test_rules_index.py`` fails until then)::

    python -m scaffold.convert.rules_index > docs/rules.md
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from scaffold.convert import rules as rules_package
from scaffold.convert import tables, tables_layers, tables_model, tables_ops
from scaffold.convert.rules import FINAL, PIPELINE
from scaffold.convert.rules.base import Rule

COMMAND = "python -m scaffold.convert.rules_index > docs/rules.md"

CONVERT = "scaffold.convert"
RULES = "scaffold.convert.rules"
TABLE_MODULES = frozenset({"tables", "tables_layers", "tables_model", "tables_ops"})
# mapping tables kept in a rule module rather than in tables*.py: (module, name)
RULE_TABLES = frozenset({("decoder", "CACHE_CLASSES"), ("masks", "MASK_FUNCTIONS")})

_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
# what markdown could read as markup in a summary: emphasis, tags, links (an underscore inside a word is not)
_MARKUP = re.compile(r"[\\`*<\[\]]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


# -- which tables a rule reads ------------------------------------------------------------------
@dataclass
class _Symbols:
    """What a module's top-level names are, read from its syntax tree."""

    tree: ast.Module
    defs: dict[str, ast.AST] = field(default_factory=dict)  # functions, classes, assigned values
    table_modules: dict[str, str] = field(default_factory=dict)  # alias -> table module
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (module, name)


def _short(module: str) -> str:
    """``scaffold.convert.tables_ops`` -> ``tables_ops``; ``scaffold.convert.rules.ops.calls`` -> ``ops.calls``."""
    for prefix in (RULES + ".", CONVERT + "."):
        if module.startswith(prefix):
            return module[len(prefix) :]
    return module


def _note_import(node: ast.ImportFrom, table_modules: dict[str, str], imported: dict[str, tuple[str, str]]) -> None:
    if node.level or not node.module:
        return
    for alias in node.names:
        local = alias.asname or alias.name
        if node.module == CONVERT and alias.name in TABLE_MODULES:
            table_modules[local] = alias.name
        elif node.module.startswith(CONVERT + "."):
            imported[local] = (node.module, alias.name)


@cache
def _symbols(module: str) -> _Symbols:
    source = Path(inspect.getsourcefile(importlib.import_module(module))).read_text()
    symbols = _Symbols(ast.parse(source))
    for node in symbols.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            symbols.defs[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    symbols.defs[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            symbols.defs[node.target.id] = node.value
        elif isinstance(node, ast.ImportFrom):
            _note_import(node, symbols.table_modules, symbols.imported)
    return symbols


def _reads(module: str, node: ast.AST, seen: set[tuple[str, str]]) -> set[str]:
    """Tables read by ``node`` of ``module`` and by the helpers of the rule modules it names."""
    symbols = _symbols(module)
    table_modules, imported = dict(symbols.table_modules), dict(symbols.imported)
    for inner in ast.walk(node):  # imports inside functions
        if isinstance(inner, ast.ImportFrom):
            _note_import(inner, table_modules, imported)
    found: set[str] = set()
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.value, ast.Name)
            and inner.value.id in table_modules
            and _CONSTANT.match(inner.attr)
        ):
            found.add(f"{table_modules[inner.value.id]}.{inner.attr}")
        elif isinstance(inner, ast.Name):
            found |= _follow(module, inner.id, imported, seen)
    return found


def _follow(module: str, name: str, imported: dict[str, tuple[str, str]], seen: set[tuple[str, str]]) -> set[str]:
    """Tables behind a name used in ``module``: a table itself, or a helper (function, class, value) reading some."""
    if name in imported:
        module, name = imported[name]
        if _short(module) in TABLE_MODULES:
            return {f"{_short(module)}.{name}"} if _CONSTANT.match(name) else set()
        if not module.startswith(RULES):
            return set()
        if name not in _symbols(module).defs:  # re-exported by a package's __init__
            home = getattr(getattr(importlib.import_module(module), name, None), "__module__", None)
            if isinstance(home, str) and home != module:
                return _follow(home, name, {}, seen)
    if not module.startswith(RULES):
        return set()
    found = {f"{_short(module)}.{name}"} if (_short(module), name) in RULE_TABLES else set()
    node = _symbols(module).defs.get(name)
    if node is None or (module, name) in seen:
        return found
    seen.add((module, name))
    return found | _reads(module, node, seen)


@cache
def tables_read(rule: type[Rule]) -> tuple[str, ...]:
    """The tables ``rule`` reads, as ``<module>.<NAME>``, sorted."""
    node = _symbols(rule.__module__).defs[rule.__name__]
    return tuple(sorted(_reads(rule.__module__, node, {(rule.__module__, rule.__name__)})))


# -- where a rule runs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    rule: type[Rule]
    pipeline: str  # "main" or "FINAL"
    position: int  # 1-based, within its pipeline
    total: int
    group: str  # the entry of the pipeline list it comes from: ``layers.RULES``


def _groups(variable: str) -> list[str]:
    """One label per rule of ``PIPELINE``/``FINAL``, read from the lists in ``rules/__init__.py``."""
    labels: list[str] = []
    for node in _symbols(RULES).tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if not (isinstance(target, ast.Name) and target.id == variable and isinstance(node.value, ast.List)):
            continue
        for element in node.value.elts:
            if isinstance(element, ast.Starred):
                label = ast.unparse(element.value)
                module, attribute = label.split(".")  # ``layers.RULES``
                members = getattr(getattr(rules_package, module), attribute)
                labels += [label] * len(members)
            else:
                labels.append(ast.unparse(element))
    return labels


def steps() -> list[Step]:
    out = []
    for pipeline, rules in (("main", PIPELINE), ("FINAL", FINAL)):
        groups = _groups("PIPELINE" if pipeline == "main" else "FINAL")
        assert len(groups) == len(rules), f"rules/__init__.py: {pipeline} pipeline not read"
        out += [Step(rule, pipeline, i + 1, len(rules), groups[i]) for i, rule in enumerate(rules)]
    return out


def _source_path(rule: type[Rule]) -> str:
    return "scaffold/" + rule.__module__.removeprefix("scaffold.").replace(".", "/") + ".py"


# -- which rule handles X -----------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """A mapping table, the rules that convert what it maps (they must read it) and its keys as written."""

    title: str
    table: str  # ``<module>.<NAME>`` as tables_read() spells it
    handlers: tuple[type[Rule], ...]
    keys: Callable[[], Iterable[str]]  # the names a reader searches for


def _spelled(table: Iterable[str], form: str) -> Callable[[], list[str]]:
    return lambda: [form.format(key) for key in table]


def _rule_table(module: str, name: str) -> Callable[[], list[str]]:
    return lambda: list(getattr(importlib.import_module(f"{RULES}.{module}"), name))


def _lookups() -> tuple[Lookup, ...]:
    from scaffold.convert.rules.cleanup import DropNoOpTensorMethods, DropPyTorchOnlyMembers
    from scaffold.convert.rules.decoder import CacheClasses
    from scaffold.convert.rules.layers import ActivationsToTF, ModulesToKerasLayers
    from scaffold.convert.rules.masks import AttentionMaskHelpers
    from scaffold.convert.rules.model.losses import HeadLosses
    from scaffold.convert.rules.model.pretrained import ModuleUtilsHelpers
    from scaffold.convert.rules.naming import TFBaseClasses
    from scaffold.convert.rules.ops.calls import TensorMethods, TorchFunctions
    from scaffold.convert.rules.ops.dtypes import TorchDtypes
    from scaffold.convert.rules.ops.inplace import InPlaceTensorUpdates

    layer_keys = [key for key in tables_layers.LAYERS if key != tables_layers.LAYER_NORM_ANY_RANK]
    return (
        Lookup("Layers: `nn.*` modules", "tables_layers.LAYERS", (ModulesToKerasLayers,), lambda: layer_keys),
        Lookup(
            "Activation modules",
            "tables_layers.ACTIVATION_MODULES",
            (ActivationsToTF,),
            _spelled(tables_layers.ACTIVATION_MODULES, "{}"),
        ),
        Lookup(
            "`torch.<op>` functions",
            "tables_ops.FUNCTIONS",
            (TorchFunctions,),
            _spelled(tables_ops.FUNCTIONS, "torch.{}"),
        ),
        Lookup(
            "Ops written both ways, `torch.<op>(x)` and `x.<op>()`",
            "tables_ops.TENSOR_OPS",
            (TorchFunctions, TensorMethods),
            _spelled(tables_ops.TENSOR_OPS, "torch.{0}`, `x.{0}()"),
        ),
        Lookup(
            "Tensor methods `x.<method>()`",
            "tables_ops.METHODS",
            (TensorMethods,),
            _spelled(tables_ops.METHODS, "x.{}()"),
        ),
        Lookup(
            "In-place tensor methods",
            "tables_ops.INPLACE",
            (InPlaceTensorUpdates,),
            _spelled(tables_ops.INPLACE, "x.{}()"),
        ),
        Lookup(
            "Tensor methods that do nothing in TF",
            "tables.NOOP_TENSOR_METHODS",
            (DropNoOpTensorMethods,),
            _spelled(sorted(tables.NOOP_TENSOR_METHODS), "x.{}()"),
        ),
        Lookup(
            "`torch.nn.functional` ops",
            "tables_ops.FUNCTIONAL",
            (TorchFunctions,),
            _spelled(tables_ops.FUNCTIONAL, "F.{}"),
        ),
        Lookup("dtypes", "tables_ops.DTYPES", (TorchDtypes,), _spelled(tables_ops.DTYPES, "torch.{}")),
        Lookup("Tensor types", "tables_ops.TYPES", (TorchDtypes,), _spelled(tables_ops.TYPES, "torch.{}")),
        Lookup(
            "Cache classes (`cache_utils`)",
            "decoder.CACHE_CLASSES",
            (CacheClasses,),
            _rule_table("decoder", "CACHE_CLASSES"),
        ),
        Lookup(
            "Mask helpers (`modeling_attn_mask_utils`)",
            "masks.MASK_FUNCTIONS",
            (AttentionMaskHelpers,),
            _rule_table("masks", "MASK_FUNCTIONS"),
        ),
        Lookup(
            "Loss modules",
            "tables_model.LOSS_MODULES",
            (HeadLosses,),
            _spelled(sorted(tables_model.LOSS_MODULES), "nn.{}"),
        ),
        Lookup(
            "`ModuleUtilsMixin` methods called on `self`",
            "tables_model.MODULE_UTILS_HELPERS",
            (ModuleUtilsHelpers,),
            _spelled(tables_model.MODULE_UTILS_HELPERS, "self.{}()"),
        ),
        Lookup("Base classes", "tables.BASE_CLASSES", (TFBaseClasses,), _spelled(tables.BASE_CLASSES, "{}")),
        Lookup(
            "PyTorch-only methods (dropped)",
            "tables.PT_ONLY_METHODS",
            (DropPyTorchOnlyMembers,),
            _spelled(sorted(tables.PT_ONLY_METHODS), "{}"),
        ),
    )


def readers(table: str) -> list[type[Rule]]:
    """Every rule of the pipeline that reads ``table``, in pipeline order."""
    return [rule for rule in PIPELINE + FINAL if table in tables_read(rule)]


# -- markdown ------------------------------------------------------------------------------------
def _link(rule: type[Rule]) -> str:
    return f"[`{rule.name}`](#{rule.name})"


def _prose(text: str) -> str:
    """Summaries are plain text: markdown's emphasis and tag characters escaped outside code spans."""
    parts = text.split("`") if text.count("`") % 2 == 0 else [text]  # an unpaired backtick: no code spans
    for i in range(0, len(parts), 2):
        parts[i] = _MARKUP.sub(r"\\\g<0>", parts[i])
    return "`".join(parts)


def _code(text: str) -> str:
    body = textwrap.dedent(text).strip("\n").rstrip()
    fence = "````" if "```" in body else "```"
    return f"{fence}python\n{body}\n{fence}"


def _rule_section(step: Step) -> list[str]:
    rule = step.rule
    tables = tables_read(rule)
    where = "main pipeline" if step.pipeline == "main" else "FINAL pipeline (on the finished module)"
    lines = [
        f"### {rule.name}",
        "",
        f"`{rule.__name__}` in `{_source_path(rule)}` · {where}, step {step.position} of {step.total}, "
        f"from `{step.group}`",
        "",
        "Reads: "
        + (", ".join(f"`{t}`" for t in tables) if tables else "no table")
        + (f" · phase `{rule.phase}`" if rule.phase else ""),
        "",
        _prose(rule.summary),
        "",
    ]
    example = rule.examples[0]
    if example.note:
        lines += [f"Example: {_prose(example.note)}", ""]
    lines += [_code(example.before), "", "becomes", "", _code(example.after), ""]
    return lines


def render() -> str:
    """The whole of ``docs/rules.md``."""
    all_steps = steps()
    lines = [
        "# Converter rules",
        "",
        f"<!-- Generated from the rule classes by `{COMMAND}`; do not edit by hand. -->",
        "",
        "`tfscaffold new` runs these rules in this order over the PyTorch module "
        "(`scaffold/convert/rules/__init__.py` holds the pipeline): the main pipeline on the converted "
        "code, then the FINAL pipeline on the finished module (imports pruned, reused code in place). "
        "Each rule's examples are tests (`tests/test_rules.py`); one is shown here, the others are in "
        "its class. [Which rule handles X](#which-rule-handles-x) maps PyTorch names to the rule that "
        "converts them. Consecutive rules of one phase share one walk of the module (their hooks run in "
        "rule order on each node); a rule without a phase walks it alone.",
        "",
        "## Index",
        "",
        "| step | rule | phase | module | reads |",
        "|---|---|---|---|---|",
    ]
    for step in all_steps:
        number = f"{step.position}" if step.pipeline == "main" else f"FINAL {step.position}"
        reads = ", ".join(f"`{t.split('.', 1)[1]}`" for t in tables_read(step.rule))
        phase = f"`{step.rule.phase}`" if step.rule.phase else ""
        lines.append(f"| {number} | {_link(step.rule)} | {phase} | `{_short(step.rule.__module__)}` | {reads} |")
    lines += ["", "## Rules", ""]
    for step in all_steps:
        lines += _rule_section(step)
    lines += [
        "## Which rule handles X",
        "",
        "The keys of the main mapping tables, each with the rule that converts what the table maps "
        "(the other rules reading the table are named above it). Names are spelled as the tables are "
        "keyed after `canonical-torch-names` (`from torch.nn import LayerNorm` is `nn.LayerNorm`); "
        "`x` stands for any tensor. What no rule converts is left with a `# TODO(tfscaffold)` marker.",
        "",
    ]
    for lookup in _lookups():
        everyone = readers(lookup.table)
        missing = [rule.name for rule in lookup.handlers if rule not in everyone]
        assert not missing, f"{', '.join(missing)} no longer read {lookup.table}: update rules_index._lookups"
        handled_by = ", ".join(_link(rule) for rule in lookup.handlers)
        lines += [f"### {lookup.title}", "", f"`{lookup.table}`, converted by {handled_by}."]
        others = [rule for rule in everyone if rule not in lookup.handlers]
        if others:
            lines[-1] += " Also read by " + ", ".join(_link(rule) for rule in others) + "."
        lines += ["", "| name | rule |", "|---|---|"]
        lines += [f"| `{key}` | {handled_by} |" for key in lookup.keys()]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.buffer.write(render().encode("utf-8"))
