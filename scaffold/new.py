"""``tfscaffold new <m>``: write the TF port, declare its public names, register them.

One ChangeSet holds the new ``modeling_tf_<m>.py``, the model ``__init__`` and everything the
registration sync derives, so ``--dry-run`` shows the whole change and a failure writes nothing.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

from scaffold.changeset import ChangeSet, read_text
from scaffold.checkout import Checkout, Model
from scaffold.convert.assemble import Conversion, convert_model
from scaffold.errors import ScaffoldError
from scaffold.problems import Problem
from scaffold.registry import model_init
from scaffold.registry.sync import sync


@dataclass
class NewResult:
    conversion: Conversion
    changes: ChangeSet
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0


def _dirty(checkout: Checkout, path) -> bool:
    """Whether git knows uncommitted edits of ``path`` (False outside a git checkout)."""
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--", str(path)],
            cwd=checkout.root,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())


def plan_new(checkout: Checkout, model: Model, *, force: bool = False, reuse: bool = True) -> NewResult:
    start = time.perf_counter()
    target = model.folder / f"modeling_tf_{model.name}.py"
    if target.exists():
        if not force:
            raise ScaffoldError(f"{checkout.rel(target)} exists; pass --force to overwrite it")
        if _dirty(checkout, target):
            raise ScaffoldError(f"{checkout.rel(target)} has uncommitted changes; commit or stash them first")
    if "define_import_structure" in read_text(model.init):
        raise ScaffoldError(
            f"{checkout.rel(model.init)} uses define_import_structure (the newer layout), "
            "which `new` does not support yet"
        )
    conversion = convert_model(checkout, model, reuse=reuse)
    changes = ChangeSet(checkout.root)
    changes.write(target, conversion.code)
    init_text = changes.current(model.init) or ""
    changes.write(
        model.init,
        model_init.set_tf_exports(init_text, target.stem, f"modeling_{model.name}", conversion.public_names),
    )
    result = sync(checkout, [model], changes=changes)
    problems = [p for p in result.errors if not p.fixable]
    return NewResult(conversion, changes, problems, time.perf_counter() - start)
