"""Embedding tables that are computed, not learned (sinusoidal positions).

Some PyTorch models derive from ``nn.Embedding`` only to hold a table their constructor fills
from its shape (``self.weight = self._init_weight(self.weight)``, a static method writing
sin/cos values with numpy). The table is still a parameter: a checkpoint may save it (then it
must load) or leave it out (``_keys_to_ignore_on_save``; then the computed values must stay).
So the TF layer makes a weight named ``weight`` in ``build()`` (its path is the PyTorch key),
initialised with the computed table: the static method runs on a numpy array of the same shape
(the ``torch.FloatTensor(...)`` wrappers and gradient bookkeeping go, numpy assignment casts to
float32 as the PyTorch parameter does), non-trainable when PyTorch takes it out of training,
and the lookup is ``tf.gather``. A constant would not load a saved table.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from scaffold.convert.rules.base import Example, HookTransformer, Rule, dotted
from scaffold.cstwalk import walk

# wrappers that turn a numpy array into a torch tensor: on a numpy table, the array itself
NUMPY_WRAPPERS = frozenset({"torch.FloatTensor", "torch.tensor", "torch.from_numpy", "torch.as_tensor"})
# statements on the table that only manage autograd
GRAD_ONLY_METHODS = frozenset({"detach_", "requires_grad_"})


def _fill_call(init: cst.FunctionDef, weight: str) -> str | None:
    """``self.weight = self.M(self.weight)`` in ``__init__`` -> ``M``."""
    for stmt in init.body.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)):
            continue
        assign = stmt.body[0]
        value = assign.value
        if (
            len(assign.targets) == 1
            and dotted(assign.targets[0].target) == f"self.{weight}"
            and isinstance(value, cst.Call)
            and len(value.args) == 1
            and dotted(value.args[0].value) == f"self.{weight}"
            and (dotted(value.func) or "").startswith("self.")
        ):
            return dotted(value.func).split(".", 1)[1]
    return None


class _NumpyFill(HookTransformer):
    """The static fill method, on a numpy array."""

    def leave_Call(self, original, updated):
        if dotted(updated.func) in NUMPY_WRAPPERS and len(updated.args) == 1:
            return updated.args[0].value
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Attribute):
            if small.targets[0].target.attr.value == "requires_grad":
                return cst.RemoveFromParent()
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            func = small.value.func
            if isinstance(func, cst.Attribute) and func.attr.value in GRAD_ONLY_METHODS:
                return cst.RemoveFromParent()
        return updated

    def leave_Param(self, original, updated):
        return updated.with_changes(annotation=None)

    def leave_FunctionDef(self, original, updated):
        return updated.with_changes(returns=None)


class _Rewrite(HookTransformer):
    def __init__(self, method: str, keras: str) -> None:
        super().__init__()
        self.method = method
        self.keras = keras
        self.shape: list[cst.BaseExpression] | None = None
        self.sizes: list[str] = []  # how build() reads the table's sizes

    def leave_FunctionDef(self, original, updated):
        if updated.name.value == self.method:
            return walk(updated, _NumpyFill())
        return updated

    def leave_Call(self, original, updated):
        func = updated.func
        if not isinstance(func, cst.Attribute):
            return updated
        receiver = func.value
        if not (isinstance(receiver, cst.Call) and dotted(receiver.func) == "super"):
            return updated
        if func.attr.value == "__init__":
            positional = [a for a in updated.args if a.keyword is None and not a.star]
            if len(positional) >= 2:
                self.shape = [positional[0].value, positional[1].value]
            rest = [a for a in updated.args if a.star == "**"]
            return updated.with_changes(args=[a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in rest])
        if func.attr.value in ("forward", "call") and len(updated.args) == 1:
            table = cst.Arg(
                cst.parse_expression("self.weight"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            index = updated.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return cst.Call(func=cst.parse_expression("tf.gather"), args=[table, index])
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0]
        if not (isinstance(small, cst.Assign) and dotted(small.targets[0].target) == "self.weight"):
            return updated
        value = small.value
        if not (isinstance(value, cst.Call) and dotted(value.func) == f"self.{self.method}" and self.shape):
            return updated
        # the table is made in build(): keep the sizes it needs
        code = [cst.Module([]).code_for_node(s) for s in self.shape]
        if all(isinstance(s, cst.Name) for s in self.shape):
            lines = [f"self.{c} = {c}" for c in code]
            self.sizes = [f"self.{c}" for c in code]
        else:
            lines = [f"self.table_shape = ({', '.join(code)})"]
            self.sizes = [f"self.table_shape[{i}]" for i in range(len(code))]
        statements = [cst.parse_statement(f"{line}\n") for line in lines]
        statements[0] = statements[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel(statements)


def _fixed(method: cst.FunctionDef) -> bool:
    """Whether the fill method takes the table out of training (``requires_grad = False``, ``detach_()``)."""
    code = cst.Module([]).code_for_node(method).replace(" ", "")
    return any(m in code for m in ("requires_grad=False", "requires_grad_(False)", ".detach_()"))


class ComputedEmbeddingTables(Rule):
    """An ``nn.Embedding`` subclass whose constructor fills its table becomes a layer whose ``build()``
    makes the ``weight`` from the same computation (loadable, and correct when not loaded)."""

    name = "computed-embedding-tables"
    summary = "class X(nn.Embedding) filling self.weight in __init__ -> keras layer, weight computed in build()."
    examples = (
        Example(
            before="""
