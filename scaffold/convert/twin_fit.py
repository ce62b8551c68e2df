"""Which TF twins of other ports may stand in for converted classes: the interfaces their callers rely on.

A twin is another port's TF class whose PyTorch original is this model's class once renamed. Its code
follows its own port's conventions (signatures, return tuples, channels-last tensors), so it is
reused only where the classes around it, converted or reused, agree with those conventions.
"""

from __future__ import annotations

import ast
import functools

from scaffold.convert.pt_module import PTModule
from scaffold.convert.reuse import SourceModule, Twin, call_parameters, positional_layer_calls
from scaffold.pysource import cached_by_content


def class_names_used(pt: PTModule, name: str) -> set[str]:
    """The module's classes a class's source names."""
    return (pt.names_read[0][name] & set(pt.classes)) - {name}


def keep_consistent_callers(pt: PTModule, twins: dict[str, Twin]) -> None:
    """Drop a twin that a converted class uses, until no converted class uses one.

    A TF twin's ``call`` follows its own port's conventions (arguments positional and required,
    extra constructor arguments such as ``input_embeddings``); converted callers follow the
    PyTorch code, so the two may not fit together. Reused code calling converted code is safe:
    converted signatures mirror the PyTorch ones the twin's port mirrored too, except where the
    callee is a twin dropped here for its interface: reused code was written against that
    interface (``TFT5LayerNorm(..., epsilon=)`` where the PyTorch class takes ``eps``), so a twin
    using a dropped twin is dropped as well.
    """
    # module-level registries (``X_ATTENTION_CLASSES = {"eager": XAttention}``): using one uses its classes
    registries: dict[str, set[str]] = {}
    class_names, assignments = pt.names_read
    for targets, names in assignments:
        used = names & set(pt.classes)
        for target in targets:
            if used:
                registries[target] = used
    refs: dict[str, set[str]] = {}
    for name in pt.classes:
        names = class_names[name]
        via = set().union(*(registries.get(n, set()) for n in names))
        refs[name] = ({n for n in names if n in pt.classes} | via) - {name}
    changed = True
    other_interface: set[str] = set()  # twins dropped because their TF interface is not PyTorch's
    positional = {name: positional_layer_calls(twin) for name, twin in twins.items()}
    while changed:
        changed = False
        for name in list(twins):
            used_by_converted = any(name in refs[caller] and caller not in twins for caller in pt.classes)
            if used_by_converted and not same_interface(pt.code(pt.classes[name].node), twins[name].code()):
                del twins[name]
                other_interface.add(name)
                changed = True
            elif refs[name] & other_interface or not _positional_calls_fit(pt, twins, positional[name]):
                del twins[name]
                changed = True
            elif _channels_last(twins[name].tf_module):
                # its port keeps tensors (batch, ..., channels), PyTorch (batch, channels, ...): every
                # class it passes tensors to or takes them from must be reused too
                neighbours = refs[name] | {caller for caller in pt.classes if name in refs[caller]}
                if any(other not in twins for other in neighbours):
                    del twins[name]
                    changed = True


def _positional_calls_fit(pt: PTModule, twins: dict[str, Twin], calls: dict[str, list[str]]) -> bool:
    """Whether each argument a twin passes a layer by position (``calls``: see ``positional_layer_calls``) lands
    on the parameter it did in the twin's own port (the layer converted from PyTorch, or reused, may order
    them otherwise)."""
    by_tf_name = {f"TF{n}": n for n in pt.classes}
    if pt.base_model_class:
        by_tf_name[f"TF{pt.prefix}MainLayer"] = pt.base_model_class
    for callee, names in calls.items():
        pt_name = by_tf_name.get(callee)
        if pt_name is None:
            continue
        if pt_name in twins:
            params = _parameters(twins[pt_name].code(), "call")
        else:
            params = _parameters(pt.code(pt.classes[pt_name].node), "forward")
        if params is not None and list(params[: len(names)]) != names:
            return False
    return True


@functools.lru_cache(maxsize=256)
def _parameters(code: str, method: str) -> tuple[str, ...] | None:
    func = _method_of(code, method)
    return None if func is None else tuple(call_parameters(func))


_TF_ONLY_PARAMETERS = {"self", "training", "kwargs", "args", "inputs"}

