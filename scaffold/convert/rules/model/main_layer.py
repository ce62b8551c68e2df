"""The MainLayer split: the base model's body as a ``keras.layers.Layer`` that heads hold."""

from __future__ import annotations

import re

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, HookTransformer, Rule, dotted
from scaffold.convert.rules.model.common import (
    _append_args,
    _assignments,
    _docstring_of,
    _has_keyword,
    _is_self_attr,
    _kwarg,
    _nonempty,
)
from scaffold.cstwalk import walk


class SplitMainLayer(Rule):
    """The base model's body moves into ``TF<X>MainLayer``; ``TF<X>Model`` only wraps it.

    The main layer is named after ``base_model_prefix`` in every model (``name="bert"``): that
    name is the first level of every PyTorch weight key (``bert.encoder.layer.0...``), so it is
    what lets ``from_pt=True`` find the weights. Heads build the main layer, not the model.
    """

    name = "split-main-layer"
    summary = "TF<X>Model -> TF<X>MainLayer (the body) + a thin TF<X>Model; heads hold the MainLayer."
    examples = (
        Example(
            before='''
@add_start_docstrings("The bare Bert Model.", BERT_START_DOCSTRING)
class TFBertModel(TFBertPreTrainedModel):
    """The model."""

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = TFBertEmbeddings(config)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        """Docs."""
        return self.embeddings(input_ids)


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = TFBertModel(config, add_pooling_layer=False)
''',
            after='''
@keras_serializable
class TFBertMainLayer(keras.layers.Layer):
    config_class = BertConfig

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.config = config
        self.embeddings = TFBertEmbeddings(config)
        self.pooler = TFBertPooler(config) if add_pooling_layer else None

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        return self.embeddings(input_ids)


@add_start_docstrings("The bare Bert Model.", BERT_START_DOCSTRING)
class TFBertModel(TFBertPreTrainedModel):
    """The model."""

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.bert = TFBertMainLayer(config, add_pooling_layer=add_pooling_layer, name="bert")

    @add_start_docstrings_to_model_forward(BERT_INPUTS_DOCSTRING)
    def forward(self, input_ids=None, return_dict=None) -> Union[Tuple, TFBaseModelOutput]:
        """Docs."""
        outputs = self.bert(input_ids=input_ids, return_dict=return_dict)
        return outputs


class TFBertForMaskedLM(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = TFBertMainLayer(config, add_pooling_layer=False, name="bert")
''',
        ),
        Example(
            before='''
class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.text_projection = nn.Linear(4, 4)

    @add_start_docstrings_to_model_forward(BERT_TEXT_INPUTS_DOCSTRING)
    def get_text_features(self, input_ids=None, attention_mask=None) -> tf.Tensor:
        """Docs."""
        return self.text_projection(input_ids)

    def forward(self, input_ids=None):
        return self.text_projection(input_ids)
''',
            after='''
@keras_serializable
class TFBertMainLayer(keras.layers.Layer):
    config_class = BertConfig

    def __init__(self, config):
        super().__init__(config)
        self.config = config
        self.text_projection = nn.Linear(4, 4)

    def get_text_features(self, input_ids=None, attention_mask=None) -> tf.Tensor:
        return self.text_projection(input_ids)

    def forward(self, input_ids=None):
        return self.text_projection(input_ids)


class TFBertModel(TFBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = TFBertMainLayer(config, name="bert")

    def forward(self, input_ids=None):
        outputs = self.bert(input_ids=input_ids)
        return outputs

    @add_start_docstrings_to_model_forward(BERT_TEXT_INPUTS_DOCSTRING)
    def get_text_features(self, input_ids=None, attention_mask=None) -> tf.Tensor:
        """Docs."""
        get_text_features = self.bert.get_text_features(input_ids=input_ids, attention_mask=attention_mask)
        return get_text_features
''',
            note="the model's other public methods (documented on its page) call the main layer's; "
            "a method the class's own code calls is a helper and stays with the main layer only",
        ),
    )

    def leave_Module(self, original, updated):
        ctx = self.ctx
        if ctx.base_model_class is None:
            return updated
        model_name = ctx.tf_name(ctx.base_model_class)
        body: list[cst.BaseStatement] = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == model_name:
                if not ctx.base_model_prefix:
                    body.append(_with_todo(stmt, model_name, "no base_model_prefix: the MainLayer has no name"))
                    self.ctx.todos.append(_todo(model_name, "no base_model_prefix: the MainLayer has no name"))
                    continue
                body.extend(self._split(stmt))
            elif isinstance(stmt, cst.ClassDef):
                body.append(walk(stmt, _HeadsHoldMainLayer(model_name, ctx.main_layer)))
            else:
                body.append(stmt)
        return updated.with_changes(body=body)

    def _split(self, node: cst.ClassDef) -> list[cst.ClassDef]:
        ctx = self.ctx
        prefix = ctx.base_model_prefix or ""
        members = list(node.body.body)
        functions = [m for m in members if isinstance(m, cst.FunctionDef)]
        others = [m for m in members if not isinstance(m, cst.FunctionDef)]
        init = next((f for f in functions if f.name.value == "__init__"), None)
        forward = next((f for f in functions if f.name.value in ("forward", "call")), None)

        # public methods of the model beside its forward (CLIP's get_text_features): the model keeps them,
        # documented, calling the main layer's. Not the embedding accessors TFPreTrainedModel already forwards,
        # nor helpers the class's own code calls (XLNet's create_mask): those are the main layer's business.
        called = {m.group(1) for m in re.finditer(r"\bself\.(\w+)\(", cst.Module(body=[]).code_for_node(node))}
        delegated = [
            f
            for f in functions
            if f is not init
            and f is not forward
            and not f.name.value.startswith("_")
            and f.name.value not in T.MAIN_LAYER_ACCESSORS
            and f.name.value not in called
            and not any(_decorator_name(d) in ("classmethod", "staticmethod", "property") for d in f.decorators)
        ]
        layer_members: list[cst.BaseStatement] = [cst.parse_statement(f"config_class = {ctx.config_class}\n")]
        for func in functions:
            if func is init:
                func = _ensure_self_config(func)
            elif func is forward or func in delegated:
                decorators = [d for d in func.decorators if _decorator_name(d) not in T.DOCSTRING_DECORATORS]
                func_body = list(func.body.body)
                doc = _docstring_of(func_body)
                if doc is not None:
                    func_body = _nonempty(func_body[1:])
                func = func.with_changes(decorators=decorators, body=func.body.with_changes(body=func_body))
            layer_members.append(func)
        keras = ctx.keras
        main_layer = cst.ClassDef(
            name=cst.Name(ctx.main_layer),
            bases=[cst.Arg(cst.parse_expression(f"{keras}.layers.Layer"))],
            decorators=[cst.Decorator(cst.Name("keras_serializable"))],
            body=cst.IndentedBlock(body=layer_members),
            leading_lines=node.leading_lines,
        )

        model_members: list[cst.BaseStatement] = list(others)
        if init is not None:
            extra = [p for p in init.params.params[2:]]
            passed = ", ".join(f"{p.name.value}={p.name.value}" for p in extra)
            passed = f"{passed}, " if passed else ""
            config = init.params.params[1].name.value if len(init.params.params) > 1 else "config"
            new_body = [
                cst.parse_statement(f"super().__init__({config})\n"),
                cst.parse_statement(f'self.{prefix} = {ctx.main_layer}({config}, {passed}name="{prefix}")\n'),
            ]
            model_members.append(init.with_changes(body=init.body.with_changes(body=new_body)))
        if forward is not None:
            model_members.append(_delegating(forward, f"self.{prefix}", "outputs"))
        for func in delegated:
            model_members.append(_delegating(func, f"self.{prefix}.{func.name.value}", func.name.value))
        model = node.with_changes(
            body=node.body.with_changes(body=_nonempty(model_members)),
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
        )
        return [main_layer, model]


