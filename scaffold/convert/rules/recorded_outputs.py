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

from scaffold.convert.rules.base import (
    Example,
    HookTransformer,
    Rule,
    changed,
    class_attribute,
    dotted,
    init_assignments,
)
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
class ViTAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = ViTSelfAttention(config)

    def forward(self, hidden_states, head_mask=None):
        self_attn_output, _ = self.attention(hidden_states, head_mask)
        return self.output(self_attn_output, hidden_states)


class ViTLayer(GradientCheckpointingLayer):
    def __init__(self, config):
        super().__init__()
        self.attention = ViTAttention(config)

    def forward(self, hidden_states, head_mask=None):
        attention_output = self.attention(self.layernorm_before(hidden_states), head_mask)
        return attention_output + hidden_states


class ViTEncoder(nn.Module):
    def forward(self, hidden_states, head_mask=None):
        for i, layer_module in enumerate(self.layer):
            hidden_states = layer_module(hidden_states, head_mask[i])
        return BaseModelOutput(last_hidden_state=hidden_states)


class ViTPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"hidden_states": ViTLayer, "attentions": ViTSelfAttention}


class ViTModel(ViTPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.encoder = ViTEncoder(config)

    @check_model_inputs
    def forward(self, pixel_values=None, head_mask=None, **kwargs):
        encoder_outputs: BaseModelOutput = self.encoder(self.embeddings(pixel_values), head_mask=head_mask)
        sequence_output = self.layernorm(encoder_outputs.last_hidden_state)
        return BaseModelOutputWithPooling(last_hidden_state=sequence_output)
""",
            after="""
class ViTAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = ViTSelfAttention(config)

    def forward(self, hidden_states, head_mask=None):
        self_attn_output, self_attn_weights = self.attention(hidden_states, head_mask)
        return self.output(self_attn_output, hidden_states), self_attn_weights


class ViTLayer(GradientCheckpointingLayer):
    def __init__(self, config):
        super().__init__()
        self.attention = ViTAttention(config)

    def forward(self, hidden_states, head_mask=None, output_attentions: Optional[bool] = False):
        attention_output, self_attn_weights = self.attention(self.layernorm_before(hidden_states), head_mask)
        outputs = (attention_output + hidden_states,)
        if output_attentions:
            outputs += (self_attn_weights,)
        return outputs


class ViTEncoder(nn.Module):
    def forward(
        self,
        hidden_states,
        head_mask=None,
        output_attentions: Optional[bool] = False,
        output_hidden_states: Optional[bool] = False,
    ):
        all_hidden_states = () if output_hidden_states else None
        all_self_attns = () if output_attentions else None
        for i, layer_module in enumerate(self.layer):
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            layer_outputs = layer_module(hidden_states, head_mask[i], output_attentions=output_attentions)
            hidden_states = layer_outputs[0]
            if output_attentions:
                all_self_attns += (layer_outputs[1],)
        return BaseModelOutput(
            last_hidden_state=hidden_states, hidden_states=all_hidden_states, attentions=all_self_attns
        )


class ViTPreTrainedModel(PreTrainedModel):
    _can_record_outputs = {"hidden_states": ViTLayer, "attentions": ViTSelfAttention}


class ViTModel(ViTPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.encoder = ViTEncoder(config)

    def forward(
        self,
        pixel_values=None,
        head_mask=None,
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
        encoder_outputs: BaseModelOutput = self.encoder(
            self.embeddings(pixel_values),
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        sequence_output = self.layernorm(encoder_outputs.last_hidden_state)
        all_hidden_states = encoder_outputs.hidden_states + (sequence_output,) if output_hidden_states else None
        output = BaseModelOutputWithPooling(
            last_hidden_state=sequence_output, hidden_states=all_hidden_states, attentions=encoder_outputs.attentions
        )
        return output if return_dict else output.to_tuple()
""",
            note="the layer loop in a module the recording forward calls, the attention two classes down",
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
        classes = {cls.name.value: cls for cls in node.body if isinstance(cls, cst.ClassDef)}
        members = {name: _members(cls) for name, cls in classes.items()}
        forwards = {name: f for name, cls in classes.items() if (f := _method(cls, "forward")) is not None}
        # classes whose forward takes the flags once this rule is done: those their heads pass them to
        self.flag_takers = {
            name
            for name, func in forwards.items()
            if any(_decorator_name(d) in (RECORDING, TUPLE_ON_REQUEST) for d in func.decorators)
        }
        # the module a recording forward hands the layer loop to (ViTModel's encoder): it gathers there
        self.gatherers = {
            member
            for name, func in forwards.items()
            if RECORDING in {_decorator_name(d) for d in func.decorators} and _loop_at(func) is None
            for member in members[name].values()
            if member in forwards and _loop_at(forwards[member]) is not None
        }
        self.path, self.path_problem = _attention_path(self.recorded, classes, members, forwards)
        layer = forwards.get(self.recorded.get("hidden_states", ""))
        # the recorder layer hands its attention weights on (or did already, as 4.46 wrote it: granite)
        self.attentions_returned = bool(self.path) or (
            layer is not None and "output_attentions" in _param_names(layer)
        )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        members = _members(updated)
        body = []
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "forward":
                self.marks: list[tuple[str, str]] = []
                stmt = self._forward(updated.name.value, stmt, members)
                for construct, why in self.marks:  # above the method, not the class
                    stmt = self.todo_at(stmt, construct, why)
            body.append(stmt)
        return changed(updated, body=changed(updated.body, body=body))

    def _mark(self, construct: str, why: str) -> None:
        self.marks.append((construct, why))

    def _forward(self, cls: str, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        decorators = [_decorator_name(d) for d in func.decorators]
        if cls == self.recorded.get("hidden_states") and "attentions" in self.recorded:
            return self._recorder_layer(func, members)
        if self.path and cls in self.path[1:-1]:
            return self._handing_on(cls, func, members)
        if cls in self.gatherers:
            return self._gatherer(func)
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
        if "output_attentions" in _param_names(func):  # hands them on already, as 4.46 wrote it (granite)
            return func
        if not self.path:
            self._mark(f"attentions recorded from {self.recorded['attentions']}", self.path_problem)
            return func
        body, weights, value = _hand_on(func, members, self.path[1], nested=len(self.path) > 2)  # type: ignore[misc]
        body += [
            cst.SimpleStatementLine(
                [cst.Assign([cst.AssignTarget(cst.Name("outputs"))], cst.Tuple([cst.Element(value)]))]
            ),
            cst.parse_statement(f"if output_attentions:\n    outputs += ({weights},)\n"),
            cst.parse_statement("return outputs\n"),
        ]
        return func.with_changes(
            params=_flag_params(func.params, ("output_attentions",), "False"),
            body=func.body.with_changes(body=body),
        )

    # -- a class between the recorder layer and the attention (ViTAttention): returns the weights as well
    def _handing_on(self, cls: str, func: cst.FunctionDef, members: dict[str, str]) -> cst.FunctionDef:
        assert self.path is not None
        nxt = self.path[self.path.index(cls) + 1]
        body, weights, value = _hand_on(func, members, nxt, nested=nxt != self.path[-1])  # type: ignore[misc]
        body.append(
            cst.SimpleStatementLine(
                [cst.Return(cst.Tuple([cst.Element(value), cst.Element(cst.Name(weights))], lpar=[], rpar=[]))]
            )
        )
        return func.with_changes(body=func.body.with_changes(body=body))

    # -- the module the recording forward hands the layer loop to: it gathers the records and returns them
    def _gatherer(self, func: cst.FunctionDef) -> cst.FunctionDef:
        hidden = "hidden_states" in self.recorded
        attentions = "attentions" in self.recorded and self.attentions_returned
        body = list(func.body.body)
        loop = _loop_at(func)
        assert loop is not None
        body[loop : loop + 1] = self._gathering_loop(body[loop], hidden, attentions)
        pairs = [("hidden_states", "all_hidden_states")] if hidden else []
        pairs += [("attentions", "all_self_attns")] if attentions else []
        out: list[cst.BaseStatement] = []
        for stmt in body:
            call = _returned_output(stmt)
            if call is None and isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Return):
                self._mark("return", "not an output constructor: the gathered records are not returned")
            elif call is not None:
                stmt = stmt.with_changes(body=[stmt.body[0].with_changes(value=_with_keywords(call, pairs))])
            out.append(stmt)
        flags = ("output_attentions",) if attentions else ()
        flags += ("output_hidden_states",) if hidden else ()
        return func.with_changes(
            params=_flag_params(func.params, flags, "False"), body=func.body.with_changes(body=out)
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
        loop = _loop_at(func)
        handed = None if loop is not None else self._handed_loop(body, members, hidden, attentions)
        if loop is not None:
            body[loop : loop + 1] = self._gathering_loop(body[loop], hidden, attentions)
        elif handed is None:
            self._mark(
                "@check_model_inputs",
                "no `for layer in ...: hidden_states = layer(...)` loop, here or in a module it calls:"
                " hidden states and attentions not gathered",
            )
        out: list[cst.BaseStatement] = []
        for stmt in body:
            call = _returned_output(stmt)
            if call is None:
                out.append(stmt)
                continue
            last = _keyword(call, "last_hidden_state")
            if loop is not None and hidden and last is not None:
                code = cst.Module(body=[]).code_for_node(last.value)
                out.append(cst.parse_statement(f"if output_hidden_states:\n    all_hidden_states += ({code},)\n"))
            if handed is not None and hidden:
                if last is None:
                    self._mark("hidden_states", "the output has no last_hidden_state to end the gathered states with")
                else:
                    code = cst.Module(body=[]).code_for_node(last.value)
                    out.append(
                        cst.parse_statement(
                            f"all_hidden_states = {handed}.hidden_states + ({code},)"
                            " if output_hidden_states else None\n"
                        )
                    )
            if loop is not None or handed is not None:
                pairs = [("hidden_states", "all_hidden_states")] if hidden else []
                pairs += [("attentions", f"{handed}.attentions" if handed else "all_self_attns")] if attentions else []
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

    def _handed_loop(
        self, body: list[cst.BaseStatement], members: dict[str, str], hidden: bool, attentions: bool
    ) -> str | None:
        """The name of what the one call of a gathering module returns (``encoder_outputs``), the call given the
        flags in place; None where there is no such call, or more than one."""
        found = [
            (i, target, call)
            for i, stmt in enumerate(body)
            if (assigned := _assigned_call(stmt)) is not None
            for target, call in [assigned]
            if (dotted(call.func) or "").startswith("self.")
            and members.get((dotted(call.func) or "").removeprefix("self.")) in self.gatherers
        ]
        if len(found) != 1:
            return None
        i, target, call = found[0]
        pairs = [("output_attentions", "output_attentions")] if attentions else []
        pairs += [("output_hidden_states", "output_hidden_states")] if hidden else []
        body[i] = _replace_value(body[i], _with_keywords(call, pairs))  # type: ignore[arg-type]
        return target

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
    """In ``for layer in ...:`` (or ``for i, layer in enumerate(...)``), the statement ``hidden_states =
    layer(...)``: (its assignment, its call)."""
    if not isinstance(stmt, cst.For):
        return None
    targets = stmt.target.elements if isinstance(stmt.target, cst.Tuple) else [cst.Element(stmt.target)]
    loop_names = {t.value.value for t in targets if isinstance(t.value, cst.Name)}
    for inner in stmt.body.body:
        if isinstance(inner, cst.SimpleStatementLine) and isinstance(inner.body[0], cst.Assign):
            assign = inner.body[0]
            value = assign.value
            if (
                len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)
                and isinstance(value, cst.Call)
                and isinstance(value.func, cst.Name)
                and value.func.value in loop_names
            ):
                return assign, value
    return None


def _loop_at(func: cst.FunctionDef) -> int | None:
    """Where in the forward's body the layer loop is."""
    return next((i for i, stmt in enumerate(func.body.body) if _layer_call(stmt) is not None), None)


def _members(cls: cst.ClassDef) -> dict[str, str]:
    """``self.<attr> = <Class>(...)`` in ``__init__``: attribute -> class name."""
    return {
        attr: (dotted(value.func) or "").split(".")[-1]
        for attr, value in init_assignments(cls).items()
        if isinstance(value, cst.Call) and dotted(value.func)
    }


def _method(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    return next((s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _assigned_call(stmt: cst.BaseStatement) -> tuple[str, cst.Call] | None:
    """``x = call(...)`` or ``x: T = call(...)``: (x, the call)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
    elif isinstance(small, cst.AnnAssign):
        target = small.target
    else:
        return None
    if isinstance(target, cst.Name) and isinstance(small.value, cst.Call):
        return target.value, small.value
    return None


def _replace_value(stmt: cst.SimpleStatementLine, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return stmt.with_changes(body=[stmt.body[0].with_changes(value=value)])


def _hand_on(
    func: cst.FunctionDef, members: dict[str, str], nxt: str, *, nested: bool
) -> tuple[list[cst.BaseStatement], str, cst.BaseExpression] | None:
    """A forward on the way to the attention, made to keep the attention weights its call of ``nxt`` gives:
    the body up to its return (that call unpacking the weights), the weights' name, the value it returned.

    ``nxt`` is the attention (it returns output and weights) or, ``nested``, a class between that this rule
    makes return both. None where the forward does not call ``nxt`` once or does not end in its one return.
    """
    body = list(func.body.body)
    calls = [
        i
        for i, stmt in enumerate(body)
        if isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(assign := stmt.body[0], cst.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.value, cst.Call)
        and (called := dotted(assign.value.func) or "").startswith("self.")
        and members.get(called.removeprefix("self.")) == nxt
    ]
    returns = [
        i
        for i, stmt in enumerate(body)
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Return)
    ]
    if len(calls) != 1 or returns != [len(body) - 1]:
        return None
    value = body[-1].body[0].value  # type: ignore[attr-defined]
    if not isinstance(value, cst.Name | cst.Attribute | cst.Call | cst.BinaryOperation):
        return None
    stmt = body[calls[0]]
    assign = stmt.body[0]  # type: ignore[attr-defined]
    target = assign.targets[0].target
    if isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name):
        second = target.elements[1].value
        if second.value == "_":
            second = cst.Name(WEIGHTS)
        elements = [target.elements[0], target.elements[1].with_changes(value=second)]
        target = target.with_changes(elements=elements)
    elif isinstance(target, cst.Name) and nested:
        second = cst.Name(WEIGHTS)
        target = cst.Tuple([cst.Element(target), cst.Element(second)], lpar=[], rpar=[])
    else:
        return None
    body[calls[0]] = stmt.with_changes(
        body=[assign.with_changes(targets=[assign.targets[0].with_changes(target=target)])]
    )
    return body[:-1], second.value, value


def _attention_path(
    recorded: dict[str, str],
    classes: dict[str, cst.ClassDef],
    members: dict[str, dict[str, str]],
    forwards: dict[str, cst.FunctionDef],
) -> tuple[list[str] | None, str]:
    """The classes from the recorder layer to the attention, each building the next (ViTLayer -> ViTAttention ->
    ViTSelfAttention), if each can hand the weights on; else None and why not."""
    layer, attention = recorded.get("hidden_states"), recorded.get("attentions")
    if layer is None or attention is None or layer not in forwards:
        return None, ""
    if "output_attentions" in _param_names(forwards[layer]):
        return None, ""  # hands them on already, as 4.46 wrote it (granite)
    came_from: dict[str, str | None] = {layer: None}
    queue = [layer]
    while queue:
        current = queue.pop(0)
        for member in members.get(current, {}).values():
            if member not in came_from:
                came_from[member] = current
                if member in classes:
                    queue.append(member)
    if attention not in came_from:
        return (
            None,
            f"{layer} does not build {attention}, itself or through its members: attention weights not handed on",
        )
    path = [attention]
    while (before := came_from[path[-1]]) is not None:
        path.append(before)
    path.reverse()
    for middle in path[1:-1]:
        users = sorted(n for n, m in members.items() if middle in m.values() and n not in path)
        if users:
            return (
                None,
                f"{middle}, between {layer} and {attention}, is used by {users[0]} too: attention weights not handed on",
            )
    for current, nxt in zip(path, path[1:], strict=False):
        func = forwards.get(current)
        if func is None or _hand_on(func, members[current], nxt, nested=nxt != attention) is None:
            return None, f"{current} does not call {nxt} once and return one tensor: attention weights not handed on"
    return path, ""


RULES: list[type[Rule]] = [RecordedOutputs]
