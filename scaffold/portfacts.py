"""What the test generator reads from a model's modeling files: the PyTorch original and the TF port.

Read by parsing, never by importing: the generator runs without torch or TensorFlow, and on a
port that may not import yet. The PyTorch side gives the inputs each class takes (its
``forward``), its config class, the extra tokens in front of the patches, the checkpoint; the
TF side gives the model classes, their ``call`` parameters and the behaviours the mixin trips
over (refused head masks and input embeddings, heads that change the config they are given).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.changeset import read_text
from scaffold.names import is_abstract_pretrained
from scaffold.pysource import parsed

# Parameters of an embeddings class that add one position each in front of the patches: a class
# token (``cls_token``, CLIP's ``class_embedding``), a distillation token. Only unconditional ones
# count: ``mask_token`` replaces patches and exists only when asked for.
EXTRA_TOKEN = r"_token$|^class_embedding$"


# --- facts about the PyTorch side -------------------------------------------------------------


@dataclass
class PTClass:
    name: str
    bases: list[str]
    forward: list[str] | None  # parameter names of forward (None: not defined here)
    config_class: str | None
    tokens: list[str] = field(default_factory=list)  # unconditional nn.Parameter *_token attributes
    methods: set[str] = field(default_factory=set)
    eos_in_forward: bool = False  # forward finds positions by config.eos_token_id (in input_ids)
    returns: set[str] | None = None  # fields of the output dataclass forward returns (None: not found)


@dataclass
class PTFacts:
    classes: dict[str, PTClass]
    checkpoint: str | None
    # config attributes a loss takes its ignore_index from (``CrossEntropyLoss(ignore_index=self.config.x)``)
    ignore_index_attributes: set[str] = field(default_factory=set)
    # a forward makes a cache object (``HybridCache(...)``) and returns it as it is: no ``to_legacy_cache``
    returns_cache_object: bool = False
    # attention modules divide ``config.num_attention_heads`` (``// config.head_ratio``): the heads an
    # attention output has are not the config's count
    divides_heads: bool = False
    # the model is built in stages from ``config.depths``: hidden states come per stage, whatever
    # config.num_hidden_layers says
    stage_depths: bool = False

    def forward(self, name: str, depth: int = 0) -> list[str]:
        cls = self.classes.get(name)
        if cls is None or depth > 20:
            return []
        if cls.forward is not None:
            return cls.forward
        for base in cls.bases:
            found = self.forward(base, depth + 1)
            if found:
                return found
        return []

    def returns(self, name: str, depth: int = 0) -> set[str] | None:
        """Fields of the output a class's forward (its own or inherited in this file) returns by keyword."""
        cls = self.classes.get(name)
        if cls is None or depth > 20:
            return None
        if cls.forward is not None:
            return cls.returns
        for base in cls.bases:
            found = self.returns(base, depth + 1)
            if found is not None:
                return found
        return None

    def defines(self, name: str, method: str, depth: int = 0) -> bool:
        """Whether a class or one of its bases in this file defines ``method``."""
        cls = self.classes.get(name)
        if cls is None or depth > 20:
            return False
        return method in cls.methods or any(self.defines(b, method, depth + 1) for b in cls.bases)

    def config_class(self, name: str, depth: int = 0) -> str | None:
        cls = self.classes.get(name)
        if cls is None or depth > 20:
            return None
        if cls.config_class:
            return cls.config_class
        for base in cls.bases:
            found = self.config_class(base, depth + 1)
            if found:
                return found
        return None


def _unconditional_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a body that run on every call: an ``if`` (``if config.use_mask_token:``) or a
    loop may skip its own, a ``with`` block may not."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.With):
            out.extend(_unconditional_statements(stmt.body))
    return out


def _is_parameter_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "Parameter"


