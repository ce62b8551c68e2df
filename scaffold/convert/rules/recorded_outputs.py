"""Hidden states and attentions that newer trees record with hooks, written out as older trees wrote them.

transformers 4.54+ collects ``hidden_states`` and ``attentions`` with ``@check_model_inputs``: it reads
``output_attentions``/``output_hidden_states``/``return_dict`` from ``**kwargs``, patches the
``forward`` of the classes the pretrained class names in ``_can_record_outputs`` (the decoder layer for
hidden states, the attention for attentions) to record what they return, and puts the records in the
output. Heads take the same flags through ``@can_return_tuple``. Keras has no such hooks, and a TF
port's ``call`` takes the three flags by name (``unpack_inputs`` reads them), so before any other rule
looks at the module the PyTorch code is written the way 4.46 wrote it and the rest of the converter
knows: the flags as arguments, the records gathered around the layer loop, the attention weights
returned by the decoder layer when asked for, the output made a tuple when ``return_dict`` is False.
What does not have that shape is marked, never guessed.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, Rule, class_attribute, dotted, init_assignments
from scaffold.cstwalk import walk

FLAGS = ("output_attentions", "output_hidden_states", "return_dict")
RECORDING = "check_model_inputs"
TUPLE_ON_REQUEST = "can_return_tuple"
WEIGHTS = "self_attn_weights"  # the decoder layer's name for the attention weights it hands on

_RESOLVE = {
    "output_attentions": "output_attentions = output_attentions if output_attentions is not None"
    " else self.config.output_attentions\n",
    "output_hidden_states": "output_hidden_states = output_hidden_states if output_hidden_states is not None"
    " else self.config.output_hidden_states\n",
    "return_dict": "return_dict = return_dict if return_dict is not None else self.config.use_return_dict\n",
    "use_cache": "use_cache = use_cache if use_cache is not None else self.config.use_cache\n",
}


def _decorator_name(decorator: cst.Decorator) -> str | None:
    name = dotted(decorator.decorator)
    return name.split(".")[-1] if name else None


def _recorded_classes(module: cst.Module) -> tuple[dict[str, str], list[str]]:
    """``_can_record_outputs`` of the module's classes: record key -> class name; and the entries that are not a
    class name (``OutputRecorder(...)``, lists), as source."""
    found: dict[str, str] = {}
    other: list[str] = []
    for cls in module.body:
        value = class_attribute(cls, "_can_record_outputs") if isinstance(cls, cst.ClassDef) else None
        if value is None:
            continue
        if not isinstance(value, cst.Dict):
            other.append(cst.Module(body=[]).code_for_node(value))
            continue
        for element in value.elements:
            key = element.key if isinstance(element, cst.DictElement) else None
            if isinstance(key, cst.SimpleString) and isinstance(element.value, cst.Name):
                found[str(key.evaluated_value)] = element.value.value
            else:
                other.append(cst.Module(body=[]).code_for_node(element.with_changes(comma=cst.MaybeSentinel.DEFAULT)))
    return found, other


def _flag_params(params: cst.Parameters, names: tuple[str, ...], default: str) -> cst.Parameters:
    """The parameters with ``name: Optional[bool] = default`` for each missing flag, before ``**kwargs``."""
    have = {p.name.value for p in (*params.params, *params.kwonly_params)}
    added = [
        cst.Param(
            name=cst.Name(name),
            annotation=cst.Annotation(cst.parse_expression("Optional[bool]")),
            default=cst.parse_expression(default),
        )
        for name in names
        if name not in have
    ]
    if not added:
        return params
    if params.kwonly_params or isinstance(params.star_arg, cst.Param):
        return params.with_changes(kwonly_params=[*params.kwonly_params, *added])
    return params.with_changes(params=[*params.params, *added])


def _after_docstring(body: list[cst.BaseStatement]) -> int:
    first = body[0] if body else None
    if (
        isinstance(first, cst.SimpleStatementLine)
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return 1
    return 0


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _with_keywords(call: cst.Call, pairs: list[tuple[str, str]]) -> cst.Call:
    """The call with ``name=value`` for each pair it lacks, before a ``**kwargs`` argument if it has one."""
    args = list(call.args)
    at = next((i for i, a in enumerate(args) if a.star == "**"), len(args))
    new = [
        cst.Arg(
            keyword=cst.Name(name),
            value=cst.parse_expression(value),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            ),
        )
        for name, value in pairs
        if _keyword(call, name) is None
    ]
    return call.with_changes(args=[*args[:at], *new, *args[at:]])


def _returned_output(stmt: cst.CSTNode) -> cst.Call | None:
    """The output constructor a ``return Output(...)`` statement returns (a call of a capitalised name)."""
    if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Return):
        value = stmt.body[0].value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value[:1].isupper():
            return value
    return None


def _tuple_on_request(call: cst.Call) -> list[cst.BaseStatement]:
    """``return Output(...)`` -> the output, made a tuple when ``return_dict`` is False (as the decorators did)."""
    return [
        cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name("output"))], call)]),
        cst.parse_statement("return output if return_dict else output.to_tuple()\n"),
    ]


class RecordedOutputs(Rule):
    """``@check_model_inputs`` / ``@can_return_tuple`` -> the flags as arguments, hidden states and attentions
    gathered around the layer loop, a tuple when ``return_dict`` is False (what 4.46's code did by hand)."""

    name = "recorded-outputs"
    summary = (
        "@check_model_inputs/@can_return_tuple (4.54+) -> output_attentions/output_hidden_states/return_dict"
        " arguments; hidden states and attentions gathered as 4.46 did."
    )
    _BEFORE = """
class LlamaDecoderLayer(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.self_attn = LlamaAttention(config=config, layer_idx=layer_idx)

    def forward(self, hidden_states, attention_mask=None, **kwargs):
        hidden_states, _ = self.self_attn(hidden_states=hidden_states, attention_mask=attention_mask, **kwargs)
        return hidden_states


class LlamaPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"hidden_states": LlamaDecoderLayer, "attentions": LlamaAttention}


class LlamaModel(LlamaPreTrainedModel):
    @check_model_inputs
    def forward(self, inputs_embeds=None, use_cache: Optional[bool] = None, **kwargs):
        hidden_states = inputs_embeds
        for decoder_layer in self.layers:
            hidden_states = decoder_layer(hidden_states, **kwargs)
        hidden_states = self.norm(hidden_states)
        return BaseModelOutputWithPast(last_hidden_state=hidden_states)


class LlamaForCausalLM(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = LlamaModel(config)

    @can_return_tuple
    def forward(self, inputs_embeds=None, **kwargs):
        outputs = self.model(inputs_embeds=inputs_embeds, **kwargs)
        logits = self.lm_head(outputs.last_hidden_state)
        return CausalLMOutputWithPast(logits=logits, hidden_states=outputs.hidden_states)
"""
    examples = (
        Example(
            before=_BEFORE,
            after="""
class LlamaDecoderLayer(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.self_attn = LlamaAttention(config=config, layer_idx=layer_idx)

    def forward(self, hidden_states, attention_mask=None, output_attentions: Optional[bool] = False, **kwargs):
        hidden_states, self_attn_weights = self.self_attn(
            hidden_states=hidden_states, attention_mask=attention_mask, **kwargs
        )
        outputs = (hidden_states,)
        if output_attentions:
            outputs += (self_attn_weights,)
        return outputs


class LlamaPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"hidden_states": LlamaDecoderLayer, "attentions": LlamaAttention}


class LlamaModel(LlamaPreTrainedModel):
    def forward(
        self,
        inputs_embeds=None,
        use_cache: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        **kwargs
    ):
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        hidden_states = inputs_embeds
        all_hidden_states = () if output_hidden_states else None
        all_self_attns = () if output_attentions else None
        for decoder_layer in self.layers:
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            layer_outputs = decoder_layer(hidden_states, output_attentions=output_attentions, **kwargs)
            hidden_states = layer_outputs[0]
            if output_attentions:
                all_self_attns += (layer_outputs[1],)
        hidden_states = self.norm(hidden_states)
        if output_hidden_states:
            all_hidden_states += (hidden_states,)
        output = BaseModelOutputWithPast(
            last_hidden_state=hidden_states, hidden_states=all_hidden_states, attentions=all_self_attns
        )
        return output if return_dict else output.to_tuple()


class LlamaForCausalLM(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = LlamaModel(config)

    def forward(
        self,
        inputs_embeds=None,
        output_attentions: Optional[bool] = None,
        output_hidden_states: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        **kwargs
    ):
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict
        outputs = self.model(
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            **kwargs
        )
        logits = self.lm_head(outputs.last_hidden_state)
        output = CausalLMOutputWithPast(logits=logits, hidden_states=outputs.hidden_states)
        return output if return_dict else output.to_tuple()
""",
        ),
        Example(
            before="""
class GraniteModel(GranitePreTrainedModel):
    @check_model_inputs
    def forward(self, inputs_embeds=None, output_attentions=None, output_hidden_states=None, **kwargs):
        return BaseModelOutputWithPast(last_hidden_state=inputs_embeds, hidden_states=all_hidden_states)
""",
            after="""
class GraniteModel(GranitePreTrainedModel):
    def forward(
        self,
        inputs_embeds=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict: Optional[bool] = None,
        **kwargs
    ):
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict
        output = BaseModelOutputWithPast(last_hidden_state=inputs_embeds, hidden_states=all_hidden_states)
        return output if return_dict else output.to_tuple()
""",
            note="a forward that takes the flags and gathers the records itself keeps its code",
        ),
        Example(
            before="""
class XPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"router_logits": OutputRecorder(XRouter, index=0), "hidden_states": XLayer}


class XModel(XPreTrainedModel):
    @check_model_inputs
    def forward(self, inputs_embeds=None, **kwargs):
        return BaseModelOutput(last_hidden_state=inputs_embeds)
""",
            after="""
class XPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"router_logits": OutputRecorder(XRouter, index=0), "hidden_states": XLayer}


class XModel(XPreTrainedModel):
    # TODO(tfscaffold): _can_record_outputs "router_logits": OutputRecorder(XRouter, index=0): not a class name; only hidden states and attentions recorded by a class are gathered
    @check_model_inputs
    def forward(self, inputs_embeds=None, **kwargs):
        return BaseModelOutput(last_hidden_state=inputs_embeds)
""",
            note="a record that is not a plain class is left as it is, marked",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self.recorded, self.unknown = _recorded_classes(node)
        # classes whose forward takes the flags once this rule is done: those their heads pass them to
        self.flag_takers = {
            cls.name.value
            for cls in node.body
            if isinstance(cls, cst.ClassDef)
            for stmt in cls.body.body
            if isinstance(stmt, cst.FunctionDef)
            and stmt.name.value == "forward"
            and any(_decorator_name(d) in (RECORDING, TUPLE_ON_REQUEST) for d in stmt.decorators)
        }
        self.attentions_returned = False  # the recorder layer hands its attention weights on

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        members = {  # self.<attr> = <Class>(...) in __init__
            attr: (dotted(value.func) or "").split(".")[-1]
            for attr, value in init_assignments(updated).items()
            if isinstance(value, cst.Call) and dotted(value.func)
        }
        body = []
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "forward":
                self.marks: list[tuple[str, str]] = []
                stmt = self._forward(updated.name.value, stmt, members)
                for construct, why in self.marks:  # above the method, not the class
                    stmt = self.todo_at(stmt, construct, why)
            body.append(stmt)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def _mark(self, construct: str, why: str) -> None:
        self.marks.append((construct, why))

    def _forward(self, cls: str, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        decorators = [_decorator_name(d) for d in func.decorators]
        if cls == self.recorded.get("hidden_states") and "attentions" in self.recorded:
            return self._recorder_layer(func, members)
        if RECORDING in decorators:
            if self.unknown:
                for entry in self.unknown:
                    self._mark(
                        f"_can_record_outputs {entry}",
                        "not a class name; only hidden states and attentions recorded by a class are gathered",
                    )
                return func
            return self._recording(func, members)
        if TUPLE_ON_REQUEST in decorators:
            return self._tuple_on_request(func, members)
        return func

    # -- the layer whose calls are recorded as hidden states: it returns its attention weights when asked
    def _recorder_layer(self, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        attention = self.recorded["attentions"]
        if "output_attentions" in _param_names(func):  # hands them on already, as 4.46 wrote it (granite)
            self.attentions_returned = True
            return func
        body = list(func.body.body)
        weights = None
        for i, stmt in enumerate(body):
            if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
                continue
            assign = stmt.body[0]
            target, value = assign.targets[0].target, assign.value
            if not (isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(value, cst.Call)):
                continue
            called = dotted(value.func) or ""
            if not (called.startswith("self.") and members.get(called.removeprefix("self.")) == attention):
                continue
            second = target.elements[1].value
            if not isinstance(second, cst.Name):
                continue
            if second.value == "_":
                second = cst.Name(WEIGHTS)
                elements = [target.elements[0], target.elements[1].with_changes(value=second)]
                body[i] = stmt.with_changes(
                    body=[
                        assign.with_changes(
                            targets=[assign.targets[0].with_changes(target=target.with_changes(elements=elements))]
                        )
                    ]
                )
            weights = second.value
            break
        returns = [
            i
            for i, stmt in enumerate(body)
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Return)
        ]
        if (
            weights is None
            or len(returns) != 1
            or returns[0] != len(body) - 1
            or not isinstance(body[-1].body[0].value, cst.Name | cst.Attribute | cst.Call | cst.BinaryOperation)
        ):
            self._mark(
                f"attentions recorded from {attention}",
                "the layer does not call it once and return one tensor: attention weights not handed on",
            )
            return func
        value = body[-1].body[0].value
        body[-1:] = [
            cst.SimpleStatementLine(
                [cst.Assign([cst.AssignTarget(cst.Name("outputs"))], cst.Tuple([cst.Element(value)]))]
            ),
            cst.parse_statement(f"if output_attentions:\n    outputs += ({weights},)\n"),
            cst.parse_statement("return outputs\n"),
        ]
        self.attentions_returned = True
        return func.with_changes(
            params=_flag_params(func.params, ("output_attentions",), "False"),
            body=func.body.with_changes(body=body),
        )

    # -- the model whose forward records: flags, records around the layer loop, tuple on request
    def _recording(self, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        if "output_hidden_states" in _param_names(func):
            return self._gathering_already(func)
        hidden = "hidden_states" in self.recorded
        attentions = "attentions" in self.recorded and self.attentions_returned
        if "attentions" in self.recorded and not attentions:
            self._mark(
                f"attentions recorded from {self.recorded['attentions']}",
                f"{self.recorded.get('hidden_states', 'no layer')} does not hand them on: not gathered",
            )
        body = list(func.body.body)
        loop = next((i for i, stmt in enumerate(body) if _layer_call(stmt) is not None), None)
        if loop is None:
            self._mark(
                "@check_model_inputs",
                "no `for layer in ...: hidden_states = layer(...)` loop: hidden states and attentions not gathered",
            )
            loop_stmts = None
        else:
            loop_stmts = self._gathering_loop(body[loop], hidden, attentions)
            body[loop : loop + 1] = loop_stmts
        out: list[cst.BaseStatement] = []
        for stmt in body:
            call = _returned_output(stmt)
            if call is None:
                out.append(stmt)
                continue
            if loop_stmts is not None:
                last = _keyword(call, "last_hidden_state")
                if hidden and last is not None:
                    code = cst.Module(body=[]).code_for_node(last.value)
                    out.append(cst.parse_statement(f"if output_hidden_states:\n    all_hidden_states += ({code},)\n"))
                pairs = [("hidden_states", "all_hidden_states")] if hidden else []
                pairs += [("attentions", "all_self_attns")] if attentions else []
                call = _with_keywords(call, pairs)
            out.extend(_tuple_on_request(call))
        have = {p.name.value for p in (*func.params.params, *func.params.kwonly_params)}
        resolve = [
            cst.parse_statement(_RESOLVE[name]) for name in (*FLAGS, "use_cache") if name in have or name in FLAGS
        ]
        at = _after_docstring(out)
        out[at:at] = resolve
        return func.with_changes(
            decorators=[d for d in func.decorators if _decorator_name(d) != RECORDING],
            params=_flag_params(func.params, FLAGS, "None"),
            body=func.body.with_changes(body=out),
        )

    def _gathering_already(self, func: cst.FunctionDef) -> cst.FunctionDef:
        """A forward that takes the flags and gathers the records itself under the decorator (granite): the
        decorator goes, and a ``return_dict`` it lacks is added as the decorator applied it."""
        missing = [name for name in FLAGS if name not in _param_names(func)]
        body = list(func.body.body)
        if "return_dict" in missing:
            body = [part for stmt in body for part in _tuple_on_request_or(stmt)]
        at = _after_docstring(body)
        body[at:at] = [cst.parse_statement(_RESOLVE[name]) for name in missing]
        return func.with_changes(
            decorators=[d for d in func.decorators if _decorator_name(d) != RECORDING],
            params=_flag_params(func.params, FLAGS, "None"),
            body=func.body.with_changes(body=body),
        )

    def _gathering_loop(self, loop: cst.For, hidden: bool, attentions: bool) -> list[cst.BaseStatement]:
        assign, call = _layer_call(loop)  # type: ignore[misc]
        target = assign.targets[0].target.value
        inner: list[cst.BaseStatement] = []
        for stmt in loop.body.body:
            if not (isinstance(stmt, cst.SimpleStatementLine) and stmt.body[0] is assign):
                inner.append(stmt)
                continue
            if hidden:
                inner.append(cst.parse_statement(f"if output_hidden_states:\n    all_hidden_states += ({target},)\n"))
            if attentions:
                call = _with_keywords(call, [("output_attentions", "output_attentions")])
                inner.append(
                    stmt.with_changes(
                        body=[assign.with_changes(targets=[cst.AssignTarget(cst.Name("layer_outputs"))], value=call)]
                    )
                )
                inner.append(cst.parse_statement(f"{target} = layer_outputs[0]\n"))
                inner.append(cst.parse_statement("if output_attentions:\n    all_self_attns += (layer_outputs[1],)\n"))
            else:
                inner.append(stmt)
        before = []
        if hidden:
            before.append(cst.parse_statement("all_hidden_states = () if output_hidden_states else None\n"))
        if attentions:
            before.append(cst.parse_statement("all_self_attns = () if output_attentions else None\n"))
        before[:1] = [b.with_changes(leading_lines=loop.leading_lines) for b in before[:1]]
        first = loop.with_changes(body=loop.body.with_changes(body=inner))
        return [*before, first.with_changes(leading_lines=[]) if before else first]

    # -- heads: the flags as arguments, handed to the model they call, a tuple on request
    def _tuple_on_request(self, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        takers = {attr for attr, cls in members.items() if cls in self.flag_takers}

        class Hand(HookTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
                called = dotted(updated.func) or ""
                if called.startswith("self.") and called.removeprefix("self.") in takers:
                    return _with_keywords(
                        updated,
                        [("output_attentions", "output_attentions"), ("output_hidden_states", "output_hidden_states")],
                    )
                return updated

        body: list[cst.BaseStatement] = []
        for stmt in func.body.body:
            body.extend(_tuple_on_request_or(stmt))
        at = _after_docstring(body)
        body[at:at] = [cst.parse_statement(_RESOLVE["return_dict"])]
        func = func.with_changes(
            decorators=[d for d in func.decorators if _decorator_name(d) != TUPLE_ON_REQUEST],
            params=_flag_params(func.params, FLAGS, "None"),
            body=func.body.with_changes(body=body),
        )
        return walk(func, Hand())


def _param_names(func: cst.FunctionDef) -> set[str]:
    return {p.name.value for p in (*func.params.params, *func.params.kwonly_params)}


def _tuple_on_request_or(stmt: cst.BaseStatement) -> list[cst.BaseStatement]:
    call = _returned_output(stmt)
    return _tuple_on_request(call) if call is not None else [stmt]


def _layer_call(stmt: cst.CSTNode) -> tuple[cst.Assign, cst.Call] | None:
    """In ``for layer in ...:``, the statement ``hidden_states = layer(...)``: (its assignment, its call)."""
    if not (isinstance(stmt, cst.For) and isinstance(stmt.target, cst.Name)):
        return None
    for inner in stmt.body.body:
        if isinstance(inner, cst.SimpleStatementLine) and isinstance(inner.body[0], cst.Assign):
            assign = inner.body[0]
            value = assign.value
            if (
                len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)
                and isinstance(value, cst.Call)
                and isinstance(value.func, cst.Name)
                and value.func.value == stmt.target.value
            ):
                return assign, value
    return None


RULES: list[type[Rule]] = [RecordedOutputs]
