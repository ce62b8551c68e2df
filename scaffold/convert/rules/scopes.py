"""Weight names when a layer calls a sublayer of one of its sublayers.

A PyTorch head may skip a level: ``OPTForCausalLM.forward`` calls ``self.model.decoder(...)``.
Keras names a weight after the layers being called when it is created, so the decoder's weights
would become ``decoder/...`` instead of ``model/decoder/...`` and miss their PyTorch checkpoint
entries (``model.decoder.*``). Entering the skipped layers' name scopes around the statement gives
the names the nesting has; the scope changes nothing else.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted, is_docstring
from scaffold.cstwalk import walk


def _sublayers(cls: cst.ClassDef) -> set[str]:
    """``self.<attr> = X(..., name=...)`` in ``__init__``: the attributes holding named sublayers."""
    found: set[str] = set()
    for member in cls.body.body:
        if not (isinstance(member, cst.FunctionDef) and member.name.value == "__init__"):
            continue

        class _Visitor(HookVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                value = node.value
                if not (
                    isinstance(value, cst.Call) and any(a.keyword and a.keyword.value == "name" for a in value.args)
                ):
                    return
                for target in node.targets:
                    t = target.target
                    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                        found.add(t.attr.value)

        walk(member, _Visitor())
    return found


def _chain(func: cst.BaseExpression) -> list[str] | None:
    """``self.a.b.c`` -> ["a", "b", "c"]; None for anything else."""
    parts: list[str] = []
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if isinstance(func, cst.Name) and func.value == "self":
        return list(reversed(parts))
    return None


class _FirstDeepCall(HookVisitor):
    def __init__(self, sublayers: set[str]) -> None:
        self.sublayers = sublayers
        self.chain: list[str] | None = None

    def visit_Call(self, node: cst.Call) -> bool:
        chain = _chain(node.func)
        if self.chain is None and chain is not None and len(chain) >= 2 and chain[0] in self.sublayers:
            self.chain = chain
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


class SkippedLayerScopes(Rule):
    """``self.a.b(...)`` in ``call`` (``a`` a sublayer) runs inside ``tf.name_scope(self.a.name)``."""

    name = "skipped-layer-scopes"
    phase = "scopes"
    summary = (
        "out = self.model.decoder(x) in call -> with tf.name_scope(self.model.name): out = self.model.decoder(x)."
    )
    examples = (
        Example(
            before="""
class TFOPTForCausalLM(TFOPTPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFOPTMainLayer(config, name="model")
        self.helper = SomeHelper()

    def call(self, input_ids):
        outputs = self.model.decoder(input_ids)
        embeds = self.model.get_input_embeddings()
        extra = self.helper.run(outputs)
        return self.model(input_ids)
""",
            after="""
class TFOPTForCausalLM(TFOPTPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFOPTMainLayer(config, name="model")
        self.helper = SomeHelper()

    def call(self, input_ids):
        with tf.name_scope(self.model.name):
            outputs = self.model.decoder(input_ids)
        with tf.name_scope(self.model.name):
            embeds = self.model.get_input_embeddings()
        extra = self.helper.run(outputs)
        return self.model(input_ids)
""",
            note="a direct sublayer call and a call on something that is not a named sublayer are left alone",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.sublayers: list[set[str]] = []
        self.in_call = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.sublayers.append(_sublayers(node))
        return True

    def leave_ClassDef(self, original, updated):
        self.sublayers.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == "call" and self.sublayers:
            self.in_call += 1
        return True

    def leave_FunctionDef(self, original, updated):
        if original.name.value == "call" and self.sublayers:
            self.in_call -= 1
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if not self.in_call or not self.sublayers[-1]:
            return updated
        finder = _FirstDeepCall(self.sublayers[-1])
        walk(updated, finder)
        if finder.chain is None:
            return updated
        items = [
            cst.WithItem(cst.parse_expression(f"tf.name_scope(self.{'.'.join(finder.chain[: i + 1])}.name)"))
            for i in range(len(finder.chain) - 1)
        ]
        items = [
            item.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for item in items[:-1]
        ] + [items[-1]]
        body = updated.with_changes(leading_lines=[])
        return cst.With(items=items, body=cst.IndentedBlock([body]), leading_lines=updated.leading_lines)


def _shared_embeddings(cls: cst.ClassDef) -> list[str]:
    """Embedding sublayers ``__init__`` also hands to another sublayer's constructor (``self.shared``)."""
    init = next((m for m in cls.body.body if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None)
    if init is None:
        return []
    embeddings: list[str] = []
    passed: set[str] = set()

    class _Visitor(HookVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            value = node.value
            if isinstance(value, cst.Call) and (_chain(node.targets[0].target) or [None])[0] is not None:
                func = value.func
                # only a named constructor (NORM2FN[kind](...) names none)
                name = (dotted(func) or "").rsplit(".", 1)[-1]
                chain = _chain(node.targets[0].target)
                if name.endswith("Embedding") and len(chain) == 1:
                    embeddings.append(chain[0])

        def visit_Call(self, node: cst.Call) -> None:
            for arg in node.args:
                chain = _chain(arg.value)
                if chain is not None and len(chain) == 1:
                    passed.add(chain[0])

    walk(init, _Visitor())
    return [name for name in embeddings if name in passed]


class SharedEmbeddingScopes(Rule):
    """An embedding a layer owns and hands to its sublayers (``TFMarianEncoder(config, self.shared)``)
    is built in its owner's scope at the start of ``call``.

    Otherwise Keras creates its table when a sublayer first calls it, under that sublayer's name
    (``model/encoder/shared``), and the PyTorch ``model.shared.weight`` finds no TF weight.
    """

    name = "shared-embedding-scopes"
    phase = "scopes"
    summary = "self.shared passed to sublayers -> built under tf.name_scope(self.shared.name) when call starts."
    examples = (
        Example(
            before="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = keras.layers.Embedding(config.vocab_size, config.d_model, name="shared")
        self.encoder = TFMarianEncoder(config, self.shared, name="encoder")
        self.pos = keras.layers.Embedding(4, 4, name="pos")

    def call(self, input_ids):
        \"\"\"Docs.\"\"\"
        return self.encoder(input_ids)
""",
            after="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = keras.layers.Embedding(config.vocab_size, config.d_model, name="shared")
        self.encoder = TFMarianEncoder(config, self.shared, name="encoder")
        self.pos = keras.layers.Embedding(4, 4, name="pos")

    def call(self, input_ids):
        \"\"\"Docs.\"\"\"
        if not self.shared.built:
            with tf.name_scope(self.shared.name):
                self.shared.build(None)
        return self.encoder(input_ids)
""",
            note="an embedding only the layer itself uses is left to Keras",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.shared: list[list[str]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.shared.append(_shared_embeddings(node))
        return True

    def leave_ClassDef(self, original, updated):
        self.shared.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        if updated.name.value != "call" or not self.shared or not self.shared[-1]:
            return updated
        body = list(updated.body.body)
        at = 1 if body and is_docstring(body[0]) else 0
        blocks = [
            cst.parse_statement(
                f"if not self.{name}.built:\n    with tf.name_scope(self.{name}.name):\n        self.{name}.build(None)\n"
            )
            for name in self.shared[-1]
        ]
        return updated.with_changes(body=updated.body.with_changes(body=[*body[:at], *blocks, *body[at:]]))


RULES: list[type[Rule]] = [SkippedLayerScopes, SharedEmbeddingScopes]
