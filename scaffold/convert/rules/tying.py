"""Tied output embeddings: the LM head's decoder that PyTorch ties to the input embeddings.

PyTorch ties ``get_output_embeddings()`` to ``get_input_embeddings()`` (``tie_word_embeddings``)
and ``save_pretrained`` then leaves the decoder's weight out of the checkpoint (it is listed in
``_tied_weights_keys``). A Keras ``Dense`` would get a kernel of its own, left random, and the
port would neither load cleanly nor match. So the tied decoder becomes ``TFTiedDense``, which
multiplies by the embedding matrix when tied, and the head ties it in ``__init__`` exactly when
PyTorch would. A decoder whose bias PyTorch ties to a parameter (``self.decoder.bias =
self.bias``) reads that parameter at call time instead of owning a bias.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert.rules.base import Example, Rule, dotted, init_assignments, init_values, statements_within

TIED_DENSE = "TFTiedDense"

_TIED_DENSE_SOURCE = '''
class TFTiedDense(keras.layers.Layer):
    """PyTorch's ``nn.Linear`` as an output embedding: tied to an input embedding, or not.

    ``tied_to`` (an embedding layer) supplies the matrix, as PyTorch's ``tie_weights`` does;
    ``bias_getter`` supplies a bias owned by another layer (``self.decoder.bias = self.bias``).
    Untied, it owns a matrix ``weight`` [units, input size], PyTorch's layout (it loads as is),
    a variable as ``resize_token_embeddings`` expects of an output embedding.
    """

    def __init__(self, units, use_bias=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.tied_to = None
        self.bias_getter = None

    def build(self, input_shape=None):
        if self.built:
            return
        if self.tied_to is None:
            self.matrix = self.add_weight(
                name="weight", shape=[self.units, int(input_shape[-1])], initializer=self.kernel_initializer
            )
        if self.use_bias and self.bias_getter is None:
            self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(input_shape)

    def call(self, hidden_states):
        output = tf.einsum("...i,oi->...o", hidden_states, self.weight)
        if self.bias_getter is not None:
            output = output + self.bias_getter()
        elif self.use_bias:
            output = output + self.bias
        return output

    @property
    def weight(self):
        """The output embedding matrix [units, input size]: the tied table, or the layer's own."""
        if self.tied_to is not None:
            matrix = getattr(self.tied_to, "embeddings", None)
            return self.tied_to.weight if matrix is None else matrix
        return self.matrix

    # the LM head interface of TFPreTrainedModel (get_lm_head): resize_token_embeddings resizes these
    def get_bias(self):
        if self.bias_getter is not None:
            return {"bias": self.bias_getter()}
        return {"bias": self.bias} if self.use_bias else None

    def set_bias(self, value):
        bias = value["bias"]
        if self.bias_getter is not None:
            self.bias_getter = lambda: bias
        else:
            self.bias = bias
        self.units = int(bias.shape[-1])

    def set_output_embeddings(self, value):
        """A matrix [units, input size]; a tied layer keeps reading its (already resized) input embeddings."""
        if self.tied_to is None:
            self.matrix = value if isinstance(value, tf.Variable) else tf.Variable(value, name="weight")
        self.units = int(value.shape[0])
