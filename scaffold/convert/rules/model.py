"""Model structure: switches, PreTrainedModel helpers, the MainLayer split, signatures, training, losses.

By the time these rules run, classes carry the TF prefix and TF bases (``keras.layers.Layer``,
``TFPreTrainedModel``); what a class is (layer or model) is read from the module as it stands,
so classes these rules create (the MainLayer) are treated like any other. The data these rules
read is in ``scaffold/convert/tables_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from scaffold.convert import tables
from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import ConvertContext, Example, Rule, dotted, names_in

_REUSED_PLACEHOLDER = "__tfscaffold_reused__"


# -- small libcst helpers ---------------------------------------------------------------------------
def _name_const(node: cst.BaseExpression) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _bool(value: bool) -> cst.Name:
    return cst.Name("True" if value else "False")


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(value=value, keyword=cst.Name(name), equal=eq)


def _append_args(call: cst.Call, new: list[cst.Arg]) -> cst.Call:
    """Add ``new`` to ``call``: positional ones (and ``*x``) before the first keyword or ``**x``, since
    Python forbids ``*x`` after ``**y``; keywords and ``**x`` at the end."""
    if not new:
        return call
    args = list(call.args)
    last_comma = args[-1].comma if args else cst.MaybeSentinel.DEFAULT
    for arg in new:
        if arg.keyword is None and arg.star != "**":
            at = next((i for i, a in enumerate(args) if a.keyword is not None or a.star == "**"), len(args))
            args.insert(at, arg)
        else:
            args.append(arg)
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    tail = args[-1].with_changes(comma=last_comma)
    args = [a if isinstance(a.comma, cst.Comma) else a.with_changes(comma=comma) for a in args[:-1]] + [tail]
    return call.with_changes(args=args)


def _has_keyword(call: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name for a in call.args)


def _is_self_attr(node: cst.CSTNode, attr: str | None = None) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and (attr is None or node.attr.value == attr)
    )


def _docstring_of(body: list[cst.BaseStatement]) -> cst.BaseStatement | None:
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
        if isinstance(body[0].body[0].value, cst.SimpleString | cst.ConcatenatedString):
            return body[0]
    return None


def _param(name: str, annotation: str | None = None, default: str | None = None) -> cst.Param:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Param(
        name=cst.Name(name),
        annotation=cst.Annotation(cst.parse_expression(annotation)) if annotation else None,
        default=cst.parse_expression(default) if default else None,
        equal=eq if default and annotation else cst.MaybeSentinel.DEFAULT,
    )


def _param_names(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}
    if isinstance(params.star_arg, cst.Param):
        names.add(params.star_arg.name.value)
    if params.star_kwarg is not None:
        names.add(params.star_kwarg.name.value)
    return names


def _add_keyword_param(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """Add a parameter with a default where keyword parameters go (before ``**kwargs``)."""
    if param.name.value in _param_names(params):
        return params
    if isinstance(params.star_arg, cst.Param | cst.ParamStar):
        return params.with_changes(kwonly_params=[*params.kwonly_params, param])
    return params.with_changes(params=[*params.params, param])


def _class_bases(node: cst.ClassDef) -> list[str]:
    return [dotted(a.value) or "" for a in node.bases]


def _nonempty(stmts: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    return stmts or [cst.SimpleStatementLine([cst.Pass()])]


class _EmptyBlocks(cst.CSTTransformer):
    """Blocks left empty by removals get a ``pass``."""

    def leave_IndentedBlock(self, original, updated):
        if not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated


# -- what the module's classes are ------------------------------------------------------------------
@dataclass
class ClassFacts:
    """A class of the module being converted, as it stands after the naming rules."""

    node: cst.ClassDef | None
    bases: list[str]
    kind: str  # "layer", "model" or "other"
    attrs: dict[str, set[str]] = field(default_factory=dict)  # self.<attr> -> constructor names in its value
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)


def _constructors(node: cst.CSTNode) -> set[str]:
    """Names of everything called in an expression (``TFBertLayer``, ``Dropout`` for ``nn.Dropout``)."""
    found: set[str] = set()

    class _Visitor(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            name = dotted(call.func)
            if name:
                found.add(name.split(".")[-1])

    node.visit(_Visitor())
    return found


def module_classes(module: cst.Module, ctx: ConvertContext) -> dict[str, ClassFacts]:
    """Every class of the module (TF names), its kind and its sublayer attributes."""
    facts: dict[str, ClassFacts] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            info = ClassFacts(stmt, _class_bases(stmt), "other")
            for member in stmt.body.body:
                if isinstance(member, cst.FunctionDef):
                    info.methods[member.name.value] = member
            init = info.methods.get("__init__")
            if init is not None:
                for assign in _assignments(init):
                    for target in assign.targets:
                        if _is_self_attr(target.target):
                            attr = target.target.attr.value
                            info.attrs.setdefault(attr, set()).update(_constructors(assign.value))
            facts[stmt.name.value] = info
    for pt_name in ctx.reused:
        kind = "model" if ctx.derives_from(pt_name, "PreTrainedModel") else "layer"
        facts.setdefault(ctx.tf_name(pt_name), ClassFacts(None, [], kind))

    def kind_of(name: str, seen: frozenset[str]) -> str:
        info = facts.get(name)
        if info is None or name in seen:
            return "other"
        if info.node is None:
            return info.kind
        for base in info.bases:
            if base.endswith("PreTrainedModel") and base not in facts:
                return "model"
            if (
                base.endswith("layers.Layer")
                or base in ("Layer", "Module")
                or base.startswith(("nn.", "keras.layers."))
            ):
                return "layer"  # also subclasses of a concrete layer (nn.Embedding -> keras.layers.Embedding)
            inherited = kind_of(base, seen | {name})
            if inherited != "other":
                return inherited
        return "other"

    for name, info in facts.items():
        if info.node is not None:
            info.kind = kind_of(name, frozenset())
    return facts


def _assignments(node: cst.CSTNode) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class _Visitor(cst.CSTVisitor):
        def visit_Assign(self, assign: cst.Assign) -> None:
            found.append(assign)

    node.visit(_Visitor())
    return found


def _local_bases(name: str, facts: dict[str, ClassFacts]) -> list[str]:
    """The class and its local bases, nearest first."""
    out: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop(0)
        if current in out or current not in facts:
            continue
        out.append(current)
        todo.extend(facts[current].bases)
    return out


# ==================================================================================================
# 1. PyTorch-only switches
# ==================================================================================================
class _Fold(cst.CSTTransformer):
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


class _Substitute(cst.CSTTransformer):
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

    class _Visitor(cst.CSTVisitor):
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

    func.visit(_Visitor())
    params = _param_names(func.params)
    return {k: v for k, v in constants.items() if counts.get(k) == 1 and k not in params}


class _DropSwitchAssignments(cst.CSTTransformer):
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

    class _Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if _is_self_attr(target.target):
                    values.setdefault(target.target.attr.value, []).append(node.value)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if _is_self_attr(node.target):
                values.setdefault(node.target.attr.value, []).extend([node.value, node.value])

    cls.body.visit(_Visitor())
    found: dict[str, bool] = {}
    for attr, assigned in values.items():
        if len(assigned) != 1 or not any(
            n in cst.Module([]).code_for_node(assigned[0]) for n in T.ATTN_IMPLEMENTATION_ATTRIBUTES
        ):
            continue
        const = _name_const(assigned[0].visit(_Fold()))
        if const is not None:
            found[attr] = const
    return found


class _SubstituteSelf(cst.CSTTransformer):
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
        node = updated.visit(_DropSwitchAssignments())
        if self.switch_attrs and self.switch_attrs[-1] and updated.name.value != "__init__":
            node = node.visit(_SubstituteSelf(self.switch_attrs[-1]))
        for _ in range(5):
            node = node.visit(_Fold())
            constants = _constant_locals(node)
            if not constants:
                break
            node = node.visit(_Substitute(constants))
        return node.visit(_EmptyBlocks())


# ==================================================================================================
# 2. PreTrainedModel helpers called on self
# ==================================================================================================
class ModuleUtilsHelpers(Rule):
    """``self.get_extended_attention_mask(...)`` and friends are PreTrainedModel methods TF layers lack.

    They become module-level helpers of the generated file with the semantics of transformers'
    ``ModuleUtilsMixin`` (0 where attended, ``dtype.min`` where masked; the causal variant for
    decoders), ``self.dtype`` becomes the layer's compute dtype, and warning-only calls go.
    """

    name = "module-utils-helpers"
    summary = "self.get_extended_attention_mask / invert_attention_mask / get_head_mask -> module helpers."
    examples = (
        Example(
            before="""
