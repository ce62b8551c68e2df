"""Generation: what TF ``generate()`` needs from a head PyTorch builds on ``GenerationMixin``.

PyTorch heads inherit ``prepare_inputs_for_generation`` from ``GenerationMixin``; TF's
``TFGenerationMixin`` has no generic one, and ``TFPreTrainedModel.can_generate()`` is False until the
class defines it. The TF method written here has the semantics of the PyTorch generic one for the
inputs TF ``generate()`` hands over: with a past only the newest token is fed, position ids are
computed from the attention mask when the call takes them (``cumsum - 1``, 1 at padded positions),
and inputs as long as ``input_ids`` (positions, token types) are cut to the newest token alike.
The past is the legacy tuple of ``(key, value)`` per layer TF ``generate()`` pads and gathers itself
(XLA and beam search), so PyTorch's ``_reorder_cache`` has no TF counterpart.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from scaffold.convert.rules.base import Example, HookVisitor, Rule, names_in

METHOD = "prepare_inputs_for_generation"

# Inputs PyTorch's generic method cuts to the length of input_ids once there is a past.
_SEQUENCE_INPUTS = ("position_ids", "token_type_ids")


def _params(func: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params)]


def method_source(call_params: list[str]) -> str:
    """The TF ``prepare_inputs_for_generation`` of a head whose ``call`` takes ``call_params``."""
    takes = set(call_params)
    past = "past_key_values" in takes
    lines = [
        "def prepare_inputs_for_generation(",
        "    self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs",
        "):",
        '    """``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``."""',
    ]
    if past:
        lines += ["    # only the newest token when the past holds the others", "    if past_key_values:"]
        lines += ["        input_ids = input_ids[:, -1:]"]
    sequence_inputs = [name for name in _SEQUENCE_INPUTS if name in takes]
    for name in sequence_inputs:
        lines.append(f'    {name} = kwargs.get("{name}", None)')
        if name == "position_ids" and "attention_mask" in takes:
            lines += [
                "    if attention_mask is not None and position_ids is None:",
                "        position_ids = tf.math.cumsum(attention_mask, axis=-1) - 1",
                "        position_ids = tf.where(attention_mask == 0, tf.ones_like(position_ids), position_ids)",
            ]
        if past:
            lines += [f"    if past_key_values and {name} is not None:", f"        {name} = {name}[:, -1:]"]
    returned = [("input_ids", "input_ids")]
    returned += [(name, name) for name in ("attention_mask", *sequence_inputs) if name in takes]
    returned += [(name, name) for name in ("past_key_values", "use_cache") if name in takes]
    lines.append("    return {")
    lines += [f'        "{key}": {value},' for key, value in returned]
    lines.append("    }")
    return "\n".join(lines) + "\n"


# Inputs of an encoder-decoder call TF ``generate()`` keeps in its model kwargs and hands back each step.
_SEQ2SEQ_INPUTS = (
    "attention_mask",
    "decoder_attention_mask",
    "head_mask",
    "decoder_head_mask",
    "cross_attn_head_mask",
    "use_cache",
)


def seq2seq_method_source(call_params: list[str]) -> str:
    """The TF ``prepare_inputs_for_generation`` of an encoder-decoder head whose ``call`` takes ``call_params``.

    TF ``generate()`` runs the encoder once (``get_encoder()``) and passes its output as
    ``encoder_outputs``; each step feeds the decoder ids, only the newest one once there is a past.
    """
    takes = set(call_params)
    kept = [name for name in _SEQ2SEQ_INPUTS if name in takes]
    signature = ", ".join(["self", "decoder_input_ids", "past_key_values=None", *(f"{n}=None" for n in kept)])
    lines = [
        f"def prepare_inputs_for_generation({signature}, encoder_outputs=None, **kwargs):",
        '    """``prepare_inputs_for_generation`` of the PyTorch head for TF ``generate()``: the encoder ran once."""',
    ]
    if "past_key_values" in takes:
        lines += ["    # only the newest token when the past holds the others", "    if past_key_values is not None:"]
        lines += ["        decoder_input_ids = decoder_input_ids[:, -1:]"]
    positions = {"decoder_position_ids", "decoder_attention_mask", "past_key_values"} <= takes
    if positions:
        lines += [
            "    # under XLA the past is padded to its full length: the newest token's position counts the real",
            "    # slots decoder_attention_mask marks; otherwise the decoder takes it from the past's length",
            "    decoder_position_ids = None",
            "    if decoder_attention_mask is not None and past_key_values is not None:",
            "        decoder_position_ids = tf.math.cumsum(decoder_attention_mask, axis=-1, exclusive=True)[:, -1:]",
        ]
    returned = [
        ("input_ids", "None"),
        ("encoder_outputs", "encoder_outputs"),
        ("decoder_input_ids", "decoder_input_ids"),
    ]
    if positions:
        returned.append(("decoder_position_ids", "decoder_position_ids"))
    if "past_key_values" in takes:
        returned.append(("past_key_values", "past_key_values"))
    returned += [(name, name) for name in kept]
    lines.append("    return {")
    lines += [f'        "{key}": {value},' for key, value in returned]
    lines.append("    }")
    return "\n".join(lines) + "\n"


# A call taking one of these returns a cache XLA generation reads back from the outputs.
CACHE_PARAMETERS = frozenset({"past_key_values", "past"})


_NO_CACHE = "XLA generation reads a cache from the outputs: there is none"
_NO_PAST_HANDED_ON = "XLA generation hands past_key_values back: prepare_inputs_for_generation takes none on"


def _without_xla_generation(init: cst.FunctionDef, why: str = _NO_CACHE) -> cst.FunctionDef:
    """``self.supports_xla_generation = False`` after the ``super().__init__`` of a head XLA cannot generate with."""
    flag = cst.parse_statement(f"self.supports_xla_generation = False  # {why}\n")
    body = list(init.body.body)
    at = next(
        (
            i + 1
            for i, stmt in enumerate(body)
            if isinstance(stmt, cst.SimpleStatementLine) and "super().__init__" in cst.Module([]).code_for_node(stmt)
        ),
        0,
    )
    body.insert(at, flag)
    return init.with_changes(body=init.body.with_changes(body=body))


class PrepareInputsForGeneration(Rule):
    """A head PyTorch builds on ``GenerationMixin`` gets ``prepare_inputs_for_generation`` (before ``call``).

    Without it TF ``generate()`` refuses the model (``can_generate()`` is False). The method is written
    from the ``call`` signature: position ids from the attention mask and the cut to the newest token
    only for inputs the call takes. An encoder-decoder head (a call taking ``decoder_input_ids``) gets
    the method TF ports of such models have: ``generate()`` ran the encoder and passes its
    ``encoder_outputs``, the decoder ids are the generated ones, and a call taking
    ``decoder_position_ids`` (``DecoderPositionIds``) gets them from ``decoder_attention_mask`` once
    there is a past (XLA pads the past to its full length). A class that defines the method
    keeps its own (converted as any method); where that one calls ``super()``'s (PyTorch's generic
    method, which TF's mixin lacks), the generic method is written beside it under a private name and
    called instead. A subclass of a local class that gets it inherits it.
    """

    name = "prepare-inputs-for-generation"
    summary = "Heads on GenerationMixin get a TF prepare_inputs_for_generation written from their call signature."
    examples = (
        Example(
            before="""
