"""Derive every registration of the selected models from their public TF names.

One pass computes, in memory, what each derived file should hold; the differences are both the
problems ``check`` reports and the edits ``apply`` writes, so the two commands cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import ChangeSet, read_text
from scaffold.checkout import Checkout, Model
from scaffold.formatting import format_like
from scaffold.names import sort_imports, sort_structure
from scaffold.problems import Problem
from scaffold.pysource import module_facts, prefetch
from scaffold.registry import auto, dummies, main_init, model_init, testfile
from scaffold.registry.exports import Kinds, TFExports, exported_at_top, read_exports


@dataclass
class SyncResult:
    changes: ChangeSet
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class ModelPlan:
    model: Model
    exports: TFExports
    names: list[str]  # the public TF names to register (empty once the TF file is gone)
    gone: bool  # the TF modeling file was deleted


def _plan(checkout: Checkout, model: Model, changes: ChangeSet) -> ModelPlan:
    exports = read_exports(checkout, model, changes)
    missing = exports.missing_modules(changes)
    # gone: names are registered and the folder has no TF modeling file left at all; a registered
    # module that is missing while others exist is a typo or a rename: a hand edit, not a removal
    gone = bool(exports.modules) and len(missing) == len(exports.modules)
    gone = gone and not changes.glob(model.folder, "modeling_tf_*.py")
    names = [] if gone else exports.names
    return ModelPlan(model, exports, names, gone)


def _diff_names(
    problems: list[Problem],
    rel: str,
    line: int | None,
    actual: list[str],
    wanted: list[str],
    where: str,
    fix: str,
) -> None:
    for name in wanted:
        if name not in actual:
            problems.append(Problem(rel, line, name, f"missing from {where}", fix))
    for name in actual:
        if name not in wanted:
            problems.append(
                Problem(
                    rel,
                    line,
                    name,
                    f"registered in {where} but not a public TF name of the model",
                    fix,
                )
            )
    seen: set[str] = set()
    for name in actual:
        if name in seen:
            problems.append(Problem(rel, line, name, f"listed twice in {where}", fix))
        seen.add(name)


def sync(
    checkout: Checkout,
    selected: list[Model] | None,
    *,
    all_models: bool = False,
    changes: ChangeSet | None = None,
) -> SyncResult:
    """Compute the registrations of ``selected`` models (every TF model with ``all_models``).

    ``changes`` carries edits another step of the same command made in memory (``new`` writes
    the TF modeling file and the model ``__init__`` first); the sync reads through them and
    adds its own edits to the same change set, so one diff or one atomic write covers all.
    """
    changes = changes if changes is not None else ChangeSet(checkout.root)
    kinds = Kinds(changes)
    result = SyncResult(changes)
    problems = result.problems
    tf_models = checkout.tf_models()
    targets = tf_models if all_models else list(selected or [])
    plans = {m.name: _plan(checkout, m, changes) for m in {*tf_models, *targets}}
    prefetch([p for m in targets for p in m.tf_modeling_files])

    # ---- the model's own __init__ and its TF modeling file(s)
    for model in targets:
        _sync_model_init(checkout, model, plans[model.name], changes, problems)

    if checkout.tf_in_main_init:  # up to 4.51; from 4.52 neither names a model's classes
        # ---- main __init__: both halves
        info = _sync_main_init(checkout, targets, plans, kinds, all_models, changes, problems)

        # ---- dummies, generated from the (new) TYPE_CHECKING block
        _sync_dummies(checkout, targets, plans, info, all_models, changes, problems)

    # ---- TF auto mappings
    _sync_auto(checkout, targets, plans, all_models, changes, problems)

    # ---- the model's TF test file, where it has one
    for model in targets:
        plan = plans[model.name]
        if not plan.gone:
            testfile.sync_test_classes(checkout, model, plan.exports, kinds, changes, problems)

    # ---- docs (only where the tree has docs/)
    if checkout.docs.is_dir():
        from scaffold.registry import docs

        for model in targets:
            docs.sync_model_doc(checkout, model, plans[model.name].names, changes, problems)
        docs.sync_index(checkout, {name: p.names for name, p in plans.items()}, changes, problems)
    return result


def _sync_model_init(
    checkout: Checkout, model: Model, plan: ModelPlan, changes: ChangeSet, problems: list[Problem]
) -> None:
    """The model's own ``__init__`` against its TF modeling file(s)."""
    root = checkout.root
    init_rel = checkout.rel(model.init)
    fix = f"tfscaffold apply {model.name}"
    exports = plan.exports
    if exports.layout == "all":
        # a star import of a TF module that is gone breaks type checking of the model's package
        text = changes.current(model.init) or ""
        for module in model_init.star_imports(text) or []:
            if module.startswith("modeling_tf_") and not changes.exists(model.folder / f"{module}.py"):
                text = model_init.set_star_import(text, module, present=False)
                problems.append(Problem(init_rel, None, module, f"imports {module}, which does not exist", fix))
        if text != (changes.current(model.init) or ""):
            changes.write(model.init, text)
    if plan.gone:
        if exports.layout == "legacy":
            text = changes.current(model.init) or ""
            for module in exports.modules:
                text = model_init.remove_tf_blocks(text, module)
            changes.write(model.init, text)
            problems.append(
                Problem(
                    init_rel,
                    None,
                    model.name,
                    "registers TF names but the TF modeling file is gone",
                    fix,
                )
            )
        return
    for module, names in exports.modules.items():
        path = exports.module_path(module)
        if not changes.exists(path):
            problems.append(
                Problem(
                    init_rel,
                    exports.lines.get(module),
                    module,
                    f"{module}.py does not exist",
                    "create it or remove the block",
                    fixable=False,
                )
            )
            continue
        facts = module_facts(path, changes.current(path) if path in changes.changes else None)
        for name in names:
            if name not in facts.defined:
                problems.append(
                    Problem(
                        checkout.rel(path),
                        None,
                        name,
                        "public TF name is not defined at top level of the module",
                        f"define it in {path.name} or remove it from {init_rel}",
                        fixable=False,
                    )
                )
        if exports.layout == "all":
            _check_star_import(checkout, model, module, changes, problems)
        if exports.layout == "legacy":
            # a name the module does not define is a hand edit (reported above): never mirrored
            absent = [n for n in _check_mirror(problems, init_rel, exports, module, names, fix) if n in facts.defined]
            if absent:
                text = changes.current(model.init) or ""
                edited = model_init.add_type_checking_names(text, module, absent)
                changes.write(model.init, format_like(text, edited, model.init.name, root))


