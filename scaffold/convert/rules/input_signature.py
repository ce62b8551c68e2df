"""A vision model whose config has no ``image_size`` declares the image size it is built with.

``TFPreTrainedModel`` builds a model by calling it on dummy inputs made from ``input_signature``,
which reads ``config.image_size`` for ``pixel_values``. Convolutional configs (ResNet, RegNet,
CvT) have none, and every build then fails with "Could not infer input image shape from
config". The hand-written ports of those models declare the signature themselves, with the
ImageNet size 224; the converted ``TF<X>PreTrainedModel`` does the same, reading
``num_channels`` from the config where it has one.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, HookVisitor, Rule, dotted
from scaffold.cstwalk import walk

IMAGE_SIZE = 224  # what the hand-written ports of convolutional models build with


class VisionInputSignature(Rule):
    """``TF<X>PreTrainedModel`` of a pixel_values model gets ``input_signature`` when the config has no image_size."""

    name = "vision-input-signature"
    phase = "model-inputs"
    summary = "main_input_name = 'pixel_values' and no config.image_size -> an input_signature of 224 x 224 images."
    examples = (
        Example(
            before="""
class TFRegNetPreTrainedModel(TFPreTrainedModel):
    config_class = RegNetConfig
    base_model_prefix = "regnet"
    main_input_name = "pixel_values"
""",
            after="""
class TFRegNetPreTrainedModel(TFPreTrainedModel):
    config_class = RegNetConfig
    base_model_prefix = "regnet"
    main_input_name = "pixel_values"

    @property
    def input_signature(self):
        return {"pixel_values": tf.TensorSpec(shape=(None, self.config.num_channels, 224, 224), dtype=tf.float32)}
""",
            context=(("pretrained_class", "RegNetPreTrainedModel"), ("config_attributes", {"num_channels"})),
        ),
        Example(
            before="""
class TFViTPreTrainedModel(TFPreTrainedModel):
    config_class = ViTConfig
    main_input_name = "pixel_values"
""",
            after="""
class TFViTPreTrainedModel(TFPreTrainedModel):
    config_class = ViTConfig
    main_input_name = "pixel_values"
""",
            context=(
                ("pretrained_class", "ViTPreTrainedModel"),
                ("config_attributes", {"image_size", "num_channels"}),
            ),
            note="the config knows its image size: TFPreTrainedModel's own signature reads it",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        ctx = self.ctx
        if ctx.pretrained_class is None or updated.name.value != ctx.tf_name(ctx.pretrained_class):
            return updated
        # TFPreTrainedModel.input_signature reads either of these
        if {"image_size", "input_size"} & ctx.config_attributes or not _main_input_is_pixels(updated):
            return updated
        if any(isinstance(s, cst.FunctionDef) and s.name.value == "input_signature" for s in updated.body.body):
            return updated
        channels = "self.config.num_channels" if "num_channels" in ctx.config_attributes else "3"
        method = cst.parse_statement(
            "@property\n"
            "def input_signature(self):\n"
            f'    return {{"pixel_values": tf.TensorSpec(shape=(None, {channels}, {IMAGE_SIZE}, {IMAGE_SIZE}), '
            "dtype=tf.float32)}\n"
        )
        method = method.with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, method]))


def _main_input_is_pixels(cls: cst.ClassDef) -> bool:
    for stmt in cls.body.body:
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
            assign = stmt.body[0]
            target = assign.targets[0].target
            if isinstance(target, cst.Name) and target.value == "main_input_name":
                return isinstance(assign.value, cst.SimpleString) and assign.value.evaluated_value == "pixel_values"
    return False


# the inputs TFPreTrainedModel.input_signature declares as [batch, sequence] integers
TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "decoder_input_ids", "decoder_attention_mask")


def _config_only(node: cst.BaseExpression) -> str | None:
    """Source of a size made of literals and ``self.config`` reads only (valid in any model class)."""
    ok = True

    class Check(HookVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            nonlocal ok
            if name.value not in ("self", "config", "len"):
                ok = False

        def visit_Attribute(self, attr: cst.Attribute) -> bool:
            nonlocal ok
            if not (dotted(attr) or "").startswith(("self.config.", "config.")):
                ok = False
            return False

    walk(node, Check())
    if not ok:
        return None
    code = cst.Module(body=[]).code_for_node(node)
    return code if code.startswith("self.") or "self.config" in code else code.replace("config.", "self.config.")


def _extra_axes(module: cst.Module) -> dict[str, list[str]]:
    """``if token_type_ids is None: token_type_ids = tf.zeros((*input_shape, K))``: K per input.

    A default made with axes after the ids' shape says the input has them too (TAPAS's token types
    are [batch, sequence, 7]); the default signature would give it rank 2 and the build fails.
    """
    found: dict[str, list[str]] = {}

    class Visitor(HookVisitor):
        def visit_If(self, node: cst.If) -> None:
            test = node.test
            if not (
                isinstance(test, cst.Comparison)
                and isinstance(test.left, cst.Name)
                and test.left.value in TEXT_INPUTS
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.Is)
                and dotted(test.comparisons[0].comparator) == "None"
            ):
                return
            name = test.left.value
            for stmt in node.body.body:
                small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
                if not (
                    isinstance(small, cst.Assign)
                    and dotted(small.targets[0].target) == name
                    and isinstance(small.value, cst.Call)
                    and dotted(small.value.func) in ("tf.zeros", "tf.ones", "torch.zeros", "torch.ones")
                    and small.value.args
                    and isinstance(small.value.args[0].value, cst.Tuple)
                ):
                    continue
                elements = small.value.args[0].value.elements
                if not (elements and isinstance(elements[0], cst.StarredElement)) or len(elements) < 2:
                    continue
                sizes = [_config_only(e.value) for e in elements[1:]]
                if all(sizes) and any(isinstance(e, cst.StarredElement) for e in elements[:1]):
                    found.setdefault(name, sizes)  # type: ignore[arg-type]

    walk(module, Visitor())
    return found


class TextInputExtraAxes(Rule):
    """An id input PyTorch defaults with extra trailing axes gets them in ``input_signature`` too."""

    name = "text-input-extra-axes"
    summary = (
        "token_type_ids = tf.zeros((*input_shape, len(self.config.type_vocab_sizes))) when None -> "
        "input_signature declares token_type_ids [batch, sequence, that size]."
    )
    examples = (
        Example(
            before="""
