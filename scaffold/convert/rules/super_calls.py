"""``super(Class, self)`` of the enclosing class becomes ``super()``.

The two are the same call in Python 3, but the explicit form names the class: once the model
rules move a base model's ``__init__`` and ``forward`` into ``TF<X>MainLayer``, a
``super(XModel, self)`` left inside would name a class the layer is not an instance of, and
``TypeError: super(type, obj)`` ends the build. A ``super`` naming another class (skipping a
level of the hierarchy on purpose) is left as it is.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import ClassStack, Example, Rule


class ZeroArgumentSuper(ClassStack, Rule):
    """``super(Enclosing, self)`` -> ``super()`` (see the module doc for why)."""

    name = "zero-argument-super"
    phase = "canonical"
    summary = "super(LayoutLMModel, self).__init__(config) -> super().__init__(config) inside LayoutLMModel."
    examples = (
        Example(
            before="""
class LayoutLMModel(LayoutLMPreTrainedModel):
    def __init__(self, config):
        super(LayoutLMModel, self).__init__(config)

    def other(self):
        return super(LayoutLMPreTrainedModel, self).other()
""",
            after="""
class LayoutLMModel(LayoutLMPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)

    def other(self):
        return super(LayoutLMPreTrainedModel, self).other()
""",
            note="a super() naming another class skips a level on purpose: kept",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if (
            self.current_class is not None
            and isinstance(updated.func, cst.Name)
            and updated.func.value == "super"
            and len(updated.args) == 2
            and isinstance(updated.args[0].value, cst.Name)
            and updated.args[0].value.value == self.current_class
            and isinstance(updated.args[1].value, cst.Name)
            and updated.args[1].value.value == "self"
        ):
            return updated.with_changes(args=[])
        return updated


RULES: list[type[Rule]] = [ZeroArgumentSuper]
