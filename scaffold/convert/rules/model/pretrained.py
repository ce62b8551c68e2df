"""PreTrainedModel helpers called on ``self``, and the members of ``TF<X>PreTrainedModel``."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables
from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted
from scaffold.convert.rules.model.common import _append_args, _docstring_of, _is_self_attr, _kwarg, _nonempty
from scaffold.cstwalk import walk


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

    # a warning-only call, a ``.dtype`` read, a module-utils or PyTorch-only method: each names what it acts on
    name_gated = frozenset({"SimpleStatementLine", "Attribute", "Call"})

    def names_reacted_to(self) -> Iterable[str]:
        return {*T.WARNING_ONLY_SELF_CALLS, "dtype", *tables.PT_ONLY_METHODS, *T.MODULE_UTILS_HELPERS}

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


class PreTrainedModelMembers(Rule):
    """``TF<X>PreTrainedModel`` carries what TFPreTrainedModel reads (config class, prefix, input name) and the
    methods the module's classes call on themselves (T5's ``_shift_right``); weight initialisation and
    the other PyTorch-only members go."""

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

    def _shift_right(self, input_ids):
        return input_ids

    def _init_weights(self, module):
        self._init_weights(module.child)


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def call(self, labels):
        return self._shift_right(labels)
''',
            after='''
class TFBertPreTrainedModel(TFPreTrainedModel):
    """Base."""

    config_class = BertConfig
    base_model_prefix = "bert"
    main_input_name = "input_ids"

    def _shift_right(self, input_ids):
        return input_ids


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def call(self, labels):
        return self._shift_right(labels)
''',
            context=(("pretrained_class", "BertPreTrainedModel"),),
        ),
        Example(
            before="""
class TFLlamaPreTrainedModel(TFPreTrainedModel):
    config: LlamaConfig
    base_model_prefix = "model"
    _can_record_outputs = {"attentions": LlamaAttention}
""",
            after="""
class TFLlamaPreTrainedModel(TFPreTrainedModel):
    config_class = LlamaConfig
    base_model_prefix = "model"
""",
            note="newer trees (4.53+) annotate the config class",
            context=(("pretrained_class", "LlamaPreTrainedModel"),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        # methods the module's classes call on themselves (``self._shift_right(labels)`` in a head)
        called: set[str] = set()

        class Calls(HookVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                func = call.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
                    called.add(func.attr.value)

        walk(node, Calls())
        self.called = called - T.PRETRAINED_DROPPED_METHODS
        return True

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
            elif _config_annotation(stmt) is not None and not _assigns(body, "config_class"):
                # newer trees declare the config class as an annotation, ``config: LlamaConfig``; the TF
                # base reads ``config_class`` (from_pretrained builds the config from it)
                annotation = self.code(_config_annotation(stmt))
                kept.append(stmt.with_changes(body=[cst.parse_statement(f"config_class = {annotation}\n").body[0]]))
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in self.called:
                kept.append(stmt)  # a computation the models call: converted with the rest
        return updated.with_changes(body=updated.body.with_changes(body=_nonempty(kept)))


def _config_annotation(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    """The class of ``config: XConfig`` (an annotation without a value), None for any other statement."""
    if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.AnnAssign):
        found = stmt.body[0]
        if found.value is None and isinstance(found.target, cst.Name) and found.target.value == "config":
            return found.annotation.annotation
    return None


def _assigns(body: list[cst.BaseStatement], name: str) -> bool:
    return any(
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Assign)
        and isinstance(stmt.body[0].targets[0].target, cst.Name)
        and stmt.body[0].targets[0].target.value == name
        for stmt in body
    )
