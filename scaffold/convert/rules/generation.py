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

from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule, find_all, names_in
from scaffold.cstwalk import walk

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
    phase = "generation"
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
        walk(own, supers)
        return "cache_position" in names_in(own) and not supers.found

    def _generic_under_own(self, updated: cst.ClassDef, body: list, methods: dict, params: list[str]) -> cst.ClassDef:
        """A head's own method calling ``super().prepare_inputs_for_generation`` (PyTorch's generic one) calls
        the generic method written here instead: TF's mixin has none to call."""
        own = body[methods[METHOD]]
        supers = _SuperMethodCalls()
        own = walk(own, supers)
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


def _string_key(sub: cst.Subscript) -> bool:
    """``x["key"]``: one index, a string."""
    return (
        len(sub.slice) == 1
        and isinstance(sub.slice[0].slice, cst.Index)
        and isinstance(sub.slice[0].slice.value, cst.SimpleString)
    )


def _hands_on_no_past(own: cst.FunctionDef) -> bool:
    """The method's inputs are dicts written out here, and none has a ``past_key_values`` key.

    XLA generation pads the past it finds under that key and reads it back from the outputs; a
    model whose method hands its past on under another name (XLNet's ``mems``) or none cannot
    generate that way (TF ports say so with ``supports_xla_generation = False``).
    """
    keys: set[str] = set()
    for node in find_all(own, cst.Dict):
        keys |= {e.key.evaluated_value for e in node.elements if isinstance(getattr(e, "key", None), cst.SimpleString)}
    for node in find_all(own, cst.Subscript, _string_key):
        keys.add(node.slice[0].slice.value.evaluated_value)
    return "input_ids" in keys and "past_key_values" not in keys


# The generic method a head's own ``prepare_inputs_for_generation`` calls where PyTorch calls ``super()``'s.
GENERIC = "_generic_prepare_inputs_for_generation"


class _SuperMethodCalls(HookTransformer):
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


def _mentions(node: cst.CSTNode, name: str) -> bool:
    class Finder(HookVisitor):
        found = False

        def visit_Name(self, n: cst.Name) -> None:
            self.found = self.found or n.value == name

    finder = Finder()
    walk(node, finder)
    return finder.found


RULES: list[type[Rule]] = [PrepareInputsForGeneration]