class TFBertModel(TFBertPreTrainedModel):
    def forward(self, input_ids, attention_mask, input_shape, head_mask, encoder_attention_mask):
        self.warn_if_padding_and_no_attention_mask(input_ids, attention_mask)
        extended_attention_mask = self.get_extended_attention_mask(attention_mask, input_shape)
        encoder_extended_attention_mask = self.invert_attention_mask(encoder_attention_mask)
        head_mask = self.get_head_mask(head_mask, self.config.num_hidden_layers)
        mask = mask.to(dtype=self.dtype)
        expected_dtype = self.embeddings.patch_embeddings.projection.weight.dtype
        mask = mask.to(next(self.parameters()).dtype)
""",
            after="""
class TFBertModel(TFBertPreTrainedModel):
    def forward(self, input_ids, attention_mask, input_shape, head_mask, encoder_attention_mask):
        extended_attention_mask = get_extended_attention_mask(
            attention_mask, input_shape, is_decoder=self.config.is_decoder, dtype=tf.as_dtype(self.compute_dtype)
        )
        encoder_extended_attention_mask = invert_attention_mask(
            encoder_attention_mask, dtype=tf.as_dtype(self.compute_dtype)
        )
        head_mask = get_head_mask(
            head_mask, self.config.num_hidden_layers, dtype=tf.as_dtype(self.compute_dtype)
        )
        mask = mask.to(dtype=tf.as_dtype(self.compute_dtype))
        expected_dtype = tf.as_dtype(self.compute_dtype)
        mask = mask.to(tf.as_dtype(self.compute_dtype))
""",
        ),
        Example(
            before="""
causal_mask = self._update_causal_mask(attention_mask, inputs_embeds)
""",
            after="""
# TODO(tfscaffold): self._update_causal_mask: a PyTorch-only method (dropped): write its TF version
causal_mask = self._update_causal_mask(attention_mask, inputs_embeds)
""",
            note="a call of a method the cleanup rules dropped is never left silently undefined",
        ),
    )

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            func = small.value.func
            if _is_self_attr(func) and func.attr.value in T.WARNING_ONLY_SELF_CALLS:
                return cst.RemoveFromParent()
        return updated

    def leave_Attribute(self, original, updated):
        if _is_self_attr(updated, "dtype"):
            return cst.parse_expression(T.SELF_DTYPE)
        # ``self.embeddings.projection.weight.dtype``: a parameter's dtype is the module's dtype
        value = original.value
        if (
            original.attr.value == "dtype"
            and isinstance(value, cst.Attribute)
            and value.attr.value in T.PARAMETER_NAMES
            and (dotted(value) or "").startswith("self.")
        ):
            return cst.parse_expression(T.SELF_DTYPE)
        # ``next(self.parameters()).dtype``: the first parameter's dtype, the module's dtype again
        if (
            original.attr.value == "dtype"
            and isinstance(value, cst.Call)
            and dotted(value.func) == "next"
            and len(value.args) == 1
            and isinstance(value.args[0].value, cst.Call)
            and dotted(value.args[0].value.func) in ("self.parameters", "self.buffers")
        ):
            return cst.parse_expression(T.SELF_DTYPE)
        return updated

    def visit_Module(self, node: cst.Module) -> bool:
        self.defined = {
            member.name.value
            for stmt in node.body
            if isinstance(stmt, cst.ClassDef)
            for member in stmt.body.body
            if isinstance(member, cst.FunctionDef)
        }  # PyTorch-only methods the cleanup kept (tables.PT_ONLY_UNLESS_FREE_OF) convert like others
        return True

    def leave_Call(self, original, updated):
        func = updated.func
        if _is_self_attr(func) and func.attr.value in tables.PT_ONLY_METHODS and func.attr.value not in self.defined:
            self.todo(f"self.{func.attr.value}", "a PyTorch-only method (dropped): write its TF version")
            return updated
        if not (_is_self_attr(func) and func.attr.value in T.MODULE_UTILS_HELPERS):
            return updated
        method = func.attr.value
        helper, extras = T.MODULE_UTILS_HELPERS[method]
        positional = T.MODULE_UTILS_POSITIONAL[method]
        dropped = T.MODULE_UTILS_DROPPED_ARGUMENTS.get(method, ())
        args: list[cst.Arg] = []
        given: set[str] = set()
        for i, arg in enumerate(updated.args):
            name = arg.keyword.value if arg.keyword else (positional[i] if i < len(positional) else None)
            if name is None or arg.star:
                self.todo(f"self.{method}(...)", "unexpected arguments for the TF helper")
                return updated
            given.add(name)
            if name in dropped:
                continue
            if name == "dtype" and arg.keyword is None:
                arg = _kwarg("dtype", arg.value)
            args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        values = {"is_decoder": "self.config.is_decoder", "dtype": T.SELF_DTYPE}
        for extra in extras:
            key, template = extra.split("=", 1)
            if key not in given:
                args.append(_kwarg(key, cst.parse_expression(template.format(**values))))
        self.ctx.need_support(helper, T.HELPER_SOURCES[helper])
        call = cst.Call(func=cst.Name(helper))
        return _append_args(call, args)


# ==================================================================================================
# 3. MainLayer split and heads
# ==================================================================================================
class SplitMainLayer(Rule):
    """The base model's body moves into ``TF<X>MainLayer``; ``TF<X>Model`` only wraps it.

    The main layer is named after ``base_model_prefix`` in every model (``name="bert"``): that
    name is the first level of every PyTorch weight key (``bert.encoder.layer.0...``), so it is
    what lets ``from_pt=True`` find the weights. Heads build the main layer, not the model.
    """

    name = "split-main-layer"
    summary = "TF<X>Model -> TF<X>MainLayer (the body) + a thin TF<X>Model; heads hold the MainLayer."
    examples = (
        Example(
            before='''
@add_start_docstrings("The bare Bert Model.", BERT_START_DOCSTRING)
class TFBertModel(TFBertPreTrainedModel):
    """The model."""

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = TFBertEmbeddings(config)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        """Docs."""
        return self.embeddings(input_ids)


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = TFBertModel(config, add_pooling_layer=False)
''',
            after='''
@keras_serializable
class TFBertMainLayer(keras.layers.Layer):
    config_class = BertConfig

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.config = config
        self.embeddings = TFBertEmbeddings(config)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        return self.embeddings(input_ids)


@add_start_docstrings("The bare Bert Model.", BERT_START_DOCSTRING)
class TFBertModel(TFBertPreTrainedModel):
    """The model."""

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.bert = TFBertMainLayer(config, add_pooling_layer=add_pooling_layer, name="bert")

    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        """Docs."""
        outputs = self.bert(input_ids=input_ids, return_dict=return_dict)
        return outputs


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = TFBertMainLayer(config, add_pooling_layer=False, name="bert")
''',
        ),
    )

    def leave_Module(self, original, updated):
        ctx = self.ctx
        if ctx.base_model_class is None:
            return updated
        model_name = ctx.tf_name(ctx.base_model_class)
        body: list[cst.BaseStatement] = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == model_name:
                if not ctx.base_model_prefix:
                    body.append(_with_todo(stmt, model_name, "no base_model_prefix: the MainLayer has no name"))
                    self.ctx.todos.append(_todo(model_name, "no base_model_prefix: the MainLayer has no name"))
                    continue
                body.extend(self._split(stmt))
            elif isinstance(stmt, cst.ClassDef):
                body.append(stmt.visit(_HeadsHoldMainLayer(model_name, ctx.main_layer)))
            else:
                body.append(stmt)
        return updated.with_changes(body=body)

    def _split(self, node: cst.ClassDef) -> list[cst.ClassDef]:
        ctx = self.ctx
        prefix = ctx.base_model_prefix or ""
        members = list(node.body.body)
        functions = [m for m in members if isinstance(m, cst.FunctionDef)]
        others = [m for m in members if not isinstance(m, cst.FunctionDef)]
        init = next((f for f in functions if f.name.value == "__init__"), None)
        forward = next((f for f in functions if f.name.value in ("forward", "call")), None)

        layer_members: list[cst.BaseStatement] = [cst.parse_statement(f"config_class = {ctx.config_class}\n")]
        for func in functions:
            if func is init:
                func = _ensure_self_config(func)
            elif func is forward:
                decorators = [d for d in func.decorators if _decorator_name(d) not in T.DOCSTRING_DECORATORS]
                func_body = list(func.body.body)
                doc = _docstring_of(func_body)
                if doc is not None:
                    func_body = _nonempty(func_body[1:])
                func = func.with_changes(decorators=decorators, body=func.body.with_changes(body=func_body))
            layer_members.append(func)
        keras = ctx.keras
        main_layer = cst.ClassDef(
            name=cst.Name(ctx.main_layer),
            bases=[cst.Arg(cst.parse_expression(f"{keras}.layers.Layer"))],
            decorators=[cst.Decorator(cst.Name("keras_serializable"))],
            body=cst.IndentedBlock(body=layer_members),
            leading_lines=node.leading_lines,
        )

        model_members: list[cst.BaseStatement] = list(others)
        if init is not None:
            extra = [p for p in init.params.params[2:]]
            passed = ", ".join(f"{p.name.value}={p.name.value}" for p in extra)
            passed = f"{passed}, " if passed else ""
            config = init.params.params[1].name.value if len(init.params.params) > 1 else "config"
            new_body = [
                cst.parse_statement(f"super().__init__({config})\n"),
                cst.parse_statement(f'self.{prefix} = {ctx.main_layer}({config}, {passed}name="{prefix}")\n'),
            ]
            model_members.append(init.with_changes(body=init.body.with_changes(body=new_body)))
        if forward is not None:
            params = forward.params
            parts = [f"{p.name.value}={p.name.value}" for p in [*params.params[1:], *params.kwonly_params]]
            if isinstance(params.star_arg, cst.Param):
                parts.insert(0, f"*{params.star_arg.name.value}")
            if params.star_kwarg is not None:
                parts.append(f"**{params.star_kwarg.name.value}")
            doc = _docstring_of(list(forward.body.body))
            new_body = [doc] if doc is not None else []
            new_body.append(cst.parse_statement(f"outputs = self.{prefix}({', '.join(parts)})\n"))
            new_body.append(cst.parse_statement("return outputs\n"))
            model_members.append(forward.with_changes(body=forward.body.with_changes(body=new_body)))
        model = node.with_changes(
            body=node.body.with_changes(body=_nonempty(model_members)),
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
        )
        return [main_layer, model]


def _todo(unit: str, why: str):
    from scaffold.convert.rules.base import Todo

    return Todo(unit, unit, why)


def _with_todo(stmt: cst.ClassDef, unit: str, why: str) -> cst.ClassDef:
    from scaffold.convert.rules.base import add_comments

    return add_comments(stmt, [_todo(unit, why).marker()])  # type: ignore[return-value]


def _decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return (dotted(node) or "").split(".")[-1]


def _ensure_self_config(init: cst.FunctionDef) -> cst.FunctionDef:
    """A Keras layer has no ``self.config`` unless it sets it (PreTrainedModel did it for PyTorch)."""
    if any(_is_self_attr(t.target, "config") for a in _assignments(init) for t in a.targets):
        return init
    if len(init.params.params) < 2:
        return init
    config = init.params.params[1].name.value
    body = list(init.body.body)
    at = 0
    for i, stmt in enumerate(body):
        if "super()" in cst.Module(body=[]).code_for_node(stmt) and "__init__" in cst.Module(body=[]).code_for_node(
            stmt
        ):
            at = i + 1
            break
    body.insert(at, cst.parse_statement(f"self.config = {config}\n"))
    return init.with_changes(body=init.body.with_changes(body=body))


class _HeadsHoldMainLayer(cst.CSTTransformer):
    """``self.bert = TFBertModel(config, ...)`` -> ``self.bert = TFBertMainLayer(config, ..., name="bert")``."""

    def __init__(self, model_name: str, main_layer: str) -> None:
        super().__init__()
        self.model_name = model_name
        self.main_layer = main_layer

    def leave_Assign(self, original, updated):
        if len(updated.targets) != 1 or not _is_self_attr(updated.targets[0].target):
            return updated
        value = updated.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == self.model_name:
            attr = updated.targets[0].target.attr.value
            call = value.with_changes(func=cst.Name(self.main_layer))
            if not _has_keyword(call, "name"):
                call = _append_args(call, [_kwarg("name", cst.SimpleString(f'"{attr}"'))])
            return updated.with_changes(value=call)
        return updated


# ==================================================================================================
# 4. TF<X>PreTrainedModel
# ==================================================================================================
class PreTrainedModelMembers(Rule):
    """``TF<X>PreTrainedModel`` carries only what TFPreTrainedModel reads: config class, prefix, input name."""

    name = "pretrained-model-members"
    summary = "Keep config_class, base_model_prefix, main_input_name (and the docstring) on TF<X>PreTrainedModel."
    examples = (
        Example(
            before='''
class TFBertPreTrainedModel(TFPreTrainedModel):
    """Base."""

    config_class = BertConfig
    base_model_prefix = "bert"
    main_input_name = "input_ids"
    _supports_static_cache = False

    def _update_position_ids(self, x):
        return x
''',
            after='''
class TFBertPreTrainedModel(TFPreTrainedModel):
    """Base."""

    config_class = BertConfig
    base_model_prefix = "bert"
    main_input_name = "input_ids"
''',
            context=(("pretrained_class", "BertPreTrainedModel"),),
        ),
    )

    def leave_ClassDef(self, original, updated):
        if self.ctx.pretrained_class is None or updated.name.value != self.ctx.tf_name(self.ctx.pretrained_class):
            return updated
        body = list(updated.body.body)
        kept: list[cst.BaseStatement] = []
        doc = _docstring_of(body)
        if doc is not None:
            kept.append(doc)
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                target = stmt.body[0].targets[0].target
                if isinstance(target, cst.Name) and target.value in T.PRETRAINED_KEPT_ATTRIBUTES:
                    kept.append(stmt)
        return updated.with_changes(body=updated.body.with_changes(body=_nonempty(kept)))


# ==================================================================================================
# 5. __init__ signatures
# ==================================================================================================
class InitSignatures(Rule):
    """Keras layers take ``name=`` and friends through ``**kwargs``; TF models ``*inputs, **kwargs``."""

    name = "init-signatures"
    summary = "Layer __init__(..., **kwargs) + super().__init__(**kwargs); model __init__(config, *inputs, **kwargs)."
    examples = (
        Example(
            before="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config):
        super().__init__()


class TFBertSubLayer(TFBertOutput):
    def __init__(self, config, layer_idx=None):
        super().__init__(config)


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)


class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)


class TFBertPreTrainedModel(TFPreTrainedModel):
    pass
""",
            after="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)


