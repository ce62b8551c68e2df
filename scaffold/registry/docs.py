"""The TF side of the docs: the TF part of a model's doc page and the TensorFlow column of the index.

Both are derived from the model's public TF names like every other registration, but a docs folder is
mostly prose that people write by hand, and a real transformers 4.46 tree does not document every
public TF class. So the line between what ``apply`` manages (an error in ``check``) and what it only
points out (a warning, never written) is drawn where tfscaffold can tell its own work from upstream's:

Model doc page (``docs/source/en/model_doc/<page>.md``)

* A class is *documented* when the page has an ``[[autodoc]]`` entry for it anywhere, in any form
  (``TFX``, ``transformers.TFX``, ``models.<m>.modeling_tf_<m>.TFX``): upstream documents some TF
  classes by their full path or in an "internal layers" section, outside the ``<tf>`` part.
* Documentable classes are the public TF CamelCase classes except ``...MainLayer``, ``...Embeddings``
  and the abstract bases (``...PreTrainedModel``, ``TFDPRPretrained...``: anything with
  ``PreTrained``/``Pretrained`` in its name), which upstream never documents.
* A documentable class missing from the page is an **error** (``apply`` adds it) when

  - the page documents none of the model's documentable TF classes: a new port, whose TF part
    tfscaffold writes (a ``<tf>`` part in the block that documents the PyTorch twins, else a new
    ``<frameworkcontent>`` block; a new page from ``templates/model_doc.md.j2`` when there is none), or
  - the page's TF part is tfscaffold's own: every entry exactly ``## TFX`` / blank / ``[[autodoc]] TFX`` /
    ``    - call``, one blank line between entries and nothing else, at least two entries, in the order
    of the public names. That is the form ``apply`` writes; upstream pages list their classes by task
    (``TFXModel`` first, then the heads), not in the sorted order of ``_import_structure``, so a
    hand-written part is not mistaken for a generated one. A part with one entry is in every order
    and counts as hand-written.

  - the tree's ``utils/check_repo.py`` requires it documented: the main ``__init__`` exports it and
    neither its name (``*Layer``, ``*Encoder``, ``*Attention``...) nor the script's exception lists
    (``DEPRECATED_OBJECTS``...) excuse it (``scaffold/registry/repo_check.py``). A head added to a
    port with a hand-written page is appended to the page's TF part; without it the doc build's
    own check fails.

  Anywhere else it is a **warning**: upstream leaves out TF ``*Layer`` classes,
  ``TFLongformerSelfAttention`` and ``TFAutoModelWithLMHead`` (all excused by ``check_repo.py``), and
  rewriting a hand-ordered list to add them would turn every ``apply`` into a diff of pages nobody
  touched.
* An ``[[autodoc]]`` entry of a TF class that is neither a public TF name of the model nor exported by
  the (updated) main ``__init__`` is an **error**, and so is a full-path entry into a
  ``modeling_tf_*`` module of the model that no longer exists: the doc builder fails on both. ``apply``
  removes such entries (with their heading), then any ``<tf>`` part and ``<frameworkcontent>`` block
  left empty, which is how the TF part disappears when the TF modeling file is deleted. TF names the
  tree still exports (``TFBertTokenizer`` in its own ``<tf>`` part) are never touched.

Index table (``docs/source/en/index.md``, between the markers that transformers'
``utils/check_table.py`` fills)

* Only the TensorFlow column is tfscaffold's. A row gets ✅ exactly when ``check_table.py`` would give it
  one: some public TF name matches ``TF(.*)(Model|Encoder|Decoder|ForConditionalGeneration)`` and the
  captured part, shortened word by word from the right, is the config prefix of the row's model type
  (``MODEL_NAMES_MAPPING`` and ``CONFIG_MAPPING_NAMES`` in ``configuration_auto.py``, read with ``ast``).
  A wrong cell is an error; ``apply`` rewrites just that cell, centred as the generator centres it.
* Rows of names that reuse another model's classes (BARThez, ByT5, FLAN-T5...) have no config of their
  own; they are resolved through ``MODEL_NAMES_WITH_SAME_CONFIG`` of the tree's ``utils/check_table.py``
  and skipped when the tree has no ``utils/`` (a source distribution): guessing would flag correct
  upstream rows.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from scaffold.changeset import ChangeSet
from scaffold.checkout import Checkout, Model
from scaffold.errors import ScaffoldError
from scaffold.problems import Problem
from scaffold.registry.repo_check import repo_check
from scaffold.resources import copyright_year, templates_dir

TEMPLATES = templates_dir()
PAGE_TEMPLATE = "model_doc.md.j2"

TABLE_START = "<!--This table is updated automatically from the auto modules"
TABLE_END = "<!-- End table-->"
YES, NO = "✅", "❌"
MODEL_SUFFIXES = "Model|Encoder|Decoder|ForConditionalGeneration"

_AUTODOC = re.compile(r"^\[\[autodoc\]\]\s+([\w.]+)\s*$")
_AUTODOC_ANYWHERE = re.compile(r"^\[\[autodoc\]\]\s+([\w.]+)", re.MULTILINE)
_OPTION = re.compile(r"^\s+-\s+\S")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_ANCHOR = re.compile(r"\s*\[\[[^\]]*\]\]\s*$")
_TF_CLASS = re.compile(r"TF[A-Z0-9][A-Za-z0-9]*")
_TF_TOKEN = re.compile(r"\bTF[A-Za-z0-9_]*")
_NOT_DOCUMENTED = re.compile(r"(MainLayer|Embeddings)$|Pre[Tt]rained")
# utils/check_table.py: which public names make a TensorFlow ✅, and how a name is cut into words.
_RE_TF_MODELS = re.compile(rf"TF(.*)(?:{MODEL_SUFFIXES})")
_CAMEL_WORDS = re.compile(r".+?(?:(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|$)")
_LINK = re.compile(r"^\[(?P<name>.+)\]\((?P<target>[^)]*)\)$")


def is_documentable(name: str) -> bool:
    """Whether upstream documents a public TF name with its own ``[[autodoc]]`` entry.

    Constants and functions (the auto mappings) are not classes; main layers, embeddings and the
    pretrained-model bases are implementation details no upstream page documents.
    """
    return bool(_TF_CLASS.fullmatch(name)) and not name.isupper() and not _NOT_DOCUMENTED.search(name)


# ---------------------------------------------------------------- the page as the tool sees it


@dataclass(eq=False)  # entries and parts point at each other: compare by identity
class Entry:
    """One ``[[autodoc]]`` entry: its heading (when it owns one), the line itself and its options."""

    name: str  # the documented object, without module path
    target: str  # as written after [[autodoc]]
    line: int  # index of the [[autodoc]] line
    start: int  # first line of the entry
    end: int  # one past its last option line
    part: Part | None = None


@dataclass(eq=False)
class Part:
    tag: str  # pt, tf or jax
    open: int
    close: int = -1
    entries: list[Entry] = field(default_factory=list)


@dataclass(eq=False)
class Block:
    open: int
    close: int = -1
    parts: list[Part] = field(default_factory=list)


@dataclass
class Page:
    lines: list[str]
    entries: list[Entry] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def tf_parts(self) -> list[Part]:
        return [p for b in self.blocks for p in b.parts if p.tag == "tf"]


def parse_page(text: str) -> Page:
    """Entries and ``<frameworkcontent>`` structure of a page, skipping code fences and HTML comments.

    Pages keep commented-out entries and code samples; neither is documentation the builder sees.
    """
    page = Page(text.split("\n"))
    lines = page.lines
    block: Block | None = None
    part: Part | None = None
    in_fence = in_comment = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if in_comment:
            in_comment = "-->" not in line
            continue
        if stripped.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if "<!--" in line and "-->" not in line[line.index("<!--") :]:
            in_comment = True
            continue
        if stripped == "<frameworkcontent>":
            block, part = Block(i), None
        elif stripped == "</frameworkcontent>" and block is not None:
            block.close = i
            page.blocks.append(block)
            block = part = None
        elif block is not None and stripped in ("<pt>", "<tf>", "<jax>"):
            part = Part(stripped[1:-1], i)
        elif part is not None and block is not None and stripped == f"</{part.tag}>":
            part.close = i
            block.parts.append(part)
            for entry in part.entries:
                entry.part = part
            part = None
        else:
            match = _AUTODOC.match(line)
            if match:
                entry = _entry(lines, i, match.group(1))
                page.entries.append(entry)
                if part is not None:
                    part.entries.append(entry)
    return page


def _entry(lines: list[str], i: int, target: str) -> Entry:
    name = target.rsplit(".", 1)[-1]
    end = i + 1
    while end < len(lines) and _OPTION.match(lines[end]):
        end += 1
    start = i
    k = i - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    heading = _HEADING.match(lines[k]) if k >= 0 else None
    if heading:
        title = _ANCHOR.sub("", heading.group(1)).strip()
        # A heading belongs to the entry when it is just a class name (upstream's bert page heads
        # TFBertLMHeadModel as "TFBertModelLMHeadModel"), never when it titles a section of several.
        if re.fullmatch(r"\w+", title) and (title == name or (title.startswith("TF") and name.startswith("TF"))):
            start = k
    return Entry(name, target, i, start, end)


def render_entry(name: str) -> list[str]:
    return [f"## {name}", "", f"[[autodoc]] {name}", "    - call"]


def render_body(names: list[str]) -> list[str]:
    """The lines between ``<tf>`` and ``</tf>`` as ``apply`` writes them."""
    out = [""]
    for name in names:
        out += [*render_entry(name), ""]
    return out


def render_block(names: list[str]) -> str:
    return "\n".join(["<frameworkcontent>", "<tf>", *render_body(names), "</tf>", "</frameworkcontent>"])


def _is_generated(page: Page, part: Part) -> bool:
    return page.lines[part.open + 1 : part.close] == render_body([e.name for e in part.entries])


def _is_managed(page: Page, part: Part, documentable: list[str]) -> bool:
    """Whether the part is tfscaffold's own form: see the module docstring for why order decides."""
    if len(part.entries) < 2 or not _is_generated(page, part):
        return False
    order = {name: i for i, name in enumerate(documentable)}
    seen = [order[e.name] for e in part.entries if e.name in order]
    return seen == sorted(set(seen))


