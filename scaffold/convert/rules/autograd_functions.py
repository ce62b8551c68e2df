"""``torch.autograd.Function`` subclasses: a forward with a hand-written backward, called through ``apply``.

TF has no such base class: TensorFlow differentiates the forward computation itself. What a
model needs at inference is the forward, so the class keeps it and gains an ``apply`` that calls
it the way PyTorch does (with a context object first), and the backward goes, with a TODO: a
custom backward is sometimes not the forward's derivative (a straight-through estimator, a
bound on a gradient), and then training differs.
"""

from __future__ import annotations

import libcst as cst

from scaffold.convert.rules.base import Example, Rule, dotted

_BASE = "torch.autograd.Function"

# methods only autograd or the ONNX exporter calls
_AUTOGRAD_ONLY = frozenset({"backward", "jvp", "vjp", "symbolic", "setup_context"})

CONTEXT_CLASS = "FunctionContextLikeTorch"

CONTEXT_SOURCE = f'''
class {CONTEXT_CLASS}:
    """The ``ctx`` a ``torch.autograd.Function``'s forward is handed: it keeps what forward stores on it.

    Tensors saved for a custom backward are kept as ``saved_tensors``; nothing reads them, as
    TensorFlow differentiates the forward itself.
    """

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        pass
'''


def _takes_context(forward: cst.FunctionDef) -> bool:
    """The old style ``forward(ctx, ...)``; since torch 2.0 forward may leave ctx to ``setup_context``."""
    params = forward.params.params
    return bool(params) and params[0].name.value == "ctx"


def _apply_method(with_context: bool) -> cst.FunctionDef:
    first = f"{CONTEXT_CLASS}(), " if with_context else ""
    return cst.parse_statement(
        f"@classmethod\ndef apply(cls, *args):\n    return cls.forward({first}*args)\n"
    )  # type: ignore[return-value]


class AutogradFunctions(Rule):
    """A ``torch.autograd.Function`` subclass keeps its forward and gets an ``apply``; backward goes.

    ``XSoftmax.apply(x, mask, dim)`` is how PyTorch code calls such a class, so ``apply`` stays
    the entry point: it hands forward a context object that keeps what forward stores on it
    (``ctx.dim = dim``, ``ctx.save_for_backward(output)``). The ONNX ``symbolic`` and the
    forward-mode ``jvp`` go with the backward.
    """

    name = "autograd-functions"
    phase = "canonical"
    summary = "class X(torch.autograd.Function): forward kept, apply() added, backward dropped (TODO)"
    examples = (
        Example(
            before="""
class XSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, mask, dim):
        ctx.dim = dim
        output = input.masked_fill(~mask, -1e9).softmax(dim)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return softmax_backward_data(grad_output, output, ctx.dim), None, None

    @staticmethod
    def symbolic(g, self, mask, dim):
        return g.op("Softmax", self)


def attention(scores, mask):
    return XSoftmax.apply(scores, mask, -1)
""",
            after="""
# TODO(tfscaffold): XSoftmax.backward: a custom gradient; TF differentiates forward instead
class XSoftmax:
    @staticmethod
    def forward(ctx, input, mask, dim):
        ctx.dim = dim
        output = input.masked_fill(~mask, -1e9).softmax(dim)
        ctx.save_for_backward(output)
        return output

    @classmethod
    def apply(cls, *args):
        return cls.forward(FunctionContextLikeTorch(), *args)


def attention(scores, mask):
    return XSoftmax.apply(scores, mask, -1)
""",
        ),
        Example(
            before="""
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(x, factor):
        return x * factor

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.factor = inputs[1]
""",
            after="""
class Scale:
    @staticmethod
    def forward(x, factor):
        return x * factor

    @classmethod
    def apply(cls, *args):
        return cls.forward(*args)
""",
            note="forward without ctx (torch 2 style): apply passes the arguments alone; no backward, no TODO",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if not any(dotted(base.value) == _BASE for base in updated.bases):
            return updated
        bases = [base for base in updated.bases if dotted(base.value) != _BASE]
        if bases:
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        body: list[cst.BaseStatement] = []
        forward = None
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in _AUTOGRAD_ONLY:
                if stmt.name.value == "backward":
                    self.todo(f"{updated.name.value}.backward", "a custom gradient; TF differentiates forward instead")
                continue
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "forward":
                forward = stmt
            body.append(stmt)
        if forward is not None:
            with_context = _takes_context(forward)
            if with_context:
                self.ctx.need_support(CONTEXT_CLASS, CONTEXT_SOURCE.strip() + "\n")
            body.append(_apply_method(with_context))
        empty = not bases and not updated.keywords
        return updated.with_changes(
            bases=bases,
            body=updated.body.with_changes(body=body),
            lpar=cst.MaybeSentinel.DEFAULT if empty else updated.lpar,
            rpar=cst.MaybeSentinel.DEFAULT if empty else updated.rpar,
        )


RULES: list[type[Rule]] = [AutogradFunctions]