class TFBertSubLayer(TFBertOutput):
    def __init__(self, config, layer_idx=None, **kwargs):
        super().__init__(config, **kwargs)


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config, add_pooling_layer=True, **kwargs):
        super().__init__(**kwargs)


class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)


class TFBertPreTrainedModel(TFPreTrainedModel):
    pass
""",
            note="keras.layers.Layer.__init__ takes keyword arguments only: a PreTrainedModel's super call loses config",
        ),
        Example(
            before="""
class TFBertForSequenceClassification(TFBertPreTrainedModel):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)


class TFBertPreTrainedModel(TFPreTrainedModel):
    pass
""",
            after="""
class TFBertForSequenceClassification(TFBertPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)


class TFBertPreTrainedModel(TFPreTrainedModel):
    pass
""",
            note="*inputs goes before an existing **kwargs (Python forbids *x after **y)",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        self.kinds: list[str] = []
        self.names: list[str] = []
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        info = self.facts.get(node.name.value)
        self.kinds.append(info.kind if info else "other")
        self.names.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        self.kinds.pop()
        self.names.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if not self.kinds or self.kinds[-1] == "other" or updated.name.value != "__init__":
            return updated
        params = updated.params
        star_args: list[str] = []
        if self.kinds[-1] == "model":
            if not isinstance(params.star_arg, cst.Param | cst.ParamStar):
                params = params.with_changes(star_arg=cst.Param(cst.Name("inputs"), star="*"))
            if isinstance(params.star_arg, cst.Param):
                star_args.append(f"*{params.star_arg.name.value}")
        if params.star_kwarg is None:
            params = params.with_changes(star_kwarg=cst.Param(cst.Name("kwargs"), star="**"))
        star_args.append(f"**{params.star_kwarg.name.value}")
        direct = self.facts.get(self.names[-1])
        keras_base = direct is not None and any(b.endswith("layers.Layer") for b in direct.bases)
        return updated.with_changes(params=params).visit(_PassKwargsToSuper(star_args, only_stars=keras_base))


class _PassKwargsToSuper(cst.CSTTransformer):
    def __init__(self, star_args: list[str], *, only_stars: bool = False) -> None:
        super().__init__()
        self.star_args = star_args
        self.only_stars = only_stars  # keras.layers.Layer.__init__ takes only keyword arguments

    def leave_Call(self, original, updated):
        func = updated.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"):
            return updated
        receiver = func.value
        if not (isinstance(receiver, cst.Call) and dotted(receiver.func) == "super"):
            return updated
        if self.only_stars:
            updated = updated.with_changes(args=[a for a in updated.args if a.star])
        present = {("*" * len(a.star)) + (dotted(a.value) or "") for a in updated.args if a.star}
        new = []
        for star in self.star_args:
            if star not in present and star.lstrip("*") not in {d.lstrip("*") for d in present}:
                stars = len(star) - len(star.lstrip("*"))
                new.append(cst.Arg(value=cst.Name(star.lstrip("*")), star="*" * stars))
        return _append_args(updated, new) if new else updated


# ==================================================================================================
# 6. forward -> call
# ==================================================================================================
class ForwardToCall(Rule):
    """Keras runs ``call``; ``forward`` of every layer and model is renamed, and so are explicit uses."""

    name = "forward-to-call"
    summary = "def forward -> def call in layers and models; self.forward / super().forward -> .call."
    examples = (
        Example(
            before="""
