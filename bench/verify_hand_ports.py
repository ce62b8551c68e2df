"""``verify`` on every hand-written TF port of a tree: the oracle checked against ports known to be right.

The hand-written ports of transformers 4.46 reach 1e-7 to 1e-6 of PyTorch, so every one of them
should pass ``tfscaffold verify``. A row that does not is either a fault of verify (its tiny
config, its inputs, its matching of layers) to fix in ``scaffold/verify/``, or a real departure
of the port, to document. The models are read from the tree: every folder under ``models/`` with
a ``modeling_tf_<m>.py``, less the composite wrappers that have no model of their own.

    python bench/verify_hand_ports.py [MODEL ...] [--tree sdist|full|PATH] [--jobs N]
                                      [--restart | --redo-failed] [--timeout S]

``--tree sdist`` (default) is the pinned 4.46.3 source distribution in ``.cache/``: no tests/
folder, so the tiny config comes from the config signatures. ``--tree full`` is a copy of it with
the corpus (``utils/``, the TF test files, ``docs/``) unpacked over it, as a contributor's checkout
has; it is made once in ``bench/results/full-tree``. Rows are appended to
``bench/results/verify-hand-ports-<tree>.jsonl`` as they finish and a rerun skips the models the
journal has (``--restart`` forgets them, ``--redo-failed`` measures the failed ones again). Prints
one table: model, ok/departs/mismatch/error, first divergence, seconds. Where a port itself departs
from PyTorch, :data:`DEPARTURES` says how, with the flags a user of that port would pass; a
departure no flag bridges shows as ``departs``, never as ``ok``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

RESULTS = PROJECT / "bench" / "results"
CACHE = Path(os.environ.get("TFSCAFFOLD_CACHE", PROJECT / ".cache"))
SDIST = CACHE / "transformers-4.46.3"
CORPUS = PROJECT.parent / "shared" / "corpus" / "transformers-f0e640ad-utils-tests-docs.tar.gz"
# Folders with a TF modeling file that only wrap other models (built from two configs or a retriever).
COMPOSITES = {"auto", "encoder_decoder", "vision_encoder_decoder", "vision_text_dual_encoder", "rag"}


@dataclass(frozen=True)
class Departure:
    """Where a hand-written port itself departs from PyTorch: what verify is told, and why.

    ``overrides``/``allow_missing`` are the ``--set``/``--allow-missing`` a user of that port needs;
    a departure no flag can bridge has none and keeps its mismatch, shown as ``departs``.
    """

    reason: str
    overrides: dict = field(default_factory=dict)
    allow_missing: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # with no flag: the classes that keep their mismatch (any other must pass)


_NO_INITIALIZER_RANGE = Departure(
    "TF{M}ForMultipleChoice reads config.initializer_range, which {M}Config does not define (it has "
    "init_std): the class cannot be built from a real {M} config. TF test files pass initializer_range.",
    overrides={"initializer_range": 0.02},
)
DEPARTURES: dict[str, Departure] = {
    "albert": Departure(
        "TF keeps predictions.bias and predictions.decoder.bias as two variables and adds only the "
        "second; PyTorch ties them, so save_pretrained (safetensors) writes one, predictions.bias, and "
        "TFAlbertForPreTraining/ForMaskedLM keep an unloaded decoder bias (transformers' own test "
        "compares in-memory state dicts, which hold both names).",
        classes=("TFAlbertForPreTraining", "TFAlbertForMaskedLM"),
    ),
    "mpnet": Departure(
        "TFMPNetForMaskedLM builds the base model's pooler, which MPNetForMaskedLM has not (no pooling "
        "layer): its weights stay unloaded, unused by the logits; the port hides it with "
        "_keys_to_ignore_on_load_missing.",
        allow_missing=(r"^mpnet\.pooler\.",),
    ),
    "flaubert": Departure(_NO_INITIALIZER_RANGE.reason.replace("{M}", "Flaubert"), _NO_INITIALIZER_RANGE.overrides),
    "xlm": Departure(_NO_INITIALIZER_RANGE.reason.replace("{M}", "XLM"), _NO_INITIALIZER_RANGE.overrides),
}


@dataclass(frozen=True)
class InputContract:
    """Inputs of a form verify cannot derive from the forward's signature and the config.

    On a full checkout verify calls the model as its tester does when its own inputs fail; a tree
    without ``tests/`` (the source distribution) has no tester, and a user gives them with ``--input``.
    """

    reason: str
    inputs: dict[str, str]  # name -> SHAPE[:KIND], as --input takes them


INPUT_CONTRACTS: dict[str, InputContract] = {
    "idefics": InputContract(
        "IdeficsModel takes pixel values with a number-of-images axis, (batch, images, channels, size, size), "
        "and reads image_attention_mask (batch, text length, images) unconditionally.",
        {"pixel_values": "2x1x3x32x32", "image_attention_mask": "2x7x1:mask"},
    ),
}


def hand_ported(tree: Path) -> list[str]:
    """Every model folder of the tree with a hand-written ``modeling_tf_<m>.py``, composites aside."""
    models = tree / "src" / "transformers" / "models"
    return sorted(
        p.name
        for p in models.iterdir()
        if p.is_dir() and p.name not in COMPOSITES and (p / f"modeling_tf_{p.name}.py").is_file()
    )


def full_tree() -> Path:
    """The source distribution with the corpus unpacked over it, made once (git-ignored)."""
    target = RESULTS / "full-tree"
    if (target / "tests" / "test_modeling_tf_common.py").is_file():
        return target
    if not CORPUS.is_file():
        raise SystemExit(f"no corpus at {CORPUS}")
    partial = RESULTS / "full-tree.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(SDIST, partial, symlinks=True)
    subprocess.run(["tar", "xzf", str(CORPUS), "-C", str(partial)], check=True)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def measure(tree: Path, model: str, timeout: float) -> dict:
    """One model's verify verdict as a journal row (never raises: a crash is a row too)."""
    from scaffold.checkout import Checkout
    from scaffold.verify import verify_model
    from scaffold.verify.tester_inputs import parse_input

    row: dict = {"model": model}
    departure = DEPARTURES.get(model)
    flags = []
    if departure is not None:
        flags = [f"--set {k}={v}" for k, v in departure.overrides.items()]
        flags += [f"--allow-missing {p!r}" for p in departure.allow_missing]
        row.update(departure=departure.reason, flags=flags)
    contract = INPUT_CONTRACTS.get(model)
    given = {}
    if contract is not None and not (tree / "tests" / "models" / model).is_dir():
        given = dict(parse_input(f"{k}={v}") for k, v in contract.inputs.items())
        flags += [f"--input {k}={v}" for k, v in contract.inputs.items()]
        row.update(inputs_given=contract.reason, flags=flags)
    start = time.perf_counter()
    try:
        result = verify_model(
            Checkout(tree),
            model,
            timeout=timeout,
            overrides=dict(departure.overrides) if departure else None,
            allow_missing=departure.allow_missing if departure else (),
            inputs=given,
        )
    except Exception as exc:
        row.update(status="error", first=f"{type(exc).__name__}: {exc}"[:300])
        row["seconds"] = round(time.perf_counter() - start, 1)
        return row
    row["seconds"] = round(time.perf_counter() - start, 1)
    row["sources"] = sorted(set(result.config_sources.values()))
    row["classes"] = {}
    for cls in result.classes:
        if cls.ok:
            verdict = "ok"
        elif not cls.comparable:
            verdict = f"not comparable: PyTorch fails too: {cls.pytorch_fails}"
        elif cls.error:
            verdict = f"error at {cls.stage}: {cls.error}"
        else:
            div = cls.first_divergence
            verdict = "mismatch: " + (f"{div.path or '(model)'} ({div.reason})" if div else "?")
        row["classes"][cls.tf_class] = verdict[:300]
    if result.error:
        row.update(status="error", first=result.error[:300])
    elif result.ok:
        row.update(status="ok", first="")
    else:
        bad = next((c for c in result.classes if not c.ok and c.comparable), result.classes[0])
        row["status"] = "error" if bad.error else "mismatch"
        row["first"] = f"{bad.tf_class}: {row['classes'][bad.tf_class]}"[:300]
        failing = {c.tf_class for c in result.classes if not c.ok and c.comparable}
        if departure is not None and departure.classes and failing <= set(departure.classes):
            row["status"] = "departs"  # documented, no flag bridges it, and every other class passes
    return row