def _check_star_import(
    checkout: Checkout, model: Model, module: str, changes: ChangeSet, problems: list[Problem]
) -> None:
    """A TF module with ``__all__`` is imported with ``*`` under the model ``__init__``'s ``TYPE_CHECKING``."""
    text = changes.current(model.init) or ""
    have = model_init.star_imports(text)
    if have is None or module in have:
        return  # no TYPE_CHECKING block of star imports to complete: the layout is not the one written here
    problems.append(
        Problem(
            checkout.rel(model.init),
            None,
            module,
            f"no 'from .{module} import *' under TYPE_CHECKING (type checkers and IDEs miss the TF names)",
            f"tfscaffold apply {model.name}",
        )
    )
    changes.write(model.init, model_init.set_star_import(text, module, present=True))


def _sync_main_init(
    checkout: Checkout,
    targets: list[Model],
    plans: dict[str, ModelPlan],
    kinds: Kinds,
    all_models: bool,
    changes: ChangeSet,
    problems: list[Problem],
) -> main_init.MainInit:
    """Both halves of the main ``__init__``; returns it as it stands after the edits."""
    root = checkout.root
    main_path = checkout.main_init
    main_text = changes.current(main_path) or ""
    main_rel = checkout.rel(main_path)
    info = main_init.read_main_init(main_path, main_text, root)
    structure_changes: dict[str, list[str] | None] = {}
    tc_changes: dict[str, list[str] | None] = {}
    for model in targets:
        _check_main_blocks(
            model,
            plans[model.name],
            kinds,
            info,
            main_path,
            main_text,
            main_rel,
            structure_changes,
            tc_changes,
            problems,
        )
    moves: dict[str, list[str]] = {"_import_structure TF half": [], "TYPE_CHECKING TF imports": []}
    for blocks, changed, where in (
        (info.structure, structure_changes, "_import_structure TF half"),
        (info.type_checking, tc_changes, "TYPE_CHECKING TF imports"),
    ):
        for package in _out_of_order(list(blocks)):
            owner = next((m for m in targets if m.package == package), None)
            if owner is None and not all_models:
                continue
            block = blocks[package]
            fix = f"tfscaffold apply {owner.name if owner else '--all'}"
            problems.append(
                Problem(main_rel, block.line, package, f"block out of alphabetical order in the {where}", fix)
            )
            changed.setdefault(package, block.names)
            moves[where].append(package)
    if structure_changes or tc_changes:
        # a block that moves is taken out first, so that it is put back at its sorted place
        taken_out = main_init.edit_main_init(
            main_text,
            {p: None for p in moves["_import_structure TF half"]},
            {p: None for p in moves["TYPE_CHECKING TF imports"]},
        )
        new_main = main_init.edit_main_init(taken_out, structure_changes, tc_changes)
        changes.write(main_path, new_main)
        info = main_init.read_main_init(main_path, new_main, root)
    return info