class TFGPT2LMHeadModel(TFGPT2PreTrainedModel):
    def get_output_embeddings(self):
        return self.lm_head

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, use_cache=None, training=False):
        return self.transformer(input_ids)
""",
            after='''
class TFGPT2LMHeadModel(TFGPT2PreTrainedModel):
    def get_output_embeddings(self):
        return self.lm_head

    def prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        """``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``."""
        # only the newest token when the past holds the others
        if past_key_values:
            input_ids = input_ids[:, -1:]
        position_ids = kwargs.get("position_ids", None)
        if attention_mask is not None and position_ids is None:
            position_ids = tf.math.cumsum(attention_mask, axis=-1) - 1
            position_ids = tf.where(attention_mask == 0, tf.ones_like(position_ids), position_ids)
        if past_key_values and position_ids is not None:
            position_ids = position_ids[:, -1:]
        token_type_ids = kwargs.get("token_type_ids", None)
        if past_key_values and token_type_ids is not None:
            token_type_ids = token_type_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "token_type_ids": token_type_ids,
            "past_key_values": past_key_values,
            "use_cache": use_cache,
        }

    def call(self, input_ids=None, past_key_values=None, attention_mask=None, token_type_ids=None,
             position_ids=None, use_cache=None, training=False):
        return self.transformer(input_ids)
''',
            context=(("class_bases", {"GPT2LMHeadModel": ["GPT2PreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFOPTForCausalLM(TFOPTPreTrainedModel):
    def call(self, input_ids=None, attention_mask=None, past_key_values=None, training=False):
        return self.model(input_ids)
""",
            after='''
class TFOPTForCausalLM(TFOPTPreTrainedModel):
    def prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        """``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``."""
        # only the newest token when the past holds the others
        if past_key_values:
            input_ids = input_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "past_key_values": past_key_values,
        }

    def call(self, input_ids=None, attention_mask=None, past_key_values=None, training=False):
        return self.model(input_ids)
''',
            note="only what the call takes: no position ids, no use_cache",
            context=(("class_bases", {"OPTForCausalLM": ["OPTPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def call(self, input_ids=None, attention_mask=None, decoder_input_ids=None, encoder_outputs=None,
             past_key_values=None, use_cache=None, training=False):
        return self.model(input_ids)
""",
            after='''
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def prepare_inputs_for_generation(
        self, decoder_input_ids, past_key_values=None, attention_mask=None, use_cache=None, encoder_outputs=None, **kwargs
    ):
        """``prepare_inputs_for_generation`` of the PyTorch head for TF ``generate()``: the encoder ran once."""
        # only the newest token when the past holds the others
        if past_key_values is not None:
            decoder_input_ids = decoder_input_ids[:, -1:]
        return {
            "input_ids": None,
            "encoder_outputs": encoder_outputs,
            "decoder_input_ids": decoder_input_ids,
            "past_key_values": past_key_values,
            "attention_mask": attention_mask,
            "use_cache": use_cache,
        }

    def call(self, input_ids=None, attention_mask=None, decoder_input_ids=None, encoder_outputs=None,
             past_key_values=None, use_cache=None, training=False):
        return self.model(input_ids)
''',
            note="encoder-decoder: generate() ran the encoder; the decoder ids are the generated ones",
            context=(("class_bases", {"BartForConditionalGeneration": ["BartPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def call(self, input_ids=None, decoder_input_ids=None, decoder_attention_mask=None, decoder_position_ids=None,
             encoder_outputs=None, past_key_values=None, training=False):
        return self.model(input_ids)
""",
            after='''
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def prepare_inputs_for_generation(
        self, decoder_input_ids, past_key_values=None, decoder_attention_mask=None, encoder_outputs=None, **kwargs
    ):
        """``prepare_inputs_for_generation`` of the PyTorch head for TF ``generate()``: the encoder ran once."""
        # only the newest token when the past holds the others
        if past_key_values is not None:
            decoder_input_ids = decoder_input_ids[:, -1:]
        # under XLA the past is padded to its full length: the newest token's position counts the real
        # slots decoder_attention_mask marks; otherwise the decoder takes it from the past's length
        decoder_position_ids = None
        if decoder_attention_mask is not None and past_key_values is not None:
            decoder_position_ids = tf.math.cumsum(decoder_attention_mask, axis=-1, exclusive=True)[:, -1:]
        return {
            "input_ids": None,
            "encoder_outputs": encoder_outputs,
            "decoder_input_ids": decoder_input_ids,
            "decoder_position_ids": decoder_position_ids,
            "past_key_values": past_key_values,
            "decoder_attention_mask": decoder_attention_mask,
        }

    def call(self, input_ids=None, decoder_input_ids=None, decoder_attention_mask=None, decoder_position_ids=None,
             encoder_outputs=None, past_key_values=None, training=False):
        return self.model(input_ids)
''',
            note="a call taking decoder positions (decoder-position-ids) gets them from the decoder mask under XLA",
            context=(("class_bases", {"BartForConditionalGeneration": ["BartPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def call(self, input_ids=None, decoder_input_ids=None, training=False):
        return self.model(input_ids)
""",
            after="""
# TODO(tfscaffold): prepare_inputs_for_generation: an encoder-decoder head whose call takes no encoder_outputs: TF generate() passes them
class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def call(self, input_ids=None, decoder_input_ids=None, training=False):
        return self.model(input_ids)
""",
            context=(("class_bases", {"BartForConditionalGeneration": ["BartPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFOpenAIGPTLMHeadModel(TFOpenAIGPTPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFOpenAIGPTMainLayer(config, name="transformer")

    def call(self, input_ids=None, attention_mask=None, training=False):
        return self.transformer(input_ids, attention_mask=attention_mask)
""",
            after="""
class TFOpenAIGPTLMHeadModel(TFOpenAIGPTPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.supports_xla_generation = False  # XLA generation reads a cache from the outputs: there is none
        self.transformer = TFOpenAIGPTMainLayer(config, name="transformer")

    def prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        \"\"\"``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``.\"\"\"
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
        }

    def call(self, input_ids=None, attention_mask=None, training=False):
        return self.transformer(input_ids, attention_mask=attention_mask)
""",
            note="a head whose call takes no cache says XLA generation is not supported, as hand-written ports do",
            context=(("class_bases", {"OpenAIGPTLMHeadModel": ["OpenAIGPTPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFPhi3ForCausalLM(TFPhi3PreTrainedModel):
    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, use_cache=True, **kwargs):
        if past_key_values and self.config.rope_scaling:
            past_key_values = None
        return super().prepare_inputs_for_generation(input_ids, past_key_values=past_key_values, **kwargs)

    def call(self, input_ids=None, past_key_values=None, training=False):
        return self.model(input_ids, past_key_values=past_key_values)
""",
            after="""
class TFPhi3ForCausalLM(TFPhi3PreTrainedModel):
    def _generic_prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        \"\"\"``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``.\"\"\"
        # only the newest token when the past holds the others
        if past_key_values:
            input_ids = input_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "past_key_values": past_key_values,
        }

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, use_cache=True, **kwargs):
        if past_key_values and self.config.rope_scaling:
            past_key_values = None
        return self._generic_prepare_inputs_for_generation(input_ids, past_key_values=past_key_values, **kwargs)

    def call(self, input_ids=None, past_key_values=None, training=False):
        return self.model(input_ids, past_key_values=past_key_values)
""",
            note="a head's own method calling PyTorch's generic one calls the generic one written beside it",
            context=(("class_bases", {"Phi3ForCausalLM": ["Phi3PreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFGemma2ForCausalLM(TFGemma2PreTrainedModel):
    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, cache_position=None, **kwargs):
        if past_key_values is not None:
            input_ids = input_ids[:, -cache_position.shape[0] :]
        return {"input_ids": input_ids, "past_key_values": past_key_values, "cache_position": cache_position}

    def call(self, input_ids=None, past_key_values=None, training=False):
        return self.model(input_ids, past_key_values=past_key_values)
""",
            after='''
# TODO(tfscaffold): prepare_inputs_for_generation: PyTorch's own reads cache_position, which TF generate() does not pass: the generic one, written from the call signature, replaces it
class TFGemma2ForCausalLM(TFGemma2PreTrainedModel):
    def prepare_inputs_for_generation(
        self, input_ids, past_key_values=None, attention_mask=None, use_cache=None, **kwargs
    ):
        """``GenerationMixin.prepare_inputs_for_generation`` of PyTorch for TF ``generate()``."""
        # only the newest token when the past holds the others
        if past_key_values:
            input_ids = input_ids[:, -1:]
        return {
            "input_ids": input_ids,
            "past_key_values": past_key_values,
        }

    def call(self, input_ids=None, past_key_values=None, training=False):
        return self.model(input_ids, past_key_values=past_key_values)
''',
            note="an own method built on PyTorch's cache positions, not deferring to the generic one",
            context=(("class_bases", {"Gemma2ForCausalLM": ["Gemma2PreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFXLNetLMHeadModel(TFXLNetPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, use_mems=None, **kwargs):
        inputs = {"input_ids": input_ids, "use_mems": use_mems}
        if past_key_values:
            inputs["mems"] = past_key_values
        return inputs

    def call(self, input_ids=None, mems=None, use_mems=None, training=False):
        return self.transformer(input_ids, mems=mems)
""",
            after="""
class TFXLNetLMHeadModel(TFXLNetPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.supports_xla_generation = False  # XLA generation hands past_key_values back: prepare_inputs_for_generation takes none on

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, use_mems=None, **kwargs):
        inputs = {"input_ids": input_ids, "use_mems": use_mems}
        if past_key_values:
            inputs["mems"] = past_key_values
        return inputs

    def call(self, input_ids=None, mems=None, use_mems=None, training=False):
        return self.transformer(input_ids, mems=mems)
""",
            note="an own method handing its past on under another name: no XLA generation",
            context=(("class_bases", {"XLNetLMHeadModel": ["XLNetPreTrainedModel", "GenerationMixin"]}),),
        ),
        Example(
            before="""
class TFBertForMaskedLM(TFBertPreTrainedModel):
    def call(self, input_ids=None, training=False):
        return self.bert(input_ids)
""",
            after="""
class TFBertForMaskedLM(TFBertPreTrainedModel):
    def call(self, input_ids=None, training=False):
        return self.bert(input_ids)
""",
            note="a head PyTorch does not build on GenerationMixin gets nothing",
            context=(("class_bases", {"BertForMaskedLM": ["BertPreTrainedModel"]}),),
        ),
    )

    def _pt_name(self, tf_name: str) -> str | None:
        if tf_name.startswith("TF") and tf_name[2:] in self.ctx.class_bases:
            return tf_name[2:]
        return tf_name if tf_name in self.ctx.class_bases else None

    def _generates(self, pt_name: str) -> bool:
        return self.ctx.derives_from(pt_name, "GenerationMixin")

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        pt_name = self._pt_name(updated.name.value)
        if pt_name is None or not self._generates(pt_name):
            return updated
        if any(b in self.ctx.class_bases and self._generates(b) for b in self.ctx.class_bases[pt_name]):
            return updated  # inherited from a local class that gets it
        body = list(updated.body.body)
        methods = {s.name.value: i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)}
        if "call" not in methods:
            return updated
        call = body[methods["call"]]
        params = _params(call)
        if METHOD in methods and not self._positions_only_pytorch_passes(body[methods[METHOD]]):
            if _hands_on_no_past(body[methods[METHOD]]) and "__init__" in methods:
                body[methods["__init__"]] = _without_xla_generation(body[methods["__init__"]], _NO_PAST_HANDED_ON)
                updated = updated.with_changes(body=updated.body.with_changes(body=body))
            return self._generic_under_own(updated, list(updated.body.body), methods, params)
        if METHOD in methods:
            self.todo(
                METHOD,
                "PyTorch's own reads cache_position, which TF generate() does not pass: the generic one, "
                "written from the call signature, replaces it",
            )
            del body[methods[METHOD]]
            methods = {s.name.value: i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)}
            call = body[methods["call"]]
        if "decoder_input_ids" in params:
            if "encoder_outputs" not in params:
                self.todo(
                    METHOD, "an encoder-decoder head whose call takes no encoder_outputs: TF generate() passes them"
                )
                return updated
            source = seq2seq_method_source(params)
        else:
            source = method_source(params)
        if not CACHE_PARAMETERS & set(params) and "__init__" in methods:
            body[methods["__init__"]] = _without_xla_generation(body[methods["__init__"]])
        method = cst.parse_module(source).body[0]
        at = methods["call"]
        if at == 0:  # the call keeps its place below a blank line
            body[0] = call.with_changes(leading_lines=[cst.EmptyLine(), *call.leading_lines])
        else:
            method = method.with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(at, method)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    @staticmethod
    def _positions_only_pytorch_passes(own: cst.FunctionDef) -> bool:
        """An own method built on ``cache_position`` (which TF ``generate()`` never passes) that does not
        defer to the generic one: it re-implements the generic one for PyTorch's cache objects."""
        supers = _SuperMethodCalls()
        own.visit(supers)
        return "cache_position" in names_in(own) and not supers.found

    def _generic_under_own(self, updated: cst.ClassDef, body: list, methods: dict, params: list[str]) -> cst.ClassDef:
        """A head's own method calling ``super().prepare_inputs_for_generation`` (PyTorch's generic one) calls
        the generic method written here instead: TF's mixin has none to call."""
        own = body[methods[METHOD]]
        supers = _SuperMethodCalls()
        own = own.visit(supers)
        if not supers.found or "decoder_input_ids" in params:
            return updated
        generic = cst.parse_module(method_source(params).replace(METHOD, GENERIC, 1)).body[0]
        at = methods[METHOD]
        if at == 0:  # the own method keeps its place below a blank line
            own = own.with_changes(leading_lines=[cst.EmptyLine(), *own.leading_lines])
        else:
            generic = generic.with_changes(leading_lines=[cst.EmptyLine()])
        body[at] = own
        body.insert(at, generic)
        return updated.with_changes(body=updated.body.with_changes(body=body))


def _hands_on_no_past(own: cst.FunctionDef) -> bool:
    """The method's inputs are dicts written out here, and none has a ``past_key_values`` key.

    XLA generation pads the past it finds under that key and reads it back from the outputs; a
    model whose method hands its past on under another name (XLNet's ``mems``) or none cannot
    generate that way (TF ports say so with ``supports_xla_generation = False``).
    """
    keys: set[str] = set()
    for node in m.findall(own, m.Dict()):
        keys |= {e.key.evaluated_value for e in node.elements if isinstance(getattr(e, "key", None), cst.SimpleString)}
    for node in m.findall(own, m.Subscript(slice=[m.SubscriptElement(m.Index(m.SimpleString()))])):
        keys.add(node.slice[0].slice.value.evaluated_value)
    return "input_ids" in keys and "past_key_values" not in keys


# The generic method a head's own ``prepare_inputs_for_generation`` calls where PyTorch calls ``super()``'s.
GENERIC = "_generic_prepare_inputs_for_generation"


class _SuperMethodCalls(cst.CSTTransformer):
    """``super().prepare_inputs_for_generation`` -> ``self._generic_prepare_inputs_for_generation``."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        value = updated.value
        if (
            updated.attr.value == METHOD
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value == "super"
            and not value.args
        ):
            self.found = True
            return cst.Attribute(value=cst.Name("self"), attr=cst.Name(GENERIC))
        return updated


STACK_HELPER = "tf_stacked_past"
STACK_SOURCE = '''
def tf_stacked_past(past_key_values):
    """The cache as TF ``generate()`` reads it for this model (batch on axis 1): one tensor per layer stacking its
    key and value on a new first axis."""
    if past_key_values is None:
        return None
    return tuple(tf.stack(layer_past, axis=0) for layer_past in past_key_values)
'''


def _mentions(node: cst.CSTNode, name: str) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Name(self, n: cst.Name) -> None:
            self.found = self.found or n.value == name

    finder = Finder()
    node.visit(finder)
    return finder.found


def _returns(node: cst.CSTNode, name: str) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Return(self, n: cst.Return) -> bool:
            self.found = self.found or (n.value is not None and _mentions(n.value, name))
            return False

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    finder = Finder()
    node.visit(finder)
    return finder.found


class StackedPast(Rule):
    """A model whose cache TF ``generate()`` reads with the batch on axis 1 keeps one tensor per layer.

    ``generation/tf_utils.py`` of the tree chooses the cache layout by class name (``ctx.stacked_past`` says
    whether this module's classes are among them): its beam search gathers and its XLA loop pads the cache
    as one ``(2, batch, heads, seq, head_dim)`` tensor per layer, where PyTorch keeps a ``(key, value)``
    tuple. The cache a call returns in a model output (``past_key_values=<local>``) is stacked once before
    the first return that hands it out, and a layer's past taken apart (``past_key, past_value =
    layer_past``, a parameter named for the past) is unstacked (iterating a tensor fails in graph mode).
    Other modules are left alone.
    """

    name = "stacked-past"
    summary = "Cache of models TF generate() reads on batch axis 1: stacked per layer on output, unstacked on input."
    examples = (
        Example(
            before="""
def call(self, hidden_states, layer_past=None, use_cache=False):
    if layer_past is not None:
        past_key, past_value = layer_past
        key = tf.concat((past_key, key), axis=-2)
    return (key, value)
""",
            after="""
def call(self, hidden_states, layer_past=None, use_cache=False):
    if layer_past is not None:
        past_key, past_value = tf.unstack(layer_past, axis=0)
        key = tf.concat((past_key, key), axis=-2)
    return (key, value)
""",
            context=(("stacked_past", True),),
        ),
        Example(
            before="""
def call(self, input_ids, past_key_values=None, return_dict=True):
    presents = ()
    for block in self.h:
        presents = presents + (block(input_ids)[1],)
    if not return_dict:
        return tuple(v for v in [hidden_states, presents] if v is not None)
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            after="""
def call(self, input_ids, past_key_values=None, return_dict=True):
    presents = ()
    for block in self.h:
        presents = presents + (block(input_ids)[1],)
    presents = tf_stacked_past(presents)
    if not return_dict:
        return tuple(v for v in [hidden_states, presents] if v is not None)
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            context=(("stacked_past", True), ("tf_outputs", {"TFBaseModelOutputWithPast"})),
        ),
        Example(
            before="""
def call(self, input_ids, past_key_values=None):
    outputs = self.transformer(input_ids, past_key_values=past_key_values)
    return TFCausalLMOutputWithPast(logits=logits, past_key_values=outputs.past_key_values)
""",
            after="""
def call(self, input_ids, past_key_values=None):
    outputs = self.transformer(input_ids, past_key_values=past_key_values)
    return TFCausalLMOutputWithPast(logits=logits, past_key_values=outputs.past_key_values)
""",
            note="a head hands on the cache its main layer stacked; a call's past_key_values argument is no output",
            context=(("stacked_past", True), ("tf_outputs", {"TFCausalLMOutputWithPast"})),
        ),
        Example(
            before="""
def call(self, hidden_states, layer_past=None):
    past_key, past_value = layer_past
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            after="""
def call(self, hidden_states, layer_past=None):
    past_key, past_value = layer_past
    return TFBaseModelOutputWithPast(last_hidden_state=hidden_states, past_key_values=presents)
""",
            note="a model whose cache TF generate() reads per (key, value) tuple keeps PyTorch's layout",
            context=(("tf_outputs", {"TFBaseModelOutputWithPast"}),),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self.ctx.stacked_past

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if not self.ctx.stacked_past or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        pasts = {p for p in _params(updated) if "past" in p}
        updated = updated.visit(_Unstack(pasts)) if pasts else updated
        cache = self._output_cache(updated)
        if cache is None:
            return updated
        body = list(updated.body.body)
        at = next((i for i, stmt in enumerate(body) if _returns(stmt, cache)), None)
        if at is None:
            return updated
        helper = self.ctx.need_support(STACK_HELPER, STACK_SOURCE)
        body.insert(at, cst.parse_statement(f"{cache} = {helper}({cache})\n"))
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def _output_cache(self, func: cst.FunctionDef) -> str | None:
        """The local a model output of this function takes as ``past_key_values``."""
        tf_outputs = self.ctx.tf_outputs
        found: list[str] = []

        class Finder(HookVisitor):
            def visit_Call(self, n: cst.Call) -> None:
                if not (isinstance(n.func, cst.Name) and n.func.value in tf_outputs):
                    return
                for arg in n.args:
                    if arg.keyword and arg.keyword.value == "past_key_values" and isinstance(arg.value, cst.Name):
                        found.append(arg.value.value)

            def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
                return n is func

        func.visit(Finder())
        return found[0] if found else None


class _Unstack(cst.CSTTransformer):
    """``a, b = <past>`` -> ``a, b = tf.unstack(<past>, axis=0)`` for the given names."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not (len(updated.targets) == 1 and isinstance(updated.targets[0].target, cst.Tuple)):
            return updated
        if not (isinstance(updated.value, cst.Name) and updated.value.value in self.names):
            return updated
        return updated.with_changes(value=cst.parse_expression(f"tf.unstack({updated.value.value}, axis=0)"))


# -- decoder positions under XLA ------------------------------------------------------------------------

PAST_LENGTH = "past_key_values_length"


def _call_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "call":
            return stmt
    return None


def _sublayer_classes(cls: cst.ClassDef) -> dict[str, str]:
    """``self.<attr> = <Class>(...)`` in the class's ``__init__``: attr -> class name."""
    found: dict[str, str] = {}

    class Finder(HookVisitor):
        def visit_Assign(self, n: cst.Assign) -> None:
            if not (isinstance(n.value, cst.Call) and isinstance(n.value.func, cst.Name)):
                return
            for target in n.targets:
                t = target.target
                if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                    found[t.attr.value] = n.value.func.value

    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
            stmt.visit(Finder())
    return found


def _self_calls(func: cst.FunctionDef) -> list[tuple[str, cst.Call]]:
    """Calls ``self.<attr>(...)`` in the function: (attr, call)."""
    found: list[tuple[str, cst.Call]] = []

    class Finder(HookVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            f = n.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == "self":
                found.append((f.attr.value, n))

    func.visit(Finder())
    return found


def _passes_past_length(call: cst.Call) -> bool:
    return any(
        (isinstance(a.value, cst.Name) and a.value.value == PAST_LENGTH)
        or (a.keyword is not None and a.keyword.value == PAST_LENGTH)
        for a in call.args
    )


def _positions_statement(func: cst.FunctionDef) -> int | None:
    """Index of the body statement ``<name> = <expression of past_key_values_length>`` (the positions)."""
    if not isinstance(func.body, cst.IndentedBlock):
        return None
    for i, stmt in enumerate(func.body.body):
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        assign = stmt.body[0]
        if (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and _mentions(assign.value, PAST_LENGTH)
        ):
            return i
    return None


def _with_param(func: cst.FunctionDef, name: str, after: tuple[str, ...]) -> cst.FunctionDef:
    """``func`` taking ``name=None`` after the first of ``after`` it takes (else before ``training``, else last)."""
    params = list(func.params.params)
    names = [p.name.value for p in params]
    at = next((names.index(a) + 1 for a in after if a in names), None)
    if at is None:
        at = names.index("training") if "training" in names else len(params)
    new = cst.Param(
        name=cst.Name(name),
        default=cst.Name("None"),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
    )
    if at == len(params) and params and not func.params.star_kwarg and not func.params.kwonly_params:
        new = new.with_changes(comma=params[-1].comma)
        params[-1] = params[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    params.insert(at, new)
    return func.with_changes(params=func.params.with_changes(params=params))


def _with_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call:
    args = list(call.args)
    arg = cst.Arg(
        keyword=cst.Name(keyword),
        value=cst.Name(value),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if args:
        trailing = args[-1].comma
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        arg = arg.with_changes(comma=trailing)
    return call.with_changes(args=[*args, arg])


class DecoderPositionIds(Rule):
    """An encoder-decoder whose decoder takes its positions from the past's length can be told them.

    Under XLA TF ``generate()`` pads the past to its full length and marks the real slots in
    ``decoder_attention_mask``; positions read from the past's length are wrong there. TF ports of such
    models take ``decoder_position_ids``: the positional embedding (a local layer the decoder calls with
    ``past_key_values_length``, which computes its positions from it) takes ``position_ids`` that replace
    the computed ones, the decoder takes ``position_ids`` and hands them to it, and every layer whose call
    takes ``decoder_input_ids`` and calls that decoder (or such a layer) takes ``decoder_position_ids`` and
    hands them on. Without them every result is PyTorch's. ``prepare_inputs_for_generation`` computes
    them from the decoder mask.
    """

    name = "decoder-position-ids"
    summary = "Encoder-decoders whose decoder positions come from the past's length take decoder_position_ids."
    examples = (
        Example(
            before="""
class TFBartLearnedPositionalEmbedding(keras.layers.Embedding):
    def call(self, input_ids, past_key_values_length=0):
        bsz, seq_len = shape_list(input_ids)[:2]
        positions = tf.range(past_key_values_length, past_key_values_length + seq_len)
        return super().call(positions + self.offset)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embed_positions = TFBartLearnedPositionalEmbedding(config.max_position_embeddings, name="embed_positions")

    def call(self, input_ids=None, attention_mask=None, past_key_values=None, training=False):
        past_key_values_length = shape_list(past_key_values[0][0])[2] if past_key_values is not None else 0
        positions = self.embed_positions(input_ids, past_key_values_length)
        return input_ids + positions


class TFBartMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.decoder = TFBartDecoder(config, name="decoder")

    def call(self, input_ids=None, decoder_input_ids=None, decoder_attention_mask=None, training=False):
        return self.decoder(input_ids=decoder_input_ids, attention_mask=decoder_attention_mask, training=training)


class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFBartMainLayer(config, name="model")

    def call(self, input_ids=None, decoder_input_ids=None, training=False):
        return self.model(input_ids, decoder_input_ids=decoder_input_ids, training=training)
""",
            after="""
class TFBartLearnedPositionalEmbedding(keras.layers.Embedding):
    def call(self, input_ids, past_key_values_length=0, position_ids=None):
        bsz, seq_len = shape_list(input_ids)[:2]
        positions = tf.range(past_key_values_length, past_key_values_length + seq_len)
        if position_ids is not None:  # given (XLA generation pads the past)
            positions = tf.cast(position_ids, positions.dtype)
        return super().call(positions + self.offset)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embed_positions = TFBartLearnedPositionalEmbedding(config.max_position_embeddings, name="embed_positions")

    def call(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None, training=False):
        past_key_values_length = shape_list(past_key_values[0][0])[2] if past_key_values is not None else 0
        positions = self.embed_positions(input_ids, past_key_values_length, position_ids=position_ids)
        return input_ids + positions


class TFBartMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.decoder = TFBartDecoder(config, name="decoder")

    def call(
        self,
        input_ids=None,
        decoder_input_ids=None,
        decoder_attention_mask=None,
        decoder_position_ids=None,
        training=False,
    ):
        return self.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            training=training,
            position_ids=decoder_position_ids,
        )


class TFBartForConditionalGeneration(TFBartPreTrainedModel):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFBartMainLayer(config, name="model")

    def call(self, input_ids=None, decoder_input_ids=None, decoder_position_ids=None, training=False):
        return self.model(
            input_ids,
            decoder_input_ids=decoder_input_ids,
            training=training,
            decoder_position_ids=decoder_position_ids,
        )
""",
        ),
        Example(
            before="""
class TFXGLMSinusoidalPositionalEmbedding(keras.layers.Layer):
    def call(self, position_ids, past_key_values_length=0):
        positions = tf.range(past_key_values_length, past_key_values_length + shape_list(position_ids)[1])
        return tf.gather(self.weights, positions)


class TFXGLMModel(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embed_positions = TFXGLMSinusoidalPositionalEmbedding(config, name="embed_positions")

    def call(self, input_ids=None, past_key_values=None, training=False):
        past_key_values_length = shape_list(past_key_values[0][0])[2] if past_key_values is not None else 0
        return input_ids + self.embed_positions(input_ids, past_key_values_length)
""",
            after="""
class TFXGLMSinusoidalPositionalEmbedding(keras.layers.Layer):
    def call(self, position_ids, past_key_values_length=0):
        positions = tf.range(past_key_values_length, past_key_values_length + shape_list(position_ids)[1])
        return tf.gather(self.weights, positions)


class TFXGLMModel(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.embed_positions = TFXGLMSinusoidalPositionalEmbedding(config, name="embed_positions")

    def call(self, input_ids=None, past_key_values=None, training=False):
        past_key_values_length = shape_list(past_key_values[0][0])[2] if past_key_values is not None else 0
        return input_ids + self.embed_positions(input_ids, past_key_values_length)
""",
            note="no layer taking decoder_input_ids calls the decoder (decoder-only): left alone",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        # class name -> what it gets: ("embedding", None), ("decoder", embedding attr), ("outer", {attr: keyword})
        self.plan: dict[str, tuple[str, object]] = {}
        classes = {c.name.value: c for c in node.body if isinstance(c, cst.ClassDef)}
        calls = {name: f for name, c in classes.items() if (f := _call_method(c)) is not None}
        embeddings = {
            name
            for name, f in calls.items()
            if PAST_LENGTH in _params(f) and "position_ids" not in _params(f) and _positions_statement(f) is not None
        }
        plan: dict[str, tuple[str, object]] = {}
        for name, f in calls.items():
            params = _params(f)
            if "past_key_values" not in params or "position_ids" in params:
                continue
            attrs = _sublayer_classes(classes[name])
            for attr, call in _self_calls(f):
                if attrs.get(attr) in embeddings and _passes_past_length(call):
                    plan[name] = ("decoder", attr)
                    plan.setdefault(attrs[attr], ("embedding", None))
                    break
        decoders = {name for name, (kind, _) in plan.items() if kind == "decoder"}
        changed = True
        while changed:
            changed = False
            for name, f in calls.items():
                params = _params(f)
                if name in plan or "decoder_input_ids" not in params or "decoder_position_ids" in params:
                    continue
                attrs = _sublayer_classes(classes[name])
                hands: dict[str, str] = {}
                for attr, _ in _self_calls(f):
                    callee = attrs.get(attr)
                    if callee in decoders:
                        hands[attr] = "position_ids"
                    elif callee in plan and plan[callee][0] == "outer":
                        hands[attr] = "decoder_position_ids"
                if hands:
                    plan[name] = ("outer", hands)
                    changed = True
        if any(kind == "outer" for kind, _ in plan.values()):
            self.plan = plan
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        entry = self.plan.get(updated.name.value)
        if entry is None:
            return updated
        kind, what = entry
        body = list(updated.body.body)
        at = next(i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef) and s.name.value == "call")
        func = body[at]
        if kind == "embedding":
            func = self._embedding(func)
        elif kind == "decoder":
            func = _with_param(func, "position_ids", ("attention_mask",))
            func = func.visit(_HandOn({what: "position_ids"}, "position_ids"))
        else:
            func = _with_param(func, "decoder_position_ids", ("decoder_attention_mask", "decoder_input_ids"))
            func = func.visit(_HandOn(what, "decoder_position_ids"))
        body[at] = func
        return updated.with_changes(body=updated.body.with_changes(body=body))

    @staticmethod
    def _embedding(func: cst.FunctionDef) -> cst.FunctionDef:
        i = _positions_statement(func)
        target = func.body.body[i].body[0].targets[0].target.value
        override = cst.parse_statement(
            f"if position_ids is not None:  # given (XLA generation pads the past)\n"
            f"    {target} = tf.cast(position_ids, {target}.dtype)\n"
        )
        statements = list(func.body.body)
        statements.insert(i + 1, override)
        func = func.with_changes(body=func.body.with_changes(body=statements))
        return _with_param(func, "position_ids", ())


class _HandOn(cst.CSTTransformer):
    """``self.<attr>(...)`` -> ``self.<attr>(..., <keyword>=<value>)`` for the given attrs."""

    def __init__(self, keywords: dict[str, str], value: str) -> None:
        super().__init__()
        self.keywords = keywords
        self.value = value

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        f = updated.func
        if not (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == "self"):
            return updated
        keyword = self.keywords.get(f.attr.value)
        if keyword is None or any(a.keyword is not None and a.keyword.value == keyword for a in updated.args):
            return updated
        return _with_keyword(updated, keyword, self.value)


RULES: list[type[Rule]] = [DecoderPositionIds, PrepareInputsForGeneration, StackedPast]
