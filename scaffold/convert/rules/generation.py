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

from scaffold.convert.rules.base import Example, Rule

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
    returned = [
        ("input_ids", "None"),
        ("encoder_outputs", "encoder_outputs"),
        ("decoder_input_ids", "decoder_input_ids"),
    ]
    if "past_key_values" in takes:
        returned.append(("past_key_values", "past_key_values"))
    returned += [(name, name) for name in kept]
    lines.append("    return {")
    lines += [f'        "{key}": {value},' for key, value in returned]
    lines.append("    }")
    return "\n".join(lines) + "\n"


class PrepareInputsForGeneration(Rule):
    """A head PyTorch builds on ``GenerationMixin`` gets ``prepare_inputs_for_generation`` (before ``call``).

    Without it TF ``generate()`` refuses the model (``can_generate()`` is False). The method is written
    from the ``call`` signature: position ids from the attention mask and the cut to the newest token
    only for inputs the call takes. An encoder-decoder head (a call taking ``decoder_input_ids``) gets
    the method TF ports of such models have: ``generate()`` ran the encoder and passes its
    ``encoder_outputs``, the decoder ids are the generated ones; a TODO says what XLA generation
    still needs (decoder positions) when the call cannot take them. A class that defines the method
    keeps its own (converted as any method); a subclass of a local class that gets it inherits it.
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
# TODO(tfscaffold): prepare_inputs_for_generation: under XLA TF generate() pads the past to full length: decoder positions taken from the past's length are wrong there (TF BART takes decoder_position_ids, from decoder_attention_mask)
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
        if METHOD in methods or "call" not in methods:
            return updated
        call = body[methods["call"]]
        params = _params(call)
        if "decoder_input_ids" in params:
            if "encoder_outputs" not in params:
                self.todo(
                    METHOD, "an encoder-decoder head whose call takes no encoder_outputs: TF generate() passes them"
                )
                return updated
            source = seq2seq_method_source(params)
            if "decoder_position_ids" not in params and "past_key_values" in params:
                # TF generate() under XLA pads the past to its full length: positions read from its
                # length are wrong there, and only a call that takes decoder positions can be told them.
                self.todo(
                    METHOD,
                    "under XLA TF generate() pads the past to full length: decoder positions taken from the past's "
                    "length are wrong there (TF BART takes decoder_position_ids, from decoder_attention_mask)",
                )
        else:
            source = method_source(params)
        method = cst.parse_module(source).body[0]
        at = methods["call"]
        if at == 0:  # the call keeps its place below a blank line
            body[0] = call.with_changes(leading_lines=[cst.EmptyLine(), *call.leading_lines])
        else:
            method = method.with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(at, method)
        return updated.with_changes(body=updated.body.with_changes(body=body))


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
    class Finder(cst.CSTVisitor):
        found = False

        def visit_Name(self, n: cst.Name) -> None:
            self.found = self.found or n.value == name

    finder = Finder()
    node.visit(finder)
    return finder.found


def _returns(node: cst.CSTNode, name: str) -> bool:
    class Finder(cst.CSTVisitor):
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

        class Finder(cst.CSTVisitor):
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


RULES: list[type[Rule]] = [PrepareInputsForGeneration, StackedPast]