def _model_part(page: Page, owned: set[str]) -> Part | None:
    """The ``<tf>`` part holding most of the model's entries (bert's tokenizer has a part of its own)."""
    best, count = None, 0
    for part in page.tf_parts:
        n = sum(e.name in owned for e in part.entries)
        if n and n >= count:
            best, count = part, n
    return best


# ---------------------------------------------------------------- facts from the tree


@dataclass
class AutoNames:
    """The model types of ``configuration_auto.py``: what the index rows and page names follow."""

    configs: dict[str, str] = field(default_factory=dict)  # model type -> config class
    display: dict[str, str] = field(default_factory=dict)  # model type -> name shown in the docs
    modules: dict[str, str] = field(default_factory=dict)  # model type -> module, where it differs

    def module_of(self, model_type: str) -> str:
        return self.modules.get(model_type, model_type.replace("-", "_"))

    def model_types(self, folder: str) -> list[str]:
        return [t for t in self.configs if self.module_of(t) == folder]


def _literal_assignments(text: str, names: set[str]) -> dict[str, object]:
    """Top-level ``NAME = literal`` (or ``OrderedDict(literal)``) values, without running the module."""
    out: dict[str, object] = {}
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return out
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in names:
                value = node.value
                if isinstance(value, ast.Call) and len(value.args) == 1:
                    value = value.args[0]
                try:
                    out[target.id] = ast.literal_eval(value)
                except ValueError:
                    pass
    return out


