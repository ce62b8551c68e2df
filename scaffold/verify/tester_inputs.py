"""The inputs a model's own tester makes: their names, shapes and kinds, read from its test file.

``verify`` makes its inputs from the forward's signature and the config (one image of
``(batch, channels, size, size)``, a text of ids). A few models take inputs of another form:
IDEFICS takes ``(batch, images, channels, size, size)`` pixels and an image attention mask its
forward reads unconditionally, so PyTorch itself fails on verify's inputs. The model's tester says
how to call it: ``prepare_config_and_inputs`` assigns ``floats_tensor([...])``,
``ids_tensor([...], n)`` and ``random_attention_mask([...])`` to names that are the forward's
arguments. Those calls are read here (libcst, never imported) with their sizes resolved against
the tester's attributes and the method's parameter defaults, so ``verify`` can call the model the
way its authors do when its own inputs fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import libcst as cst

from scaffold.cstwalk import walk
from scaffold.errors import ScaffoldError

# tester helper -> kind of array it makes (tests/test_modeling_common.py)
MAKERS = {"floats_tensor": "floats", "ids_tensor": "ids", "random_attention_mask": "mask"}
KINDS = ("floats", "ids", "mask")
PREPARE = "prepare_config_and_inputs"


def _literal(node: cst.BaseExpression) -> Any:
    try:
        return ast.literal_eval(cst.Module(body=[]).code_for_node(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}
        self._attrs: dict[str, Any] = {}  # the current tester's self.<attr> -> int
        self._params: dict[str, Any] = {}  # the current method's parameter defaults
        self._method = ""
        self._tester = False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._tester = node.name.value.endswith("Tester")
        self._attrs = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._method = node.name.value
        self._params = {
            p.name.value: _literal(p.default)
            for p in (*node.params.params, *node.params.kwonly_params)
            if p.default is not None
        }

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._tester or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if self._method == "__init__":
            if (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == "self"
            ):
                value = self._size(node.value)
                if value is not None:
                    self._attrs[target.attr.value] = value
            return
        call = node.value
        if not (
            self._method == PREPARE
            and isinstance(target, cst.Name)
            and isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value in MAKERS
            and call.args
            and isinstance(call.args[0].value, cst.List | cst.Tuple)
        ):
            return
        shape = [self._size(e.value) for e in call.args[0].value.elements]
        if any(s is None or s < 1 for s in shape) or target.value in self.found:
            return
        entry: dict[str, Any] = {"kind": MAKERS[call.func.value], "shape": shape}
        if entry["kind"] == "ids":
            high = self._size(call.args[1].value) if len(call.args) > 1 else None
            if high is None:
                return
            entry["high"] = high
        self.found[target.value] = entry

    def _size(self, node: cst.BaseExpression) -> int | None:
        """An integer from literals, ``self.<attr>``, parameter defaults and ``+``/``-``/``*``."""
        if isinstance(node, cst.Integer):
            return int(node.evaluated_value)
        if isinstance(node, cst.Name):
            value = self._params.get(node.value)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            return self._attrs.get(node.attr.value)
        if isinstance(node, cst.BinaryOperation):
            left, right = self._size(node.left), self._size(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.operator, cst.Add):
                return left + right
            if isinstance(node.operator, cst.Subtract):
                return left - right
            if isinstance(node.operator, cst.Multiply):
                return left * right
        return None


def read_tester_inputs(path: Path) -> dict[str, dict[str, Any]]:
    """Name -> ``{"kind": floats|ids|mask, "shape": [...], "high": n}`` of what the testers' prepare method makes.

    The first tester to make a name wins; an input whose sizes do not resolve to integers is left
    out. A file that does not parse gives nothing (verify keeps its own inputs).
    """
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
        return {}
    collector = _Collector()
    walk(module, collector)
    return collector.found


_INPUT = re.compile(r"^([A-Za-z_]\w*)=(\d+(?:x\d+)*)(?::(floats|ids|mask))?$")


def parse_input(text: str) -> tuple[str, dict[str, Any]]:
    """``name=2x1x3x32x32[:floats|ids|mask]`` from ``verify --input``: an input shaped as the model needs.

    Floats are uniform in [0, 1), ids below the config's vocabulary size, masks all ones; the same
    entry format as :func:`read_tester_inputs` gives (``high`` unset: the vocabulary decides).
    """
    match = _INPUT.match(text.strip())
    if match is None or any(int(n) < 1 for n in match.group(2).split("x")):
        raise ScaffoldError(
            f"--input takes name=SHAPE[:KIND], SHAPE like 2x1x3x32x32 (sizes >= 1), KIND one of "
            f"{', '.join(KINDS)} (default floats), not {text!r}"
        )
    return match.group(1), {"kind": match.group(3) or "floats", "shape": [int(n) for n in match.group(2).split("x")]}
