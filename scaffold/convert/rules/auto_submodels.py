"""Towers built with ``AutoModel.from_config``: the port's own model, a TF auto model, or no class at all.

4.57's multimodal models hold their towers as auto models (``self.vision_tower =
AutoModel.from_config(config.vision_config)``). Left as it is, a TF port would build a PyTorch model
inside a Keras layer. The model type the sub-config names decides (facts from
:mod:`scaffold.convert.submodels`):

- a type of the port itself (``gemma3_text``): its base model, ``Gemma3TextModel(config.text_config)``,
  which the later rules name and build like any sublayer;
- a type the tree's TF twin of the auto class builds (``tables_model.AUTO_CLASSES``: ``AutoModel`` ->
  ``TFAutoModel``, ``AutoModelForCausalLM`` -> ``TFAutoModelForCausalLM`` ...), or one decided at run time
  (``AutoConfig``): ``TFAutoModel.from_config(...)``, marked, since its weights load under the tower's
  name only if the auto model nests as the port expects;
- a type with no TF port (``siglip_vision_model`` in 4.57), or an auto class with no TF twin: the class
  cannot be built in TF. It is not
  written, nor is any class that uses it, and a marker says which tower needs which port. Writing
  them would leave classes that fail when built, which the tests and ``verify`` would then report
  as broken conversions rather than as a missing port.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert import tables_model as T
from scaffold.convert.rules.base import Example, Rule, Todo, add_comments, dotted, find_all

_CONTEXT = (
    ("own_model_types", {"Gemma3TextConfig": "gemma3_text", "Gemma3Config": "gemma3"}),
    ("sub_model_types", {"text_config": "gemma3_text", "vision_config": "siglip_vision_model"}),
    ("tf_model_types", {"TF_MODEL_MAPPING_NAMES": frozenset({"bert", "clip_vision_model"})}),
    ("config_class", "Gemma3Config"),
    ("pretrained_class", "Gemma3PreTrainedModel"),
    ("local_classes", {"Gemma3PreTrainedModel", "Gemma3TextModel", "Gemma3Model", "Gemma3ForConditionalGeneration"}),
    (
        "class_bases",
        {
            "Gemma3TextModel": ["Gemma3PreTrainedModel"],
            "Gemma3Model": ["Gemma3PreTrainedModel"],
            "Gemma3ForConditionalGeneration": ["Gemma3PreTrainedModel"],
        },
    ),
    ("class_configs", {"Gemma3PreTrainedModel": "Gemma3Config", "Gemma3TextModel": "Gemma3TextConfig"}),
)


def _auto_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The config ``AutoModel.from_config`` is given: first positional or ``config=``."""
    for arg in call.args:
        if arg.keyword is None and arg.star == "":
            return arg.value
        if arg.keyword is not None and arg.keyword.value == "config":
            return arg.value
    return None


