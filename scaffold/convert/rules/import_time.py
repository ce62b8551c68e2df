"""What the module runs at import time never names something TF does not define.

A name no rule converted (``torch``, ``nn``, a PyTorch-only base class) stays in the generated
code with a TODO marker; inside a method body that breaks only the call that reaches it. At
import time it breaks the whole module, and with it ``import transformers`` of every user. So
once the module is finished (imports pruned, reused code in place), every unresolved name that
runs at import time gets a TF-safe form, with a TODO marker saying what was there:

- a decorator is dropped (``@torch.fx.wrap``, ``@torch.jit.script``);
- a parameter default becomes ``None`` (``norm_layer=nn.LayerNorm``);
- an annotation is dropped, or becomes ``object`` where a dataclass field needs one;
- a base class is dropped (``class X(PyTorchOnlyMixin, Base)``);
- a module-level or class-level statement: the value of an assignment becomes ``None``, any
  other simple statement becomes ``pass``; the test of an ``if``/``while`` becomes ``False`` and
  the iterable of a ``for`` becomes ``()``.

What is not converted is not guessed: each replacement is the neutral value and the marker
names the original code, so the module imports and the report lists what a human must port.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, ScopeProvider

from scaffold.convert.rules.base import Example, Rule, module_code
from scaffold.pysource import parsed

# names Python binds in every module that libcst's scope analysis does not know
_MODULE_DUNDERS = frozenset(
    {"__file__", "__name__", "__doc__", "__spec__", "__path__", "__package__", "__loader__", "__builtins__"}
)


def unresolved_at_import(module: cst.Module) -> tuple[set[cst.Name], dict[cst.CSTNode, cst.CSTNode]]:
    """The Name nodes that resolve to nothing and run at import time, and the parent map.

    A name runs at import time unless it sits in the body of a function or lambda (defaults,
    decorators and annotations of a function run when the ``def`` does). ``module`` must be the
    very node the caller transforms: the nodes returned are compared by identity.
    """
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    parents = wrapper.resolve(ParentNodeProvider)
    found: set[cst.Name] = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            node = access.node
            if access.referents or not isinstance(node, cst.Name) or node.value in _MODULE_DUNDERS:
                continue
            if _runs_at_import(node, parents):
                found.add(node)
    return found, dict(parents)


def _may_leave_names_unresolved(code: str) -> bool:
    """False only when every name read at import time is bound at module level or a builtin.

    libcst's scope analysis takes about a second on a 2,000-line module, where this reading of
    Python's own tree takes a few hundredths; the analysis runs only when this finds a candidate.
    A name bound in a class body or a comprehension counts as a candidate: it is left to the
    analysis to tell whether that binding reaches the read.
    """
    tree = parsed(code)
    bound = set(dir(builtins)) | _MODULE_DUNDERS
    own_scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
    comprehension = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    pending: list[ast.AST] = list(tree.body)
    while pending:  # the module's own bindings: not those of function, class or comprehension scopes
        node = pending.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.NamedExpr):
            return True
        if isinstance(node, own_scope):
            bound.add(getattr(node, "name", ""))
        elif not isinstance(node, comprehension):
            pending.extend(ast.iter_child_nodes(node))
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # what runs when the def does: decorators, defaults, annotations (not the body)
            args = node.args
            pending.extend([*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)])
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            pending.extend(a.annotation for a in every if a is not None and a.annotation is not None)
            if node.returns is not None:
                pending.append(node.returns)
            continue
        if isinstance(node, ast.Lambda):
            pending.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
            return True
        pending.extend(ast.iter_child_nodes(node))
    return False


def _runs_at_import(node: cst.CSTNode, parents) -> bool:
    child = node
    parent = parents.get(child)
    while parent is not None:
        if isinstance(parent, cst.FunctionDef | cst.Lambda) and child is parent.body:
            return False
        child, parent = parent, parents.get(parent)
    return True


class ImportTimeSafety(Rule):
    """Unresolved names evaluated at import time get a TF-safe form and a TODO (see the module doc).

    Runs on the finished module, so "unresolved" means what the generated file really lacks.
    Does not touch method bodies: a name there breaks only its call and gets the undefined-name
    TODO of the assembly step.
    """

    name = "import-time-safety"
    summary = "Decorators, defaults, bases and module-level code naming what TF lacks: dropped or None, with a TODO."
    examples = (
        Example(
            before="""