_CONVOLUTIONS = {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"}


def _channels_last(module: SourceModule) -> bool:
    """Whether a TF port works in Keras' channels-last layout: a Keras convolution without
    ``data_format="channels_first"``. Such ports transpose PyTorch's channels-first tensors once
    and keep them channels-last inside, so any of their classes may take or give that layout.
    Kept in the facts cache by the port's content (a whole-module parse for one answer)."""
    return cached_by_content("channels-last-v1", module.data, lambda: _has_channels_last_convolution(module.text))


def _has_channels_last_convolution(code: str) -> bool:
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _CONVOLUTIONS and not any(
            k.arg == "data_format" and isinstance(k.value, ast.Constant) and k.value.value == "channels_first"
            for k in node.keywords
        ):
            return True
    return False


def _signature(code: str, methods: tuple[str, ...]) -> dict[str, list[tuple[str, bool]]]:
    """Parameters (name, has default) of a class's constructor and forward/call."""
    tree = ast.parse(code.strip())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    out: dict[str, list[tuple[str, bool]]] = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in methods:
            args = node.args.posonlyargs + node.args.args
            defaults = [False] * (len(args) - len(node.args.defaults)) + [True] * len(node.args.defaults)
            params = [(a.arg, d) for a, d in zip(args, defaults, strict=True) if a.arg not in _TF_ONLY_PARAMETERS]
            params += [
                (a.arg, d is not None) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
            ]
            out["init" if node.name == "__init__" else "call"] = params
    fields = [
        (n.target.id, n.value is not None)
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    ]
    if fields and "init" not in out:  # a dataclass: its fields are its constructor's parameters
        out["init"] = fields
    return out


def _method_of(code: str, name: str) -> ast.FunctionDef | None:
    tree = ast.parse(code.strip())
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef)), None)
    if cls is None:
        return None
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _returns(func: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """The names a method returns bare, and the names it returns as the first item of a tuple.

    ``return x``, ``return (x, y)``, ``return (x,) + rest`` and ``outputs = (x,) + rest; return
    outputs`` (a local always assigned such a tuple) are told apart; other returns say nothing.
    """

    def leading(value: ast.expr) -> str | None:
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return leading(value.left)
        if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.Name):
            return value.elts[0].id
        return None

    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
    bare: set[str] = set()
    first: set[str] = set()
    for node in ast.walk(func):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        if isinstance(value, ast.Name) and assigned.get(value.id):
            heads = {leading(v) for v in assigned[value.id]}
            if len(heads) == 1 and None not in heads:
                first.add(heads.pop())  # type: ignore[arg-type]
                continue
        head = leading(value)
        if head is not None:
            first.add(head)
        elif isinstance(value, ast.Name):
            bare.add(value.id)
    return bare, first


def _same_returns(pt_code: str, tf_code: str) -> bool:
    """False when one side returns ``x`` bare where the other only ever returns it first in a tuple.

    A PyTorch layer refactored after its TF twin was written (``return layer_output`` unless
    attentions are asked for, where the twin always returns ``(layer_output,) + attentions``)
    keeps its parameters, so only what it returns tells the conventions apart.
    """
    pt_forward, tf_call = _method_of(pt_code, "forward"), _method_of(tf_code, "call")
    if pt_forward is None or tf_call is None:
        return True
    (pt_bare, pt_first), (tf_bare, tf_first) = _returns(pt_forward), _returns(tf_call)
    return not ((pt_bare & tf_first) - tf_bare or (tf_bare & pt_first) - pt_bare)


@functools.lru_cache(maxsize=256)
def same_interface(pt_code: str, tf_code: str) -> bool:
    """Whether code written against the PyTorch class can call the TF twin unchanged.

    Same parameter names in the same order for the constructor and forward/call, no TF
    parameter required where PyTorch has a default (a caller may leave it out), and the same
    return convention (a bare tensor or a tuple).
    """
    if not _same_returns(pt_code, tf_code):
        return False
    pt = _signature(pt_code, ("__init__", "forward"))
    tf = _signature(tf_code, ("__init__", "call"))
    for key in ("init", "call"):
        pt_params, tf_params = pt.get(key), tf.get(key)
        if pt_params is None or tf_params is None:
            if pt_params != tf_params and (pt_params or tf_params):
                return False
            continue
        if [n for n, _ in pt_params] != [n for n, _ in tf_params]:
            return False
        if any(
            not tf_default and pt_default
            for (_, pt_default), (_, tf_default) in zip(pt_params, tf_params, strict=True)
        ):
            return False
    return True