class AutoSubmodels(Rule):
    """``AutoModel.from_config(config.x_config)`` -> the port's model of that type, ``TFAutoModel``, or no class."""

    name = "auto-submodels"
    summary = (
        "AutoModel.from_config(config.<sub>_config) -> the port's own model of that type, TFAutoModel.from_config, "
        "or, with no TF port of the type, the class and its users not written (marked)."
    )
    examples = (
        Example(
            before="""
class Gemma3Model(Gemma3PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.language_model = AutoModel.from_config(config=config.text_config)
""",
            after="""
class Gemma3Model(Gemma3PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.language_model = Gemma3TextModel(config.text_config)
""",
            note="a tower of the port's own model type is its base model of that config",
            context=_CONTEXT,
        ),
        Example(
            before="""
class Gemma3Model(Gemma3PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.vision_tower = AutoModel.from_config(config=config.vision_config)


class Gemma3ForConditionalGeneration(Gemma3PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = Gemma3Model(config)


class Gemma3TextModel(Gemma3PreTrainedModel):
    pass
""",
            after="""
# TODO(tfscaffold): Gemma3Model: not written: vision_tower = AutoModel.from_config(config.vision_config) builds a siglip_vision_model, which TFAutoModel does not build in this tree: port it first
# TODO(tfscaffold): Gemma3ForConditionalGeneration: not written: it uses Gemma3Model, which is not written
class Gemma3TextModel(Gemma3PreTrainedModel):
    pass
""",
            note="no TF port of the tower's type: the class and the classes using it are left out, marked",
            context=_CONTEXT,
        ),
        Example(
            before="""
class LlavaModel(LlavaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.vision_tower = AutoModel.from_config(config.vision_config)
""",
            after="""
class LlavaModel(LlavaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        # TODO(tfscaffold): vision_tower = AutoModel.from_config(...): a TFAutoModel of the type config.vision_config names at run time: check its weights load (tfscaffold verify)
        self.vision_tower = TFAutoModel.from_config(config.vision_config, name="vision_tower")
""",
            note="the type is decided at run time (the sub-config is an AutoConfig): a TF auto model, marked",
            context=(
                ("sub_model_types", {"vision_config": None}),
                ("tf_model_types", frozenset({"clip_vision_model"})),
            ),
        ),
        Example(
            before="""
class LightGlueForKeypointMatching(LightGluePreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.keypoint_detector = AutoModelForKeypointDetection.from_config(config.keypoint_detector_config)


class LightGlueMatchAssignmentLayer(nn.Module):
    pass
""",
            after="""
# TODO(tfscaffold): LightGlueForKeypointMatching: not written: keypoint_detector = AutoModelForKeypointDetection.from_config(config.keypoint_detector_config): AutoModelForKeypointDetection has no TF auto class
class LightGlueMatchAssignmentLayer(nn.Module):
    pass
""",
            note="an auto class with no TF twin in the table (tables_model.AUTO_CLASSES)",
            context=(("sub_model_types", {"keypoint_detector_config": "superpoint"}),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.active = any(
            (dotted(c.func) or "").startswith("Auto") and (dotted(c.func) or "").endswith(".from_config")
            for c in find_all(node, cst.Call)
        )
        return self.active

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False  # classes are read whole on leaving the module

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.active:
            return updated
        ctx = self.ctx
        dropped: dict[str, str] = {}  # class -> why it is not written
        body: list[cst.BaseStatement] = []
        for stmt in updated.body:
            if isinstance(stmt, cst.ClassDef):
                stmt, why = self._towers(stmt)
                if why is not None:
                    dropped[stmt.name.value] = why
            body.append(stmt)
        if not dropped:
            return updated.with_changes(body=body)
        # the classes that use a class not written are not written either, to a fixed point
        uses = {s.name.value: {n.value for n in find_all(s, cst.Name)} for s in body if isinstance(s, cst.ClassDef)}
        grown = True
        while grown:
            grown = False
            for name, names in uses.items():
                if name in dropped:
                    continue
                missing = sorted(n for n in names & set(dropped) if n != name)
                if missing:
                    dropped[name] = f"it uses {missing[0]}, which is not written"
                    grown = True
        kept: list[cst.BaseStatement] = []
        pending: list[str] = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value in dropped:
                todo = Todo(stmt.name.value, stmt.name.value, f"not written: {dropped[stmt.name.value]}")
                ctx.todos.append(todo)
                pending.append(todo.marker())
                continue
            if pending:
                stmt, pending = add_comments(stmt, pending), []
            kept.append(stmt)
        footer = [*updated.footer, *(cst.EmptyLine(comment=cst.Comment(c)) for c in pending)]
        return updated.with_changes(body=kept, footer=footer)

    def _towers(self, cls: cst.ClassDef) -> tuple[cst.ClassDef, str | None]:
        """The class with its auto towers converted, or why it cannot be written."""
        ctx = self.ctx
        init = (
            next(
                (s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"),
                None,
            )
            if isinstance(cls.body, cst.IndentedBlock)
            else None
        )
        if init is None:
            return cls, None
        replacements: dict[cst.SimpleStatementLine, cst.BaseStatement] = {}
        for stmt in find_all(init, cst.SimpleStatementLine):
            small = stmt.body[0]
            if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Call):
                continue
            call = small.value
            auto = (dotted(call.func) or "").removesuffix(".from_config")
            if not auto.startswith("Auto") or auto == dotted(call.func):
                continue
            target = cst.Module(body=[]).code_for_node(small.targets[0].target)
            attr = target.removeprefix("self.")
            argument = _auto_argument(call)
            sub = argument.attr.value if isinstance(argument, cst.Attribute) else None
            given = cst.Module(body=[]).code_for_node(argument) if argument else ""
            source = f"{attr} = {auto}.from_config({given})"
            if auto not in T.AUTO_CLASSES:
                return cls, f"{source}: {auto} has no TF auto class"
            tf_auto, mapping = T.AUTO_CLASSES[auto]
            kind = ctx.sub_model_types.get(sub) if sub else None
            own = next((c for c, t in ctx.own_model_types.items() if t == kind), None) if kind else None
            if argument is None:
                new = self.todo_at(stmt, source, "no config argument: left")
            elif auto == "AutoModel" and (isinstance(argument, cst.Name) or own):
                # the port's own model: what AutoModel builds from one of the port's configs
                config = own or ctx.config_of(cls.name.value)
                model = ctx.base_model_of(config)
                if model is None or model == cls.name.value:  # never the class inside itself
                    return cls, f"{source}: no other model of this port is built from {config}"
                new = stmt.with_changes(
                    body=[small.with_changes(value=cst.Call(cst.Name(model), [cst.Arg(argument)]))]
                )
            elif kind is not None and own is None and kind not in ctx.tf_model_types.get(mapping, frozenset()):
                return cls, f"{source} builds a {kind}, which {tf_auto} does not build in this tree: port it first"
            else:
                ctx.imports.add(f"from ..auto.modeling_tf_auto import {tf_auto}")
                named = [cst.Arg(argument)]
                if target.startswith("self.") and attr.isidentifier():
                    named.append(cst.Arg(cst.SimpleString(f'"{attr}"'), keyword=cst.Name("name")))
                value = cst.Call(cst.parse_expression(f"{tf_auto}.from_config"), named)
                what = f"the type {dotted(argument) or 'the config'} names at run time" if kind is None else kind
                new = self.todo_at(
                    stmt.with_changes(body=[small.with_changes(value=value)]),
                    f"{attr} = {auto}.from_config(...)",
                    f"a {tf_auto} of {what}: check its weights load (tfscaffold verify)",
                )
            replacements[stmt] = new
        if not replacements:
            return cls, None
        return cls.visit(_Replace(replacements)), None  # type: ignore[return-value]


class _Replace(cst.CSTTransformer):
    """Statements replaced by identity, all in one pass (``deep_replace`` rebuilds the tree each time)."""

    def __init__(self, replacements: dict[cst.SimpleStatementLine, cst.BaseStatement]) -> None:
        super().__init__()
        self.replacements = replacements

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        return self.replacements.get(original, updated)


RULES: list[type[Rule]] = [AutoSubmodels]
