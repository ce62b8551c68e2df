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
import hashlib
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from scaffold.checkout import Checkout
from scaffold.convert.copies import CopiedFrom, Definition, Replacement, definitions, rename
from scaffold.convert.pt_module import PTModule
from scaffold.pysource import cached_by_content, parsed

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
    """A comparable form of a class: a digest of its syntax tree without docstrings, decorators kept.

    Kept in the facts cache by the code's content: the reuse index compares every class of a port
    with its namesakes in ~15 other ports, renamed, and those texts are the same from run to run
    (a digest, not the tree's dump, keeps the cache small).
    """
    return cached_by_content("shape", code.encode("utf-8"), lambda: _shape(code))


def _shape(code: str) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    dump = ast.dump(_strip_docstrings(tree), include_attributes=False)
    return hashlib.blake2b(dump.encode("utf-8"), digest_size=20).hexdigest()


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


# -- names other ports copy from -----------------------------------------------------------------------------------
# ``check_copies`` holds other TF files to the text of what they copy, so regenerating a port must keep those
# definitions as they are where the regenerated code can use them, and say which it could not keep.

_KERAS_CALL_KEYWORDS = {"training", "mask"}  # keras' __call__ drops them when call() does not take them
_KERAS_INIT_KEYWORDS = {"name", "trainable", "dtype", "dynamic", "input_shape", "batch_input_shape", "input_dim"}


@dataclass
class KeptCopies:
    """What ``keep_copied`` did: classes kept whole, methods added, and objects it could not keep (-> why)."""

    classes: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    neighbours: list[str] = field(default_factory=list)  # kept because a kept class calls them or they call it
    not_kept: dict[str, str] = field(default_factory=dict)


def _top_defs(tree: ast.Module) -> dict[str, ast.ClassDef | ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "".join(lines[first - 1 : node.end_lineno])


def _signature_of(func: ast.FunctionDef) -> inspect.Signature:
    args = func.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = []
    for arg, default in list(zip(positional, defaults, strict=True))[1:]:  # without self
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(inspect.Parameter(arg.arg, kind, default=inspect.Parameter.empty if default is None else 0))
    if args.vararg is not None:
        params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        empty = inspect.Parameter.empty
        params.append(
            inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY, default=empty if default is None else 0)
        )
    if args.kwarg is not None:
        params.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _binds(signature: inspect.Signature, call: ast.Call, *, keras_call: bool) -> bool:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return True  # *args / **kwargs: cannot tell statically
    keywords = {k.arg for k in call.keywords if k.arg}
    if keras_call:
        keywords -= _KERAS_CALL_KEYWORDS - set(signature.parameters)
    else:
        # a layer's ``**kwargs`` go to keras' Layer.__init__, which takes its own keywords only
        keywords -= _KERAS_INIT_KEYWORDS - set(signature.parameters)
        signature = signature.replace(
            parameters=[p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        )
    try:
        signature.bind(*range(len(call.args)), **dict.fromkeys(keywords, 0))
    except TypeError:
        return False
    return True


def _mismatched_calls(code: str) -> set[tuple[str, str]]:
    """(caller class, callee class) pairs where a constructor or layer call does not fit the callee's signature.

    Constructor calls ``K(...)`` and calls of layers held in attributes (``self.x = K(...)`` then
    ``self.x(...)``) are checked against ``K.__init__`` and ``K.call``; calls through lists or
    locals are not followed.
    """
    tree = parsed(code)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    inits = {name: _signature_of(m) for name, c in classes.items() if (m := _method(c, "__init__"))}
    calls = {name: _signature_of(m) for name, c in classes.items() if (m := _method(c, "call"))}
    bad: set[tuple[str, str]] = set()
    for caller, cls in classes.items():
        attrs: dict[str, str] = {}
        for node in ast.walk(cls):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                made = {
                    n.func.id
                    for n in ast.walk(node.value)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in classes
                }
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                    and len(made) == 1
                    and not isinstance(node.value, ast.ListComp | ast.List)
                ):
                    attrs[target.attr] = made.pop()
        for node in ast.walk(cls):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in inits:
                if not _binds(inits[func.id], node, keras_call=False):
                    bad.add((caller, func.id))
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
                and attrs.get(func.attr) in calls
            ):
                if not _binds(calls[attrs[func.attr]], node, keras_call=True):
                    bad.add((caller, attrs[func.attr]))
    return bad


