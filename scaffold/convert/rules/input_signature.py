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

from scaffold.convert.rules.base import Example, Rule

IMAGE_SIZE = 224  # what the hand-written ports of convolutional models build with


class VisionInputSignature(Rule):
    """``TF<X>PreTrainedModel`` of a pixel_values model gets ``input_signature`` when the config has no image_size."""

    name = "vision-input-signature"
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


RULES: list[type[Rule]] = [VisionInputSignature]
