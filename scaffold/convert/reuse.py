"""Reuse before conversion: find an existing TF twin for a PyTorch class and copy it.

Two ways a PyTorch class ``C`` of model ``m`` gets a twin:

* its ``# Copied from transformers.models.X.modeling_X.D with R`` marker names a class whose TF
  twin ``TFD`` exists: ``TFC`` is ``TFD`` with the replacements ``R``;
* a class ``E`` of another model ``Y`` with a TF port is identical to ``C`` once ``Y``'s class
  prefix is renamed to ``m``'s in all casings (the same test transformers' copy checker makes);
  then ``TFC`` is ``TFE`` renamed. Identity is decided on the syntax tree without docstrings, so
  comments and wording never block a reuse, and code never differs silently.

Every reused class carries a ``# Copied from transformers.models.Y.modeling_tf_Y.TFE with R``
marker that ``utils/check_copies.py`` accepts by construction.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from scaffold.checkout import Checkout
from scaffold.convert.copies import CopiedFrom, Replacement, rename
from scaffold.convert.pt_module import PTModule
from scaffold.pysource import cached_by_content

_CONFIG_SUFFIX = "Config"


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def shape_of(code: str) -> str | None:
    """A comparable form of a class: its syntax tree without docstrings, decorators kept."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    return ast.dump(_strip_docstrings(tree), include_attributes=False)


@dataclass
class Summary:
    """What reuse needs of a module, cheap to keep: spans of top-level names, imports, prefix."""

    spans: dict[str, tuple[int, int, str]]  # name -> (first line, last line, kind)
    import_lines: list[str]
    config_prefix: str | None


def _summarize(text: str) -> Summary:
    tree = ast.parse(text)
    spans: dict[str, tuple[int, int, str]] = {}
    imports: list[str] = []
    prefix = None
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            spans[node.name] = (start, node.end_lineno or node.lineno, kind)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    spans[target.id] = (node.lineno, node.end_lineno or node.lineno, "assign")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(ast.get_source_segment(text, node) or "")
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("configuration_")
                and prefix is None
            ):
                for alias in node.names:
                    if alias.name.endswith(_CONFIG_SUFFIX):
                        prefix = alias.name.removesuffix(_CONFIG_SUFFIX)
                        break
    return Summary(spans, imports, prefix)


@dataclass
class SourceModule:
    """One ``modeling_*.py`` (PyTorch or TF) of the tree, summarised once per content."""

    path: Path
    data: bytes

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @cached_property
    def summary(self) -> Summary:
        return cached_by_content("reuse-summary-v1", self.data, lambda: _summarize(self.text))

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    @property
    def top(self) -> dict[str, tuple[int, int, str]]:
        return self.summary.spans

    def kind(self, name: str) -> str:
        return self.top[name][2]

    def source(self, name: str) -> str:
        start, end, _ = self.top[name]
        return "".join(self.lines[start - 1 : end])

    @property
    def import_lines(self) -> list[str]:
        return self.summary.import_lines

    @property
    def config_prefix(self) -> str | None:
        return self.summary.config_prefix


@dataclass
class Twin:
    """A TF class of the tree that stands for a PyTorch class once renamed."""

    model: str  # folder of the TF port it comes from
    tf_module: SourceModule
    module_dotted: str  # models.roberta.modeling_tf_roberta
    tf_name: str  # TFRobertaSelfAttention
    replacements: tuple[Replacement, ...]

    def code(self) -> str:
        text = self.tf_module.source(self.tf_name)
        for replacement in self.replacements:
            text = replacement.apply(text)
        return text

    def marker(self) -> CopiedFrom:
        return CopiedFrom(self.module_dotted, self.tf_name, self.replacements)


@dataclass
class ReuseIndex:
    """PyTorch classes of every model that has a TF port, by the suffix after their prefix."""

    checkout: Checkout
    exclude: str  # the model being ported: its own TF file is never a source
    ports: dict[str, tuple[SourceModule, SourceModule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, model in self.checkout.models.items():
            if name == self.exclude:
                continue
            for tf_path in model.tf_modeling_files:
                pt_path = model.folder / tf_path.name.replace("modeling_tf_", "modeling_")
                if pt_path.is_file():
                    key = f"{name}:{tf_path.stem}"
                    self.ports[key] = (
                        SourceModule(pt_path, pt_path.read_bytes()),
                        SourceModule(tf_path, tf_path.read_bytes()),
                    )

    def _dotted(self, path: Path) -> str:
        rel = path.relative_to(self.checkout.src).with_suffix("")
        return ".".join(rel.parts)

    def by_marker(self, marker: CopiedFrom, tf_name: str) -> Twin | None:
        """The TF twin of a ``# Copied from`` source, if its model has a TF port."""
        if not marker.is_whole_class:
            return None
        parts = marker.module.split(".")
        if len(parts) < 3 or parts[-1].startswith("modeling_tf_"):
            return None
        model, pt_stem = parts[-2], parts[-1]
        if model == self.exclude:
            return None
        found = self.ports.get(f"{model}:{pt_stem.replace('modeling_', 'modeling_tf_', 1)}")
        if found is None:
            return None
        _pt, tf = found
        source_tf = f"TF{marker.obj}"
        if source_tf not in tf.top:
            return None
        twin = Twin(model, tf, self._dotted(tf.path), source_tf, marker.replacements)
        if CopiedFrom("", source_tf, marker.replacements).apply(source_tf) != tf_name:
            return None
        return twin

    def by_identity(self, pt: PTModule, name: str, code: str) -> Twin | None:
        """A class of another port identical to ``code`` once its prefix is renamed."""
        if not name.startswith(pt.prefix):
            return None
        suffix = name[len(pt.prefix) :]
        wanted = shape_of(code)
        if wanted is None:
            return None
        for key in sorted(self.ports):
            pt_src, tf_src = self.ports[key]
            prefix = pt_src.config_prefix
            if prefix is None or f"{prefix}{suffix}" not in pt_src.top or f"TF{prefix}{suffix}" not in tf_src.top:
                continue
            replacements = rename(prefix, pt.prefix)
            candidate = pt_src.source(f"{prefix}{suffix}")
            for replacement in replacements:
                candidate = replacement.apply(candidate)
            if shape_of(candidate) != wanted:
                continue
            twin = Twin(key.split(":")[0], tf_src, self._dotted(tf_src.path), f"TF{prefix}{suffix}", replacements)
            if _reversible(twin):
                return twin
        return None


def _reversible(twin: Twin) -> bool:
    """Renaming back must give the source again, or the marker would not check."""
    code = twin.code()
    back = code
    for replacement in reversed(twin.replacements):
        back = replacement.reversed().apply(back)
    return back == twin.tf_module.source(twin.tf_name)
