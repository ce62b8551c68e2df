"""Drop what only PyTorch needs: alternative attention kernels, init and checkpointing code.

TF ports keep the eager attention and have no weight initialisation hooks, gradient
checkpointing or device placement; converting those would produce dead or wrong code.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables
from scaffold.convert.rules.base import Example, Rule, changed, dotted, is_docstring


def _is_alternative_attention(name: str) -> bool:
    return any(marker in name for marker in tables.ALTERNATIVE_ATTENTION_MARKERS)


class DropAlternativeAttention(Rule):
    """SDPA / flash-attention subclasses and the dict that picks one go; the eager class stays."""

    name = "drop-alternative-attention"
    summary = "Remove Sdpa/Flash attention classes; ATTENTION_CLASSES[...] becomes the eager class."
    examples = (
        Example(
            before="""
class BertSelfAttention(nn.Module):
    pass


class BertSdpaSelfAttention(BertSelfAttention):
    pass


BERT_SELF_ATTENTION_CLASSES = {
    "eager": BertSelfAttention,
    "sdpa": BertSdpaSelfAttention,
}


class BertAttention(nn.Module):
    def __init__(self, config):
        self.self = BERT_SELF_ATTENTION_CLASSES[config._attn_implementation](config)
""",
            after="""
class BertSelfAttention(nn.Module):
    pass


class BertAttention(nn.Module):
    def __init__(self, config):
        self.self = BertSelfAttention(config)
""",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.choices: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> bool:
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                assign = stmt.body[0]
                target = assign.targets[0].target
                if isinstance(target, cst.Name) and isinstance(assign.value, cst.Dict):
                    for element in assign.value.elements:
                        if (
                            isinstance(element, cst.DictElement)
                            and isinstance(element.key, cst.SimpleString)
                            and element.key.evaluated_value == "eager"
                            and isinstance(element.value, cst.Name)
                        ):
                            self.choices[target.value] = element.value.value
        return True

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef) and _is_alternative_attention(stmt.name.value):
                continue
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                target = stmt.body[0].targets[0].target
                if isinstance(target, cst.Name) and target.value in self.choices:
                    continue
            body.append(stmt)
        return updated.with_changes(body=body)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value in self.choices:
            return cst.Name(self.choices[updated.value.value])
        return updated


class DropPyTorchOnlyMembers(Rule):
    """Class attributes and methods that only PyTorch uses, and ``self.post_init()`` calls."""

    name = "drop-pytorch-only-members"
    phase = "cleanup"
    summary = "Remove _init_weights, gradient checkpointing flags, _no_split_modules, post_init() and the like."
    examples = (
        Example(
            before="""
class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    load_tf_weights = load_tf_weights_in_bert
    base_model_prefix = "bert"
    supports_gradient_checkpointing = True
    _supports_sdpa = True

    def _init_weights(self, module):
        module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)