def _compose(code: str, old: SourceModule, whole: set[str], methods: dict[str, set[str]]) -> str:
    """``code`` with the old definitions of ``whole`` in place of (or beside) the new ones and missing methods added."""
    old_tree = ast.parse(old.text)
    old_defs = _top_defs(old_tree)
    old_order = [n.name for n in old_tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)]
    lines = code.splitlines(keepends=True)
    tree = parsed(code)
    new_defs = _top_defs(tree)
    replace: dict[int, tuple[int, str]] = {}  # first line -> (last line, text)
    after: dict[int, list[str]] = {}  # insert after this line
    for name, node in new_defs.items():
        if name in whole:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while first > 1 and parse_marker_line(lines[first - 2]):
                first -= 1  # the marker of the reused twin it replaces
            replace[first] = (node.end_lineno or node.lineno, _segment(old.lines, old_defs[name]))
        elif name in methods and isinstance(node, ast.ClassDef):
            missing = []
            for m in sorted(methods[name]):
                present = _method(node, m)
                if present is None:
                    missing.append(m)
                    continue
                first = min([present.lineno, *(d.lineno for d in present.decorator_list)])
                replace[first] = (
                    present.end_lineno or present.lineno,
                    _segment(old.lines, _method(old_defs[name], m)),
                )
            added = "".join("\n" + _segment(old.lines, _method(old_defs[name], m)) for m in missing)
            if added:
                after.setdefault(node.end_lineno or node.lineno, []).append(added)
    for name in sorted(whole - set(new_defs), key=old_order.index):
        earlier = [n for n in old_order[: old_order.index(name)] if n in new_defs]
        anchor = (new_defs[earlier[-1]].end_lineno or 0) if earlier else len(lines)
        after.setdefault(anchor, []).append("\n\n" + _segment(old.lines, old_defs[name]))
    out: list[str] = []
    number = 1
    while number <= len(lines):
        if number in replace:
            end, text = replace[number]
            out.append(text)
        else:
            end = number
            out.append(lines[number - 1])
        for line in range(number, end + 1):
            out.extend(text if text.endswith("\n") else text + "\n" for text in after.get(line, []))
        number = end + 1
    return "".join(out)