def _check_main_blocks(
    model: Model,
    plan: ModelPlan,
    kinds: Kinds,
    info: main_init.MainInit,
    main_path: Path,
    main_text: str,
    main_rel: str,
    structure_changes: dict[str, list[str] | None],
    tc_changes: dict[str, list[str] | None],
    problems: list[Problem],
) -> None:
    """One model's blocks of the main ``__init__``: the names each should list, sorted, laid out."""
    pkg = model.package
    fix = f"tfscaffold apply {model.name}"
    s_block = info.structure.get(pkg)
    t_block = info.type_checking.get(pkg)
    present = set(s_block.names if s_block else []) | set(t_block.names if t_block else [])
    wanted: list[str] = []
    for name in plan.names:
        module = next((m for m, ns in plan.exports.modules.items() if name in ns), None)
        kind = kinds.kind(plan.exports.module_path(module), name) if module else "unknown"
        if kind == "unknown" and name not in present:
            continue  # not defined in its module: reported as a hand edit, never registered
        if exported_at_top(kind) or name in present:
            wanted.append(name)
    s_names = s_block.names if s_block else []
    t_names = t_block.names if t_block else []
    s_where = f'_import_structure["{pkg}"] (TF half)'
    t_where = f"the TYPE_CHECKING TF import from .{pkg}"
    if sorted(s_names) != sorted(wanted) or len(set(s_names)) != len(s_names):
        _diff_names(problems, main_rel, s_block.line if s_block else None, s_names, wanted, s_where, fix)
        structure_changes[pkg] = wanted
    elif s_names != sort_structure(s_names):
        problems.append(Problem(main_rel, s_block.line, pkg, f"{s_where} is not sorted", fix))
        structure_changes[pkg] = wanted
    layout_ok = True
    if t_block is not None:
        lines = main_text.splitlines(keepends=True)[t_block.line - 1 : t_block.end_line]
        probe = main_init.MainInit(main_path, "".join(lines), tc_span=(1, len(lines)))
        layout_ok = probe.positional_names() == t_block.names
    if sorted(t_names) != sorted(wanted) or len(set(t_names)) != len(t_names):
        _diff_names(problems, main_rel, t_block.line if t_block else None, t_names, wanted, t_where, fix)
        tc_changes[pkg] = wanted
    elif t_names != sort_imports(t_names):
        problems.append(Problem(main_rel, t_block.line, pkg, f"{t_where} is not sorted", fix))
        tc_changes[pkg] = wanted
    elif not layout_ok:
        problems.append(
            Problem(
                main_rel,
                t_block.line,
                pkg,
                f"{t_where}: names must stand one per line at 12 spaces with a trailing comma "
                "(transformers' dummy generator reads them by position)",
                fix,
            )
        )
        tc_changes[pkg] = wanted


