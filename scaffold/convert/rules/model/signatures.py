"""``__init__`` and ``call`` signatures: config and kwargs, ``forward`` -> ``call``, chunking, ``@unpack_inputs``."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import (
    Example,
    HookTransformer,
    Rule,
    dotted,
    find_all,
    init_assignments,
    is_docstring,
    names_in,
)
from scaffold.convert.rules.model.common import _append_args, module_classes
from scaffold.convert.rules.model.main_layer import _decorator_name
from scaffold.cstwalk import walk


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
        return walk(updated.with_changes(params=params), _PassKwargsToSuper(star_args, only_stars=keras_base))


class _PassKwargsToSuper(HookTransformer):
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

    name_gated = frozenset({"FunctionDef", "Attribute"})  # a ``forward`` method, ``self.forward``

    def names_reacted_to(self) -> Iterable[str]:
        return ("forward",)

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


_HEAD_OVER_RESOLVING_MODEL = """
class TFGemma3TextModel(TFGemma3PreTrainedModel):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        return self.layers(input_ids, use_cache=use_cache)


class TFGemma3ForCausalLM(TFGemma3PreTrainedModel):
    def __init__(self, config):
        self.model = TFGemma3TextModel(config, name="model")

    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        return self.model(input_ids, use_cache=use_cache)
"""


class CacheOffUnlessDecoder(Rule):
    """A ``use_cache`` PyTorch leaves at None stays off; ``@unpack_inputs`` would read the config's.

    ``@unpack_inputs`` replaces a ``use_cache`` of None with ``config.use_cache`` (True for most
    configs), so an encoder whose PyTorch ``forward`` never reads the config's value (None means no
    cache there) would return ``past_key_values`` in TF. As in transformers' hand-written ports, the
    main layer (or, without one, each decorated model ``call``) turns the cache off unless the
    config is a decoder's; a decoder called with None then caches where PyTorch would not, which
    changes what is returned, never a value. A ``call`` handing ``use_cache`` to a model of the module
    that reads the config's (4.54+'s ``@check_model_inputs`` did, for every head above it) is left as
    it is: None means the config's there, as in PyTorch.
    """

    name = "cache-off-unless-decoder"
    summary = "@unpack_inputs call passing use_cache on, never reading config.use_cache -> off unless is_decoder."
    examples = (
        Example(
            before="""
class TFElectraMainLayer(keras.layers.Layer):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        \"\"\"Docs.\"\"\"
        return self.encoder(input_ids, use_cache=use_cache)


class TFElectraModel(TFElectraPreTrainedModel):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        return self.electra(input_ids, use_cache=use_cache)


class TFGPT2MainLayer(keras.layers.Layer):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        return self.h(input_ids, use_cache=use_cache)
""",
            after="""
class TFElectraMainLayer(keras.layers.Layer):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        \"\"\"Docs.\"\"\"
        if not self.config.is_decoder:
            use_cache = False
        return self.encoder(input_ids, use_cache=use_cache)


class TFElectraModel(TFElectraPreTrainedModel):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        return self.electra(input_ids, use_cache=use_cache)


class TFGPT2MainLayer(keras.layers.Layer):
    @unpack_inputs
    def call(self, input_ids=None, use_cache=None):
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        return self.h(input_ids, use_cache=use_cache)
""",
            note="the model passes use_cache to its main layer, which turns it off; GPT-2 reads the config itself",
            context=(("prefix", "Electra"),),
        ),
        Example(
            before=_HEAD_OVER_RESOLVING_MODEL,
            after=_HEAD_OVER_RESOLVING_MODEL,
            note="no main layer: the head hands None to a model that reads the config's, as PyTorch's does",
            context=(("prefix", "Gemma3"),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        top = [s for s in node.body if isinstance(s, cst.ClassDef)]
        self.has_main_layer = self.ctx.main_layer in {c.name.value for c in top}
        self.top = {id(c) for c in top}
        # classes whose call reads the config's use_cache (4.54+'s @check_model_inputs, written out): a head
        # handing them None gets the config's, as in PyTorch
        self.resolving = {c.name.value for c in top if any(_reads_use_cache(f) for f in _calls_of(c))}
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        name = updated.name.value
        if id(original) not in self.top or (self.has_main_layer and name != self.ctx.main_layer):
            return updated
        resolving = {
            attr
            for attr, value in init_assignments(updated).items()
            if isinstance(value, cst.Call) and (dotted(value.func) or "").split(".")[-1] in self.resolving
        }
        body = [self._guarded(s, resolving) if isinstance(s, cst.FunctionDef) else s for s in updated.body.body]
        return updated.with_changes(body=updated.body.with_changes(body=body))

    @staticmethod
    def _guarded(function: cst.FunctionDef, resolving: set[str]) -> cst.FunctionDef:
        params = {p.name.value for p in (*function.params.params, *function.params.kwonly_params)}
        if (
            function.name.value != "call"
            or not any(_decorator_name(d) == "unpack_inputs" for d in function.decorators)
            or "use_cache" not in params
            or _reads_use_cache(function)  # reads the config's itself
            or "use_cache" not in names_in(function.body)
            or find_all(  # hands it to a model that reads the config's
                function.body,
                cst.Call,
                lambda c: (dotted(c.func) or "").removeprefix("self.") in resolving
                and any(a.keyword is not None and a.keyword.value == "use_cache" for a in c.args),
            )
        ):
            return function
        body = list(function.body.body)
        at = 1 if body and is_docstring(body[0]) else 0
        guard = cst.parse_statement("if not self.config.is_decoder:\n    use_cache = False\n")
        return function.with_changes(body=function.body.with_changes(body=[*body[:at], guard, *body[at:]]))


def _calls_of(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value in ("call", "forward")]


def _reads_use_cache(function: cst.FunctionDef) -> bool:
    return bool(find_all(function.body, cst.Attribute, lambda a: a.attr.value == "use_cache"))


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

        class Rewrite(HookTransformer):
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

        body = walk(updated.body, Rewrite())
        if not keys:
            return updated
        params = list(updated.params.params)
        at = next((i for i, p in enumerate(params) if p.name.value == "training"), len(params))
        new = [cst.Param(cst.Name(k), default=cst.Name("None")) for k in dict.fromkeys(keys)]
        params = params[:at] + new + params[at:]
        return updated.with_changes(body=body, params=updated.params.with_changes(params=params))