def _called_names(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def parse_marker_line(line: str) -> bool:
    return line.lstrip().startswith("# Copied from transformers.")


def keep_copied(
    code: str, old: SourceModule, dependents: dict[str, list[Path]], *, partial: bool = False
) -> tuple[str, KeptCopies]:
    """Keep the old definitions other ports copy from, wherever the regenerated code can use them.

    ``dependents`` are the dotted objects (``TFBertLayer``, ``TFBertMainLayer._prune_heads``) other
    files copy. A class named whole, or one with a copied method the new code changes, is kept
    whole from the old file; a copied method the new class lacks is added to it. A kept class must
    fit the code around it: every constructor and layer call between kept and regenerated classes
    has to bind to the signature it meets, else that class is regenerated after all (and reported).
    A kept class nothing in the file uses only stands there for its copies.

    ``partial``: ``old`` holds only the copied objects (recovered from the copies, see
    :func:`recover_copied`), not a whole port, so a copied method the new code changes replaces
    the new method instead of bringing its whole class back.
    """
    report = KeptCopies()
    old_tree = ast.parse(old.text)
    old_defs = _top_defs(old_tree)
    new_defs = _top_defs(parsed(code))
    lines = code.splitlines(keepends=True)
    whole: set[str] = set()
    methods: dict[str, set[str]] = {}
    for obj in sorted(dependents):
        top, _, method = obj.partition(".")
        if top not in old_defs:
            report.not_kept[obj] = (
                "a method or a layer (regenerated), or no copy of it renames back"
                if partial
                else "the existing port does not define it either"
            )
            continue
        new = new_defs.get(top)
        if partial and method and new is None:
            report.not_kept[obj] = "the regenerated port does not define its class"
            continue
        if new is None or not method:
            if new is None or _segment(lines, new).strip() != _segment(old.lines, old_defs[top]).strip():
                whole.add(top)
            continue
        old_method = _method(old_defs[top], method) if isinstance(old_defs[top], ast.ClassDef) else None
        new_method = _method(new, method) if isinstance(new, ast.ClassDef) else None
        if old_method is None:
            report.not_kept[obj] = "the existing port does not define it either"
        elif new_method is None:
            methods.setdefault(top, set()).add(method)
        elif _segment(lines, new_method).strip() != _segment(old.lines, old_method).strip():
            if partial:
                methods.setdefault(top, set()).add(method)
            else:
                whole.add(top)
    for top in whole:
        methods.pop(top, None)
    # a kept class may need its old neighbours (a head built with the old constructor): those are kept too when the
    # old port has them; a class that still does not fit is regenerated, and never tried again
    given_up: set[str] = set()
    while True:
        composed = _compose(code, old, whole, methods)
        tree = parsed(composed)
        used = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        pulled, dropped = set(), set()
        defined = _top_defs(tree)
        for caller in sorted(whole & set(defined)):
            if caller not in new_defs and caller not in used:
                continue
            for callee in sorted(_called_names(defined[caller]) & set(old_defs) - set(defined)):
                # the kept class builds a class of the old port the regenerated code does not define
                (dropped if callee in given_up else pulled).add(caller if callee in given_up else callee)
        for caller, callee in sorted(_mismatched_calls(composed)):
            if caller in whole and caller not in new_defs and caller not in used:
                continue  # not part of the regenerated port, kept for its copies only: nothing runs it
            kept_side, other = (callee, caller) if callee in whole else (caller, callee)
            if kept_side not in whole:
                continue  # a mismatch of the regenerated code itself
            if other not in whole and other in old_defs and other not in given_up:
                pulled.add(other)
            else:
                dropped.add(kept_side)
        if not pulled and not dropped:
            break
        whole |= pulled
        for name in dropped:
            whole.discard(name)
            given_up.add(name)
            for obj in dependents:
                if obj.partition(".")[0] == name:
                    report.not_kept[obj] = "its signature does not fit the regenerated code around it"
    report.classes = sorted(whole)
    report.neighbours = sorted(whole - {obj.partition(".")[0] for obj in dependents})
    report.methods = sorted(f"{c}.{m}" for c, ms in methods.items() for m in ms)
    return composed, report


def recover_copied(module: str, dependents: dict[str, list[Path]]) -> SourceModule | None:
    """The objects other files copy from ``module``, as those copies say they were: for a port written afresh.

    A port that has no earlier version (deleted, or never written while other ports copied an
    upstream one) still has the text of what is copied from it: each ``# Copied from
    transformers.<module>.<obj> with A->B`` copy is that object renamed. Renaming a copy back
    gives the object, when renaming it forward again gives the copy (else another copy is tried).
    The result is a module of those objects only (a copied method inside a bare class of its
    name), with the imports of the files they came from, for :func:`keep_copied` with
    ``partial=True``. None when no copy can be renamed back. Methods and layers (a class defining
    ``call``) are not recovered (see :func:`_computes`): they are regenerated and reported.
    """
    from scaffold.convert.copies import parse_marker

    whole: dict[str, str] = {}
    methods: dict[str, dict[str, str]] = {}
    imports: list[str] = []
    computing: set[str] = set()
    constants: dict[str, str] = {}  # module-level ``NAME = value`` of the files copies came from
    read: dict[Path, tuple[str, list[str], dict[int, Definition]]] = {}
    for obj in sorted(dependents):
        top, _, method = obj.partition(".")
        if "." in method:
            continue  # a method of a nested class: not recovered
        for path in dependents[obj]:
            if path not in read:  # a file that copies several objects is read and parsed once
                text = path.read_text(encoding="utf-8")
                read[path] = (text, text.splitlines(keepends=True), definitions(text.encode("utf-8")))
            text, lines, headers = read[path]
            found = _copy_below_marker(lines, headers, module, obj, parse_marker)
            if found is None:
                continue
            copy, marker = found
            if _computes(copy, method):
                if not method:
                    computing.add(top)  # nor do its methods come back one by one
                break  # a layer's computation is regenerated: its conventions (NHWC, ...) may differ
            back = copy
            for replacement in reversed(marker.replacements):
                back = replacement.reversed().apply(back)
            if marker.apply(back) != copy:
                continue
            if method:
                methods.setdefault(top, {})[method] = back
            else:
                whole[top] = back
            constants.update((k, v) for k, v in _module_constants(text).items() if k not in constants)
            for line in SourceModule(path, path.read_bytes()).import_lines:
                if not line.lstrip().startswith("from .") or line.lstrip().startswith("from .."):
                    if line not in imports:
                        imports.append(line)
            break
    parts = [*whole.values()]
    for cls, bodies in methods.items():
        if cls not in whole and cls not in computing:
            parts.append(f"class {cls}:\n" + "\n".join(bodies[m] for m in sorted(bodies)))
    if not parts:
        return None
    # a recovered helper reads a constant its copy's file defines (``LARGE_NEGATIVE``): it comes along
    used = {n.id for part in parts for n in ast.walk(ast.parse(textwrap.dedent(part))) if isinstance(n, ast.Name)}
    parts = [constants[name] for name in sorted(used & set(constants))] + parts
    text = "".join(line if line.endswith("\n") else line + "\n" for line in imports) + "\n\n" + "\n\n".join(parts)
    try:
        ast.parse(text)
    except SyntaxError:
        return None
    return SourceModule(Path(f"<copies of {module}>"), text.encode("utf-8"))


_COMPUTING_METHODS = frozenset({"call", "build", "__init__"})


def _computes(copy: str, method: str) -> bool:
    """Whether a copied object is not to come back from its copy: a method, or a class defining ``call``.

    Upstream code put back beside converted code may follow other conventions than the
    converted code (channels-last images, an embeddings layer holding the table itself, the
    inputs ``generate()`` is handed) that no signature shows: a layer's computation and the
    methods of converted classes are regenerated. Data classes and helper functions fit.
    """
    if method:
        return True
    tree = ast.parse(textwrap.dedent(copy))
    return any(
        isinstance(node, ast.FunctionDef) and node.name in _COMPUTING_METHODS
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
    )


def _module_constants(text: str) -> dict[str, str]:
    """``NAME = value`` statements at the top of a module (one name, no call): name -> the statement."""
    return cached_by_content("module-constants-v1", text.encode("utf-8"), lambda: _read_constants(text))


def _read_constants(text: str) -> dict[str, str]:
    lines = text.splitlines(keepends=True)
    return {
        node.targets[0].id: "".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and not any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    }


def _copy_below_marker(
    lines: list[str], headers: dict[int, Definition], module: str, obj: str, parse_marker
) -> tuple[str, CopiedFrom] | None:
    """The definition a ``# Copied from transformers.<module>.<obj>`` marker of a file stands above, and the marker."""
    for number, line in enumerate(lines, 1):
        marker = parse_marker(line) if "Copied from" in line else None
        if marker is None or marker.module != module or marker.obj != obj or number + 1 not in headers:
            continue
        node = headers[number + 1]
        segment = "".join(lines[node.lineno - 1 : node.end_lineno])
        if "Ignore copy" in segment:
            continue
        # decorators stand above the marker (``@dataclass`` of an output class): the object has them too
        decorators = "".join(lines[node.decorated_from - 1 : number - 1]) if node.decorated_from else ""
        return decorators + segment, marker
    return None


def call_parameters(func: ast.FunctionDef) -> list[str]:
    """Parameter names a call can pass positionally (without self)."""
    return [a.arg for a in func.args.posonlyargs + func.args.args][1:]  # without self


def positional_layer_calls(twin: Twin) -> dict[str, list[str]]:
    """Per layer class the twin calls with positional arguments (by its name once renamed), the
    parameters those arguments take in the twin's own port.

    Reused code was written against its port's signatures: ``self.convbert(ids, mask, types,
    positions, head_mask, embeds, output_attentions, ...)`` fits TFConvBertMainLayer, and would
    hand ``output_attentions`` to ``encoder_hidden_states`` of a main layer that mirrors BertModel.
    """
    source = twin.tf_module

    def class_def(name: str) -> ast.ClassDef | None:  # one class of the port, parsed alone
        if name not in source.top or source.kind(name) != "class":
            return None
        return next((n for n in ast.parse(source.source(name)).body if isinstance(n, ast.ClassDef)), None)

    cls = class_def(twin.tf_name)
    if cls is None:
        return {}
    built: dict[str, str] = {}  # self.<attr> -> class of the source module it is made from
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(target := node.targets[0], ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and source.top.get(node.value.func.id, (0, 0, ""))[2] == "class"
        ):
            built[target.attr] = node.value.func.id
    out: dict[str, list[str]] = {}
    for node in ast.walk(cls):
        if not (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
            and node.func.attr in built
        ):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args):
            continue
        callee = built[node.func.attr]
        callee_def = class_def(callee)
        call = _method(callee_def, "call") if callee_def is not None else None
        if call is None:
            continue
        names = call_parameters(call)[: len(node.args)]
        renamed = callee
        for replacement in twin.replacements:
            renamed = replacement.apply(renamed)
        if len(names) > len(out.get(renamed, [])):
            out[renamed] = names
    return out