def _returned_fields(forward: ast.FunctionDef) -> set[str] | None:
    """The keywords of ``return XOutput(loss=..., logits=...)`` in a forward; None where it returns no such call.

    Why: a head kind's outputs differ between models (a pre-training head returns
    ``seq_relationship_logits``, ``sop_logits`` or per-token ``logits``), and the PyTorch forward says which.
    """
    found: set[str] = set()
    for node in ast.walk(forward):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            called = ast.unparse(node.value.func).split(".")[-1]
            keywords = node.value.keywords
            if "Output" in called and keywords and all(k.arg for k in keywords):
                found.update(str(k.arg) for k in keywords)
    return found or None


# decorators of newer trees (4.54+) that take output_attentions/output_hidden_states/return_dict from
# **kwargs: the converter makes them arguments (rules/recorded_outputs.py)
RECORDING_DECORATORS = frozenset({"check_model_inputs", "can_return_tuple"})
IMPLIED_FLAGS = ("output_attentions", "output_hidden_states", "return_dict")


def _read_class(node: ast.ClassDef) -> PTClass:
    cls = PTClass(node.name, [ast.unparse(b).split(".")[-1] for b in node.bases], None, None)
    cls.methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "forward":
            args = item.args
            cls.forward = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.arg != "self"]
            if any(ast.unparse(d).split(".")[-1] in RECORDING_DECORATORS for d in item.decorator_list):
                # the flags these decorators take from **kwargs are arguments of the TF port's call
                cls.forward += [f for f in IMPLIED_FLAGS if f not in cls.forward]
            cls.eos_in_forward = "config.eos_token_id" in ast.unparse(item)
            cls.returns = _returned_fields(item)
        elif isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
            if item.targets[0].id == "config_class" and isinstance(item.value, ast.Name):
                cls.config_class = item.value.id
        elif isinstance(item, ast.AnnAssign) and item.value is None and isinstance(item.target, ast.Name):
            if item.target.id == "config" and isinstance(item.annotation, ast.Name):  # newer trees: config: XConfig
                cls.config_class = item.annotation.id
        elif isinstance(item, ast.FunctionDef) and item.name == "__init__":
            for stmt in _unconditional_statements(item.body):
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Attribute)
                    and isinstance(stmt.targets[0].value, ast.Name)
                    and stmt.targets[0].value.id == "self"
                    and re.search(EXTRA_TOKEN, stmt.targets[0].attr)
                    and _is_parameter_call(stmt.value)
                ):
                    cls.tokens.append(stmt.targets[0].attr)
    return cls


def read_pt_facts(path: Path, root: Path | None = None) -> PTFacts:
    """Classes of a PyTorch modeling file (forward parameters, config class, extra tokens) and its checkpoint.

    Kept in the facts cache by the file's content and that of the tree's ``modeling_layers.py`` (the generic
    heads' forward is read there): the test file generator asks on every ``new``.
    """
    from scaffold.pysource import cached_by_content

    layers = path.parents[2] / "modeling_layers.py"
    data = path.read_bytes() + b"\0" + (layers.read_bytes() if layers.is_file() else b"")
    # a copy: the cached value is shared, and a caller may change what it is given
    return copy.deepcopy(cached_by_content("pt-facts-v1", data, lambda: _read_pt_facts(path, root)))


def _read_pt_facts(path: Path, root: Path | None) -> PTFacts:
    from scaffold.pysource import parse

    tree = parse(path, root=root)
    classes: dict[str, PTClass] = {}
    checkpoint = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "_CHECKPOINT_FOR_DOC" and isinstance(node.value, ast.Constant):
                checkpoint = str(node.value.value)
        if not isinstance(node, ast.ClassDef):
            continue
        classes[node.name] = _read_class(node)
    # heads newer trees inherit from modeling_layers' generic classes: their forward is read there
    generic = {b for c in classes.values() for b in c.bases if b.startswith("Generic") and b not in classes}
    layers = path.parents[2] / "modeling_layers.py"
    if generic and layers.is_file():
        for node in parse(layers, root=root).body:
            if isinstance(node, ast.ClassDef) and node.name in generic:
                classes[node.name] = _read_class(node)
    ignored = {
        k.value.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg == "ignore_index"
        and isinstance(k.value, ast.Attribute)
        and ast.unparse(k.value.value).split(".")[-1] == "config"
    }
    made = any(isinstance(n, ast.Call) and ast.unparse(n.func).endswith("Cache") for n in ast.walk(tree))
    legacy = any(isinstance(n, ast.Attribute) and n.attr == "to_legacy_cache" for n in ast.walk(tree))
    divides = any(
        isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.FloorDiv | ast.Div)
        and isinstance(n.left, ast.Attribute)
        and n.left.attr == "num_attention_heads"
        and ast.unparse(n.left.value).split(".")[-1] == "config"
        for n in ast.walk(tree)
    )
    stages = any(
        isinstance(n, ast.Attribute) and n.attr == "depths" and ast.unparse(n.value).split(".")[-1] == "config"
        for n in ast.walk(tree)
    )
    return PTFacts(classes, checkpoint, ignored, made and not legacy, divides, stages)


