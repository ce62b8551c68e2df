"""What ``build()`` needs to know of a layer: the ranks its sublayers are called with, optional inputs."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_layers as T
from scaffold.convert.rules.base import HookTransformer, HookVisitor, dotted
from scaffold.convert.rules.layers.common import _free_names, _norm, _self_attr
from scaffold.cstwalk import walk


def _optional_input_calls(function: cst.FunctionDef | None) -> set[str]:
    """Sublayers ``self.x(...)`` that ``function`` calls only under ``if <argument> is not None:``.

    Such a branch runs only when the caller passes an optional input (encoder states for
    cross-attention), which a dummy call may not; a call anywhere else (unconditional, or under
    a config flag) builds the sublayer with its real input shape, so it is not in the set.
    """
    if function is None:
        return set()
    optional = {
        p.name.value
        for p in (*function.params.params, *function.params.kwonly_params)
        if isinstance(p.default, cst.Name) and p.default.value == "None"
    }
    inside: set[str] = set()
    outside: set[str] = set()

    class Visitor(HookVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0

        def visit_If(self, node: cst.If) -> bool:
            test = node.test
            given = (
                isinstance(test, cst.Comparison)
                and isinstance(test.left, cst.Name)
                and test.left.value in optional
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.IsNot)
                and isinstance(test.comparisons[0].comparator, cst.Name)
                and test.comparisons[0].comparator.value == "None"
            )
            walk(test, self)
            self.depth += given
            walk(node.body, self)
            self.depth -= given
            if node.orelse is not None:
                walk(node.orelse, self)
            return False

        def visit_Call(self, node: cst.Call) -> None:
            attr = _self_attr(node.func)
            if attr is not None:
                (inside if self.depth else outside).add(attr)

    walk(function.body, Visitor())
    return inside - outside


_RESHAPES = frozenset({"reshape", "view", "permute"})


_WEIGHTLESS = frozenset({"nn.Identity", "nn.Dropout"})  # layers whose build takes any input shape


def _reshaped_rank(value: cst.BaseExpression) -> int | None:
    """The rank ``x.reshape(a, b)`` / ``x.view((a, b))`` / ``torch.reshape(x, (a, b))`` gives; 0: not a reshape."""
    if not isinstance(value, cst.Call):
        return 0
    name = dotted(value.func) or ""
    if name in ("torch.reshape", "torch.permute", "tf.reshape", "tf.transpose"):
        args = list(value.args[1:2])
    elif isinstance(value.func, cst.Attribute) and value.func.attr.value in _RESHAPES:
        args = list(value.args)
    else:
        return 0
    if any(a.keyword is not None or a.star for a in args) or not args:
        return None
    if len(args) == 1 and isinstance(args[0].value, cst.Tuple | cst.List):
        elements = args[0].value.elements
        return None if any(isinstance(e, cst.StarredElement) for e in elements) else len(elements)
    return len(args)


# Calls that drop axes: a tensor from one has a rank the source does not spell out.
def _tuple_item(value: cst.Subscript) -> bool:
    """``outputs[0]`` / ``outputs[-1]``: one plain integer index."""
    if len(value.slice) != 1 or not isinstance(value.slice[0].slice, cst.Index):
        return False
    index = value.slice[0].slice.value
    if isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus):
        index = index.expression
    return isinstance(index, cst.Integer)


_REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "max", "min", "flatten", "squeeze", "norm", "prod"})


def _rank_unknown(value: cst.BaseExpression) -> bool:
    """Indexing (``x[:, 0]``) and reductions (``x.mean(-1)``) change the rank by amounts not worth guessing.

    ``outputs[0]``, one integer index, is the first item of a layer's output tuple, not a
    slice of a tensor: its rank is the default one.
    """
    if isinstance(value, cst.Subscript):
        return not _tuple_item(value)
    return (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _REDUCTIONS
    )


def _shape_of(value: cst.BaseExpression) -> str | None:
    """``x.shape``, ``x.size()``, ``shape_list(x)`` (or ``tuple(...)`` of one): the name ``x``."""
    if isinstance(value, cst.Call) and dotted(value.func) in ("tuple", "list", "shape_list") and len(value.args) == 1:
        if dotted(value.func) == "shape_list":
            inner = value.args[0].value
            return inner.value if isinstance(inner, cst.Name) else None
        return _shape_of(value.args[0].value)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "size":
        value = value.func.value if not value.args else value
        return value.value if isinstance(value, cst.Name) else None
    if isinstance(value, cst.Attribute) and value.attr.value == "shape" and isinstance(value.value, cst.Name):
        return value.value.value
    return None


def _unpacked_rank(assign: cst.Assign) -> tuple[str, int] | None:
    """``b, h, w, c = x.shape``: the name and the rank the unpacking proves."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Tuple | cst.List):
        return None
    elements = assign.targets[0].target.elements
    if any(isinstance(e, cst.StarredElement) for e in elements):
        return None
    name = _shape_of(assign.value)
    return (name, len(elements)) if name is not None else None


