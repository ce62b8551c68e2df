"""Embedding accessors that newer trees leave to the base class, written out as older trees wrote them.

Since 4.53 a model no longer writes ``get_input_embeddings`` (the base class returns the layer its
``_input_embed_layer`` names, ``embed_tokens`` by default) nor ``get_output_embeddings`` (the base
returns ``self.lm_head``). TFPreTrainedModel has no such defaults, and the converter's tying rules
find the tied output embedding through ``get_output_embeddings``: so a PreTrainedModel class building
that layer in ``__init__`` without the method (of its own or of a base of the module) gets the
getter and setter 4.46 wrote, before any other rule looks at it. Only in trees whose base class has
those defaults, and the output one only for a model with an input embedding (the base returns no
output embedding when it finds no input embedding: speech and vision heads).
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule, class_attribute, dotted, init_assignments

_INPUT = "def get_input_embeddings(self):\n    return self.{0}\n\n\ndef set_input_embeddings(self, value):\n    self.{0} = value\n"
_OUTPUT = (
    "def get_output_embeddings(self):\n    return self.{0}\n\n\n"
    "def set_output_embeddings(self, new_embeddings):\n    self.{0} = new_embeddings\n"
)
_DELEGATED = (
    "def get_input_embeddings(self):\n    return self.{0}.get_input_embeddings()\n\n\n"
    "def set_input_embeddings(self, value):\n    self.{0}.set_input_embeddings(value)\n"
)
OUTPUT_LAYER = "lm_head"  # what the base class's get_output_embeddings returns
INNER_MODEL = "model"  # the attribute the base class looks in next (``self.model.embed_tokens``)
DEFAULT_INPUT_LAYER = "embed_tokens"  # the base class's _input_embed_layer


def _members(cls: cst.ClassDef) -> set[str]:
    """Class names ``__init__`` builds attributes from (``self.model = LlamaModel(config)``)."""
    return {
        (dotted(value.func) or "").split(".")[-1]
        for value in init_assignments(cls).values()
        if isinstance(value, cst.Call) and dotted(value.func)
    }


def _token_classes(classes: dict[str, cst.ClassDef]) -> set[str]:
    """The classes with a token embedding the base class's get_input_embeddings finds: built in
    ``__init__`` or returned by an accessor of their own, or in a class of the module an attribute is
    built from (``self.model``, ``self.transformer``), at any depth."""
    found = {
        name
        for name, cls in classes.items()
        if _input_layer(cls) in set(init_assignments(cls))
        or any(isinstance(s, cst.FunctionDef) and s.name.value == "get_input_embeddings" for s in cls.body.body)
    }
    grew = True
    while grew:
        more = {name for name, cls in classes.items() if name not in found and _members(cls) & found}
        found |= more
        grew = bool(more)
    return found


def _input_layer(cls: cst.ClassDef) -> str:
    value = class_attribute(cls, "_input_embed_layer")
    return str(value.evaluated_value) if isinstance(value, cst.SimpleString) else DEFAULT_INPUT_LAYER


class EmbeddingAccessors(Rule):
    """A PreTrainedModel class building ``embed_tokens`` / ``lm_head`` without their accessors gets them."""

    name = "embedding-accessors"
    summary = "get/set_input_embeddings and get/set_output_embeddings the base class implies (4.53+) written out."
    examples = (
        Example(
            before="""
class LlamaModel(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)


