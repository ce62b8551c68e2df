"""Heads: the losses they compute (TF loss mixins or the call's own), and end-of-sequence dummy inputs."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule, dotted, names_in
from scaffold.convert.rules.model.common import _assignments, _class_bases, _is_self_attr, _nonempty, module_classes
from scaffold.cstwalk import walk


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
    ``(1,)`` as the mixins give), ``BCEWithLogitsLoss`` and ``MSELoss`` calls likewise
    (``OWN_LOSSES``); other loss modules there keep a TODO.
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
class TFElectraForPreTraining(TFElectraPreTrainedModel):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            loss_fct = nn.BCEWithLogitsLoss()
            loss = loss_fct(logits.view(-1), labels.float())
        return loss
""",
            after="""
class TFElectraForPreTraining(TFElectraPreTrainedModel):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            loss = bce_with_logits_loss(logits.view(-1), labels.float())
        return loss
""",
            note="BCEWithLogitsLoss and MSELoss in a head's own loss code: support functions too",
        ),
        Example(
            before="""
class TFDebertaForPreTraining(TFDebertaPreTrainedModel):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss_fct = nn.MSELoss()
                loss = loss_fct(logits.view(-1), labels.view(-1))
            else:
                loss_fct = CrossEntropyLoss()
                loss = loss_fct(logits, labels)
        return loss
""",
            after="""
class TFDebertaForPreTraining(TFDebertaPreTrainedModel):
    def call(self, labels=None):
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss = mse_loss(logits.view(-1), labels.view(-1))
            else:
                loss = cross_entropy_loss(logits, labels)
        return loss
""",
            note="one name, two loss modules: each call takes the module assigned last before it",
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
        if labels is not None:
            total_loss = cross_entropy_loss(prediction_scores, labels, ignore_index=self.pad, reduction="sum")
        return total_loss
""",
            note="the support functions take the modules' reduction; a keyword they do not take keeps a TODO",
        ),
        Example(
            before="""
class TFBertForSemanticSegmentation(TFBertPreTrainedModel):
    def compute_loss(self, logits, auxiliary_logits, labels):
        loss_fct = CrossEntropyLoss(ignore_index=self.config.semantic_loss_ignore_index)
        loss = loss_fct(logits, labels)
        if auxiliary_logits is not None:
            loss += self.config.auxiliary_loss_weight * loss_fct(auxiliary_logits, labels)
        return loss
""",
            after="""
class TFBertForSemanticSegmentation(TFBertPreTrainedModel):
    def compute_loss(self, logits, auxiliary_logits, labels):
        loss = cross_entropy_loss(logits, labels, ignore_index=self.config.semantic_loss_ignore_index)
        if auxiliary_logits is not None:
            loss += self.config.auxiliary_loss_weight * cross_entropy_loss(
                auxiliary_logits, labels, ignore_index=self.config.semantic_loss_ignore_index
            )
        return loss
""",
            note="a head's helper method that computes the loss: its own code, as a block of call() without a mixin",
            context=(("local_classes", {"BertForSemanticSegmentation"}),),
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
            own = self._own_losses(updated, constructors)
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
            own = self._own_losses(updated, constructors)
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

    def _own_losses(self, block: cst.If, constructors: dict[str, str]) -> cst.If | None:
        """The head's own loss code, each loss module's call a support function (``OWN_LOSSES``).

        For heads the TF mixins do not cover (two losses summed, a head without a mixin); None
        when the block uses a loss module the table lacks or a keyword its function does not take.
        """
        if not set(constructors.values()) <= set(T.OWN_LOSSES):
            return None
        made: dict[int, tuple[str, list[cst.Arg]]] = {}  # id(assignment) -> (function, module keywords)
        for assign in _assignments(block.body):
            value = assign.value
            module = (dotted(value.func) or "").split(".")[-1] if isinstance(value, cst.Call) else ""
            if module in T.OWN_LOSSES:
                function, source, allowed = T.OWN_LOSSES[module]
                if any(a.keyword is None or a.keyword.value not in allowed for a in value.args):
                    return None
                if not all(isinstance(target.target, cst.Name) for target in assign.targets):
                    return None
                made[id(assign)] = (self.ctx.need_support(function, source), list(value.args))
        code = self.code

        class Rewrite(HookTransformer):
            # a name may hold one loss module here and another there (MSELoss, then CrossEntropyLoss):
            # each call uses the module last assigned before it, in source order
            def __init__(self) -> None:
                super().__init__()
                self.current: dict[str, tuple[str, list[cst.Arg]]] = {}

            def visit_Assign(self, node):
                if id(node) in made:
                    for target in node.targets:
                        self.current[target.target.value] = made[id(node)]

            def leave_SimpleStatementLine(self, original, updated):
                small = updated.body[0]
                if (
                    len(updated.body) == 1
                    and isinstance(small, cst.Assign)
                    and isinstance(small.value, cst.Call)
                    and (dotted(small.value.func) or "").split(".")[-1] in T.OWN_LOSSES
                ):
                    return cst.RemoveFromParent()
                return updated

            def leave_Call(self, original, updated):
                if not (isinstance(updated.func, cst.Name) and updated.func.value in self.current):
                    return updated
                function, keywords = self.current[updated.func.value]
                args = [code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in updated.args]
                args += [f"{a.keyword.value}={code(a.value)}" for a in keywords]
                return cst.parse_expression(f"{function}({', '.join(args)})")

        body = walk(block.body, Rewrite())
        return block.with_changes(body=body.with_changes(body=_nonempty(list(body.body))))

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        """A head's helper method that computes its loss (``compute_loss(logits, auxiliary_logits, labels)``):
        its own loss code, each loss module's call a support function, as in a block of ``call``."""
        if self._head() is None or updated.name.value in ("call", "forward"):
            return updated
        constructors = _loss_modules(updated.body)
        if not constructors:
            return updated
        own = self._own_losses(updated, constructors)  # type: ignore[arg-type]
        return own if own is not None else updated  # type: ignore[return-value]

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
                f"logits=({code(args['start_logits'])}, {code(args['end_logits'])}))"
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

    class _Visitor(HookVisitor):
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

    walk(node, _Visitor())
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

    class Visitor(HookVisitor):
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

    walk(function, Visitor())
    return found


class EndOfSequenceDummyInputs(Rule):
    """A model whose call pools at the end-of-sequence token gets dummy inputs that contain one.

    Keras builds a model by calling it on ``dummy_inputs`` (all ones); a head that picks the
    hidden state at each ``eos_token_id`` (sequence classification) finds none there and fails,
    as PyTorch would on such inputs. The dummy sequences end with the token instead.
    """

    name = "eos-dummy-inputs"
    phase = "model-inputs"
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
    phase = "ops-methods"
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

        class Visitor(HookVisitor):
            def visit_Return(self, node: cst.Return) -> None:
                found.append(node)

        walk(stmt, Visitor())
        return bool(found)

    @staticmethod
    def _returned_loss(function: cst.FunctionDef) -> str | None:
        """The name passed as ``loss=`` to the output class the call returns."""
        found: list[str] = []

        class Visitor(HookVisitor):
            def visit_Return(self, node: cst.Return) -> None:
                if isinstance(node.value, cst.Call):
                    for arg in node.value.args:
                        if arg.keyword and arg.keyword.value == "loss" and isinstance(arg.value, cst.Name):
                            found.append(arg.value.value)

        walk(function, Visitor())
        return found[0] if len(set(found)) == 1 else None

    @staticmethod
    def _computed_here(function: cst.FunctionDef, loss: str) -> bool:
        """Assigned something other than None or a mixin's ``hf_compute_loss`` (already shaped)."""
        computed = []

        class Visitor(HookVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                if not any(isinstance(t.target, cst.Name) and t.target.value == loss for t in node.targets):
                    return
                code = cst.Module([]).code_for_node(node.value)
                if code != "None" and "hf_compute_loss" not in code:
                    computed.append(code)

        walk(function, Visitor())
        return bool(computed)
