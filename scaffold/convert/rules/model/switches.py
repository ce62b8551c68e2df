"""PyTorch-only switches (attention implementation, gradient checkpointing...) folded to their TF value."""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule
from scaffold.convert.rules.model.common import _bool, _EmptyBlocks, _is_self_attr, _name_const, _param_names
from scaffold.cstwalk import walk


class _Fold(HookTransformer):
    """Decide attention-implementation tests and PyTorch-only flags, then simplify what they guard."""

    def __init__(self) -> None:
        super().__init__()
        self.elifs: set[int] = set()

    @staticmethod
    def _implementation(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Attribute) and node.attr.value in T.ATTN_IMPLEMENTATION_ATTRIBUTES

    def leave_Comparison(self, original, updated):
        if len(updated.comparisons) != 1:
            return updated
        target = updated.comparisons[0]
        left, right = updated.left, target.comparator
        if self._implementation(right) and isinstance(left, cst.SimpleString):
            left, right = right, left
        if not self._implementation(left):
            return updated
        op = target.operator
        if isinstance(right, cst.SimpleString) and isinstance(op, cst.Equal | cst.NotEqual):
            same = right.evaluated_value == T.TF_ATTN_IMPLEMENTATION
            return _bool(same if isinstance(op, cst.Equal) else not same)
        if isinstance(right, cst.List | cst.Tuple | cst.Set) and isinstance(op, cst.In | cst.NotIn):
            values = [e.value for e in right.elements]
            if all(isinstance(v, cst.SimpleString) for v in values):
                inside = T.TF_ATTN_IMPLEMENTATION in [v.evaluated_value for v in values]
                return _bool(inside if isinstance(op, cst.In) else not inside)
        return updated

    def leave_Attribute(self, original, updated):
        if _is_self_attr(updated) and updated.attr.value in T.CONSTANT_SELF_FLAGS:
            return _bool(T.CONSTANT_SELF_FLAGS[updated.attr.value])
        return updated

    def leave_UnaryOperation(self, original, updated):
        value = _name_const(updated.expression)
        if isinstance(updated.operator, cst.Not) and value is not None:
            return _bool(not value)
        return updated

    def leave_BooleanOperation(self, original, updated):
        left, right = _name_const(updated.left), _name_const(updated.right)
        is_and = isinstance(updated.operator, cst.And)
        if left is not None:
            if left is not is_and:  # False and x, True or x
                return _bool(left)
            return updated.right.with_changes(lpar=[], rpar=[]) if right is None else _bool(right)
        if right is not None and right is not is_and and _pure(updated.left):
            return _bool(right)  # x and False, x or True (x without side effects)
        return updated

    def leave_IfExp(self, original, updated):
        value = _name_const(updated.test)
        if value is None:
            return updated
        return updated.body if value else updated.orelse

    def visit_If(self, node: cst.If) -> bool:
        if isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))
        return True

    def leave_If(self, original, updated):
        if id(original) in self.elifs:
            return updated  # the enclosing if simplifies its chain
        result = _simplify_chain(updated)
        if isinstance(result, cst.If):
            return result
        if not result:
            return cst.RemoveFromParent()
        result[0] = result[0].with_changes(leading_lines=[*updated.leading_lines, *result[0].leading_lines])
        return cst.FlattenSentinel(result)


def _pure(node: cst.BaseExpression) -> bool:
    """An expression without side effects (names, attributes, comparisons of them, constants)."""
    if isinstance(node, cst.Name | cst.SimpleString | cst.Integer | cst.Float):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, cst.Comparison):
        return _pure(node.left) and all(_pure(c.comparator) for c in node.comparisons)
    if isinstance(node, cst.BooleanOperation):
        return _pure(node.left) and _pure(node.right)
    if isinstance(node, cst.UnaryOperation):
        return _pure(node.expression)
    return False


def _simplify_chain(node: cst.If) -> cst.If | list[cst.BaseStatement]:
    """An if/elif/else chain with constant tests removed: an If, or the statements that remain."""
    value = _name_const(node.test)
    if value is True:
        return list(node.body.body)
    orelse = node.orelse
    if value is False:
        if orelse is None:
            return []
        if isinstance(orelse, cst.Else):
            return list(orelse.body.body)
        return _simplify_chain(orelse)
    if isinstance(orelse, cst.If):
        rest = _simplify_chain(orelse)
        if isinstance(rest, cst.If):
            orelse = rest
        elif not rest:
            orelse = None
        else:
            orelse = cst.Else(body=cst.IndentedBlock(body=rest))
    return node.with_changes(orelse=orelse)


class _Substitute(HookTransformer):
    def __init__(self, values: dict[str, bool]) -> None:
        super().__init__()
        self.values = values

    def leave_Name(self, original, updated):
        if updated.value in self.values:
            return _bool(self.values[updated.value])
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = original.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value in self.values
        ):
            return cst.RemoveFromParent()
        return updated