def _sync_dummies(
    checkout: Checkout,
    targets: list[Model],
    plans: dict[str, ModelPlan],
    info: main_init.MainInit,
    all_models: bool,
    changes: ChangeSet,
    problems: list[Problem],
) -> None:
    """``dummy_tf_objects.py`` as make fix-copies generates it from the TYPE_CHECKING block."""
    dummy_rel = checkout.rel(checkout.dummy_tf)
    current_dummy = changes.current(checkout.dummy_tf) or ""
    wanted_dummy = dummies.render_dummies(info.tc_names)
    if current_dummy == wanted_dummy:
        return
    changes.write(checkout.dummy_tf, wanted_dummy)
    have = dummies.dummy_names(current_dummy)
    scope = None if all_models else {n for m in targets for n in plans[m.name].exports.names}
    for name in info.tc_names:
        if name not in have and (scope is None or name in scope):
            problems.append(
                Problem(
                    dummy_rel,
                    None,
                    name,
                    "no dummy object",
                    "tfscaffold apply " + _owner(name, plans),
                )
            )
    for name in have:
        if name not in info.tc_names and (scope is None or name in scope):
            problems.append(
                Problem(
                    dummy_rel,
                    None,
                    name,
                    "dummy object of a name the main __init__ does not export",
                    "tfscaffold apply " + _owner(name, plans),
                )
            )
    current_blocks = dummies.dummy_blocks(current_dummy)
    for name in info.tc_names:
        block = current_blocks.get(name)
        if block is not None and block != dummies.render_dummy(name).strip() and (scope is None or name in scope):
            problems.append(
                Problem(
                    dummy_rel,
                    None,
                    name,
                    "dummy object differs from what make fix-copies generates",
                    "tfscaffold apply " + _owner(name, plans),
                )
            )
    if not any(p.file == dummy_rel for p in problems) and (scope is None or set(have) & scope):
        problems.append(
            Problem(
                dummy_rel,
                None,
                "dummy_tf_objects",
                "differs from what make fix-copies generates (order or text)",
                "tfscaffold apply --all",
            )
        )


def _check_mirror(
    problems: list[Problem], rel: str, exports: TFExports, module: str, names: list[str], apply_fix: str
) -> list[str]:
    """The model __init__'s own halves: transformers' ``utils/check_inits.py`` owns this rule.

    tfscaffold never rewrites the source of truth, so most of these are warnings: upstream 4.46
    has unsorted lists (blip, deberta_v2, ...) and wav2vec2 imports its Flax classes from the TF
    module under ``TYPE_CHECKING``, and ``check`` must pass on an unmodified tree. One direction
    is derived, not truth: a name the ``_import_structure`` list declares and the module's
    ``TYPE_CHECKING`` import lacks (a class added to the list by hand) fails ``check_inits.py``
    and has one right fix, so it is an error ``apply`` fixes; those names are returned.
    """
    line = exports.mirror_lines.get(module)
    mirror = exports.mirror.get(module)
    fix = "edit the model __init__ (utils/check_inits.py checks it)"
    absent = [n for n in names if mirror is not None and n not in mirror]
    for name in names:
        if mirror is not None and name in absent:
            problems.append(Problem(rel, line, name, f"missing from the TYPE_CHECKING import of {module}", apply_fix))
        elif mirror is None:
            problems.append(
                Problem(
                    rel,
                    line,
                    name,
                    f"missing from the TYPE_CHECKING import of {module}",
                    fix,
                    "warning",
                    False,
                )
            )
    mirror = mirror or []
    for name in mirror:
        if name not in names:
            problems.append(
                Problem(
                    rel,
                    line,
                    name,
                    f"imported from {module} under TYPE_CHECKING but not in its _import_structure",
                    fix,
                    "warning",
                    False,
                )
            )
    if names != sort_structure(names):
        problems.append(
            Problem(
                rel,
                exports.lines.get(module),
                module,
                "_import_structure list is not sorted",
                "make style",
                "warning",
                False,
            )
        )
    if not exports.imports_is_tf_available:
        problems.append(
            Problem(
                rel,
                None,
                "is_tf_available",
                "not imported from ...utils",
                "add it to the from ...utils import list",
                "error",
                False,
            )
        )
    return absent