class LlamaForCausalLM(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
""",
            after="""
class LlamaModel(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)

    def get_input_embeddings(self):
        return self.embed_tokens

    def set_input_embeddings(self, value):
        self.embed_tokens = value


class LlamaForCausalLM(LlamaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, new_embeddings):
        self.lm_head = new_embeddings
""",
            context=(
                ("implied_embedding_accessors", True),
                ("base_model_class", "LlamaModel"),
                (
                    "class_bases",
                    {
                        "LlamaModel": ["LlamaPreTrainedModel"],
                        "LlamaForCausalLM": ["LlamaPreTrainedModel"],
                        "LlamaPreTrainedModel": ["PreTrainedModel"],
                    },
                ),
            ),
        ),
        Example(
            before="""
class BertModel(BertPreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings
""",
            after="""
class BertModel(BertPreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings
""",
            note="a class with its own accessor keeps it",
            context=(
                ("implied_embedding_accessors", True),
                ("class_bases", {"BertModel": ["BertPreTrainedModel"], "BertPreTrainedModel": ["PreTrainedModel"]}),
            ),
        ),
        Example(
            before="""
class LlamaModel(LlamaPreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
""",
            after="""
class LlamaModel(LlamaPreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
""",
            note="a tree whose PreTrainedModel implies no accessors (4.52 and before): nothing to write out",
            context=(
                ("class_bases", {"LlamaModel": ["LlamaPreTrainedModel"], "LlamaPreTrainedModel": ["PreTrainedModel"]}),
            ),
        ),
        Example(
            before="""
class Gemma3TextModel(Gemma3PreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)


class Gemma3ForCausalLM(Gemma3PreTrainedModel):
    base_model_prefix = "language_model"

    def __init__(self, config):
        self.model = Gemma3TextModel(config)
""",
            after="""
class Gemma3TextModel(Gemma3PreTrainedModel):
    def __init__(self, config):
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)

    def get_input_embeddings(self):
        return self.embed_tokens

    def set_input_embeddings(self, value):
        self.embed_tokens = value


class Gemma3ForCausalLM(Gemma3PreTrainedModel):
    base_model_prefix = "language_model"

    def __init__(self, config):
        self.model = Gemma3TextModel(config)

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.model.set_input_embeddings(value)
""",
            note="a head whose base_model_prefix names no attribute of its own looks in self.model, as the base does",
            context=(
                ("implied_embedding_accessors", True),
                (
                    "class_bases",
                    {
                        "Gemma3TextModel": ["Gemma3PreTrainedModel"],
                        "Gemma3ForCausalLM": ["Gemma3PreTrainedModel"],
                        "Gemma3PreTrainedModel": ["PreTrainedModel"],
                    },
                ),
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        if not self.ctx.implied_embedding_accessors:
            return False
        classes = {c.name.value: c for c in node.body if isinstance(c, cst.ClassDef)}
        self.classes = classes
        self.token_classes = _token_classes(classes)
        self.methods = {
            cls.name.value: {s.name.value for s in cls.body.body if isinstance(s, cst.FunctionDef)}
            for cls in node.body
            if isinstance(cls, cst.ClassDef)
        }
        return True

    def _inner_model_only(self, name: str, cls: cst.ClassDef) -> bool:
        """A head whose ``base_model_prefix`` names no attribute it builds, holding ``self.model`` of a class with
        token embeddings (Gemma3ForCausalLM: prefix ``language_model``, for the multimodal checkpoint): the base
        class finds the embeddings in ``self.model``; TFPreTrainedModel looks only through the prefix."""
        built = init_assignments(cls)
        inner = built.get(INNER_MODEL)
        if not isinstance(inner, cst.Call) or (dotted(inner.func) or "").split(".")[-1] not in self.token_classes:
            return False
        if self._has(name, "get_input_embeddings"):
            return False
        prefixes = [
            value
            for base in self.ctx.ancestry(name)
            if base in self.classes
            and isinstance(value := class_attribute(self.classes[base], "base_model_prefix"), cst.SimpleString)
        ]
        return bool(prefixes) and prefixes[0].evaluated_value not in built

    def _has(self, cls: str, method: str) -> bool:
        return any(method in self.methods.get(name, set()) for name in self.ctx.ancestry(cls))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        name = updated.name.value
        if not self.ctx.implied_embedding_accessors or not self.ctx.derives_from(name, "PreTrainedModel"):
            return updated
        built = set(init_assignments(updated))
        added: list[cst.BaseStatement] = []
        layer = _input_layer(updated)
        if layer in built and not self._has(name, "get_input_embeddings"):
            added.extend(cst.parse_module(_INPUT.format(layer)).body)
        elif self._inner_model_only(name, updated):
            added.extend(cst.parse_module(_DELEGATED.format(INNER_MODEL)).body)
        if OUTPUT_LAYER in built and name in self.token_classes and not self._has(name, "get_output_embeddings"):
            added.extend(cst.parse_module(_OUTPUT.format(OUTPUT_LAYER)).body)
        if not added:
            return updated
        body = list(updated.body.body)
        at = next(
            (i + 1 for i, s in enumerate(body) if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
            len(body),
        )
        added = [s.with_changes(leading_lines=[cst.EmptyLine()]) for s in added]  # type: ignore[union-attr]
        return updated.with_changes(body=updated.body.with_changes(body=[*body[:at], *added, *body[at:]]))


RULES: list[type[Rule]] = [EmbeddingAccessors]