def config_archive_checkpoint(path: Path) -> str | None:
    """The first key of a ``*_PRETRAINED_CONFIG_ARCHIVE_MAP`` (trees before 4.40 still have them)."""
    if not path.is_file():
        return None
    try:
        tree = ast.parse(read_text(path))
    except SyntaxError:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.endswith("PRETRAINED_CONFIG_ARCHIVE_MAP")
            and isinstance(node.value, ast.Dict)
            and node.value.keys
            and isinstance(node.value.keys[0], ast.Constant)
        ):
            return str(node.value.keys[0].value)
    return None


def attribute_maps(path: Path) -> dict[str, dict[str, str]]:
    """``attribute_map`` of each config class: standard name -> the parameter that holds it."""
    out: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return out
    tree = ast.parse(read_text(path))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if (
                isinstance(item, ast.Assign)
                and len(item.targets) == 1
                and isinstance(item.targets[0], ast.Name)
                and item.targets[0].id == "attribute_map"
            ):
                try:
                    value = ast.literal_eval(item.value)
                except (ValueError, SyntaxError):
                    continue
                if isinstance(value, dict):
                    out[node.name] = {str(k): str(v) for k, v in value.items()}
    return out


# --- facts about the TF side ------------------------------------------------------------------


def tf_model_classes(text: str, names: list[str]) -> list[str]:
    """Names of ``names`` defined in ``text`` that derive from TFPreTrainedModel and can run.

    A class neither defining ``call`` nor inheriting one from a local class is abstract, whatever
    its name (``TFDPRPretrainedContextEncoder``, a base of the encoders): the mixin cannot run it.
    """
    tree = parsed(text)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    bases = {name: [ast.unparse(b).split("[")[0].split(".")[-1] for b in n.bases] for name, n in classes.items()}

    def is_model(name: str, depth: int = 0) -> bool:
        if depth > 20 or name not in bases:
            return False
        return any(b == "TFPreTrainedModel" or is_model(b, depth + 1) for b in bases[name])

    def calls(name: str, depth: int = 0) -> bool:
        if depth > 20 or name not in classes:
            return False
        own = any(isinstance(s, ast.FunctionDef) and s.name == "call" for s in classes[name].body)
        return own or any(calls(b, depth + 1) for b in bases[name])

    return [n for n in names if not is_abstract_pretrained(n) and is_model(n) and calls(n)]


def testable_model_classes(text: str, names: list[str]) -> list[str]:
    """The model classes of ``names`` a test file lists: runnable, and run on the tester's inputs.

    Why: a public class whose first input the base model does not take (SegFormer's decode head
    takes the encoder's hidden states) cannot be built and run from the tester's inputs; the mixin
    would feed it pixels. The test generator and ``apply``'s sync of ``all_model_classes`` both
    read this, so what ``new`` writes ``apply`` leaves as it is.
    """
    needy = _needs_parent_objects(text)
    classes = [n for n in tf_model_classes(text, names) if n not in needy]
    calls = tf_call_params(text)
    bases = sorted((n for n in classes if n.startswith("TF") and n.endswith("Model")), key=len)
    inputs = set(calls.get(bases[0], [])) if bases else set()
    if not inputs:
        return classes
    return [n for n in classes if not calls.get(n) or calls[n][0] in inputs]


