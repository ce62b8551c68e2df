"""Rules of the ops concern: torch functions, tensor methods and ``torch.nn.functional`` -> TF ops.

What maps to what is data (``scaffold/convert/tables_ops.py``); the rules here bind a call's
arguments to the torch signature of its table entry and fill the TF template. A few ops whose
TF form depends on where the call stands (``x.size()`` unpacked or compared, ``x.max(dim)``
followed by ``.values``) or on literal arguments (``transpose(-1, -2)``, ``expand`` with -1)
have a small hook in code. Where a torch op needs runtime facts (the rank for ``transpose``,
the length for ``split``), the template calls a support helper that is emitted once into the
generated module: correct first, idiomatic where it costs nothing.

Tensor methods and receivers: the converter does not know the type of ``x`` in ``x.split(2)``.
Method names that Python's builtins also have with another meaning (``split``, ``index``,
``count``, ``copy``, ``sort``, ``add``, ``sub``: :data:`tables_ops.AMBIGUOUS_METHODS`) are
converted only when the receiver is known to be a tensor (a parameter annotated as one, or a
tensor-only keyword such as ``dim=`` in the call); every other method name of the tables cannot
be a builtin's, and is converted whatever the receiver, except on ``self``/``cls``/``super()``
(the module's own methods and sublayers) and on imported names (modules and classes).
Numpy arrays, rare in modeling code, are treated as tensors.

Modules: ``binding`` (signatures and templates), ``calls`` (torch functions and
tensor methods, from the tables), ``dtypes``, ``inplace``, ``shapes``, ``indexing``. ``RULES``
below keeps their order.
"""

from __future__ import annotations

from scaffold.convert.rules.base import Rule
from scaffold.convert.rules.ops.binding import OpSpec, Param
from scaffold.convert.rules.ops.calls import DropGradContexts, TensorMethods, TorchFunctions
from scaffold.convert.rules.ops.dtypes import IntegerPromotion, PromotedThenCast, TorchDtypes
from scaffold.convert.rules.ops.indexing import (
    AdvancedIndexing,
    BooleanEquality,
    BooleanMaskIndexing,
    BooleanSums,
    IndexTupleIndexing,
)
from scaffold.convert.rules.ops.inplace import InPlaceTensorUpdates, ShiftedCopies
from scaffold.convert.rules.ops.shapes import MatmulTransposeB, ShapeConcatenation, StaticShapeReads, TransposeProperty

__all__ = [
    "AdvancedIndexing",
    "BooleanMaskIndexing",
    "BooleanEquality",
    "BooleanSums",
    "IndexTupleIndexing",
    "DropGradContexts",
    "InPlaceTensorUpdates",
    "IntegerPromotion",
    "MatmulTransposeB",
    "TransposeProperty",
    "OpSpec",
    "Param",
    "PromotedThenCast",
    "ShapeConcatenation",
    "ShiftedCopies",
    "StaticShapeReads",
    "TensorMethods",
    "TorchDtypes",
    "TorchFunctions",
    "RULES",
]

RULES: list[type[Rule]] = [
    IntegerPromotion,
    PromotedThenCast,
    BooleanMaskIndexing,
    BooleanSums,
    BooleanEquality,
    IndexTupleIndexing,
    AdvancedIndexing,
    TorchDtypes,
    DropGradContexts,
    ShiftedCopies,
    InPlaceTensorUpdates,
    TorchFunctions,
    TensorMethods,
    ShapeConcatenation,
    StaticShapeReads,
    TransposeProperty,
    MatmulTransposeB,
]