class TFMarianSinusoidalPositionalEmbedding(nn.Embedding):
    def __init__(self, num_positions: int, embedding_dim: int, **kwargs) -> None:
        super().__init__(num_positions, embedding_dim, **kwargs)
        self.weight = self._init_weight(self.weight)

    @staticmethod
    def _init_weight(out: nn.Parameter) -> nn.Parameter:
        n_pos, dim = out.shape
        out.requires_grad = False
        out[:, 0 : dim // 2] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
        out.detach_()
        return out

    def call(self, input_ids_shape, past_key_values_length: int = 0):
        positions = torch.arange(past_key_values_length, past_key_values_length + input_ids_shape[1])
        return super().forward(positions)


class TFOPTLearnedPositionalEmbedding(nn.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        super().__init__(num_embeddings + 2, embedding_dim, **kwargs)
""",
            after="""
class TFMarianSinusoidalPositionalEmbedding(keras.layers.Layer):
    def __init__(self, num_positions: int, embedding_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_positions = num_positions
        self.embedding_dim = embedding_dim

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        table = self._init_weight(np.zeros((self.num_positions, self.embedding_dim), dtype=np.float32))
        self.weight = self.add_weight(
            name="weight",
            shape=(self.num_positions, self.embedding_dim),
            initializer=keras.initializers.Constant(table),
            trainable=False,
        )

    @staticmethod
    def _init_weight(out):
        n_pos, dim = out.shape
        out[:, 0 : dim // 2] = np.sin(position_enc[:, 0::2])
        return out

    def call(self, input_ids_shape, past_key_values_length: int = 0):
        positions = torch.arange(past_key_values_length, past_key_values_length + input_ids_shape[1])
        return tf.gather(self.weight, positions)


class TFOPTLearnedPositionalEmbedding(nn.Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, **kwargs):
        super().__init__(num_embeddings + 2, embedding_dim, **kwargs)
""",
            note="a learned embedding (no fill in __init__) is left to the layer rules",
        ),
        Example(
            before="""
class TFSinusoidalPositions(nn.Embedding):
    def __init__(self, config):
        super().__init__(config.max_positions + 2, config.dim)
        self.weight = self._fill(self.weight)

    @staticmethod
    def _fill(out):
        out[:, 0::2] = torch.FloatTensor(np.sin(angles))
        return out
""",
            after="""
class TFSinusoidalPositions(keras.layers.Layer):
    def __init__(self, config):
        super().__init__()
        self.table_shape = (config.max_positions + 2, config.dim)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        table = self._fill(np.zeros((self.table_shape[0], self.table_shape[1]), dtype=np.float32))
        self.weight = self.add_weight(
            name="weight",
            shape=(self.table_shape[0], self.table_shape[1]),
            initializer=keras.initializers.Constant(table),
        )

    @staticmethod
    def _fill(out):
        out[:, 0::2] = np.sin(angles)
        return out
""",
            note="sizes that are not plain names are kept as one shape; a table PyTorch trains stays trainable",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        bases = [dotted(b.value) for b in updated.bases]
        if "nn.Embedding" not in bases:
            return updated
        init = next(
            (m for m in updated.body.body if isinstance(m, cst.FunctionDef) and m.name.value == "__init__"), None
        )
        method = _fill_call(init, "weight") if init is not None else None
        if method is None:
            return updated
        fill = next(m for m in original.body.body if isinstance(m, cst.FunctionDef) and m.name.value == method)
        rewrite = _Rewrite(method, self.ctx.keras)
        updated = walk(updated, rewrite)
        if rewrite.shape is None or not rewrite.sizes:
            self.todo("class deriving from nn.Embedding", "its table is filled in __init__ but its shape is unknown")
            return updated
        shape = f"({', '.join(rewrite.sizes)})"
        trainable = ", trainable=False" if _fixed(fill) else ""
        build = cst.parse_statement(
            "def build(self, input_shape=None):\n"
            "    if self.built:\n"
            "        return\n"
            "    self.built = True\n"
            f"    table = self.{method}(np.zeros({shape}, dtype=np.float32))\n"
            f'    self.weight = self.add_weight(name="weight", shape={shape}, '
            f"initializer={self.ctx.keras}.initializers.Constant(table){trainable})\n"
        ).with_changes(leading_lines=[cst.EmptyLine()])
        body = list(updated.body.body)
        at = next(i + 1 for i, m in enumerate(body) if isinstance(m, cst.FunctionDef) and m.name.value == "__init__")
        body.insert(at, build)
        layer = cst.parse_expression(f"{self.ctx.keras}.layers.Layer")
        return updated.with_changes(
            bases=[b.with_changes(value=layer) if dotted(b.value) == "nn.Embedding" else b for b in updated.bases],
            body=updated.body.with_changes(body=body),
        )


# PyTorch module types named in annotations that are not in the LAYERS table
ANNOTATION_TYPES = {"nn.Module": "keras.layers.Layer", "nn.Parameter": "tf.Variable"}


class ModuleAnnotations(Rule):
    """Type hints naming ``nn`` classes (``embed_tokens: Optional[nn.Embedding]``) name the Keras ones.

    An annotation is never executed by the layer, but it is evaluated at definition time, so an
    ``nn`` left in one would make the generated module fail to import.
    """

    name = "module-annotations"
    summary = "Optional[nn.Embedding] -> Optional[keras.layers.Embedding]; nn.Module -> keras.layers.Layer."
    examples = (
        Example(
            before="""
def __init__(self, config, embed_tokens: Optional[nn.Embedding] = None) -> nn.Module:
    self.embed_tokens = nn.Embedding(3, 4)
""",
            after="""
def __init__(self, config, embed_tokens: Optional[keras.layers.Embedding] = None) -> keras.layers.Layer:
    self.embed_tokens = nn.Embedding(3, 4)
""",
            note="only annotations: the constructor call is the layer rules' business",
        ),
        Example(
            before="def f(x: nn.Bilinear):\n    pass\n",
            after="def f(x: nn.Bilinear):\n    pass\n",
            note="a module with no Keras counterpart in the tables stays (then marked undefined)",
        ),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        from scaffold.convert.tables_layers import LAYERS

        targets = {name: spec.target for name, spec in LAYERS.items() if not spec.support}
        self.types = {
            name: t.replace("keras.", f"{ctx.keras}.", 1) for name, t in {**targets, **ANNOTATION_TYPES}.items()
        }
        self.depth = 0

    # an annotation naming none of the types is left as it is
    name_gated = frozenset({"Annotation", "Attribute"})

    def names_reacted_to(self) -> Iterable[str]:
        return {name.rpartition(".")[2] for name in self.types}

    def visit_Annotation(self, node: cst.Annotation) -> bool:
        self.depth += 1
        return True

    def leave_Annotation(self, original, updated):
        self.depth -= 1
        return updated

    def leave_Attribute(self, original, updated):
        name = dotted(updated)
        if self.depth and name in self.types:
            return cst.parse_expression(self.types[name])
        return updated


RULES: list[type[Rule]] = [ComputedEmbeddingTables, ModuleAnnotations]