def _needs_parent_objects(text: str) -> set[str]:
    """Classes whose ``call`` raises while an object ``__init__`` takes (default None) is still None.

    Why: such a class (mT5's stack, handed its parent's token embeddings) is a component that
    cannot run from a config alone, public or not; its PyTorch twin raises the same way, so a test
    built from a config has nothing to check.
    """
    out: set[str] = set()
    for node in parsed(text).body:
        if not isinstance(node, ast.ClassDef):
            continue
        methods = {i.name: i for i in node.body if isinstance(i, ast.FunctionDef)}
        init, call = methods.get("__init__"), methods.get("call")
        if init is None or call is None:
            continue
        args = init.args.args[1:]
        defaults = dict(
            zip([a.arg for a in args][len(args) - len(init.args.defaults) :], init.args.defaults, strict=True)
        )
        optional = {k for k, v in defaults.items() if isinstance(v, ast.Constant) and v.value is None}
        held = {
            t.attr
            for stmt in ast.walk(init)
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name) and stmt.value.id in optional
            for t in stmt.targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
        }
        for test in ast.walk(call):
            if (
                isinstance(test, ast.If)
                and any(isinstance(s, ast.Raise) for s in test.body)
                and any(ast.unparse(test.test) == f"self.{attr} is None" for attr in held)
            ):
                out.add(node.name)
    return out


def tf_call_params(text: str) -> dict[str, list[str]]:
    tree = parsed(text)
    out: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "call":
                    out[node.name] = [a.arg for a in (*item.args.args, *item.args.kwonlyargs) if a.arg != "self"]
    return out


def serializable_layers(text: str) -> dict[str, list[str]]:
    """``@keras_serializable`` classes of a TF module -> their ``__init__`` parameters (self aside)."""
    out: dict[str, list[str]] = {}
    for node in parsed(text).body:
        if isinstance(node, ast.ClassDef) and any(ast.unparse(d) == "keras_serializable" for d in node.decorator_list):
            init = next((i for i in node.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None)
            args = (*init.args.args, *init.args.kwonlyargs) if init is not None else ()
            out[node.name] = [a.arg for a in args if a.arg != "self"]
    return out


def refuses_head_mask(text: str) -> bool:
    """Whether the port raises NotImplementedError when given a head mask (ports that never supported it do)."""
    for node in ast.walk(parsed(text)):
        if isinstance(node, ast.If) and "head_mask" in ast.unparse(node.test):
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Raise)
                    and stmt.exc is not None
                    and "NotImplementedError" in ast.unparse(stmt.exc)
                ):
                    return True
    return False


def shares_head_masks(text: str) -> bool:
    """Whether the port hands ``head_mask[a:b]`` to a group of layers (layers that share weights by group).

    Why: each layer of a group then takes its mask by its place in the group, not in the model,
    so the mixin's head-masking test (a different mask for the last layer) does not hold, as it
    does not for the PyTorch original.
    """
    for node in ast.walk(parsed(text)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "head_mask"
            and isinstance(node.slice, ast.Slice)
            and (node.slice.lower is not None or node.slice.upper is not None)
        ):
            return True
    return False


def _config_target(target: ast.expr, param: str) -> tuple[str, str | None] | None:
    """Which config object a target writes and which attribute: ``config.num_labels`` -> ``("config", "num_labels")``.

    The object is the ``__init__`` parameter or ``self.config`` (where ``TFPreTrainedModel`` keeps
    the object it was handed, not a copy); the attribute is None when the target is the object's
    name itself (a rebinding). None for any other target.
    """
    chain: list[ast.expr] = []
    node = target
    while isinstance(node, ast.Attribute | ast.Subscript):
        chain.append(node)
        node = node.value
    chain.reverse()
    if not isinstance(node, ast.Name):
        return None
    if node.id == param:
        owner, rest = param, chain
    elif node.id == "self" and chain and isinstance(chain[0], ast.Attribute) and chain[0].attr == "config":
        owner, rest = "self.config", chain[1:]
    else:
        return None
    if not rest:
        return owner, None
    return (owner, rest[0].attr) if isinstance(rest[0], ast.Attribute) else None