def _journal(label: str) -> Path:
    return RESULTS / f"verify-hand-ports-{label}.jsonl"


def read_journal(path: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["model"]] = row  # the last row of a model wins (--redo-failed appends)
    return rows


def line(row: dict) -> str:
    note = row.get("first", "")
    if row.get("flags"):
        note = f"[{' '.join(row['flags'])}] {note}"
    return f"{row['model']:22s} {row['status']:8s} {row.get('seconds', 0):7.1f}s  {note[:150]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="default: every hand-written port of the tree")
    parser.add_argument("--tree", default="sdist", help="sdist, full, or the path of a transformers tree")
    parser.add_argument("--jobs", type=int, default=1, help="models verified at once (each takes a core)")
    parser.add_argument("--restart", action="store_true", help="measure again (the named models, or everything)")
    parser.add_argument("--redo-failed", action="store_true", help="measure again the models that did not pass")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one model may take")
    args = parser.parse_args(argv)

    if args.tree == "sdist":
        tree, label = SDIST, "sdist"
    elif args.tree == "full":
        RESULTS.mkdir(parents=True, exist_ok=True)
        tree, label = full_tree(), "full"
    else:
        tree = Path(args.tree).resolve()
        label = tree.name
    RESULTS.mkdir(parents=True, exist_ok=True)
    journal = _journal(label)
    if args.restart and not args.models:
        journal.unlink(missing_ok=True)
    done = read_journal(journal)
    models = args.models or hand_ported(tree)
    todo = [
        m
        for m in models
        if m not in done or args.restart or (args.redo_failed and done[m]["status"] not in ("ok", "departs"))
    ]
    print(f"{len(models)} models, {len(models) - len(todo)} from {journal.name}, {len(todo)} to verify", flush=True)
    lock = threading.Lock()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(measure, tree, m, args.timeout): m for m in todo}
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            with lock:
                with journal.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(row) + "\n")
                done[row["model"]] = row
                print(line(row), flush=True)

    rows = [done[m] for m in models if m in done]
    print()
    print(f"{'model':22s} {'verdict':8s} {'seconds':>8s}  first divergence")
    for row in rows:
        print(line(row))
    documented = [r for r in rows if r["model"] in DEPARTURES]
    if documented:
        print("\nwhere the port itself departs (flags given to verify, or none that bridges it):")
        for row in documented:
            print(f"  {row['model']}: {DEPARTURES[row['model']].reason}")
    contracted = [r for r in rows if r.get("inputs_given")]
    if contracted:
        print("\ninputs given with --input (the tree has no tester to read them from):")
        for row in contracted:
            print(f"  {row['model']}: {row['inputs_given']}")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "departs", "mismatch", "error")}
    print(
        f"\n{counts['ok']} ok, {counts['departs']} departs (documented), {counts['mismatch']} mismatch, "
        f"{counts['error']} error of {len(rows)} ({label})"
    )
    return 0 if counts["ok"] + counts["departs"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