def _first_param_ranks(cls: cst.ClassDef) -> dict[str, int]:
    """Methods of the class that unpack their first tensor parameter's shape: method -> that rank."""
    found: dict[str, int] = {}
    for method in cls.body.body:
        if not isinstance(method, cst.FunctionDef) or len(method.params.params) < 2:
            continue
        first = method.params.params[1].name.value
        for node in _assignments_in(method):
            unpacked = _unpacked_rank(node)
            if unpacked is not None and unpacked[0] == first:
                found.setdefault(method.name.value, unpacked[1])
                break
    return found


def _assignments_in(function: cst.FunctionDef) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            found.append(node)

    walk(function.body, Visitor())
    return found


class _SublayerCallRanks(HookVisitor):
    """``self.x(t, ...)`` calls of one method, in source order: x -> the ranks of ``t``.

    A name is rank 3 until assigned from a reshape (then the reshape's rank, None when not
    written out); an assignment that reads the name itself (``t = f(t)``) keeps its rank, any
    other assignment makes it rank 3 again. Rank 3 is only a default: where the code later
    unpacks the name's shape (``b, h, w, c = t.shape``, or hands it to a method of the class
    that does), the calls made on it since its last assignment get that rank instead.
    """

    def __init__(self, ranks: dict[str, set[int | None]], param_ranks: dict[str, int] | None = None) -> None:
        super().__init__()
        self.current: dict[str, int | None] = {}
        self.ranks = ranks
        self.param_ranks = param_ranks or {}
        self.calls: list[tuple[str, list[int | None]]] = []  # (attr, [rank]) in source order
        self.defaulted: dict[str, list[list[int | None]]] = {}  # name -> boxes of calls at the default rank

    def _evidence(self, name: str, rank: int) -> None:
        for box in self.defaulted.pop(name, []):
            box[0] = rank

    def leave_Assign(self, node: cst.Assign) -> None:
        unpacked = _unpacked_rank(node)
        if unpacked is not None:
            self._evidence(*unpacked)
        # the name still holds the same shape only through a sublayer call on it (``t = self.norm(t)``)
        value = node.value
        same_shape = (
            isinstance(value, cst.Call)
            and _self_attr(value.func) is not None
            and value.args
            and isinstance(value.args[0].value, cst.Name)
        )
        for target in node.targets:
            if isinstance(target.target, cst.Name) and not (
                same_shape and value.args[0].value.value == target.target.value  # type: ignore[union-attr]
            ):
                self.defaulted.pop(target.target.value, None)
        rank = _reshaped_rank(node.value)
        read = set(_free_names(node.value))
        for target in node.targets:
            names = [target.target] if isinstance(target.target, cst.Name) else []
            if isinstance(target.target, cst.Tuple | cst.List):
                names = [e.value for e in target.target.elements if isinstance(e.value, cst.Name)]
                rank = 0  # a reshape does not unpack
            for name in names:
                if rank != 0:
                    self.current[name.value] = rank
                    self.defaulted.pop(name.value, None)
                elif _rank_unknown(node.value):
                    self.current[name.value] = None
                    self.defaulted.pop(name.value, None)
                elif name.value not in read:
                    self.current.pop(name.value, None)
                    self.defaulted.pop(name.value, None)

    def visit_Call(self, node: cst.Call) -> None:
        attr = _self_attr(node.func)
        if attr is None or not node.args:
            return
        first = node.args[0].value
        if attr in self.param_ranks and isinstance(first, cst.Name):
            self._evidence(first.value, self.param_ranks[attr])
        direct = _reshaped_rank(first)
        box: list[int | None]
        if direct != 0:
            box = [direct]
        elif _rank_unknown(first):
            box = [None]
        elif isinstance(first, cst.Name):
            box = [self.current.get(first.value, 3)]
            if first.value not in self.current:
                self.defaulted.setdefault(first.value, []).append(box)
        else:
            box = [3]
        self.calls.append((attr, box))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        for attr, box in self.calls:
            self.ranks.setdefault(attr, set()).add(box[0])
        self.calls = []


def _call_ranks(cls: cst.ClassDef) -> dict[str, set[int | None]]:
    """Per sublayer ``self.x``: the ranks of the tensors the class's methods call it on (3 unless reshaped)."""
    ranks: dict[str, set[int | None]] = {}
    param_ranks = _first_param_ranks(cls)
    for method in cls.body.body:
        if isinstance(method, cst.FunctionDef):
            walk(method, _SublayerCallRanks(ranks, param_ranks))
    return ranks


class _AnyRank(HookTransformer):
    """Switches the constructor calls of ``calls`` (by node identity) to their any-rank layer."""

    def __init__(self, calls: set[int]) -> None:
        super().__init__()
        self.calls = calls

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if id(original) not in self.calls:
            return updated
        spec = T.LAYERS[_norm(dotted(updated.func)) or ""]
        return updated.with_changes(func=cst.parse_expression(spec.any_rank or ""))


_TIED = 1000  # an assignment count no sublayer reaches: ``self.x.bias = ...`` ties x to something
