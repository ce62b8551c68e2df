"""One spelling for every PyTorch name, whatever the module's imports call it.

The tables are keyed by the spelling transformers' modeling files use most: ``nn.LayerNorm``,
``nn.functional.gelu``, ``torch.autograd.Function``. A module may import the same objects
otherwise (``from torch.nn import LayerNorm``, ``import torch.nn as tnn``,
``from torch.nn.functional import normalize``). This rule reads the module's import map once,
before any other rule, and rewrites every use of such a name to that spelling, so each rule
recognises a name by what it is, not by how the module happened to import it.

Names imported straight from ``torch`` (``from torch import Tensor, einsum``) become
``torch.Tensor``, ``torch.einsum``: the type and op rules know them only under ``torch.``.
Not rewritten: the loss modules (``CrossEntropyLoss``, ...), which the loss rules read by their
last name whatever the spelling, ``nn``, and ``F`` for ``torch.nn.functional``, which the tables
know bare.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import ImportAssignment, MetadataWrapper, ScopeProvider

from scaffold.convert import tables_model as TM
from scaffold.convert.rules.base import Example, Rule, dotted

_FUNCTIONAL = "torch.nn.functional"


def canonical(full: str) -> str:
    """``torch.nn.LayerNorm`` -> ``nn.LayerNorm``: the spelling the tables use."""
    return full[len("torch.") :] if full.startswith("torch.nn.") or full == "torch.nn" else full


def import_map(module: cst.Module) -> dict[str, str]:
    """Local name -> full dotted name, for the names the module imports from ``torch.*``."""
    found: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                source = dotted(small.module) or ""
                if not (source == "torch" or source.startswith("torch.")) or not isinstance(small.names, list | tuple):
                    continue
                for alias in small.names:
                    name = dotted(alias.name) or ""
                    local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                    found[local] = f"{source}.{name}"
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    name = dotted(alias.name) or ""
                    if alias.asname is not None and name.startswith("torch."):
                        found[alias.asname.name.value] = name  # type: ignore[union-attr]
    return found


def _full_name(dotted_name: str, imports: dict[str, str]) -> str | None:
    """``nn.LayerNorm`` -> ``torch.nn.LayerNorm`` through the module's imports (None: not torch's)."""
    head, _, rest = dotted_name.partition(".")
    base = "torch" if head == "torch" else imports.get(head)
    if base is None:
        return None
    return f"{base}.{rest}" if rest else base


def module_aliases(module: cst.Module, imports: dict[str, str]) -> dict[str, str]:
    """Module-level ``LayoutLMLayerNorm = nn.LayerNorm``: alias -> the full torch name it stands for."""
    found: dict[str, str] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
            assign = stmt.body[0]
            if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
                value = dotted(assign.value)
                full = _full_name(value, imports) if value else None
                if full is not None and full.startswith("torch."):
                    found[assign.targets[0].target.value] = full
    return found


def _keep(local: str, full: str) -> bool:
    """Names the rules already know under the module's own spelling."""
    last = full.rsplit(".", 1)[-1]
    if full.startswith("torch.nn.") and last in TM.LOSS_MODULES and local == last:
        return True
    return canonical(full) == local or (local == "F" and full == _FUNCTIONAL)


def _imports_nn(module: cst.Module) -> bool:
    """``from torch import nn`` or ``import torch.nn as nn``: the module's ``nn`` is torch's."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None and dotted(small.module) == "torch":
                if isinstance(small.names, list | tuple) and any(
                    dotted(a.name) == "nn" and a.asname is None for a in small.names
                ):
                    return True
            if isinstance(small, cst.Import) and any(
                dotted(a.name) == "torch.nn" and a.asname is not None and a.asname.name.value == "nn"  # type: ignore[union-attr]
                for a in small.names
            ):
                return True
    return False


class CanonicalTorchNames(Rule):
    """Uses of names imported from ``torch.*`` are rewritten to the tables' spelling (module doc).

    The import statement stays (the assembly drops every PyTorch import at the end); a rewrite
    that needs ``nn`` adds ``from torch import nn`` so the module stays self-consistent for the
    rules after this one.
    """

    name = "canonical-torch-names"
    summary = "from torch.nn import LayerNorm / import torch.nn as tnn: uses become nn.LayerNorm, nn.X."
    examples = (
        Example(
            before="""
import torch
from torch.nn import CrossEntropyLoss, LayerNorm
from torch.nn.functional import normalize


class ViltLayer(nn.Module):
    def __init__(self, config):
        self.norm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.loss = CrossEntropyLoss()

    def forward(self, x, norm_layer=LayerNorm):
        return normalize(self.norm(x), dim=-1)
""",
            after="""
import torch
from torch import nn
from torch.nn import CrossEntropyLoss, LayerNorm
from torch.nn.functional import normalize


class ViltLayer(nn.Module):
    def __init__(self, config):
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.loss = CrossEntropyLoss()

    def forward(self, x, norm_layer=nn.LayerNorm):
        return nn.functional.normalize(self.norm(x), dim=-1)