def _delegating(func: cst.FunctionDef, callee: str, result: str) -> cst.FunctionDef:
    """``func`` as the model keeps it: its decorators and docstring, its body one call of the main layer's."""
    params = func.params
    parts = [f"{p.name.value}={p.name.value}" for p in [*params.params[1:], *params.kwonly_params]]
    if isinstance(params.star_arg, cst.Param):
        parts.insert(0, f"*{params.star_arg.name.value}")
    if params.star_kwarg is not None:
        parts.append(f"**{params.star_kwarg.name.value}")
    doc = _docstring_of(list(func.body.body))
    body = [doc] if doc is not None else []
    body.append(cst.parse_statement(f"{result} = {callee}({', '.join(parts)})\n"))
    body.append(cst.parse_statement(f"return {result}\n"))
    return func.with_changes(body=func.body.with_changes(body=body))


def _todo(unit: str, why: str):
    from scaffold.convert.rules.base import Todo

    return Todo(unit, unit, why)


def _with_todo(stmt: cst.ClassDef, unit: str, why: str) -> cst.ClassDef:
    from scaffold.convert.rules.base import add_comments

    return add_comments(stmt, [_todo(unit, why).marker()])  # type: ignore[return-value]


def _decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return (dotted(node) or "").split(".")[-1]


def _ensure_self_config(init: cst.FunctionDef) -> cst.FunctionDef:
    """A Keras layer has no ``self.config`` unless it sets it (PreTrainedModel did it for PyTorch)."""
    if any(_is_self_attr(t.target, "config") for a in _assignments(init) for t in a.targets):
        return init
    if len(init.params.params) < 2:
        return init
    config = init.params.params[1].name.value
    body = list(init.body.body)
    at = 0
    for i, stmt in enumerate(body):
        if "super()" in cst.Module(body=[]).code_for_node(stmt) and "__init__" in cst.Module(body=[]).code_for_node(
            stmt
        ):
            at = i + 1
            break
    body.insert(at, cst.parse_statement(f"self.config = {config}\n"))
    return init.with_changes(body=init.body.with_changes(body=body))


class _HeadsHoldMainLayer(HookTransformer):
    """``self.bert = TFBertModel(config, ...)`` -> ``self.bert = TFBertMainLayer(config, ..., name="bert")``."""

    def __init__(self, model_name: str, main_layer: str) -> None:
        super().__init__()
        self.model_name = model_name
        self.main_layer = main_layer

    def leave_Assign(self, original, updated):
        if len(updated.targets) != 1 or not _is_self_attr(updated.targets[0].target):
            return updated
        value = updated.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == self.model_name:
            attr = updated.targets[0].target.attr.value
            call = value.with_changes(func=cst.Name(self.main_layer))
            if not _has_keyword(call, "name"):
                call = _append_args(call, [_kwarg("name", cst.SimpleString(f'"{attr}"'))])
            return updated.with_changes(value=call)
        return updated
