"""Decoder positions under XLA: position ids handed down where positions come from the past's length."""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, HookVisitor, Rule
from scaffold.convert.rules.generation import _mentions, _params
from scaffold.cstwalk import walk

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
            walk(stmt, Finder())
    return found


def _self_calls(func: cst.FunctionDef) -> list[tuple[str, cst.Call]]:
    """Calls ``self.<attr>(...)`` in the function: (attr, call)."""
    found: list[tuple[str, cst.Call]] = []

    class Finder(HookVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            f = n.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == "self":
                found.append((f.attr.value, n))

    walk(func, Finder())
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
            func = walk(func, _HandOn({what: "position_ids"}, "position_ids"))
        else:
            func = _with_param(func, "decoder_position_ids", ("decoder_attention_mask", "decoder_input_ids"))
            func = walk(func, _HandOn(what, "decoder_position_ids"))
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


class _HandOn(HookTransformer):
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


RULES: list[type[Rule]] = [DecoderPositionIds]