def _assignments(node: ast.AST) -> list[tuple[ast.expr, ast.expr | None, str | None]]:
    """(target, assigned value, attribute named by a ``setattr``) for each single target a statement writes."""
    pending: list[ast.expr] = []
    value: ast.expr | None = None
    if isinstance(node, ast.Assign):
        pending, value = list(node.targets), node.value
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        pending = [node.target]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
        name = node.args[1] if len(node.args) > 1 else None
        return [(node.args[0], None, str(name.value) if isinstance(name, ast.Constant) else "?")]
    out: list[tuple[ast.expr, ast.expr | None, str | None]] = []
    while pending:
        target = pending.pop()
        if isinstance(target, ast.Tuple | ast.List):
            pending.extend(target.elts)
            value = None  # unpacked: no single value per name
        else:
            out.append((target, value, None))
    return out


def _init_config_writes(init: ast.FunctionDef) -> list[str]:
    """Attributes an ``__init__`` sets on the config object it was handed (its first parameter after self).

    Writes through ``self.config`` count too, as long as it is that object. Once the name is bound
    to something else (``config = copy.deepcopy(config)``), later writes change a copy: they do
    not count.
    """
    positional = [a.arg for a in (*init.args.posonlyargs, *init.args.args)]
    if len(positional) < 2:
        return []
    param = positional[1]
    handed = {param: True, "self.config": True}  # whether the name still holds the caller's object
    kept = False  # whether this __init__ sets self.config itself (else the base class keeps the parameter)
    written: list[str] = []
    nodes = sorted(
        (n for n in ast.walk(init) if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in nodes:
        for target, value, set_name in _assignments(node):
            found = _config_target(target, param)
            if found is None:
                continue
            owner, attr = found
            if set_name is not None:
                attr = set_name if attr is None else attr
            elif attr is None:  # the name itself is bound again
                if owner == "self.config":
                    kept = True
                    handed[owner] = handed[param] and isinstance(value, ast.Name) and value.id == param
                else:
                    handed[param] = False
                    if not kept:  # super().__init__ will keep the copy
                        handed["self.config"] = False
                continue
            if handed[owner] and attr not in written:
                written.append(attr)
    return written


def config_writers(text: str) -> dict[str, list[str]]:
    """Classes whose ``__init__`` (theirs or an inherited one in the module) sets attributes of the config it is given.

    Why it matters: the mixin builds every class of a test from one config object, so a head that
    sets ``config.num_labels = 1`` when built (a double-heads model, as its PyTorch twin does)
    changes the config of every class built after it in the same test.
    """
    tree = parsed(text)
    bases: dict[str, list[str]] = {}
    own: dict[str, list[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases[node.name] = [ast.unparse(b).split("[")[0].split(".")[-1] for b in node.bases]
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                own[node.name] = _init_config_writes(item)

    def writes(name: str, depth: int = 0) -> list[str]:
        if depth > 20 or name not in bases:
            return []
        found = list(own.get(name, []))
        for base in bases[name]:
            found.extend(a for a in writes(base, depth + 1) if a not in found)
        return found

    return {name: found for name in bases if (found := writes(name))}


def refusing_inputs_embeds(text: str) -> list[str]:
    """Classes whose ``call`` raises NotImplementedError when given input embeddings.

    Their PyTorch twins refuse them too (a head that finds eos tokens in ``input_ids`` cannot
    work from embeddings), so the test checks the refusal rather than a forward pass.
    """
    out: list[str] = []
    for node in parsed(text).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not (isinstance(item, ast.FunctionDef) and item.name == "call"):
                continue
            for sub in ast.walk(item):
                if (
                    isinstance(sub, ast.If)
                    and "inputs_embeds" in ast.unparse(sub.test)
                    and any(
                        isinstance(stmt, ast.Raise)
                        and stmt.exc is not None
                        and "NotImplementedError" in ast.unparse(stmt.exc)
                        for stmt in sub.body
                    )
                ):
                    out.append(node.name)
                    break
    return out