class TFBertPooler(keras.layers.Layer):
    def forward(self, hidden_states):
        return super().forward(hidden_states)


def forward(x):
    return x
""",
            after="""
class TFBertPooler(keras.layers.Layer):
    def call(self, hidden_states):
        return super().call(hidden_states)


def forward(x):
    return x
""",
            note="module-level functions keep their name",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        self.classes: list[str] = []
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        info = self.facts.get(node.name.value)
        self.classes.append(info.kind if info else "other")
        return True

    def leave_ClassDef(self, original, updated):
        self.classes.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if self.classes and self.classes[-1] != "other" and updated.name.value == "forward":
            return updated.with_changes(name=cst.Name("call"))
        return updated

    def leave_Attribute(self, original, updated):
        if not self.classes or self.classes[-1] == "other" or updated.attr.value != "forward":
            return updated
        value = updated.value
        if (isinstance(value, cst.Name) and value.value == "self") or (
            isinstance(value, cst.Call) and dotted(value.func) == "super"
        ):
            return updated.with_changes(attr=cst.Name("call"))
        return updated


# ==================================================================================================
# 7. apply_chunking_to_forward
# ==================================================================================================
class InlineChunking(Rule):
    """``apply_chunking_to_forward(fn, size, dim, *xs)`` computes ``fn(*xs)`` in chunks to save memory.

    The chunks give the same result as one call (the function is position-wise), and TF ports
    call the function directly.
    """

    name = "inline-chunking"
    summary = "apply_chunking_to_forward(self.f, chunk, dim, x) -> self.f(x)."
    examples = (
        Example(
            before="""
layer_output = apply_chunking_to_forward(
    self.feed_forward_chunk, self.chunk_size_feed_forward, self.seq_len_dim, attention_output
)
""",
            after="layer_output = self.feed_forward_chunk(attention_output)\n",
        ),
    )

    def leave_Call(self, original, updated):
        name = dotted(updated.func)
        if name is None or name.split(".")[-1] not in T.CHUNKING_FUNCTIONS:
            return updated
        skip = T.CHUNKING_FUNCTIONS[name.split(".")[-1]]
        if len(updated.args) <= skip or any(a.keyword for a in updated.args):
            self.todo(name, "unexpected arguments: call the chunked function directly")
            return updated
        args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in updated.args[skip:]]
        return _append_args(cst.Call(func=updated.args[0].value), args)


# ==================================================================================================
# 8. training
# ==================================================================================================
def _trains_attrs(info: ClassFacts, trains: set[str], facts: dict[str, ClassFacts], name: str) -> set[str]:
    out: set[str] = set()
    for cls in _local_bases(name, facts):
        for attr, ctors in facts[cls].attrs.items():
            if ctors & (trains | T.TRAINING_LAYERS):
                out.add(attr)
    return out


def _methods(name: str, facts: dict[str, ClassFacts]) -> dict[str, cst.FunctionDef]:
    out: dict[str, cst.FunctionDef] = {}
    for cls in reversed(_local_bases(name, facts)):
        out.update(facts[cls].methods)
    return out


def _loop_vars(func: cst.FunctionDef, attrs: set[str]) -> set[str]:
    """Local names bound to items of ``self.<attr>`` lists (``for layer in self.layer``)."""
    found: set[str] = set()

    def iter_attr(node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Subscript):
            node = node.value
        return _is_self_attr(node) and node.attr.value in attrs

    class _Visitor(cst.CSTVisitor):
        def visit_For(self, node: cst.For) -> None:
            it, target = node.iter, node.target
            if isinstance(it, cst.Call) and dotted(it.func) in ("enumerate", "zip"):
                if dotted(it.func) == "enumerate" and it.args and iter_attr(it.args[0].value):
                    if isinstance(target, cst.Tuple) and len(target.elements) == 2:
                        value = target.elements[1].value
                        if isinstance(value, cst.Name):
                            found.add(value.value)
                elif dotted(it.func) == "zip" and isinstance(target, cst.Tuple):
                    for arg, element in zip(it.args, target.elements, strict=False):
                        if iter_attr(arg.value) and isinstance(element.value, cst.Name):
                            found.add(element.value.value)
            elif iter_attr(it) and isinstance(target, cst.Name):
                found.add(target.value)

        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.Subscript) and iter_attr(node.value):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        found.add(target.target.value)

    func.visit(_Visitor())
    return found


def _calls_training(func: cst.FunctionDef, attrs: set[str], methods: set[str]) -> bool:
    loop_vars = _loop_vars(func, attrs)
    hit = False

    class _Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal hit
            if _is_self_attr(node, "training"):
                hit = True

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal hit
            if _training_callee(node.func, attrs, methods, loop_vars):
                hit = True

    func.visit(_Visitor())
    return hit


def _training_callee(func: cst.BaseExpression, attrs: set[str], methods: set[str], loop_vars: set[str]) -> bool:
    if isinstance(func, cst.Subscript):
        func = func.value
    if _is_self_attr(func):
        return func.attr.value in attrs or func.attr.value in methods
    return isinstance(func, cst.Name) and func.value in loop_vars


def training_plan(facts: dict[str, ClassFacts]) -> tuple[set[str], dict[str, tuple[set[str], set[str]]]]:
    """Classes whose ``call`` takes ``training``; per class, its training attributes and methods."""
    trains = {n for n, f in facts.items() if f.node is None or f.kind == "model"}
    plan: dict[str, tuple[set[str], set[str]]] = {}
    for _ in range(len(facts) + 2):
        changed = False
        for name, info in facts.items():
            if info.node is None or info.kind == "other":
                continue
            attrs = _trains_attrs(info, trains, facts, name)
            methods = _methods(name, facts)
            needing: set[str] = set()
            for _ in range(len(methods) + 1):
                before = len(needing)
                for mname, func in methods.items():
                    if mname not in ("__init__", "build") and mname not in needing:
                        if _calls_training(func, attrs, needing):
                            needing.add(mname)
                if len(needing) == before:
                    break
            if info.kind == "model" and "call" in methods:
                needing.add("call")
            plan[name] = (attrs, needing)
            if "call" in needing and name not in trains:
                trains.add(name)
                changed = True
        if not changed:
            break
    return trains, plan


class TrainingArgument(Rule):
    """``training`` replaces ``self.training``: a ``call`` argument, passed down to every sublayer that needs it.

    A layer needs it when it (or a sublayer, transitively, also through ``self.layer[i]`` and
    loops over layer lists) holds a Dropout; every public model ``call`` takes it. Keras ignores
    ``training`` for a layer whose ``call`` does not accept it, so passing it to a reused layer is
    always safe.
    """

    name = "training-argument"
    summary = "Add `training: bool = False` to calls that need it, pass training=training, self.training -> training."
    examples = (
        Example(
            before="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def call(self, hidden_states):
        return self.dropout(self.dense(hidden_states))


class TFBertLayer(keras.layers.Layer):
    def __init__(self, config):
        self.output = TFBertOutput(config)
        self.pooler = TFBertPooler(config)

    def call(self, hidden_states):
        hidden_states = self.pooler(hidden_states)
        return self.feed_forward_chunk(hidden_states)

    def feed_forward_chunk(self, x):
        return self.output(x)


class TFBertPooler(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)

    def call(self, hidden_states):
        return self.dense(hidden_states)


class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(2)])

    def call(self, hidden_states, **kwargs):
        for i, layer_module in enumerate(self.layer):
            hidden_states = layer_module(hidden_states)
        if self.training:
            hidden_states = self.layer[0](hidden_states)
        return hidden_states
""",
            after="""
class TFBertOutput(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def call(self, hidden_states, training: bool = False):
        return self.dropout(self.dense(hidden_states), training=training)


class TFBertLayer(keras.layers.Layer):
    def __init__(self, config):
        self.output = TFBertOutput(config)
        self.pooler = TFBertPooler(config)

    def call(self, hidden_states, training: bool = False):
        hidden_states = self.pooler(hidden_states)
        return self.feed_forward_chunk(hidden_states, training=training)

    def feed_forward_chunk(self, x, training: bool = False):
        return self.output(x, training=training)


class TFBertPooler(keras.layers.Layer):
    def __init__(self, config):
        self.dense = nn.Linear(3, 3)

    def call(self, hidden_states):
        return self.dense(hidden_states)


class TFBertEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(2)])

    def call(self, hidden_states, training: bool = False, **kwargs):
        for i, layer_module in enumerate(self.layer):
            hidden_states = layer_module(hidden_states, training=training)
        if training:
            hidden_states = self.layer[0](hidden_states, training=training)
        return hidden_states
""",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        _trains, self.plan = training_plan(self.facts)
        self.classes: list[str | None] = []
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        self.classes.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if not self.classes or self.classes[-1] not in self.plan:
            return updated
        if len(self.classes) > 1 or not updated.params.params or updated.params.params[0].name.value != "self":
            return updated
        attrs, needing = self.plan[self.classes[-1]]
        if updated.name.value not in needing:
            return updated
        loop_vars = _loop_vars(updated, attrs)
        func = updated.visit(_PassTraining(attrs, needing, loop_vars))
        return func.with_changes(params=_add_keyword_param(func.params, _param("training", "bool", "False")))