""",
            note="the loss module keeps its bare name: the loss rules read it whatever the spelling",
        ),
        Example(
            before="""
import torch.nn as tnn
from torch import nn
from torch.autograd import Function


class XSoftmax(Function):
    pass


class XLayer(tnn.Module):
    def forward(self, x):
        return tnn.functional.gelu(x)
""",
            after="""
import torch.nn as tnn
from torch import nn
from torch.autograd import Function


class XSoftmax(torch.autograd.Function):
    pass


class XLayer(nn.Module):
    def forward(self, x):
        return nn.functional.gelu(x)
""",
        ),
        Example(
            before="""
from torch import nn

LayoutLMLayerNorm = nn.LayerNorm


class LayoutLMEmbeddings(nn.Module):
    def __init__(self, config):
        self.LayerNorm = LayoutLMLayerNorm(config.hidden_size, eps=config.layer_norm_eps)
""",
            after="""
from torch import nn


class LayoutLMEmbeddings(nn.Module):
    def __init__(self, config):
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
""",
            note="a module-level alias of a torch layer is read through, and goes",
        ),
        Example(
            before="""
from torch import Tensor, nn
from torch import nn as tnn


def forward(self, input: Tensor) -> Tensor:
    return tnn.functional.relu(input)
""",
            after="""
from torch import Tensor, nn
from torch import nn as tnn


def forward(self, input: torch.Tensor) -> torch.Tensor:
    return nn.functional.relu(input)
""",
            note="a name imported straight from torch is spelled torch.<name>, which the type and op tables know",
        ),
        Example(
            before="""
import torch
import torch.nn.functional as F
from torch import nn


def f(x):
    LayerNorm = 3
    return F.gelu(x) + LayerNorm
""",
            after="""
import torch
import torch.nn.functional as F
from torch import nn


def f(x):
    LayerNorm = 3
    return F.gelu(x) + LayerNorm
""",
            note="no change: the usual spellings, and a local that is no import",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._rewrite: dict[int, str] = {}  # id of a Name node -> its canonical spelling
        self._drop: set[int] = set()  # ids of the module-level alias assignments rewritten away
        self._needs_nn = False
        self._locals: set[str] = set()  # the names rewritten (their alias statements go too)

    name_gated = frozenset({"Name", "SimpleStatementLine"})

    def names_reacted_to(self) -> Iterable[str]:
        return self._locals

    def visit_Module(self, node: cst.Module) -> None:
        imports = import_map(node)
        imports.update({"nn": "torch.nn"} if "nn" not in imports and _imports_nn(node) else {})
        names = {local: full for local, full in imports.items() if not _keep(local, full)}
        aliases = module_aliases(node, imports)
        if not names and not aliases:
            return
        wrapper = MetadataWrapper(node, unsafe_skip_copy=True)
        scope = wrapper.resolve(ScopeProvider).get(node)
        if scope is None:
            return
        self._locals = set(names) | set(aliases)
        for local in aliases:
            self._drop.update(id(a) for a in self._alias_statements(node, local))
        for local, full in {**names, **aliases}.items():
            for assignment in scope.assignments[local]:
                if local not in aliases and not isinstance(assignment, ImportAssignment):
                    continue
                for access in assignment.references:
                    if isinstance(access.node, cst.Name):
                        self._rewrite[id(access.node)] = canonical(full)
        self._needs_nn = any(v.startswith("nn.") for v in self._rewrite.values()) and not any(
            isinstance(a, ImportAssignment) for a in scope.assignments["nn"]
        )

    @staticmethod
    def _alias_statements(module: cst.Module, alias: str) -> list[cst.CSTNode]:
        return [
            s.body[0]
            for s in module.body
            if isinstance(s, cst.SimpleStatementLine)
            and len(s.body) == 1
            and isinstance(s.body[0], cst.Assign)
            and dotted(s.body[0].targets[0].target) == alias
        ]

    def leave_SimpleStatementLine(self, original, updated):
        # the alias itself goes: every use now names the layer, and the alias would name torch at import
        if len(original.body) == 1 and id(original.body[0]) in self._drop:
            return cst.RemoveFromParent()
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        spelled = self._rewrite.get(id(original))
        return cst.parse_expression(spelled) if spelled else updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self._needs_nn:
            return updated
        body = list(updated.body)
        last_import = max(
            (
                i
                for i, s in enumerate(body)
                if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Import | cst.ImportFrom)
            ),
            default=-1,
        )
        at = next(
            (
                i
                for i, s in enumerate(body)
                if isinstance(s, cst.SimpleStatementLine)
                and isinstance(s.body[0], cst.ImportFrom)
                and (dotted(s.body[0].module) or "").startswith("torch")  # type: ignore[arg-type]
            ),
            last_import + 1,
        )
        body.insert(at, cst.parse_statement("from torch import nn\n"))
        return updated.with_changes(body=body)


RULES: list[type[Rule]] = [CanonicalTorchNames]