@torch.fx.wrap
def helper(x, norm_layer=nn.LayerNorm):
    return torch.sum(x)
""",
            after="""
# TODO(tfscaffold): @torch.fx.wrap: undefined in TF at import time; decorator dropped
# TODO(tfscaffold): norm_layer=nn.LayerNorm: undefined in TF at import time; default set to None
def helper(x, norm_layer=None):
    return torch.sum(x)
""",
            note="the body keeps its undefined names: they break only the call, and are marked later",
        ),
        Example(
            before="""
from ...modeling_tf_utils import keras


class TFPatchMerging(PatchMergingBase, keras.layers.Layer):
    dtype_default = torch.float32

    def call(self, x):
        return x
""",
            after="""
from ...modeling_tf_utils import keras


# TODO(tfscaffold): base PatchMergingBase: undefined in TF at import time; dropped
class TFPatchMerging(keras.layers.Layer):
    # TODO(tfscaffold): dtype_default = torch.float32: undefined in TF at import time; set to None
    dtype_default = None

    def call(self, x):
        return x
""",
        ),
        Example(
            before="""
import tensorflow as tf

if torch_fx_available():
    wrapped = torch.fx.wrap("helper")

ATTENTION_CLASSES = {"eager": TFAttention}


class TFAttention:
    pass
""",
            after="""
import tensorflow as tf

# TODO(tfscaffold): torch_fx_available(): undefined in TF at import time; test set to False
if False:
    # TODO(tfscaffold): wrapped = torch.fx.wrap("helper"): undefined in TF at import time; set to None
    wrapped = None

# TODO(tfscaffold): ATTENTION_CLASSES = {"eager": TFAttention}: undefined in TF at import time; set to None
ATTENTION_CLASSES = None


class TFAttention:
    pass
""",
            note="a name defined only further down is undefined when the module-level code runs",
        ),
        Example(
            before="""
from dataclasses import dataclass

import tensorflow as tf

from ...utils import ModelOutput


@dataclass
class TFOutput(ModelOutput):
    loss: torch.FloatTensor = None
    logits: tf.Tensor = None


def call(x: torch.Tensor) -> torch.Tensor:
    return x
""",
            after="""
from dataclasses import dataclass

import tensorflow as tf

from ...utils import ModelOutput


@dataclass
class TFOutput(ModelOutput):
    # TODO(tfscaffold): loss: torch.FloatTensor: undefined in TF at import time; annotated as object
    loss: object = None
    logits: tf.Tensor = None


# TODO(tfscaffold): x: torch.Tensor: undefined in TF at import time; annotation dropped
# TODO(tfscaffold): -> torch.Tensor: undefined in TF at import time; annotation dropped
def call(x):
    return x
""",
            context=(("imports", set()),),
        ),
        Example(
            before="""
import tensorflow as tf

TF_DTYPE = tf.float32


def gelu(x, approximate=False):
    return tf.nn.gelu(x, approximate)
""",
            after="""
import tensorflow as tf

TF_DTYPE = tf.float32


def gelu(x, approximate=False):
    return tf.nn.gelu(x, approximate)