def _constant_locals(func: cst.FunctionDef) -> dict[str, bool]:
    """Local names assigned once, to True or False, and never rebound."""
    counts: dict[str, int] = {}
    constants: dict[str, bool] = {}

    class _Visitor(HookVisitor):
        def _bind(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Name):
                counts[target.value] = counts.get(target.value, 0) + 1
            elif isinstance(target, cst.Tuple | cst.List):
                for element in target.elements:
                    self._bind(element.value)

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                self._bind(target.target)
                value = _name_const(node.value)
                if isinstance(target.target, cst.Name) and value is not None:
                    constants[target.target.value] = value

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._bind(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._bind(node.target)

        def visit_For(self, node: cst.For) -> None:
            self._bind(node.target)

    walk(func, _Visitor())
    params = _param_names(func.params)
    return {k: v for k, v in constants.items() if counts.get(k) == 1 and k not in params}


class _DropSwitchAssignments(HookTransformer):
    """``self.attn_implementation = config._attn_implementation``, ``self.model_parallel = False``."""

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if _is_self_attr(target) and (
                target.attr.value in T.CONSTANT_SELF_FLAGS or target.attr.value in T.ATTN_IMPLEMENTATION_ATTRIBUTES
            ):
                return cst.RemoveFromParent()
        return updated


def _switch_attributes(cls: cst.ClassDef) -> dict[str, bool]:
    """``self.X = config._attn_implementation == "sdpa"``, X never rebound in the class: X -> its TF value."""
    values: dict[str, list[cst.BaseExpression]] = {}

    class _Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if _is_self_attr(target.target):
                    values.setdefault(target.target.attr.value, []).append(node.value)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if _is_self_attr(node.target):
                values.setdefault(node.target.attr.value, []).extend([node.value, node.value])

    walk(cls.body, _Visitor())
    found: dict[str, bool] = {}
    for attr, assigned in values.items():
        if len(assigned) != 1 or not any(
            n in cst.Module([]).code_for_node(assigned[0]) for n in T.ATTN_IMPLEMENTATION_ATTRIBUTES
        ):
            continue
        const = _name_const(walk(assigned[0], _Fold()))
        if const is not None:
            found[attr] = const
    return found


class _SubstituteSelf(HookTransformer):
    def __init__(self, values: dict[str, bool]) -> None:
        super().__init__()
        self.values = values

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return False

    def leave_Attribute(self, original, updated):
        if _is_self_attr(updated) and updated.attr.value in self.values:
            return _bool(self.values[updated.attr.value])
        return updated


class FoldPyTorchSwitches(Rule):
    """SDPA/flash choices and model parallelism are decided at conversion time: TF runs the eager path.

    ``x._attn_implementation == "sdpa"`` is False in TF, ``self.model_parallel`` is False; the
    branches they guard are dead and go, and local flags computed from them are folded too.
    """

    name = "fold-pytorch-switches"
    summary = 'Fold `_attn_implementation == "sdpa"` and `self.model_parallel` to constants; drop dead branches.'
    examples = (
        Example(
            before="""
class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config):
        self.attn_implementation = config._attn_implementation
        self.model_parallel = False

    def forward(self, attention_mask, head_mask):
        use_sdpa_attention_masks = self.attn_implementation == "sdpa" and head_mask is None
        if use_sdpa_attention_masks and attention_mask.dim() == 2:
            mask = _prepare_4d_attention_mask_for_sdpa(attention_mask)
        else:
            mask = self.get_extended_attention_mask(attention_mask)
        if self.config._attn_implementation == "flash_attention_2":
            mask = None
        elif not self.config._attn_implementation == "flash_attention_2":
            mask = mask + 1
        if self.model_parallel:
            torch.cuda.set_device(0)
        return mask
""",
            after="""
class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config):
        pass

    def forward(self, attention_mask, head_mask):
        mask = self.get_extended_attention_mask(attention_mask)
        mask = mask + 1
        return mask
""",
        ),
        Example(
            before="""
def forward(self, x):
    if self.config.use_cache and x is not None:
        x = x + 1
    return x
""",
            after="""
def forward(self, x):
    if self.config.use_cache and x is not None:
        x = x + 1
    return x
""",
            note="other conditions are left alone",
        ),
        Example(
            before="""
class TFBartEncoder(TFBartPreTrainedModel):
    def __init__(self, config):
        self._use_sdpa = config._attn_implementation == "sdpa"
        self.layerdrop = config.layerdrop

    def forward(self, attention_mask, head_mask):
        if self._use_sdpa and head_mask is None:
            attention_mask = _prepare_4d_attention_mask_for_sdpa(attention_mask)
        else:
            attention_mask = _prepare_4d_attention_mask(attention_mask)
        if self.layerdrop:
            pass
        return attention_mask
""",
            after="""
class TFBartEncoder(TFBartPreTrainedModel):
    def __init__(self, config):
        self._use_sdpa = False
        self.layerdrop = config.layerdrop

    def forward(self, attention_mask, head_mask):
        attention_mask = _prepare_4d_attention_mask(attention_mask)
        if self.layerdrop:
            pass
        return attention_mask
""",
            note="an attribute set once from the switch folds in the other methods of its class",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.switch_attrs: list[dict[str, bool]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.switch_attrs.append(_switch_attributes(node))
        return True

    def leave_ClassDef(self, original, updated):
        self.switch_attrs.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        node = walk(updated, _DropSwitchAssignments())
        if self.switch_attrs and self.switch_attrs[-1] and updated.name.value != "__init__":
            node = walk(node, _SubstituteSelf(self.switch_attrs[-1]))
        for _ in range(5):
            node = walk(node, _Fold())
            constants = _constant_locals(node)
            if not constants:
                break
            node = walk(node, _Substitute(constants))
        return walk(node, _EmptyBlocks())