def _out_of_order(packages: list[str]) -> list[str]:
    """Packages that must move for the list to be sorted: those off the longest sorted run."""
    # longest increasing subsequence (patience sorting); everything else is out of place
    tails: list[int] = []
    previous: list[int] = [-1] * len(packages)
    for i, package in enumerate(packages):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if packages[tails[mid]] < package:
                lo = mid + 1
            else:
                hi = mid
        previous[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    keep: set[int] = set()
    k = tails[-1] if tails else -1
    while k != -1:
        keep.add(k)
        k = previous[k]
    return [p for i, p in enumerate(packages) if i not in keep]


def _owner(name: str, plans: dict[str, ModelPlan]) -> str:
    for plan in plans.values():
        if name in plan.exports.names:
            return plan.model.name
    return "--all"


@dataclass
class _AutoMappings:
    """The TF auto mappings as read (``tf``), and the entries each mapping should hold (``wanted``)."""

    tf: auto.Mappings
    rel: str
    every_name: set[str]
    wanted: dict[str, list[auto.Entry]]
    by_place: dict[tuple[str, str], auto.Entry]
    problems: list[Problem]

    def repair(self, mapping: str, entry: auto.Entry) -> None:
        """Replace a broken entry by the one the twin rule derives for its place, else drop it."""
        fixed = self.by_place.get((mapping, entry.key))
        out: list[auto.Entry] = []
        for e in self.wanted[mapping]:
            if e != entry:
                out.append(e)
            elif fixed is not None and fixed not in self.wanted[mapping] and fixed not in out:
                out.append(fixed)
        self.wanted[mapping] = out


def _sync_auto(
    checkout: Checkout,
    targets: list[Model],
    plans: dict[str, ModelPlan],
    all_models: bool,
    changes: ChangeSet,
    problems: list[Problem],
) -> None:
    tf_path, pt_path = checkout.tf_auto, checkout.pt_auto
    if not tf_path.is_file():
        return
    root = checkout.root
    tf_text = changes.current(tf_path) or ""
    tf = auto.read_mappings(tf_path, tf_text, root)
    pt = auto.read_mappings(pt_path, read_text(pt_path), root) if pt_path.is_file() else auto.Mappings(pt_path, {}, {})
    rel = checkout.rel(tf_path)
    every_name = {n for p in plans.values() if not p.gone for n in p.names}
    wanted: dict[str, list[auto.Entry]] = {k: list(dict.fromkeys(v)) for k, v in tf.entries.items()}
    index = auto.twin_index(pt, tf)
    by_place = {(m, e.key): e for places in index.values() for m, e in places if set(e.classes) <= every_name}
    state = _AutoMappings(tf, rel, every_name, wanted, by_place, problems)

    scoped_keys: set[str] = set()
    mapped = {c for entries in tf.entries.values() for e in entries for c in e.classes}
    for model in targets:
        scoped_keys |= _auto_model(state, model, plans[model.name], index, mapped, all_models)
    _auto_whole_mappings(state, scoped_keys, all_models)
    wanted = {
        k: sorted(v, key=lambda e: e.key) if k in _touched(tf, wanted) or all_models else v for k, v in wanted.items()
    }
    edits = {k: v for k, v in wanted.items() if v != tf.entries[k]}
    if edits:
        edited = auto.edit_mappings(tf_text, tf, edits)
        changes.write(tf_path, format_like(tf_text, edited, rel, root))


def _auto_model(
    state: _AutoMappings, model: Model, plan: ModelPlan, index, mapped: set[str], all_models: bool
) -> set[str]:
    """One model's entries: broken ones repaired, lost ones dropped, missing ones added; returns
    the model types the model serves."""
    tf, rel, every_name, wanted, problems = state.tf, state.rel, state.every_name, state.wanted, state.problems
    fix = f"tfscaffold apply {model.name}"
    own = set(plan.exports.names)
    keep = set(plan.names)
    has_entries = any(set(e.classes) & own for entries in tf.entries.values() for e in entries)
    types = {e.key for entries in tf.entries.values() for e in entries if set(e.classes) & own}
    derived = auto.derive_entries(index, keep)
    for mapping, entries in tf.entries.items():
        for entry in entries:
            if (
                not all_models
                and entry.key in types
                and not set(entry.classes) & own
                and not set(entry.classes) <= every_name
            ):
                bad = [c for c in entry.classes if c not in every_name]
                problems.append(
                    Problem(rel, entry.line, bad[0], f"{mapping} maps {entry.key!r} to a class no model exports", fix)
                )
                state.repair(mapping, entry)
            if set(entry.classes) & own and not set(entry.classes) <= keep:
                lost = [c for c in entry.classes if c not in keep]
                problems.append(
                    Problem(
                        rel,
                        entry.line,
                        lost[0],
                        f"{mapping} maps {entry.key!r} to a class the model does not export",
                        fix,
                    )
                )
                wanted[mapping] = [e for e in wanted[mapping] if e != entry]
        for entry in derived.get(mapping, []):
            if entry in entries:
                continue
            # a class in no TF mapping yet is new to a model that has entries: it joins the
            # mappings of its twin for the model types the model already serves (a type with
            # no TF entry at all, clip_text_model, was left out upstream on purpose)
            new_class = (
                entry.key in types
                and not set(entry.classes) & mapped
                and not any(e.key == entry.key for e in wanted[mapping])
            )
            if not has_entries or new_class:
                problems.append(
                    Problem(
                        rel,
                        tf.lines[mapping],
                        entry.classes[0],
                        f"missing from {mapping} (its PyTorch twin is mapped for {entry.key!r})",
                        fix,
                    )
                )
                wanted[mapping].append(entry)
            else:
                problems.append(
                    Problem(
                        rel,
                        tf.lines[mapping],
                        entry.classes[0],
                        f"not in {mapping} though its PyTorch twin is mapped for {entry.key!r}",
                        "add the entry by hand if the TF class supports that task",
                        "warning",
                    )
                )
    return types


def _auto_whole_mappings(state: _AutoMappings, scoped_keys: set[str], all_models: bool) -> None:
    """What no single model owns: second entries for a key, order, classes no model exports."""
    tf, rel, every_name, problems = state.tf, state.rel, state.every_name, state.problems
    for mapping, entries in tf.entries.items():
        keys = [e.key for e in entries]
        for i, key in enumerate(keys):
            if key in keys[:i] and (all_models or key in scoped_keys):
                problems.append(
                    Problem(
                        rel,
                        entries[i].line,
                        entries[i].classes[0],
                        f"{mapping} has a second entry for {key!r}",
                        "tfscaffold apply --all",
                    )
                )
        if all_models and keys != sorted(keys):
            problems.append(
                Problem(
                    rel,
                    tf.lines[mapping],
                    mapping,
                    "entries are not sorted by model type",
                    "tfscaffold apply --all",
                )
            )
        for entry in entries:
            if all_models and not set(entry.classes) <= every_name:
                bad = [c for c in entry.classes if c not in every_name]
                problems.append(
                    Problem(
                        rel,
                        entry.line,
                        bad[0],
                        f"{mapping} maps {entry.key!r} to a class no model exports",
                        "tfscaffold apply --all, or fix the name",
                    )
                )
                state.repair(mapping, entry)


def _touched(tf: auto.Mappings, wanted: dict[str, list[auto.Entry]]) -> set[str]:
    return {k for k, v in wanted.items() if set(v) != set(tf.entries[k])}