""",
            note="no change where everything is defined",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._spoiled: set[int] = set()  # ids of the nodes that hold a bad name
        self._bad_names: set[str] = set()

    # every hook acts on a statement holding a name unresolved at import time, and only there
    name_gated = frozenset(
        {"AnnAssign", "Assert", "Assign", "AugAssign", "ClassDef", "Del", "Expr", "For", "FunctionDef", "If"}
        | {"Raise", "While"}
    )

    def names_reacted_to(self) -> Iterable[str]:
        return self._bad_names

    def visit_Module(self, node: cst.Module) -> None:
        if not _may_leave_names_unresolved(module_code(node)):
            return
        bad, parents = unresolved_at_import(node)
        self._bad_names = {name.value for name in bad}
        for name in bad:
            current: cst.CSTNode | None = name
            while current is not None and id(current) not in self._spoiled:
                self._spoiled.add(id(current))
                current = parents.get(current)

    def _holds_bad(self, node: cst.CSTNode) -> bool:
        return id(node) in self._spoiled

    def _mark(self, code: str, what: str) -> None:
        code = " ".join(code.split())
        self.todo(code if len(code) <= 90 else code[:87] + "...", f"undefined in TF at import time; {what}")

    # -- function and class headers ------------------------------------------------------
    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if not self._holds_bad(original):
            return updated
        decorators = self._safe_decorators(original, updated)
        params = self._safe_params(original.params, updated.params)
        returns = updated.returns
        if original.returns is not None and self._holds_bad(original.returns):
            self._mark(f"-> {self.code(original.returns.annotation)}", "annotation dropped")
            returns = None
        return updated.with_changes(decorators=decorators, params=params, returns=returns)

    def _safe_decorators(self, original, updated) -> list[cst.Decorator]:
        kept = []
        for orig, new in zip(original.decorators, updated.decorators, strict=True):
            if self._holds_bad(orig):
                self._mark(f"@{self.code(orig.decorator)}", "decorator dropped")
            else:
                kept.append(new)
        return kept

    def _safe_params(self, original: cst.Parameters, updated: cst.Parameters) -> cst.Parameters:
        if not self._holds_bad(original):
            return updated
        changes = {}
        for field in ("params", "kwonly_params", "posonly_params"):
            fixed = []
            for orig, new in zip(getattr(original, field), getattr(updated, field), strict=True):
                if orig.annotation is not None and self._holds_bad(orig.annotation):
                    self._mark(f"{orig.name.value}: {self.code(orig.annotation.annotation)}", "annotation dropped")
                    new = new.with_changes(annotation=None)
                if orig.default is not None and self._holds_bad(orig.default):
                    self._mark(f"{orig.name.value}={self.code(orig.default)}", "default set to None")
                    new = new.with_changes(default=cst.Name("None"))
                fixed.append(new)
            changes[field] = fixed
        for field in ("star_arg", "star_kwarg"):
            orig, new = getattr(original, field), getattr(updated, field)
            if isinstance(orig, cst.Param) and orig.annotation is not None and self._holds_bad(orig.annotation):
                self._mark(f"{orig.name.value}: {self.code(orig.annotation.annotation)}", "annotation dropped")
                changes[field] = new.with_changes(annotation=None)
        return updated.with_changes(**changes)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if not self._holds_bad(original):
            return updated
        decorators = self._safe_decorators(original, updated)
        bases = []
        for orig, new in zip(original.bases, updated.bases, strict=True):
            if self._holds_bad(orig):
                self._mark(f"base {self.code(orig.value)}", "dropped")
            else:
                bases.append(new)
        if bases:
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        keywords = [k for k in updated.keywords if not self._holds_bad(k)]
        empty = not bases and not keywords
        return updated.with_changes(
            decorators=decorators,
            bases=bases,
            keywords=keywords,
            lpar=cst.MaybeSentinel.DEFAULT if empty else updated.lpar,
            rpar=cst.MaybeSentinel.DEFAULT if empty else updated.rpar,
        )

    # -- statements that run at import time ----------------------------------------------
    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if self._holds_bad(original.value):
            self._mark(self.code(original), "set to None")
            return updated.with_changes(value=cst.Name("None"))
        return updated

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if not (self._holds_bad(original)):
            return updated
        if self._holds_bad(original.annotation):
            self._mark(
                f"{self.code(original.target)}: {self.code(original.annotation.annotation)}", "annotated as object"
            )
            updated = updated.with_changes(annotation=cst.Annotation(cst.Name("object")))
        if original.value is not None and self._holds_bad(original.value):
            self._mark(self.code(original), "set to None")
            updated = updated.with_changes(value=cst.Name("None"))
        return updated

    def _other_small(self, original: cst.BaseSmallStatement, updated: cst.BaseSmallStatement):
        if self._holds_bad(original):
            self._mark(self.code(original), "replaced by pass")
            return cst.Pass()
        return updated

    leave_Expr = leave_AugAssign = leave_Assert = leave_Raise = leave_Del = _other_small

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        if self._holds_bad(original.test):
            self._mark(f"{self.code(original.test)}", "test set to False")
            return updated.with_changes(test=cst.Name("False"))
        return updated

    leave_While = leave_If

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        if self._holds_bad(original.iter):
            self._mark(f"for ... in {self.code(original.iter)}", "iterable set to ()")
            return updated.with_changes(iter=cst.Tuple([]))
        return updated


RULES: list[type[Rule]] = [ImportTimeSafety]