'''


def _returned_chain(cls: cst.ClassDef, method: str) -> list[str] | None:
    """``return self.a.b.c`` of a one-line method, as ``["a", "b", "c"]``."""
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == method:
            for small in statements_within(stmt.body):
                if isinstance(small, cst.Return) and small.value is not None:
                    chain = dotted(small.value)
                    if chain and chain.startswith("self."):
                        return chain.split(".")[1:]
    return None


def find_tied_decoders(module: cst.Module) -> dict[str, str]:
    """Owner class -> attribute of every linear layer some head returns as its output embedding."""
    classes = {s.name.value: s for s in module.body if isinstance(s, cst.ClassDef)}
    tied: dict[str, str] = {}
    for cls in classes.values():
        chain = _returned_chain(cls, "get_output_embeddings")
        if not chain:
            continue
        owner = cls
        for attr in chain[:-1]:
            value = init_assignments(owner).get(attr)
            if not isinstance(value, cst.Call) or dotted(value.func) not in classes:
                owner = None
                break
            owner = classes[dotted(value.func)]
        if owner is None:
            continue
        # ``if config.asm is False: self.proj = nn.Linear(...) else: ...``: the linear branch is tied
        values = init_values(owner).get(chain[-1], [])
        if any(
            isinstance(v, cst.Call) and (dotted(v.func) or "").split(".")[-1] in ("Linear", "Dense") for v in values
        ):
            tied[owner.name.value] = chain[-1]
    return tied


class _TiedRule(Rule):
    """Shared by both tying rules: which decoders are tied, and the class being visited."""

    def visit_Module(self, node: cst.Module) -> bool:
        self.tied = find_tied_decoders(node)
        self.current: str | None = None
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.current = node.name.value
        return True


class TieDecoderBias(_TiedRule):
    """``self.decoder.bias = self.bias`` becomes a bias read from the parameter at call time."""

    name = "tie-decoder-bias"
    summary = "self.decoder.bias = self.bias -> self.decoder.bias_getter = lambda: self.bias (tied decoders)."
    examples = (
        Example(
            before="""
class TFBertLMPredictionHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias


class TFBertForMaskedLM(TFPreTrainedModel):
    def get_output_embeddings(self):
        return self.predictions.decoder

    def __init__(self, config, *inputs, **kwargs):
        self.predictions = TFBertLMPredictionHead(config)
""",
            after="""
class TFBertLMPredictionHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias_getter = lambda: self.bias


class TFBertForMaskedLM(TFPreTrainedModel):
    def get_output_embeddings(self):
        return self.predictions.decoder

    def __init__(self, config, *inputs, **kwargs):
        self.predictions = TFBertLMPredictionHead(config)
""",
        ),
        Example(
            before="""
class TFLMHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def call(self, hidden_states):
        return tf.matmul(hidden_states, self.decoder.weight, transpose_b=True) + self.decoder.bias


class TFForMaskedLM(TFPreTrainedModel):
    def get_output_embeddings(self):
        return self.head.decoder

    def __init__(self, config, *inputs, **kwargs):
        self.head = TFLMHead(config)
""",
            after="""
class TFLMHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias_getter = lambda: self.bias

    def call(self, hidden_states):
        return tf.matmul(hidden_states, self.decoder.weight, transpose_b=True) + self.bias


class TFForMaskedLM(TFPreTrainedModel):
    def get_output_embeddings(self):
        return self.head.decoder

    def __init__(self, config, *inputs, **kwargs):
        self.head = TFLMHead(config)
""",
            note="the tied decoder's bias, read in call(), is the parameter it is tied to",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        super().visit_ClassDef(node)
        # the parameter the decoder's bias is tied to: reads of ``self.decoder.bias`` read it
        self.bias_source: cst.BaseExpression | None = None
        attr = self.tied.get(node.name.value)
        if attr:
            for stmt in node.body.body:
                for small in statements_within(stmt.body) if isinstance(stmt, cst.FunctionDef) else ():
                    if (
                        isinstance(small, cst.Assign)
                        and len(small.targets) == 1
                        and dotted(small.targets[0].target) == f"self.{attr}.bias"
                    ):
                        self.bias_source = small.value
        return True

    name_gated = frozenset({"AssignTarget", "Attribute", "Assign"})  # ``self.<decoder>.bias`` only

    def names_reacted_to(self) -> Iterable[str]:
        return ("bias",) if self.tied else ()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return False  # the tie itself is rewritten whole by leave_Assign

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        attr = self.tied.get(self.current or "")
        if attr and self.bias_source is not None and dotted(original) == f"self.{attr}.bias":
            return self.bias_source
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        attr = self.tied.get(self.current or "")
        target = dotted(updated.targets[0].target) if len(updated.targets) == 1 else None
        if attr and target == f"self.{attr}.bias":
            source = self.code(updated.value)
            return cst.parse_statement(f"self.{attr}.bias_getter = lambda: {source}\n").body[0]  # type: ignore
        return updated


class TiedDecoderLayer(_TiedRule):
    """The tied decoder becomes ``TFTiedDense``; heads tie it when ``config.tie_word_embeddings``.

    The head also gets TF's LM-head interface: ``get_lm_head()`` returns the decoder (which
    gives ``get_bias``/``set_bias``); tied, ``get_output_embeddings()`` is the input embedding
    layer (so ``resize_token_embeddings`` resizes the table once) and ``set_input_embeddings``
    re-ties the decoder to the new one; ``set_output_embeddings`` takes the matrix
    ``resize_token_embeddings`` hands an untied decoder.
    """

    name = "tied-decoder-layer"
    summary = "Dense returned by get_output_embeddings -> TFTiedDense, tied to get_input_embeddings() in __init__."
    examples = (
        Example(
            before="""
class TFGPT2LMHeadModel(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.lm_head = keras.layers.Dense(config.vocab_size, use_bias=False, name="lm_head")

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, new_embeddings):
        self.lm_head = new_embeddings
""",
            after="""
class TFGPT2LMHeadModel(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.transformer = TFGPT2MainLayer(config, name="transformer")
        self.lm_head = TFTiedDense(config.vocab_size, use_bias=False, name="lm_head")
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.lm_head

    def _get_word_embedding_weight(self, embedding_layer):
        if isinstance(embedding_layer, keras.layers.Embedding):
            self.build_in_name_scope()
            return embedding_layer.embeddings
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        super().set_input_embeddings(value)
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to

    def set_output_embeddings(self, new_embeddings):
        self.get_lm_head().set_output_embeddings(new_embeddings)
""",
            context=(
                ("local_classes", {"GPT2LMHeadModel", "GPT2PreTrainedModel"}),
                (
                    "class_bases",
                    {"GPT2LMHeadModel": ["GPT2PreTrainedModel"], "GPT2PreTrainedModel": ["PreTrainedModel"]},
                ),
            ),
        ),
        Example(
            before="""
class TFOPTForCausalLM(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFOPTModel(config, name="model")
        self.lm_head = keras.layers.Dense(config.vocab_size, use_bias=False, name="lm_head")

    def set_input_embeddings(self, value):
        self.model.decoder.embed_tokens = value

    def get_output_embeddings(self):
        return self.lm_head
""",
            after="""
class TFOPTForCausalLM(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.model = TFOPTModel(config, name="model")
        self.lm_head = TFTiedDense(config.vocab_size, use_bias=False, name="lm_head")
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.lm_head

    def _get_word_embedding_weight(self, embedding_layer):
        if isinstance(embedding_layer, keras.layers.Embedding):
            self.build_in_name_scope()
            return embedding_layer.embeddings
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        self.model.decoder.embed_tokens = value
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to
""",
            note="the model's own set_input_embeddings re-ties the head: resize_token_embeddings swaps the table",
            context=(
                ("local_classes", {"OPTForCausalLM", "OPTPreTrainedModel"}),
                (
                    "class_bases",
                    {"OPTForCausalLM": ["OPTPreTrainedModel"], "OPTPreTrainedModel": ["PreTrainedModel"]},
                ),
            ),
        ),
        Example(
            before="""
class TFXLMPredLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        if config.asm is False:
            self.proj = keras.layers.Dense(config.n_words, name="proj")
        else:
            self.proj = nn.AdaptiveLogSoftmaxWithLoss(config.dim, config.n_words)


class TFXLMWithLMHeadModel(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.pred_layer = TFXLMPredLayer(config, name="pred_layer")

    def get_lm_head(self):
        return self.pred_layer.proj

    def _get_word_embedding_weight(self, embedding_layer):
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        super().set_input_embeddings(value)

    def get_output_embeddings(self):
        return self.pred_layer.proj
""",
            after="""
class TFXLMPredLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        if config.asm is False:
            self.proj = TFTiedDense(config.n_words, name="proj")
        else:
            self.proj = nn.AdaptiveLogSoftmaxWithLoss(config.dim, config.n_words)


class TFXLMWithLMHeadModel(TFPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.pred_layer = TFXLMPredLayer(config, name="pred_layer")
        if getattr(config, "tie_word_embeddings", True):
            self.get_lm_head().tied_to = self.get_input_embeddings()

    def get_lm_head(self):
        return self.pred_layer.proj

    def _get_word_embedding_weight(self, embedding_layer):
        return super()._get_word_embedding_weight(embedding_layer)

    def set_input_embeddings(self, value):
        super().set_input_embeddings(value)
        if self.get_lm_head().tied_to is not None:
            self.get_lm_head().tied_to = value

    def get_output_embeddings(self):
        decoder = self.get_lm_head()
        return decoder if decoder.tied_to is None else decoder.tied_to
""",
            note="the decoder of another class of the module, made in one branch of its __init__, is the tied one",
            context=(
                ("local_classes", {"XLMWithLMHeadModel", "XLMPredLayer", "XLMPreTrainedModel"}),
                (
                    "class_bases",
                    {"XLMWithLMHeadModel": ["XLMPreTrainedModel"], "XLMPreTrainedModel": ["PreTrainedModel"]},
                ),
            ),
        ),
    )

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        attr = self.tied.get(self.current or "")
        target = dotted(updated.targets[0].target) if len(updated.targets) == 1 else None
        if attr and target == f"self.{attr}" and isinstance(updated.value, cst.Call):
            if (dotted(updated.value.func) or "").endswith("Dense"):
                self.ctx.need_support(TIED_DENSE, _TIED_DENSE_SOURCE.replace("keras.", f"{self.ctx.keras}."))
                return updated.with_changes(value=updated.value.with_changes(func=cst.Name(TIED_DENSE)))
        return updated

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        chain = _returned_chain(updated, "get_output_embeddings")
        if chain is None:
            return updated
        if not any(self.ctx.derives_from(pt, "PreTrainedModel") for pt in self._pt_names(updated.name.value)):
            return updated
        methods = {m.name.value for m in updated.body.body if isinstance(m, cst.FunctionDef)}
        body = []
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                tie = cst.parse_statement(
                    'if getattr(config, "tie_word_embeddings", True):\n'
                    "    self.get_lm_head().tied_to = self.get_input_embeddings()\n"
                )
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=[*stmt.body.body, tie]))
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "get_output_embeddings":
                # tied, the output embeddings are the input embeddings (resize_token_embeddings resizes them once)
                stmt = stmt.with_changes(
                    body=cst.parse_statement(
                        "def f():\n"
                        "    decoder = self.get_lm_head()\n"
                        "    return decoder if decoder.tied_to is None else decoder.tied_to\n"
                    ).body  # type: ignore[attr-defined]
                )
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "set_input_embeddings":
                # a new input table (resize_token_embeddings) is the tied head's table too
                params = stmt.params.params
                value = params[1].name.value if len(params) > 1 else "value"
                retie = cst.parse_statement(
                    f"if self.get_lm_head().tied_to is not None:\n    self.get_lm_head().tied_to = {value}\n"
                )
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=[*stmt.body.body, retie]))
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "set_output_embeddings":
                # TFPreTrainedModel hands it a matrix (resize_token_embeddings), not a layer
                params = stmt.params.params
                value = params[1].name.value if len(params) > 1 else "value"
                stmt = stmt.with_changes(
                    body=cst.parse_statement(
                        f"def f():\n    self.get_lm_head().set_output_embeddings({value})\n"
                    ).body  # type: ignore[attr-defined]
                )
            body.append(stmt)
        added = []
        if "get_lm_head" not in methods:
            added.append(f"def get_lm_head(self):\n    return self.{'.'.join(chain)}\n")
        if "_get_word_embedding_weight" not in methods:
            # resize_token_embeddings reads tables through this; a keras Embedding keeps its table
            # in ``embeddings`` (made by building), which TFPreTrainedModel's version does not look at
            added.append(
                "def _get_word_embedding_weight(self, embedding_layer):\n"
                f"    if isinstance(embedding_layer, {self.ctx.keras}.layers.Embedding):\n"
                "        self.build_in_name_scope()\n"
                "        return embedding_layer.embeddings\n"
                "    return super()._get_word_embedding_weight(embedding_layer)\n"
            )
        if "set_input_embeddings" not in methods:
            added.append(
                "def set_input_embeddings(self, value):\n"
                "    super().set_input_embeddings(value)\n"
                "    if self.get_lm_head().tied_to is not None:\n"
                "        self.get_lm_head().tied_to = value\n"
            )
        at = next(
            (i + 1 for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), 0
        )
        made = [cst.parse_statement(code).with_changes(leading_lines=[cst.EmptyLine()]) for code in added]
        body = body[:at] + made + body[at:]
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def _pt_names(self, tf_name: str) -> list[str]:
        return [n for n in self.ctx.local_classes if self.ctx.tf_name(n) == tf_name]


SHARE_EMBEDDINGS = "share_embeddings"

_SHARE_EMBEDDINGS_SOURCE = '''
def share_embeddings(layer, owner):
    """PyTorch's ``layer.weight = owner.weight`` between embeddings: ``layer`` looks up ``owner``'s table.

    Keras makes a layer's weights when it is built, so nothing can be handed over in
    ``__init__``: ``layer`` makes no table of its own and, when built, takes ``owner``'s, which
    is made (and named, for the checkpoint) where ``owner`` is built.
    """

    def build(input_shape=None):
        if not owner.built:
            owner.build(None)
        table = getattr(owner, "embeddings", None)
        layer.embeddings = owner.weight if table is None else table
        layer.built = True

    layer.build = build
