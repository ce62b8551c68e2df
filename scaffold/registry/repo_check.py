"""What transformers' ``utils/check_repo.py`` requires of a public TF class, read from the tree's own copy.

A port is only ready for a pull request when that script passes, and it holds every model class to
rules tfscaffold's registrations must meet: listed in its test file's ``all_model_classes`` and
documented on a page, unless its name marks it a building block or one of the script's exception
lists names it. Those lists are how upstream declares its deliberate omissions (``TFRobertaForMultipleChoice``
is not tested, ``TFAutoModelWithLMHead`` not documented), so reading them lets ``check`` report
exactly what the script would, and pass on an unmodified tree without a rule keyed on any model.

The script imports transformers, so it is read statically: every string of a list's expression,
following the module-level lists it names (``PRIVATE_MODELS.copy() + [...]``). A tree without the
script (a source distribution) has no ``RepoCheck``; callers then keep their weaker, warning-only rules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

from scaffold.changeset import ChangeSet
from scaffold.checkout import Checkout

# ``is_building_block`` of the script: names never required in all_model_classes
_UNTESTED_SUFFIXES = ("Wrapper", "Encoder", "Decoder", "Prenet")
# ``ignore_undocumented`` of the script: names never required on a doc page
_UNDOCUMENTED_SUFFIXES = ("PreTrainedModel", "Decoder", "Encoder", "Layer", "Embeddings", "Attention")
_UNDOCUMENTED_LISTS = ("DEPRECATED_OBJECTS", "UNDOCUMENTED_OBJECTS", "SHOULD_HAVE_THEIR_OWN_PAGE")


@dataclass(frozen=True)
class RepoCheck:
    not_tested: frozenset[str]  # IGNORE_NON_TESTED
    not_documented: frozenset[str]  # the three lists ignore_undocumented consults

    def must_be_tested(self, name: str) -> bool:
        """Whether ``check_all_models_are_tested`` requires ``name`` in ``all_model_classes``.

        ``get_models`` skips pretrained bases (either spelling); ``should_be_tested`` skips the
        building-block suffixes and ``IGNORE_NON_TESTED``.
        """
        if "Pretrained" in name or "PreTrained" in name:
            return False
        return not name.endswith(_UNTESTED_SUFFIXES) and name not in self.not_tested

    def must_be_documented(self, name: str) -> bool:
        """Whether ``check_all_objects_are_documented`` requires an ``[[autodoc]]`` for a main-init name."""
        if name.isupper() or name.endswith(_UNDOCUMENTED_SUFFIXES):
            return False
        return name not in self.not_documented


def _strings(values: dict[str, ast.expr], name: str) -> frozenset[str]:
    def walk(expr: ast.expr, seen: frozenset[str]) -> set[str]:
        out: set[str] = set()
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                out.add(sub.value)
            elif isinstance(sub, ast.Name) and sub.id in values and sub.id not in seen:
                out |= walk(values[sub.id], seen | {sub.id})
        return out

    return frozenset(walk(values[name], frozenset({name}))) if name in values else frozenset()


@lru_cache(maxsize=4)
def parse_repo_check(text: str) -> RepoCheck:
    """The exception lists of a ``check_repo.py`` text (empty lists when it does not parse)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return RepoCheck(frozenset(), frozenset())
    values: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    documented = frozenset().union(*(_strings(values, n) for n in _UNDOCUMENTED_LISTS))
    return RepoCheck(_strings(values, "IGNORE_NON_TESTED"), documented)


def repo_check(checkout: Checkout, changes: ChangeSet | None = None) -> RepoCheck | None:
    """The tree's ``utils/check_repo.py`` rules, or None when the tree does not have the script."""
    path = checkout.root / "utils" / "check_repo.py"
    text = changes.current(path) if changes is not None else (path.read_text("utf-8") if path.is_file() else None)
    return None if text is None else parse_repo_check(text)


# the lists whose PyTorch entries a TF twin follows: private models, and models exempt from the test and auto checks
_TWIN_LISTS = ("PRIVATE_MODELS", "IGNORE_NON_TESTED", "IGNORE_NON_AUTO_CONFIGURED")


def with_twin_exemptions(text: str, tf_classes: list[str]) -> tuple[str, list[str]]:
    """``check_repo.py``'s text with each TF class listed beside its PyTorch twin, and the names added.

    ``T5Stack`` is private and ``CLIPTextModelWithProjection`` in no auto mapping on purpose: their TF
    twins are the same kind of class, so they take the same exemption, on the line after the twin's.
    A class the script names anywhere already is left to it; only a twin on a line of its own counts.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, []
    lines = text.splitlines(keepends=True)
    twin_lines: dict[str, int] = {}  # PyTorch name -> 0-based line of its entry
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in _TWIN_LISTS
        ):
            continue
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                line = lines[sub.lineno - 1]
                if line.split("#")[0].strip().rstrip(",").strip() == f'"{sub.value}"':
                    twin_lines.setdefault(sub.value, sub.lineno - 1)
    added: dict[int, list[str]] = {}
    for name in tf_classes:
        twin = name.removeprefix("TF")
        if twin in twin_lines and f'"{name}"' not in text:
            added.setdefault(twin_lines[twin], []).append(name)
    for at in sorted(added, reverse=True):
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at + 1 : at + 1] = [f'{indent}"{name}",\n' for name in added[at]]
    return "".join(lines), sorted(n for names in added.values() for n in names)


def with_auto_exemptions(text: str, classes: list[str]) -> tuple[str, list[str]]:
    """``check_repo.py``'s text with ``classes`` at the end of ``IGNORE_NON_AUTO_CONFIGURED``, and those added.

    For a class whose PyTorch twin sits in an auto mapping TF has no counterpart of (audio-frame
    classification): no TF mapping can take it, and the script's list of such exceptions is where
    a contributor declares that. Names the script has already are left alone.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, []
    target = next(
        (
            sub
            for node in tree.body
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "IGNORE_NON_AUTO_CONFIGURED"
            for sub in ast.walk(node.value)
            if isinstance(sub, ast.List) and sub.elts
        ),
        None,
    )
    added = [name for name in classes if f'"{name}"' not in text]
    if target is None or not added:
        return text, []
    lines = text.splitlines(keepends=True)
    last = target.elts[-1]
    indent = lines[last.lineno - 1][: len(lines[last.lineno - 1]) - len(lines[last.lineno - 1].lstrip())]
    if last.end_lineno == target.end_lineno:  # the list ends on its last element's line: not one name per line
        return text, []
    lines[last.end_lineno : last.end_lineno] = [
        f'{indent}"{name}",  # no TF auto mapping for its task\n' for name in added
    ]
    return "".join(lines), added