class BertModel(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.depthwise.weight.data.normal_(mean=0.0, std=config.initializer_range)
        nn.init.trunc_normal_(self.position_bias, std=0.02)
        self.table.weight.data.copy_(computed)
        self.post_init()
""",
            after="""
class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"


class BertModel(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.table.weight.data.copy_(computed)
""",
            note="in-place initialisers go (checkpoints set the values); a copy of computed values stays",
        ),
        Example(
            before="""
class OPTDecoder(OPTPreTrainedModel):
    def _update_causal_mask(self, inputs_embeds, input_shape, past_key_values_length, attention_mask):
        return _prepare_4d_causal_attention_mask(attention_mask, input_shape, inputs_embeds, past_key_values_length)


class LlamaModel(LlamaPreTrainedModel):
    def _update_causal_mask(self, attention_mask, input_tensor, cache_position, past_key_values):
        return self._prepare_4d_causal_attention_mask_with_cache_position(attention_mask, cache_position)
""",
            after="""
class OPTDecoder(OPTPreTrainedModel):
    def _update_causal_mask(self, inputs_embeds, input_shape, past_key_values_length, attention_mask):
        return _prepare_4d_causal_attention_mask(attention_mask, input_shape, inputs_embeds, past_key_values_length)


class LlamaModel(LlamaPreTrainedModel):
    pass
""",
            note="a mask method without a key/value cache is plain code and stays (PT_ONLY_UNLESS_FREE_OF)",
        ),
        Example(
            before="""
class MobileBertForMaskedLM(MobileBertPreTrainedModel):
    def resize_token_embeddings(self, new_num_tokens=None):
        self.cls.predictions.dense = self._get_resized_lm_head(self.cls.predictions.dense, new_num_tokens)
        return super().resize_token_embeddings(new_num_tokens=new_num_tokens)

    def get_output_embeddings(self):
        return self.cls.predictions.decoder
""",
            after="""
# TODO(tfscaffold): resize_token_embeddings (dropped): PyTorch's helper that resizes an nn.Linear output layer; TF's resize_token_embeddings resizes the embeddings and the LM head's bias only, so a second output layer keeps its size
class MobileBertForMaskedLM(MobileBertPreTrainedModel):
    def get_output_embeddings(self):
        return self.cls.predictions.decoder
""",
            note="a method calling a PyTorch-only PreTrainedModel helper goes (PT_ONLY_HELPERS); the TF base's stands",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        body = []
        dropped_first = False
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in tables.PT_ONLY_METHODS:
                unless = tables.PT_ONLY_UNLESS_FREE_OF.get(stmt.name.value)
                code = self.code(stmt)
                if unless is None or any(word in code for word in unless):
                    continue
            if isinstance(stmt, cst.FunctionDef):
                helper = next((h for h in tables.PT_ONLY_HELPERS if f"self.{h}(" in self.code(stmt)), None)
                if helper is not None:
                    self.todo(f"{stmt.name.value} (dropped)", tables.PT_ONLY_HELPERS[helper])
                    dropped_first = dropped_first or not body
                    continue
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign | cst.AnnAssign):
                small = stmt.body[0]
                target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
                if isinstance(target, cst.Name) and target.value in tables.PT_ONLY_CLASS_ATTRIBUTES:
                    continue
            body.append(stmt)
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        elif dropped_first and isinstance(body[0], cst.FunctionDef):  # no blank line under the class line
            body[0] = body[0].with_changes(leading_lines=[line for line in body[0].leading_lines if line.comment])
        return changed(updated, body=changed(updated.body, body=body))

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            name = dotted(small.value.func)
            if name and name.startswith("self.") and name.split(".", 1)[1] in tables.PT_ONLY_SELF_CALLS:
                return cst.RemoveFromParent()
            if name and name.split(".")[0] in tables.PT_ONLY_REGISTRIES:
                return cst.RemoveFromParent()
            if name and _initialises_in_place(name):
                return cst.RemoveFromParent()
        return updated


def _initialises_in_place(name: str) -> bool:
    """``x.weight.data.normal_`` or ``nn.init.xavier_uniform_``: a fresh model's values, set in place."""
    last = name.rsplit(".", 1)[-1]
    if name.startswith(tables.INIT_MODULES):
        return last in tables.INIT_METHODS
    return ".data." in name and last in tables.INIT_METHODS


class DropGradientCheckpointing(Rule):
    """``if self.gradient_checkpointing and self.training: A else: B`` keeps B; the flag goes."""

    name = "drop-gradient-checkpointing"
    phase = "cleanup"
    summary = "Keep the plain branch of gradient checkpointing conditionals; drop the flag."
    examples = (
        Example(
            before="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])
        self.gradient_checkpointing = False

    def forward(self, hidden_states):
        for layer_module in self.layer:
            if self.gradient_checkpointing and self.training:
                layer_outputs = self._gradient_checkpointing_func(layer_module.__call__, hidden_states)
            else:
                layer_outputs = layer_module(hidden_states)
        if self.gradient_checkpointing and self.training:
            if use_cache:
                use_cache = False
        past = past_key_values if not (self.gradient_checkpointing and self.training) else None
        return layer_outputs
""",
            after="""
class BertEncoder(nn.Module):
    def __init__(self, config):
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden_states):
        for layer_module in self.layer:
            layer_outputs = layer_module(hidden_states)
        past = past_key_values
        return layer_outputs
""",
        ),
    )

    @staticmethod
    def _mentions_checkpointing(node: cst.CSTNode) -> bool:
        return "gradient_checkpointing" in Rule.code(node)

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Assign) and "gradient_checkpointing" in self.code(small.targets[0].target):
            return cst.RemoveFromParent()
        return updated

    def leave_If(self, original: cst.If, updated: cst.If):
        if not self._mentions_checkpointing(updated.test):
            return updated
        orelse = updated.orelse
        if orelse is None:
            return cst.RemoveFromParent()
        if isinstance(orelse, cst.Else):
            return cst.FlattenSentinel(list(orelse.body.body))
        return orelse.with_changes(leading_lines=updated.leading_lines)  # an elif becomes the if

    def leave_Elif(self, original, updated):
        return updated

    def leave_IfExp(self, original: cst.IfExp, updated: cst.IfExp) -> cst.BaseExpression:
        """``past if not (self.gradient_checkpointing and self.training) else None`` -> ``past``."""
        if not self._mentions_checkpointing(updated.test):
            return updated
        truth = _without_checkpointing(updated.test)
        if truth is None:
            self.todo(self.code(updated.test), "a gradient checkpointing test not decided by the flag: left")
            return updated
        return updated.body if truth else updated.orelse


def _without_checkpointing(test: cst.BaseExpression) -> bool | None:
    """A test's value with ``self.gradient_checkpointing`` False (TF never checkpoints); None if not decided."""
    if isinstance(test, cst.Attribute) and test.attr.value == "gradient_checkpointing":
        return False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _without_checkpointing(test.expression)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        left, right = _without_checkpointing(test.left), _without_checkpointing(test.right)
        if isinstance(test.operator, cst.And):
            return False if False in (left, right) else True if left is right is True else None
        return True if True in (left, right) else False if left is right is False else None
    return None


class DropNoOpTensorMethods(Rule):
    """``x.contiguous()``, ``.detach()``, ``.cpu()``... and ``.to(...)`` are nothing in TF."""

    name = "drop-noop-tensor-methods"
    phase = "cleanup"
    summary = "Remove memory-layout and device calls: x.contiguous(), x.to(device), x.cpu()."
    examples = (
        Example(
            before="context = context.permute(0, 2, 1, 3).contiguous()\nmask = mask.to(device)\n",
            after="context = context.permute(0, 2, 1, 3)\nmask = mask\n",
        ),
        Example(
            before="x = x.to(dtype=query.dtype)\ny = y.to(target_dtype)\nz = z.to(mask)\nw = w.to(input_ids.device)\n",
            after="x = x.to(dtype=query.dtype)\ny = y.to(target_dtype)\nz = z.to(mask)\nw = w\n",
            note="a dtype cast (or a cast to another tensor's dtype) is a real operation: left to the ops rules",
        ),
        Example(
            before="x = (\n    a.repeat(2)\n    .contiguous()\n)\n",
            after="x = (\n    a.repeat(2)\n)\n",
            note="a wrapped chain keeps its parentheses",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not isinstance(func, cst.Attribute):
            return updated
        method = func.attr.value
        if method in tables.NOOP_TENSOR_METHODS and not updated.args:
            return _keep_parens(func.value, updated)
        if method == "to" and updated.args and all(_is_device(a) for a in updated.args):
            return _keep_parens(func.value, updated)
        return updated


def _is_device(arg: cst.Arg) -> bool:
    """``device``, ``x.device``, ``"cpu"``, ``non_blocking=True``: an argument of a move, not of a cast.

    Anything else (``.to(other_tensor)``, ``.to(dtype_float)``) may change the dtype and is left to
    the ops rules.
    """
    if arg.keyword is not None:
        return arg.keyword.value in ("device", "non_blocking", "copy", "memory_format")
    name = dotted(arg.value) or ""
    return name.split(".")[-1] in ("device", "_device") or isinstance(arg.value, cst.SimpleString)


def _keep_parens(inner: cst.BaseExpression, outer: cst.Call) -> cst.BaseExpression:
    """The receiver, wearing the call's parentheses: a wrapped multi-line chain must stay wrapped."""
    if outer.lpar:
        return inner.with_changes(lpar=[*outer.lpar, *inner.lpar], rpar=[*inner.rpar, *outer.rpar])
    return inner


def _looks_like_dtype(node: cst.BaseExpression) -> bool:
    name = dotted(node) or ""
    if name.lower().endswith("dtype"):  # dtype, self.dtype, target_dtype: a cast, not a move
        return True
    return (
        name.startswith("torch.")
        and name.split(".")[-1]
        in {
            "float",
            "float16",
            "float32",
            "float64",
            "bfloat16",
            "half",
            "int",
            "int32",
            "int64",
            "long",
            "bool",
        }
        or name.endswith(".dtype")
    )


class DropDeviceVariables(Rule):
    """``device = x.device`` and ``device=device`` (or ``device=self.device``) arguments: TF places tensors itself.

    A function of the module itself that requires a ``device`` parameter is still passed one:
    ``device=None`` (its own uses of the device go with the other rules).
    """

    name = "drop-device-variables"
    summary = "Remove variables holding a tensor's .device and the device= arguments that pass them."
    examples = (
        Example(
            before="""
def f(input_ids, inputs_embeds):
    device = input_ids.device if input_ids is not None else inputs_embeds.device
    mask = torch.ones(shape, device=device)
    cache = HybridCache(config, max_cache_len=n, device=self.device)
    return mask
""",
            after="""
def f(input_ids, inputs_embeds):
    mask = torch.ones(shape)
    cache = HybridCache(config, max_cache_len=n)
    return mask
""",
        ),
        Example(
            before="def f(x):\n    d = x.dtype\n    return d\n",
            after="def f(x):\n    d = x.dtype\n    return d\n",
            note="only device values go",
        ),
        Example(
            before="""
class RotaryEmbedding(nn.Module):
    def __init__(self, dim):
        self._set_cache(seq_len=dim, device=self.inv_freq.device, dtype=torch.float32)

    def _set_cache(self, seq_len, device, dtype):
        self.t = torch.arange(seq_len, device=device, dtype=dtype)
""",
            after="""
class RotaryEmbedding(nn.Module):
    def __init__(self, dim):
        self._set_cache(seq_len=dim, device=None, dtype=torch.float32)

    def _set_cache(self, seq_len, device, dtype):
        self.t = torch.arange(seq_len, device=device, dtype=dtype)
""",
            note="the module's own method requires device: it gets None (torch.arange drops it later)",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.names: set[str] = set()
        self.need_device: set[str] = set()  # functions and methods of the module with a required device

    def visit_Module(self, node: cst.Module) -> bool:
        def required_device(func: cst.FunctionDef) -> bool:
            return any(p.name.value == "device" and p.default is None for p in func.params.params)

        for stmt in node.body:
            members = stmt.body.body if isinstance(stmt, cst.ClassDef) else [stmt]
            for func in members:
                if isinstance(func, cst.FunctionDef) and required_device(func):
                    self.need_device.add(func.name.value)
        return True

    def _local_callee(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            return func.value in self.need_device
        return (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
            and func.attr.value in self.need_device
        )

    @staticmethod
    def _is_device_value(node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Attribute):
            return node.attr.value == "device"
        if isinstance(node, cst.IfExp):
            return DropDeviceVariables._is_device_value(node.body) and DropDeviceVariables._is_device_value(
                node.orelse
            )
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
                assign = stmt.body[0]
                target = assign.targets[0].target
                if isinstance(target, cst.Name) and self._is_device_value(assign.value):
                    self.names.add(target.value)
        return True

    def leave_FunctionDef(self, original, updated):
        self.names = set()
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
            if small.targets[0].target.value in self.names and self._is_device_value(small.value):
                return cst.RemoveFromParent()
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        def device_arg(a: cst.Arg) -> bool:
            return bool(
                a.keyword
                and a.keyword.value == "device"
                and ((isinstance(a.value, cst.Name) and a.value.value in self.names) or self._is_device_value(a.value))
            )

        if self._local_callee(updated):
            args = [a.with_changes(value=cst.Name("None")) if device_arg(a) else a for a in updated.args]
            return updated.with_changes(args=args)
        args = [a for a in updated.args if not device_arg(a)]
        if len(args) != len(updated.args):
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(args=args)
        return updated


_DEPRECATION_CATEGORIES = frozenset({"FutureWarning", "DeprecationWarning"})


def _warns_deprecation(method: cst.BaseStatement) -> bool:
    """A method whose body is one ``warnings.warn(message, FutureWarning)`` (a docstring aside)."""
    if not (isinstance(method, cst.FunctionDef) and isinstance(method.body, cst.IndentedBlock)):
        return False
    body = [s for s in method.body.body if not is_docstring(s)]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return False
    call = body[0].body[0].value if isinstance(body[0].body[0], cst.Expr) else None
    return (
        isinstance(call, cst.Call)
        and dotted(call.func) in ("warnings.warn", "warn")
        and any(dotted(a.value) in _DEPRECATION_CATEGORIES for a in call.args)
    )


class DropDeprecatedAliases(Rule):
    """A class kept only as a deprecated alias (it warns and does nothing else) is not ported.

    PyTorch keeps ``PretrainedBartModel`` for old imports; a new TF port has no old imports to
    serve, and exporting such a class adds a name transformers' repository checks want
    documented (they exempt the PyTorch one by name).
    """

    name = "drop-deprecated-aliases"
    summary = "class PretrainedBartModel(BartPreTrainedModel) whose only method warns FutureWarning -> removed."
    examples = (
        Example(
            before="""
class PretrainedBartModel(BartPreTrainedModel):
    def __init_subclass__(self):
        warnings.warn("The class `PretrainedBartModel` has been depreciated", FutureWarning)


class BartModel(BartPreTrainedModel):
    def __init__(self, config):
        warnings.warn("`foo` is deprecated", FutureWarning)
        self.config = config
""",
            after="""
class BartModel(BartPreTrainedModel):
    def __init__(self, config):
        warnings.warn("`foo` is deprecated", FutureWarning)
        self.config = config
""",
            note="a class that also does something else stays",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef):
        members = (
            [s for s in updated.body.body if not is_docstring(s)]
            if isinstance(updated.body, cst.IndentedBlock)
            else []
        )
        if members and all(_warns_deprecation(m) for m in members):
            return cst.RemoveFromParent()
        return updated


RULES = [
    DropDeprecatedAliases,
    DropAlternativeAttention,
    DropPyTorchOnlyMembers,
    DropGradientCheckpointing,
    DropNoOpTensorMethods,
    DropDeviceVariables,
]