class _PassTraining(cst.CSTTransformer):
    def __init__(self, attrs: set[str], methods: set[str], loop_vars: set[str]) -> None:
        super().__init__()
        self.attrs, self.methods, self.loop_vars = attrs, methods, loop_vars

    def leave_Attribute(self, original, updated):
        if _is_self_attr(updated, "training"):
            return cst.Name("training")
        return updated

    def leave_Call(self, original, updated):
        if _training_callee(original.func, self.attrs, self.methods, self.loop_vars) and not _has_keyword(
            updated, "training"
        ):
            return _append_args(updated, [_kwarg("training", cst.Name("training"))])
        return updated


# ==================================================================================================
# 9. @unpack_inputs
# ==================================================================================================
class UnpackInputs(Rule):
    """TF models accept inputs as a dict or list in the first argument; ``@unpack_inputs`` sorts that out.

    It goes on every public model ``call`` and on the MainLayer's, outermost, as in transformers' TF ports.
    """

    name = "unpack-inputs"
    summary = "Decorate model and MainLayer `call`s with @unpack_inputs (outermost)."
    examples = (
        Example(
            before="""
class TFBertForMaskedLM(TFBertPreTrainedModel):
    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def call(self, input_ids=None):
        return input_ids


class TFBertPooler(keras.layers.Layer):
    def call(self, hidden_states):
        return hidden_states
""",
            after="""
class TFBertForMaskedLM(TFBertPreTrainedModel):
    @unpack_inputs
    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def call(self, input_ids=None):
        return input_ids


class TFBertPooler(keras.layers.Layer):
    def call(self, hidden_states):
        return hidden_states
""",
        ),
        Example(
            before="""
class TFSegformerModel(TFSegformerPreTrainedModel):
    def call(self, pixel_values, output_hidden_states=None):
        return pixel_values


class TFSegformerDecodeHead(TFSegformerPreTrainedModel):
    def call(self, encoder_hidden_states):
        return encoder_hidden_states
""",
            after="""
class TFSegformerModel(TFSegformerPreTrainedModel):
    @unpack_inputs
    def call(self, pixel_values, output_hidden_states=None):
        return pixel_values


class TFSegformerDecodeHead(TFSegformerPreTrainedModel):
    def call(self, encoder_hidden_states):
        return encoder_hidden_states
""",
            note="a model class whose first input the base model does not take is a component: no unpack_inputs",
            context=(
                ("base_model_class", "SegformerModel"),
                ("local_classes", {"SegformerModel", "SegformerDecodeHead", "SegformerPreTrainedModel"}),
                (
                    "class_bases",
                    {
                        "SegformerModel": ["SegformerPreTrainedModel"],
                        "SegformerDecodeHead": ["SegformerPreTrainedModel"],
                        "SegformerPreTrainedModel": ["PreTrainedModel"],
                    },
                ),
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        self.classes: list[str] = []
        base = self.ctx.tf_name(self.ctx.base_model_class) if self.ctx.base_model_class else None
        self.inputs = next(
            (
                _call_parameters(s)
                for s in node.body
                if isinstance(s, cst.ClassDef) and s.name.value in (base, self.ctx.base_model_class)
            ),
            None,
        )
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        self.classes.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if len(self.classes) != 1 or updated.name.value != "call":
            return updated
        info = self.facts.get(self.classes[-1])
        if info is None or not (info.kind == "model" or self.classes[-1] == self.ctx.main_layer):
            return updated
        if any(_decorator_name(d) == "unpack_inputs" for d in updated.decorators):
            return updated
        first = [p.name.value for p in updated.params.params if p.name.value != "self"][:1]
        if self.inputs and first and first[0] not in self.inputs:
            # a component another class calls with tensors it computed (SegFormer's decode head takes
            # the encoder's hidden states): unpack_inputs would read that tuple as a list of inputs
            return updated
        return updated.with_changes(decorators=[cst.Decorator(cst.Name("unpack_inputs")), *updated.decorators])


def _call_parameters(cls: cst.ClassDef) -> set[str]:
    """Parameter names of a class's ``call`` (or ``forward``)."""
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in ("call", "forward"):
            return {p.name.value for p in (*stmt.params.params, *stmt.params.kwonly_params)} - {"self"}
    return set()


class KeywordsFromKwargs(Rule):
    """Keys a model ``call`` reads from ``**kwargs`` become keyword parameters.

    ``@unpack_inputs`` passes a ``call`` only its declared parameters (the rest arrive packed
    as ``kwargs["kwargs"]``), so ``labels = kwargs.pop("next_sentence_label")`` (a deprecated
    alias PyTorch still reads) never sees the input. The key becomes a parameter (None by
    default, before ``training``), as the hand-written ports declare it, and its reads read it.
    """

    name = "keywords-from-kwargs"
    summary = 'kwargs.pop("x") / "x" in kwargs in an @unpack_inputs call -> a parameter x=None.'
    examples = (
        Example(
            before="""
class TFBertForNextSentencePrediction(TFBertPreTrainedModel):
    @unpack_inputs
    def call(self, input_ids=None, labels=None, training=False, **kwargs):
        if "next_sentence_label" in kwargs:
            labels = kwargs.pop("next_sentence_label")
        return labels
""",
            after="""
class TFBertForNextSentencePrediction(TFBertPreTrainedModel):
    @unpack_inputs
    def call(self, input_ids=None, labels=None, next_sentence_label=None, training=False, **kwargs):
        if next_sentence_label is not None:
            labels = next_sentence_label
        return labels
""",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        star = updated.params.star_kwarg
        if (
            updated.name.value != "call"
            or star is None
            or not any(_decorator_name(d) == "unpack_inputs" for d in updated.decorators)
        ):
            return updated
        kwargs = star.name.value
        declared = {p.name.value for p in (*updated.params.params, *updated.params.kwonly_params)}
        keys: list[str] = []

        def key_of(node: cst.BaseExpression) -> str | None:
            if isinstance(node, cst.SimpleString):
                value = node.evaluated_value
                if isinstance(value, str) and value.isidentifier() and value not in declared:
                    return value
            return None

        def is_kwargs(node: cst.BaseExpression) -> bool:
            return isinstance(node, cst.Name) and node.value == kwargs

        class Rewrite(cst.CSTTransformer):
            def leave_Comparison(self, original, updated):
                if len(updated.comparisons) == 1 and isinstance(updated.comparisons[0].operator, cst.In):
                    key = key_of(updated.left)
                    if key is not None and is_kwargs(updated.comparisons[0].comparator):
                        keys.append(key)
                        return cst.parse_expression(f"{key} is not None")
                return updated

            def leave_Call(self, original, updated):
                func = updated.func
                if (
                    isinstance(func, cst.Attribute)
                    and is_kwargs(func.value)
                    and func.attr.value in ("pop", "get")
                    and len(updated.args) == 1
                ):
                    key = key_of(updated.args[0].value)
                    if key is not None:
                        keys.append(key)
                        return cst.Name(key)
                return updated

            def leave_Subscript(self, original, updated):
                if is_kwargs(updated.value) and len(updated.slice) == 1:
                    index = updated.slice[0].slice
                    key = key_of(index.value) if isinstance(index, cst.Index) else None
                    if key is not None:
                        keys.append(key)
                        return cst.Name(key)
                return updated

        body = updated.body.visit(Rewrite())
        if not keys:
            return updated
        params = list(updated.params.params)
        at = next((i for i, p in enumerate(params) if p.name.value == "training"), len(params))
        new = [cst.Param(cst.Name(k), default=cst.Name("None")) for k in dict.fromkeys(keys)]
        params = params[:at] + new + params[at:]
        return updated.with_changes(body=body, params=updated.params.with_changes(params=params))


# ==================================================================================================
# 10. heads: losses
# ==================================================================================================
def _loss_entry(class_name: str) -> tuple[str, str, str] | None:
    for suffix, mixin, form in T.LOSS_MIXINS:
        if class_name.endswith(suffix):
            return suffix, mixin, form
    return None


def _strip_reshapes(node: cst.BaseExpression) -> cst.BaseExpression:
    """``logits.view(-1, n)`` / ``.squeeze()`` / ``.contiguous()`` -> ``logits`` (the mixin reshapes)."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("view", "reshape", "squeeze", "contiguous", "float", "long", "to", "flatten")
    ):
        node = node.func.value
    return node


@dataclass
class _LossCall:
    target: str | None
    logits: cst.BaseExpression
    labels: cst.BaseExpression
    module: str


class HeadLosses(Rule):
    """PyTorch heads compute losses with ``CrossEntropyLoss()``-style modules; TF heads use a loss mixin.

    The mixin (chosen by the head's class-name suffix, see ``LOSS_MIXINS``) joins the class bases
    and the block becomes ``self.hf_compute_loss(labels=..., logits=...)``; the mixin flattens,
    masks ``-100`` labels and picks regression or classification itself. Blocks that combine
    several losses, or heads without a TF mixin, keep their code with each ``CrossEntropyLoss``
    call made by the ``cross_entropy_loss`` support function (``-100`` masked, mean, shape
    ``(1,)`` as the mixins give); other loss modules there keep a TODO.
    """

    name = "head-losses"
    summary = "CrossEntropyLoss/MSELoss/... blocks and self.loss_function -> mixin + self.hf_compute_loss."
    examples = (
        Example(
            before="""
class TFBertForTokenClassification(TFBertPreTrainedModel):
    def call(self, input_ids=None, labels=None):
        logits = self.classifier(input_ids)
        loss = None
        if labels is not None:
            loss_fct = CrossEntropyLoss()
            loss = loss_fct(logits.view(-1, self.num_labels), labels.view(-1))
        return loss, logits


class TFBertForQuestionAnswering(TFBertPreTrainedModel):
    def call(self, start_positions=None, end_positions=None):
        total_loss = None
        if start_positions is not None and end_positions is not None:
            ignored_index = start_logits.size(1)
            start_positions = start_positions.clamp(0, ignored_index)
            loss_fct = CrossEntropyLoss(ignore_index=ignored_index)
            start_loss = loss_fct(start_logits, start_positions)
            end_loss = loss_fct(end_logits, end_positions)
            total_loss = (start_loss + end_loss) / 2
        return total_loss


class TFBertLMHeadModel(TFBertPreTrainedModel):
    def call(self, labels=None):
        lm_loss = None
        if labels is not None:
            shifted_prediction_scores = prediction_scores[:, :-1, :].contiguous()
            labels = labels[:, 1:].contiguous()
            loss_fct = CrossEntropyLoss()
            lm_loss = loss_fct(shifted_prediction_scores.view(-1, self.config.vocab_size), labels.view(-1))
        return lm_loss
""",
            after="""
class TFBertForTokenClassification(TFBertPreTrainedModel, TFTokenClassificationLoss):
    def call(self, input_ids=None, labels=None):
        logits = self.classifier(input_ids)
        loss = None
        if labels is not None:
            loss = self.hf_compute_loss(labels=labels, logits=logits)
        return loss, logits


class TFBertForQuestionAnswering(TFBertPreTrainedModel, TFQuestionAnsweringLoss):
    def call(self, start_positions=None, end_positions=None):
        total_loss = None
        if start_positions is not None and end_positions is not None:
            total_loss = self.hf_compute_loss(
                labels={"start_position": start_positions, "end_position": end_positions},
                logits=(start_logits, end_logits),
            )
        return total_loss


class TFBertLMHeadModel(TFBertPreTrainedModel, TFCausalLanguageModelingLoss):
    def call(self, labels=None):
        lm_loss = None
        if labels is not None:
            shifted_prediction_scores = prediction_scores[:, :-1, :].contiguous()
            labels = labels[:, 1:].contiguous()
            lm_loss = self.hf_compute_loss(labels=labels, logits=shifted_prediction_scores)
        return lm_loss
""",
        ),
        Example(
            before="""
class TFBertForPreTraining(TFBertPreTrainedModel):
    def call(self, labels=None, next_sentence_label=None):
        total_loss = None
        if labels is not None and next_sentence_label is not None:
            loss_fct = CrossEntropyLoss()
            masked_lm_loss = loss_fct(prediction_scores.view(-1, self.config.vocab_size), labels.view(-1))
            next_sentence_loss = loss_fct(seq_relationship_score.view(-1, 2), next_sentence_label.view(-1))
            total_loss = masked_lm_loss + next_sentence_loss
        return total_loss
""",
            after="""
class TFBertForPreTraining(TFBertPreTrainedModel):
    def call(self, labels=None, next_sentence_label=None):
        total_loss = None
        if labels is not None and next_sentence_label is not None:
            masked_lm_loss = cross_entropy_loss(prediction_scores.view(-1, self.config.vocab_size), labels.view(-1))
            next_sentence_loss = cross_entropy_loss(seq_relationship_score.view(-1, 2), next_sentence_label.view(-1))
            total_loss = masked_lm_loss + next_sentence_loss
        return total_loss
""",
            note="a head without a TF loss mixin keeps its loss code; CrossEntropyLoss becomes a support function",
        ),
        Example(
            before="""
class TFBertForPreTraining(TFBertPreTrainedModel):
    def call(self, labels=None, next_sentence_label=None):
        total_loss = None
        if labels is not None:
            loss_fct = CrossEntropyLoss(ignore_index=self.pad, reduction="sum")
            total_loss = loss_fct(prediction_scores, labels)
        return total_loss
""",
            after="""
class TFBertForPreTraining(TFBertPreTrainedModel):
    def call(self, labels=None, next_sentence_label=None):
        total_loss = None
        # TODO(tfscaffold): CrossEntropyLoss: TFBertForPreTraining has no TF loss mixin (LOSS_MIXINS): write its hf_compute_loss
        if labels is not None:
            loss_fct = CrossEntropyLoss(ignore_index=self.pad, reduction="sum")
            total_loss = loss_fct(prediction_scores, labels)
        return total_loss
""",
            note="a loss the support function does not compute (another reduction) keeps a TODO",
        ),
        Example(
            before="""
class TFLlamaForCausalLM(TFLlamaPreTrainedModel):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size)
        return loss
""",
            after="""
class TFLlamaForCausalLM(TFLlamaPreTrainedModel, TFCausalLanguageModelingLoss):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            loss = self.hf_compute_loss(labels=labels[:, 1:], logits=logits[:, :-1])
        return loss
""",
            note="transformers' loss_function shifts causal labels itself; the TF mixin does not",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.facts = module_classes(node, self.ctx)
        self.classes: list[str] = []
        self.mixins: dict[str, str] = {}
        self.preceding: list[cst.BaseStatement | None] = []
        self.loss_ifs: set[int] = set()  # the outermost ifs that compute a loss
        self.inside_loss = False
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        name = self.classes.pop()
        mixin = self.mixins.get(name)
        if mixin and mixin not in _class_bases(updated):
            bases = [*updated.bases]
            bases[-1] = bases[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            bases.append(cst.Arg(cst.Name(mixin)))
            return updated.with_changes(bases=bases)
        return updated

    def _head(self) -> str | None:
        if not self.classes:
            return None
        info = self.facts.get(self.classes[0])
        return self.classes[0] if info is not None and info.kind == "model" else None

    # the statement before an ``if`` names the loss variable (``total_loss = None``)
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self.preceding.append(None)
        return True

    def leave_IndentedBlock(self, original, updated):
        self.preceding.pop()
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if self.preceding:
            self.preceding[-1] = original
        return updated

    def visit_If(self, node: cst.If) -> bool:
        if self._head() is not None and not self.inside_loss and _loss_modules(node.body):
            self.loss_ifs.add(id(node))
            self.inside_loss = True
        return True

    def leave_If(self, original, updated):
        head = self._head()
        previous = self.preceding[-1] if self.preceding else None
        if self.preceding:
            self.preceding[-1] = original
        if id(original) not in self.loss_ifs or head is None:
            return updated
        self.inside_loss = False
        constructors = _loss_modules(updated.body)
        entry = _loss_entry(head)
        first = sorted(constructors.values())[0]
        if entry is None:
            own = self._own_cross_entropy(updated, constructors)
            if own is not None:
                return own
            self.todo(first, f"{head} has no TF loss mixin (LOSS_MIXINS): write its hf_compute_loss")
            return updated
        suffix, mixin, form = entry
        calls = _loss_calls(updated.body, set(constructors))
        if not calls:
            self.todo(first, "loss module built but never called as loss_fct(logits, labels)")
            return updated
        without = sorted({c.module for c in calls if c.module in T.LOSS_MODULES_WITHOUT_TF_MIXIN})
        kept_calls = [c for c in calls if c.module not in T.LOSS_MODULES_WITHOUT_TF_MIXIN]
        if not kept_calls:
            self.todo(without[0], T.LOSS_MODULES_WITHOUT_TF_MIXIN[without[0]])
            return updated
        code = self.code
        if form == "span":
            if len(kept_calls) != 2 or not _is_none_assignment(previous):
                self.todo(first, "a span loss other than start/end cross-entropy averaged")
                return updated
            target = previous.body[0].targets[0].target.value  # type: ignore[union-attr]
            start, end = kept_calls
            stmt = cst.parse_statement(
                f"{target} = self.hf_compute_loss("
                f'labels={{"start_position": {code(start.labels)}, "end_position": {code(end.labels)}}}, '
                f"logits=({code(start.logits)}, {code(end.logits)}))\n"
            )
            self.mixins[head] = mixin
            return updated.with_changes(body=updated.body.with_changes(body=[stmt]))
        pairs = {(c.target, code(c.logits), code(c.labels)) for c in kept_calls}
        if len(pairs) != 1 or kept_calls[0].target is None:
            own = self._own_cross_entropy(updated, constructors)
            if own is not None:
                return own
            self.todo(first, f"several losses combined: {mixin} computes one; write the combination")
            return updated
        target, logits, labels = pairs.pop()
        stmt = cst.parse_statement(f"{target} = self.hf_compute_loss(labels={labels}, logits={logits})\n")
        body = _replace_loss_statements(list(updated.body.body), set(constructors), stmt)
        self.mixins[head] = mixin
        if without:
            self.todo(without[0], T.LOSS_MODULES_WITHOUT_TF_MIXIN[without[0]])
        return updated.with_changes(body=updated.body.with_changes(body=_nonempty(body)))

    def _own_cross_entropy(self, block: cst.If, constructors: dict[str, str]) -> cst.If | None:
        """The head's own loss code, each ``CrossEntropyLoss(...)`` call a ``cross_entropy_loss`` call.

        For heads the TF mixins do not cover (two losses summed, a head without a mixin); None
        when the block uses another loss module or a keyword the function does not take.
        """
        if set(constructors.values()) != {"CrossEntropyLoss"}:
            return None
        keywords: dict[str, list[cst.Arg]] = {}
        for assign in _assignments(block.body):
            value = assign.value
            if isinstance(value, cst.Call) and (dotted(value.func) or "").split(".")[-1] == "CrossEntropyLoss":
                if any(a.keyword is None or a.keyword.value not in T.CROSS_ENTROPY_KEYWORDS for a in value.args):
                    return None
                for target in assign.targets:
                    if not isinstance(target.target, cst.Name):
                        return None
                    keywords[target.target.value] = list(value.args)
        code = self.code
        function = self.ctx.need_support(T.CROSS_ENTROPY_FUNCTION, T.CROSS_ENTROPY_SOURCE)

        class Rewrite(cst.CSTTransformer):
            def leave_SimpleStatementLine(self, original, updated):
                small = updated.body[0]
                if (
                    len(updated.body) == 1
                    and isinstance(small, cst.Assign)
                    and isinstance(small.value, cst.Call)
                    and (dotted(small.value.func) or "").split(".")[-1] == "CrossEntropyLoss"
                ):
                    return cst.RemoveFromParent()
                return updated

            def leave_Call(self, original, updated):
                if not (isinstance(updated.func, cst.Name) and updated.func.value in keywords):
                    return updated
                args = [code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in updated.args]
                args += [f"{a.keyword.value}={code(a.value)}" for a in keywords[updated.func.value]]
                return cst.parse_expression(f"{function}({', '.join(args)})")

        body = block.body.visit(Rewrite())
        return block.with_changes(body=body.with_changes(body=_nonempty(list(body.body))))

    def leave_Call(self, original, updated):
        head = self._head()
        if head is None or not _is_self_attr(updated.func, "loss_function"):
            return updated
        entry = _loss_entry(head)
        suffix = entry[0] if entry else None
        if entry is None or suffix not in T.LOSS_FUNCTION_PARAMETERS:
            self.todo("self.loss_function", f"{head} has no TF loss mixin (LOSS_MIXINS): write its hf_compute_loss")
            return updated
        names = T.LOSS_FUNCTION_PARAMETERS[suffix]
        args: dict[str, cst.BaseExpression] = {}
        for i, arg in enumerate(updated.args):
            if arg.star:
                continue
            if arg.keyword is not None:
                args[arg.keyword.value] = arg.value
            elif i < len(names):
                args[names[i]] = arg.value
        code = self.code
        if entry[2] == "span":
            needed = ("start_logits", "end_logits", "start_positions", "end_positions")
            if not all(n in args for n in needed):
                self.todo("self.loss_function", "arguments not understood")
                return updated
            text = (
                f'self.hf_compute_loss(labels={{"start_position": {code(args["start_positions"])}, '
                f'"end_position": {code(args["end_positions"])}}}, '
                f'logits=({code(args["start_logits"])}, {code(args["end_logits"])}))'
            )
        else:
            logits = next((args[n] for n in T.LOSS_FUNCTION_LOGITS if n in args), None)
            if logits is None or "labels" not in args:
                self.todo("self.loss_function", "arguments not understood")
                return updated
            labels_code, logits_code = code(args["labels"]), code(logits)
            if suffix in T.LOSS_FUNCTION_SHIFTS:
                labels_code, logits_code = f"{labels_code}[:, 1:]", f"{logits_code}[:, :-1]"
            text = f"self.hf_compute_loss(labels={labels_code}, logits={logits_code})"
        self.mixins[head] = entry[1]
        return cst.parse_expression(text)


def _is_none_assignment(stmt: cst.CSTNode | None) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Assign)
        and isinstance(stmt.body[0].targets[0].target, cst.Name)
        and isinstance(stmt.body[0].value, cst.Name)
        and stmt.body[0].value.value == "None"
    )


def _loss_modules(node: cst.CSTNode) -> dict[str, str]:
    """``loss_fct = CrossEntropyLoss()`` bindings in a block: variable -> loss module name."""
    found: dict[str, str] = {}
    for assign in _assignments(node):
        value = assign.value
        if isinstance(value, cst.Call):
            name = (dotted(value.func) or "").split(".")[-1]
            if name in T.LOSS_MODULES:
                for target in assign.targets:
                    if isinstance(target.target, cst.Name):
                        found[target.target.value] = name
    return found


def _loss_calls(node: cst.CSTNode, loss_vars: set[str]) -> list[_LossCall]:
    modules: dict[str, str] = {}  # the binding in effect, in source order
    calls: list[_LossCall] = []

    class _Visitor(cst.CSTVisitor):
        def visit_Assign(self, assign: cst.Assign) -> None:
            modules.update(_loss_modules(assign))
            value = assign.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in loss_vars:
                target = assign.targets[0].target
                positional = [a.value for a in value.args if a.keyword is None]
                if len(positional) >= 2:
                    calls.append(
                        _LossCall(
                            target.value if isinstance(target, cst.Name) else None,
                            _strip_reshapes(positional[0]),
                            _strip_reshapes(positional[1]),
                            modules.get(value.func.value, ""),
                        )
                    )

    node.visit(_Visitor())
    return calls


def _replace_loss_statements(
    body: list[cst.BaseStatement], loss_vars: set[str], replacement: cst.BaseStatement
) -> list[cst.BaseStatement]:
    """Drop loss module bindings and problem_type dispatch; the first loss computation becomes ``replacement``."""
    out: list[cst.BaseStatement] = []
    placed = False
    for stmt in body:
        text = cst.Module(body=[]).code_for_node(stmt)
        binds_loss = bool(_loss_modules(stmt)) and isinstance(stmt, cst.SimpleStatementLine)
        computes = any(f"{v}(" in text for v in loss_vars)
        if binds_loss and not computes:
            continue
        if computes or "problem_type" in text:
            if computes and not placed:
                out.append(replacement.with_changes(leading_lines=stmt.leading_lines))
                placed = True
            continue
        out.append(stmt)
    if not placed:
        out.append(replacement)
    return out


_EOS_DUMMY_INPUTS = """
@property
def dummy_inputs(self):
    \"\"\"The default dummy inputs, each sequence ending with the end-of-sequence token ``call`` pools at.\"\"\"
    dummies = super().dummy_inputs
    ids = dummies["input_ids"]
    eos = tf.fill([shape_list(ids)[0], 1], tf.cast(self.config.eos_token_id, ids.dtype))
    dummies["input_ids"] = tf.concat([ids[:, :-1], eos], axis=1)
    return dummies
"""


def _compares_with_eos(function: cst.FunctionDef) -> bool:
    """Whether ``function`` compares ``input_ids`` with ``self.config.eos_token_id`` (``input_ids.eq(...)``, ``==``)."""
    found = False

    class Visitor(cst.CSTVisitor):
        def _check(self, parts: list[cst.BaseExpression]) -> None:
            nonlocal found
            names = {dotted(p) for p in parts}
            if "input_ids" in names and "self.config.eos_token_id" in names:
                found = True

        def visit_Comparison(self, node: cst.Comparison) -> None:
            self._check([node.left, *(c.comparator for c in node.comparisons)])

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "eq" and node.args:
                self._check([func.value, node.args[0].value])

    function.visit(Visitor())
    return found


class EndOfSequenceDummyInputs(Rule):
    """A model whose call pools at the end-of-sequence token gets dummy inputs that contain one.

    Keras builds a model by calling it on ``dummy_inputs`` (all ones); a head that picks the
    hidden state at each ``eos_token_id`` (sequence classification) finds none there and fails,
    as PyTorch would on such inputs. The dummy sequences end with the token instead.
    """

    name = "eos-dummy-inputs"
    summary = "a call comparing input_ids with config.eos_token_id -> dummy_inputs ending with that token."
    examples = (
        Example(
            before="""
class TFBartForSequenceClassification(TFBartPreTrainedModel):
    def call(self, input_ids=None):
        eos_mask = input_ids.eq(self.config.eos_token_id)
        return eos_mask


class TFBartModel(TFBartPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
            after="""
class TFBartForSequenceClassification(TFBartPreTrainedModel):
    def call(self, input_ids=None):
        eos_mask = input_ids.eq(self.config.eos_token_id)
        return eos_mask

    @property
    def dummy_inputs(self):
        \"\"\"The default dummy inputs, each sequence ending with the end-of-sequence token ``call`` pools at.\"\"\"
        dummies = super().dummy_inputs
        ids = dummies["input_ids"]
        eos = tf.fill([shape_list(ids)[0], 1], tf.cast(self.config.eos_token_id, ids.dtype))
        dummies["input_ids"] = tf.concat([ids[:, :-1], eos], axis=1)
        return dummies


class TFBartModel(TFBartPreTrainedModel):
    def call(self, input_ids=None):
        return input_ids
""",
            context=(
                ("local_classes", {"BartForSequenceClassification", "BartModel", "BartPreTrainedModel"}),
                (
                    "class_bases",
                    {
                        "BartForSequenceClassification": ["BartPreTrainedModel"],
                        "BartModel": ["BartPreTrainedModel"],
                        "BartPreTrainedModel": ["PreTrainedModel"],
                    },
                ),
            ),
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        pt = [n for n in self.ctx.local_classes if self.ctx.tf_name(n) == updated.name.value]
        if not any(self.ctx.derives_from(n, "PreTrainedModel") for n in pt):
            return updated
        methods = {m.name.value: m for m in updated.body.body if isinstance(m, cst.FunctionDef)}
        call = methods.get("call") or methods.get("forward")
        if call is None or "dummy_inputs" in methods or not _compares_with_eos(call):
            return updated
        prop = cst.parse_statement(_EOS_DUMMY_INPUTS.lstrip()).with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, prop]))


class ScalarLosses(Rule):
    """A loss the call computes itself, when a scalar, is returned with shape (1,).

    TF ports return a loss per example, or one of shape (1,) (the loss mixins do; the mixin's
    ``test_loss_computation`` accepts nothing else). PyTorch returns a scalar. A loss that goes
    through ``self.hf_compute_loss`` is already shaped; one computed in the call (a masked
    reconstruction loss, a contrastive loss) is reshaped before it is returned, only when it is
    a scalar, so a per-example loss keeps its shape.
    """

    name = "scalar-losses"
    summary = "masked_im_loss = tf.reduce_sum(...) / n -> reshaped to (1,) before it is returned."
    examples = (
        Example(
            before="""
class TFViTForMaskedImageModeling(TFViTPreTrainedModel):
    def call(self, pixel_values, labels=None, return_dict=None):
        masked_im_loss = None
        if labels is not None:
            masked_im_loss = tf.reduce_sum(loss * mask) / tf.reduce_sum(mask)
        if not return_dict:
            output = (reconstructed,)
            return ((masked_im_loss,) + output) if masked_im_loss is not None else output
        return TFMaskedImageModelingOutput(loss=masked_im_loss, reconstruction=reconstructed)


class TFViTForImageClassification(TFViTPreTrainedModel):
    def call(self, pixel_values, labels=None):
        loss = None if labels is None else self.hf_compute_loss(labels=labels, logits=logits)
        return TFImageClassifierOutput(loss=loss, logits=logits)
""",
            after="""
class TFViTForMaskedImageModeling(TFViTPreTrainedModel):
    def call(self, pixel_values, labels=None, return_dict=None):
        masked_im_loss = None
        if labels is not None:
            masked_im_loss = tf.reduce_sum(loss * mask) / tf.reduce_sum(mask)
        if masked_im_loss is not None and masked_im_loss.shape.rank == 0:
            masked_im_loss = tf.reshape(masked_im_loss, (1,))
        if not return_dict:
            output = (reconstructed,)
            return ((masked_im_loss,) + output) if masked_im_loss is not None else output
        return TFMaskedImageModelingOutput(loss=masked_im_loss, reconstruction=reconstructed)


class TFViTForImageClassification(TFViTPreTrainedModel):
    def call(self, pixel_values, labels=None):
        loss = None if labels is None else self.hf_compute_loss(labels=labels, logits=logits)
        return TFImageClassifierOutput(loss=loss, logits=logits)
""",
        ),
    )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != "call" or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        loss = self._returned_loss(updated)
        if loss is None or not self._computed_here(updated, loss):
            return updated
        body = list(updated.body.body)
        # before the first top-level statement that returns the loss
        at = next((i for i, stmt in enumerate(body) if self._returns(stmt) and loss in names_in(stmt)), None)
        if at is None:
            return updated
        reshape = cst.parse_statement(
            f"if {loss} is not None and {loss}.shape.rank == 0:\n    {loss} = tf.reshape({loss}, (1,))\n"
        )
        body.insert(at, reshape)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    @staticmethod
    def _returns(stmt: cst.BaseStatement) -> bool:
        found = []

        class Visitor(cst.CSTVisitor):
            def visit_Return(self, node: cst.Return) -> None:
                found.append(node)

        stmt.visit(Visitor())
        return bool(found)

    @staticmethod
    def _returned_loss(function: cst.FunctionDef) -> str | None:
        """The name passed as ``loss=`` to the output class the call returns."""
        found: list[str] = []

        class Visitor(cst.CSTVisitor):
            def visit_Return(self, node: cst.Return) -> None:
                if isinstance(node.value, cst.Call):
                    for arg in node.value.args:
                        if arg.keyword and arg.keyword.value == "loss" and isinstance(arg.value, cst.Name):
                            found.append(arg.value.value)

        function.visit(Visitor())
        return found[0] if len(set(found)) == 1 else None

    @staticmethod
    def _computed_here(function: cst.FunctionDef, loss: str) -> bool:
        """Assigned something other than None or a mixin's ``hf_compute_loss`` (already shaped)."""
        computed = []

        class Visitor(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                if not any(isinstance(t.target, cst.Name) and t.target.value == loss for t in node.targets):
                    return
                code = cst.Module([]).code_for_node(node.value)
                if code != "None" and "hf_compute_loss" not in code:
                    computed.append(code)

        function.visit(Visitor())
        return bool(computed)


RULES: list[type[Rule]] = [
    FoldPyTorchSwitches,
    ModuleUtilsHelpers,
    SplitMainLayer,
    PreTrainedModelMembers,
    InitSignatures,
    ForwardToCall,
    InlineChunking,
    TrainingArgument,
    UnpackInputs,
    KeywordsFromKwargs,
    HeadLosses,
    EndOfSequenceDummyInputs,
]
AFTER_OPS: list[type[Rule]] = [ScalarLosses]