class TFTapasPreTrainedModel(TFPreTrainedModel):
    config_class = TapasConfig


class TFTapasModel(TFTapasPreTrainedModel):
    def call(self, input_ids=None, token_type_ids=None):
        input_shape = shape_list(input_ids)
        if token_type_ids is None:
            token_type_ids = tf.zeros((*input_shape, len(self.config.type_vocab_sizes)), dtype=tf.int64)
""",
            after="""
class TFTapasPreTrainedModel(TFPreTrainedModel):
    config_class = TapasConfig

    @property
    def input_signature(self):
        signature = super().input_signature
        for name, sizes in {"token_type_ids": [len(self.config.type_vocab_sizes)]}.items():
            if name in signature:
                spec = signature[name]
                signature[name] = tf.TensorSpec(spec.shape.as_list() + sizes, spec.dtype, name=spec.name)
        return signature


class TFTapasModel(TFTapasPreTrainedModel):
    def call(self, input_ids=None, token_type_ids=None):
        input_shape = shape_list(input_ids)
        if token_type_ids is None:
            token_type_ids = tf.zeros((*input_shape, len(self.config.type_vocab_sizes)), dtype=tf.int64)
""",
            context=(("pretrained_class", "TapasPreTrainedModel"),),
        ),
    )

    def visit_Module(self, node: cst.Module) -> bool:
        self.extra = _extra_axes(node)
        return bool(self.extra)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        ctx = self.ctx
        if ctx.pretrained_class is None or updated.name.value != ctx.tf_name(ctx.pretrained_class):
            return updated
        if any(isinstance(s, cst.FunctionDef) and s.name.value == "input_signature" for s in updated.body.body):
            return updated
        table = ", ".join(f'"{name}": [{", ".join(sizes)}]' for name, sizes in self.extra.items())
        method = cst.parse_statement(
            "@property\n"
            "def input_signature(self):\n"
            "    signature = super().input_signature\n"
            f"    for name, sizes in {{{table}}}.items():\n"
            "        if name in signature:\n"
            "            spec = signature[name]\n"
            "            signature[name] = tf.TensorSpec(spec.shape.as_list() + sizes, spec.dtype, name=spec.name)\n"
            "    return signature\n"
        ).with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, method]))


RULES: list[type[Rule]] = [VisionInputSignature, TextInputExtraAxes]