'''


class SharedEmbeddingWeights(Rule):
    """``self.embed_tokens.weight = embed_tokens.weight`` shares an embedding table between layers.

    PyTorch hands the parameter over in ``__init__``; a Keras embedding has no table before it
    is built, so the assignment fails. The layer instead takes the other layer's table when it
    is built (``share_embeddings``), keeping its own ``call`` (a scaled lookup stays scaled). Only
    layers ``__init__`` makes as embeddings (``keras.layers.Embedding`` or a class of the module
    deriving from it) are shared this way; any other weight handed between layers is a TODO.
    """

    name = "shared-embedding-weights"
    summary = "self.embed_tokens.weight = shared.weight -> share_embeddings(self.embed_tokens, shared)."
    examples = (
        Example(
            before="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    pass


class TFBartEncoder(TFBartPreTrainedModel):
    def __init__(self, config, embed_tokens=None):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model, name="embed_tokens")
        if embed_tokens is not None:
            self.embed_tokens.weight = embed_tokens.weight
        self.proj = keras.layers.Dense(4, name="proj")
        self.proj.weight = embed_tokens.weight
""",
            after="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    pass


class TFBartEncoder(TFBartPreTrainedModel):
    def __init__(self, config, embed_tokens=None):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model, name="embed_tokens")
        if embed_tokens is not None:
            share_embeddings(self.embed_tokens, embed_tokens)
        self.proj = keras.layers.Dense(4, name="proj")
        # TODO(tfscaffold): self.proj.weight = ...: a weight handed to another layer; Keras makes weights in build(): share the layer, or read the weight in call()
        self.proj.weight = embed_tokens.weight
""",
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        bases = {s.name.value: [dotted(b.value) for b in s.bases] for s in node.body if isinstance(s, cst.ClassDef)}
        found = {f"{self.ctx.keras}.layers.Embedding"}
        while True:
            more = {name for name, names in bases.items() if found & set(names)} - found
            if not more:
                break
            found |= more
        self.embeddings = found
        self.made: list[dict[str, str]] = []
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        made: dict[str, str] = {}
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                for small in statements_within(stmt.body):
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = dotted(small.targets[0].target) or ""
                        if target.startswith("self.") and target.count(".") == 1 and isinstance(small.value, cst.Call):
                            made[target[5:]] = dotted(small.value.func) or ""
        self.made.append(made)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.made.pop()
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if not (self.made and len(updated.body) == 1 and isinstance(small, cst.Assign) and len(small.targets) == 1):
            return updated
        target = dotted(small.targets[0].target) or ""
        parts = target.split(".")
        # ``weight``, or already ``embeddings`` where the layer rules knew the layer was an embedding
        if not (len(parts) == 3 and parts[0] == "self" and parts[2] in ("weight", "embeddings")):
            return updated
        source = small.value
        if not (isinstance(source, cst.Attribute) and source.attr.value in ("weight", "embeddings")):
            return updated
        if self.made[-1].get(parts[1]) in self.embeddings:
            helper = self.ctx.need_support(SHARE_EMBEDDINGS, _SHARE_EMBEDDINGS_SOURCE)
            call = cst.parse_statement(f"{helper}(self.{parts[1]}, {self.code(source.value)})\n")
            return call.with_changes(leading_lines=updated.leading_lines)
        self.todo(
            f"{target} = ...",
            "a weight handed to another layer; Keras makes weights in build(): share the layer, or read the weight in call()",
        )
        return updated


BEFORE_LAYERS: list[type[Rule]] = [TieDecoderBias]
AFTER_LAYERS: list[type[Rule]] = [TiedDecoderLayer, SharedEmbeddingWeights]