def _pairs(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = [tuple(x) for x in value if isinstance(x, list | tuple) and len(x) == 2]
    else:
        return {}
    return {str(k): str(v) for k, v in items}


@lru_cache(maxsize=4)
def _auto_names_from(text: str) -> AutoNames:
    wanted = {"CONFIG_MAPPING_NAMES", "MODEL_NAMES_MAPPING", "SPECIAL_MODEL_TYPE_TO_MODULE_NAME"}
    values = _literal_assignments(text, wanted)
    return AutoNames(
        _pairs(values.get("CONFIG_MAPPING_NAMES")),
        _pairs(values.get("MODEL_NAMES_MAPPING")),
        _pairs(values.get("SPECIAL_MODEL_TYPE_TO_MODULE_NAME")),
    )


def auto_names(checkout: Checkout, changes: ChangeSet) -> AutoNames:
    text = changes.current(checkout.src / "models" / "auto" / "configuration_auto.py")
    return _auto_names_from(text) if text is not None else AutoNames()


@lru_cache(maxsize=8)
def _tf_tokens(text: str) -> frozenset[str]:
    return frozenset(_TF_TOKEN.findall(text))


def _exported(checkout: Checkout, changes: ChangeSet) -> frozenset[str] | None:
    """TF names the main ``__init__`` still exports, as this change set leaves it.

    The main ``__init__`` rather than the model's: the sync has already removed a name dropped from
    the model's ``_import_structure`` there, while the model's ``TYPE_CHECKING`` half may still
    mention it. ``None`` when the tree has no main ``__init__``: then nothing can be called stale.
    """
    main = changes.current(checkout.main_init)
    return None if main is None else _tf_tokens(main)


# ---------------------------------------------------------------- model doc page


def _autodoc_names(text: str) -> set[str]:
    return {target.rsplit(".", 1)[-1] for target in _AUTODOC_ANYWHERE.findall(text)}


def _page_candidates(checkout: Checkout, model: Model, auto: AutoNames) -> list[Path]:
    folder = checkout.docs / "model_doc"
    stems = [model.name, model.name.replace("_", "-"), *auto.model_types(model.name)]
    return [folder / f"{stem}.md" for stem in dict.fromkeys(stems)]


def find_page(checkout: Checkout, model: Model, names: list[str], changes: ChangeSet, auto: AutoNames) -> Path | None:
    """The model's page: named after its folder or model type, else the page that documents it.

    openai's page is ``openai-gpt.md`` (its model type), data2vec's is its folder's; when no page of
    those names documents the model's classes, the page that does wins, whatever its name.
    """
    wanted = set(names)
    candidate = next((p for p in _page_candidates(checkout, model, auto) if changes.current(p) is not None), None)
    if candidate is not None and (not wanted or _autodoc_names(changes.current(candidate) or "") & wanted):
        return candidate
    if wanted:
        best, count = None, 0
        folder = checkout.docs / "model_doc"
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            text = changes.current(path) or ""
            if "[[autodoc]]" not in text:
                continue
            n = len(_autodoc_names(text) & wanted)
            if n > count:
                best, count = path, n
        if best is not None:
            return best
    return candidate


def _stale(
    entry: Entry,
    names: set[str],
    exported: frozenset[str] | None,
    checkout: Checkout,
    model: Model,
    changes: ChangeSet,
) -> str | None:
    """Why ``entry`` documents something that is gone, or ``None`` when it is fine or not ours."""
    parts = entry.target.split(".")
    if parts[0] == "transformers":
        parts = parts[1:]
    if len(parts) > 1:
        module = checkout.src.joinpath(*parts[:-1]).with_suffix(".py")
        if parts[-2].startswith("modeling_tf_") and module.parent == model.folder and changes.current(module) is None:
            return f"documents an object of {module.name}, which does not exist"
        return None
    name = parts[0]
    if exported is None or not _TF_CLASS.fullmatch(name) or name in names or name in exported:
        return None
    return "documented on the doc page but not a public TF name of the model, nor exported by transformers"


def _merge(current: list[str], missing: list[str], documentable: list[str]) -> list[str]:
    """Insert ``missing`` into ``current`` where the order of the public names puts them."""
    order = {name: i for i, name in enumerate(documentable)}
    pending = sorted(missing, key=order.__getitem__)
    out: list[str] = []
    for name in current:
        if name in order:
            while pending and order[pending[0]] < order[name]:
                out.append(pending.pop(0))
        out.append(name)
    return out + pending


def _remove(page: Page, entries: list[Entry]) -> list[str]:
    """The page without ``entries``, and without the ``<tf>`` parts and blocks they leave empty."""
    lines = page.lines
    gone: set[int] = set()
    for entry in entries:
        end = entry.end + 1 if entry.end < len(lines) and not lines[entry.end].strip() else entry.end
        gone.update(range(entry.start, end))

    def empty(open_: int, close: int) -> bool:
        return all(i in gone or not lines[i].strip() for i in range(open_ + 1, close))

    touched = {id(e.part) for e in entries if e.part is not None}
    for block in page.blocks:
        parts = [p for p in block.parts if id(p) in touched]
        for part in parts:
            if empty(part.open, part.close):
                gone.update(range(part.open, part.close + 1))
        if parts and empty(block.open, block.close):
            gone.update(range(block.open, block.close + 1))
            after = block.close + 1
            before_blank = block.open == 0 or not lines[block.open - 1].strip()
            if before_blank and after < len(lines) and not lines[after].strip():
                gone.add(after)
    return [line for i, line in enumerate(lines) if i not in gone]


def _append_to_part(lines: list[str], part: Part, names: list[str]) -> None:
    k = part.close
    while k - 1 > part.open and not lines[k - 1].strip():
        k -= 1
    lines[k : part.close] = render_body(names)


def _insert(page: Page, missing: list[str], documentable: list[str], owned: set[str]) -> list[str]:
    """Add entries for ``missing``: into the model's ``<tf>`` part, else a new part or block."""
    lines = list(page.lines)
    part = _model_part(page, owned)
    if part is not None:
        if _is_generated(page, part):
            merged = _merge([e.name for e in part.entries], missing, documentable)
            lines[part.open + 1 : part.close] = render_body(merged)
            return lines
        # a hand-written part: after its last entry of the model's classes, so a new head lands
        # among the heads, not after what follows them (gpt2's tokenizer, an output class)
        last = max((e.end for e in part.entries if e.name in documentable), default=None)
        if last is None:
            _append_to_part(lines, part, missing)
        else:
            lines[last:last] = render_body(missing)[:-1]
        return lines
    twins = {name[2:] for name in documentable}
    blocks = [b for b in page.blocks if any(e.name in twins for p in b.parts if p.tag == "pt" for e in p.entries)]
    if blocks:
        block = blocks[-1]
        tf = next((p for p in block.parts if p.tag == "tf"), None)
        if tf is not None:
            _append_to_part(lines, tf, missing)
            return lines
        pt = next((p for p in block.parts if p.tag == "pt"), None)
        at = pt.close + 1 if pt else next((p.open for p in block.parts if p.tag == "jax"), block.close)
        lines[at:at] = ["<tf>", *render_body(missing), "</tf>"]
        return lines
    new_block = render_block(missing).split("\n")
    anchor = max((e.end for e in page.entries if e.name in twins and e.part is None), default=None)
    if anchor is None:
        while lines and not lines[-1].strip():
            lines.pop()
        return [*lines, "", *new_block, ""]
    tail = [""] if anchor < len(lines) and lines[anchor].strip() else []
    lines[anchor:anchor] = ["", *new_block, *tail]
    return lines


def _render_page(model: Model, documentable: list[str], auto: AutoNames) -> str:
    types = auto.model_types(model.name)
    title = next((auto.display[t] for t in types if t in auto.display), None)
    config = next((auto.configs[t] for t in types), None)
    if title is None:
        title = config[: -len("Config")] if config and config.endswith("Config") else model.name
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    try:
        template = env.get_template(PAGE_TEMPLATE)
    except jinja2.TemplateNotFound:
        raise ScaffoldError(f"the doc page template {PAGE_TEMPLATE} is missing from {TEMPLATES}") from None
    return template.render(
        year=copyright_year(),
        title=title,
        config=config,
        framework_block=render_block(documentable),
    )


def sync_model_doc(
    checkout: Checkout, model: Model, names: list[str], changes: ChangeSet, problems: list[Problem]
) -> None:
    """Bring the TF part of the model's doc page in line with its public TF ``names``.

    ``names`` is empty when the TF modeling file is gone: every entry of a class the tree no longer
    exports is then stale, and removing them removes the TF part. See the module docstring for which
    differences are errors and which are warnings.
    """
    fix = f"tfscaffold apply {model.name}"
    documentable = [n for n in names if is_documentable(n)]
    auto = auto_names(checkout, changes)
    path = find_page(checkout, model, documentable, changes, auto)
    if path is None:
        if documentable:
            # Index rows link model_doc/<model type>; a folder of several types (data2vec) has one page.
            types = auto.model_types(model.name)
            path = checkout.docs / "model_doc" / f"{types[0] if len(types) == 1 else model.name}.md"
            problems.append(
                Problem(checkout.rel(path), None, model.name, "no doc page documents the model's TF classes", fix)
            )
            changes.write(path, _render_page(model, documentable, auto))
            _check_toctree(checkout, path, changes, problems)
        return
    text = changes.current(path) or ""
    page = parse_page(text)
    rel = checkout.rel(path)
    names_set = set(names)
    exported = _exported(checkout, changes)

    stale: list[Entry] = []
    for entry in page.entries:
        why = _stale(entry, names_set, exported, checkout, model, changes)
        if why:
            stale.append(entry)
            problems.append(Problem(rel, entry.line + 1, entry.name, why, fix))

    documented = {e.name for e in page.entries} - {e.name for e in stale}
    missing = [n for n in documentable if n not in documented]
    owned = names_set | {e.name for e in stale}
    part = _model_part(page, owned)
    fresh = not documented & set(documentable)
    managed = part is not None and _is_managed(page, part, documentable)
    where = part.open + 1 if part is not None else None
    rules = repo_check(checkout, changes)
    to_add: list[str] = []
    for name in missing:
        required = rules is not None and exported is not None and name in exported and rules.must_be_documented(name)
        if fresh or managed or required:
            to_add.append(name)
            problems.append(Problem(rel, where, name, "public TF class has no [[autodoc]] entry on the doc page", fix))
        else:
            problems.append(
                Problem(
                    rel,
                    where,
                    name,
                    "public TF class has no [[autodoc]] entry; the page's TF part is written by hand, so "
                    "tfscaffold leaves it alone",
                    f"add '## {name}', '[[autodoc]] {name}', '    - call' to the <tf> part of {rel} if it is public API",
                    "warning",
                    False,
                )
            )
    if not stale and not to_add:
        return
    lines = _remove(page, stale)
    if to_add:
        lines = _insert(parse_page("\n".join(lines)), to_add, documentable, owned)
    changes.write(path, "\n".join(lines))


def _check_toctree(checkout: Checkout, page: Path, changes: ChangeSet, problems: list[Problem]) -> None:
    """A new page the table of contents does not list builds, but nobody can navigate to it."""
    toctree = checkout.docs / "_toctree.yml"
    text = changes.current(toctree)
    if text is None:
        return
    if not re.search(rf"local:\s*model_doc/{re.escape(page.stem)}\s*$", text, re.MULTILINE):
        problems.append(
            Problem(
                checkout.rel(toctree),
                None,
                page.stem,
                "the new doc page is not in the table of contents",
                f"add '- local: model_doc/{page.stem}' with its title to the models section",
                "warning",
                False,
            )
        )


# ---------------------------------------------------------------- index table


def _camel_case_split(identifier: str) -> list[str]:
    return [m.group(0) for m in _CAMEL_WORDS.finditer(identifier)]


def tf_support(names: set[str], prefixes: set[str]) -> dict[str, list[str]]:
    """Config prefix -> the public TF names that give it ✅, matched as ``check_table.py`` matches."""
    out: dict[str, list[str]] = {}
    for name in sorted(names):
        match = _RE_TF_MODELS.match(name)
        if match is None:
            continue
        attr = match.group(1)
        while attr:
            if attr in prefixes:
                out.setdefault(attr, []).append(name)
                break
            attr = "".join(_camel_case_split(attr)[:-1])
    return out


def _center(text: str, width: int) -> str:
    length = 2 if text in (YES, NO) else len(text)
    left = (width - length) // 2
    return " " * left + text + " " * (width - length - left)


def _aliases(checkout: Checkout, changes: ChangeSet) -> dict[str, str]:
    """Display names that reuse another model's config, from the tree's own table generator."""
    text = changes.current(checkout.root / "utils" / "check_table.py")
    if text is None:
        return {}
    return _pairs(_literal_assignments(text, {"MODEL_NAMES_WITH_SAME_CONFIG"}).get("MODEL_NAMES_WITH_SAME_CONFIG"))


def sync_index(
    checkout: Checkout, names_by_model: dict[str, list[str]], changes: ChangeSet, problems: list[Problem]
) -> None:
    """Bring the TensorFlow column of the model table in ``index.md`` in line with the TF classes.

    Only that column is tfscaffold's: PyTorch and Flax cells, rows and their order are
    ``make fix-copies``' business, and a row this tool cannot resolve is left as it is.
    """
    path = checkout.docs / "index.md"
    text = changes.current(path)
    if text is None:
        return
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(TABLE_START)), None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(TABLE_END)), None)
    if end is None:
        return
    rows = [i for i in range(start + 1, end) if lines[i].strip().startswith("|")]
    if len(rows) < 2:
        return
    header = lines[rows[0]].split("|")
    column = next((j for j, cell in enumerate(header) if "TensorFlow" in cell), None)
    if column is None:
        return
    width = len(header[column])
    auto = auto_names(checkout, changes)
    # check_table.py: display name -> config, the last model type of a name winning, as in its dict.
    name_to_config = {auto.display[t]: c for t, c in auto.configs.items() if t in auto.display}
    name_to_type = {auto.display[t]: t for t in auto.configs if t in auto.display}
    prefix_of = {name: config.replace("Config", "") for name, config in name_to_config.items()}
    aliases = _aliases(checkout, changes)
    every = {n for names in names_by_model.values() for n in names}
    support = tf_support(every, set(prefix_of.values()))
    owner = {n: model for model, names in names_by_model.items() for n in names}
    rel = checkout.rel(path)
    changed = False
    for i in rows[2:]:
        cells = lines[i].split("|")
        if len(cells) <= column + 1:
            continue
        shown = cells[1].strip()
        link = _LINK.match(shown)
        display = link.group("name") if link else shown
        base = display if display in prefix_of else aliases.get(display)
        if base not in prefix_of:
            continue
        prefix = prefix_of[base]
        classes = support.get(prefix, [])
        want = YES if classes else NO
        have = cells[column].strip()
        if have == want:
            continue
        if classes:
            shown_class = f"TF{prefix}Model" if f"TF{prefix}Model" in classes else classes[0]
            message = f"TensorFlow column says {have or 'nothing'} but {shown_class} exists"
            fix = f"tfscaffold apply {owner[shown_class]}"
        else:
            message = f"TensorFlow column says {have or 'nothing'} but no TF{prefix}({MODEL_SUFFIXES}) class exists"
            module = auto.module_of(name_to_type[base])
            fix = f"tfscaffold apply {module}" if module in names_by_model else "tfscaffold apply --all"
        problems.append(Problem(rel, i + 1, display, message, fix))
        cells[column] = _center(want, width)
        lines[i] = "|".join(cells)
        changed = True
    if changed:
        changes.write(path, "\n".join(lines))
