"""A tiny random configuration for a model: small enough to build both frameworks in seconds.

Two sources, in order of trust:

1. The model's PyTorch test file (``tests/models/<m>/test_modeling_<m>.py``), else its TF one
   (``test_modeling_tf_<m>.py``), when the tree has it: its ``*ModelTester`` classes hold the
   tiny values the model's own authors chose (parsed with libcst, never imported: a test file
   imports torch and half of transformers).
2. Otherwise the ``__init__`` signature of each config class in ``configuration_<m>.py``
   (parsed with ast), shrunk by parameter name. The rules are data (:data:`RULES`), so a new
   family of names is one line, not a new branch.

Nothing here imports torch, TensorFlow or transformers: the values are plain JSON-able Python,
handed to the process that builds the models, and reused by the test-file template.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst

from scaffold.checkout import Checkout, Model
from scaffold.cstwalk import walk
from scaffold.errors import ScaffoldError
from scaffold.pysource import parse
from scaffold.verify.tester_inputs import read_tester_inputs

# A cap shrinks an integer default to at most the cap (never grows it: a default that is already
# tiny stays); on a list or tuple of integers it caps every element and keeps the length, which
# other parameters (strides, kernels, number of stages) depend on.
HIDDEN = 32
RULES: tuple[tuple[str, int], ...] = (
    (r"^(hidden_size|d_model|n_embd|embed_dim|dim|word_embed_proj_dim|embedding_size|hidden_sizes)$", HIDDEN),
    (r"^(intermediate_size|ffn_dim|encoder_ffn_dim|decoder_ffn_dim|d_ff|n_inner|hidden_dim)$", 37),
    (r"^(projection_dim|codevector_dim|proj_codevector_dim|classifier_proj_size|xvector_output_dim)$", 16),
    (
        r"^(num_hidden_layers|num_layers|n_layer|n_layers|encoder_layers|decoder_layers|num_decoder_layers"
        r"|depths|num_encoder_layers)$",
        2,
    ),
    (r"^(num_attention_heads|n_head|n_heads|num_heads|encoder_attention_heads|decoder_attention_heads)$", 4),
    (r"^(num_key_value_heads)$", 2),
    (r"^(d_kv|head_dim|attention_head_size)$", 8),
    (r"^(rotary_dim)$", 4),
    (r"vocab_size$", 99),
    (
        r"^(max_position_embeddings|n_positions|n_ctx|max_source_positions|max_target_positions"
        r"|max_2d_position_embeddings)$",
        64,
    ),
    (r"^image_size$", 32),
    (r"^patch_size$", 4),
    (r"^window_size$", 2),
    (r"^(conv_dim|tdnn_dim)$", 32),
    (r"^num_conv_pos_embeddings$", 16),
    (r"^num_conv_pos_embedding_groups$", 2),
    (r"^num_codevectors_per_group$", 10),
)

# Parameters a shrunk config cannot leave at ``None``: the model sizes a table by them (ESM's
# vocabulary defaults to None, to be read from a checkpoint).
REQUIRED_SIZES: tuple[str, ...] = ("vocab_size",)

# Per-stage lists of a hierarchical model: their length is the number of stages.
STAGE_LISTS: tuple[str, ...] = ("depths", "depth", "num_heads", "hidden_sizes", "embed_dim")

# (width, heads): after shrinking, heads must divide the width they split.
DIVIDES: tuple[tuple[str, str], ...] = (
    ("hidden_size", "num_attention_heads"),
    ("d_model", "encoder_attention_heads"),
    ("d_model", "decoder_attention_heads"),
    ("n_embd", "n_head"),
    ("embed_dim", "num_heads"),  # Swin: per-stage heads
    ("dim", "n_heads"),
    ("hidden_size", "num_conv_pos_embedding_groups"),
    ("num_attention_heads", "num_key_value_heads"),
)

# Widths whose part another size is (LayoutLMv3 splits its hidden size into 4 coordinate and 2 shape
# embeddings: 128 = 768 / 6): such a ``*_size`` stays the same part of the tiny width, which becomes
# a multiple of every such divisor. Divisors above the bound are unrelated sizes.
WIDTHS: tuple[str, ...] = ("hidden_size", "d_model", "n_embd")

# Depths whose layers a list of indices may name (``out_indices``, ``backbone_out_indices``).
LAYER_COUNTS: tuple[str, ...] = ("num_hidden_layers", "num_layers", "n_layer")
LAYER_INDICES = "out_indices"
PART_SUFFIX = "_size"
PART_DIVISORS = range(2, 17)

_UNKNOWN = object()
_TOKEN_ID = re.compile(r"_token_ids?$")


@dataclass
class ConfigSignature:
    """One config class: its parameters with their effective defaults, and nested config classes."""

    name: str
    defaults: dict[str, Any] = field(default_factory=dict)  # _UNKNOWN when not a literal
    sub_configs: dict[str, str] = field(default_factory=dict)  # parameter -> config class name


@dataclass
class TinyConfig:
    """Keyword arguments for every config class of a model, and where they came from."""

    model: str
    configs: dict[str, dict[str, Any]]  # config class name -> kwargs (sub-configs nested as dicts)
    roots: list[str]  # config classes that are not a sub-config of another (what models are built from)
    sources: dict[str, str]  # config class name -> "tester <file>:<class>" or "signature <file>"
    # what the tester's prepare_config_and_inputs makes (scaffold.verify.tester_inputs); empty without one
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def for_class(self, name: str) -> dict[str, Any]:
        return self.configs.get(name, {})

    def apply(self, overrides: dict[str, Any]) -> None:
        """Apply ``--set`` values to the root configs that have the parameter (dotted keys reach sub-configs).

        Why roots only: a model built from a sub-config (a text tower) takes it from its root,
        so one override reaches every model class of the port.
        """
        for key, value in overrides.items():
            head, _, rest = key.partition(".")
            for root in self.roots:
                target = self.configs.setdefault(root, {})
                if rest:
                    target.setdefault(head, {})
                    nested = target[head]
                    parts = rest.split(".")
                    for part in parts[:-1]:
                        nested = nested.setdefault(part, {})
                    nested[parts[-1]] = value
                else:
                    target[key] = value


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return _UNKNOWN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def _none_test_param(test: ast.expr) -> tuple[str, bool] | None:
    """``p is None`` -> (p, True); ``p is not None`` -> (p, False)."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and len(test.ops) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        if isinstance(test.ops[0], ast.Is):
            return test.left.id, True
        if isinstance(test.ops[0], ast.IsNot):
            return test.left.id, False
    return None


def _body_defaults(init: ast.FunctionDef, params: set[str]) -> dict[str, Any]:
    """Effective defaults of ``None`` parameters that the body replaces by a literal.

    ``self.depths = [3, 3, 9, 3] if depths is None else depths`` and
    ``if depths is None: depths = [...]`` both mean the default is that list: shrinking it
    needs the real value, not ``None``.
    """
    found: dict[str, Any] = {}
    for node in ast.walk(init):
        if isinstance(node, ast.IfExp):
            test = _none_test_param(node.test)
            if test and test[0] in params:
                literal = _literal(node.body if test[1] else node.orelse)
                if literal is not _UNKNOWN and literal is not None:
                    found.setdefault(test[0], literal)
        elif isinstance(node, ast.If):
            test = _none_test_param(node.test)
            if test and test[0] in params and test[1]:
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name)
                        and stmt.targets[0].id == test[0]
                    ):
                        literal = _literal(stmt.value)
                        if literal is not _UNKNOWN and literal is not None and literal != {}:
                            found.setdefault(test[0], literal)
    return found


def _config_bases(tree: ast.Module) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = [ast.unparse(b).split(".")[-1] for b in node.bases]
    return out


def _is_config(name: str, bases: dict[str, list[str]], seen: frozenset[str] = frozenset()) -> bool:
    if name in seen:
        return False
    for base in bases.get(name, []):
        if base == "PretrainedConfig" or (base in bases and _is_config(base, bases, seen | {name})):
            return True
    return False


def read_config_signatures(path: Path) -> dict[str, ConfigSignature]:
    """Every ``PretrainedConfig`` subclass of a configuration file, by name (OnnxConfig and the like excluded)."""
    tree = parse(path)  # one-line ScaffoldError when it does not parse
    bases = _config_bases(tree)
    out: dict[str, ConfigSignature] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not _is_config(node.name, bases):
            continue
        sig = ConfigSignature(node.name)
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is None:
            out[node.name] = sig
            continue
        args = init.args
        positional = args.posonlyargs + args.args
        pos_defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in zip(positional, pos_defaults, strict=True):
            if arg.arg != "self":
                sig.defaults[arg.arg] = _literal(default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            sig.defaults[arg.arg] = _literal(default)
        for name, value in _body_defaults(init, {p for p, v in sig.defaults.items() if v is None}).items():
            sig.defaults[name] = value
        for call in ast.walk(init):
            # ``CLIPTextConfig(**text_config)``: the parameter text_config is a nested config.
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in bases:
                for kw in call.keywords:
                    if kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id in sig.defaults:
                        sig.sub_configs[kw.value.id] = call.func.id
        out[node.name] = sig
    return out


def _cap(value: Any, cap: int) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return min(value, cap)
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return type(value)(min(v, cap) for v in value)
    return value


def _rule(name: str) -> int | None:
    for pattern, cap in RULES:
        if re.search(pattern, name):
            return cap
    return None


def _token_ids(value: Any) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _remap_token_ids(defaults: dict[str, Any], names: list[str], new_vocab: int) -> dict[int, int]:
    """New ids for special tokens beyond the shrunk vocabulary: its last ids, in the same order.

    Marian pads with id 58100 of 58101 and GPT-2 ends with 50256 of 50257: they become the last
    id of the tiny vocabulary. Whisper's pad (50256) and start (50257) stay distinct and ordered
    (97 and 98), so padding, start and end still mean what they meant.
    """
    beyond = sorted({v for name in names for v in _token_ids(defaults[name]) if v >= new_vocab}, reverse=True)
    return {old: max(0, new_vocab - 1 - i) for i, old in enumerate(beyond)}


def _largest_divisor(n: int, at_most: int) -> int:
    for d in range(min(n, at_most), 0, -1):
        if n % d == 0:
            return d
    return 1


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _stages(values: dict[str, Any]) -> int:
    """How many stages a hierarchical model has: the length of its per-stage lists (1 for a flat model)."""
    for name in STAGE_LISTS:
        value = values.get(name)
        if isinstance(value, list | tuple) and value:
            return len(value)
    return 1


def _reduction(values: dict[str, Any]) -> int | None:
    """How much smaller than the image the last feature map is: the patch, then halved between stages.

    Patch-merging pyramids (Swin) halve the map between consecutive stages; a flat model (ViT)
    has one stage, so its reduction is the patch size.
    """
    patch = values.get("patch_size")
    if not _int(patch) or patch <= 0:
        return None
    return patch * 2 ** (_stages(values) - 1)


def _spatial(defaults: dict[str, Any], merged: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Image, window and decoder-stride sizes that fit together after each was shrunk on its own.

    Shrinking the image to 32 while a model keeps four stages and a window of 7 leaves feature
    maps of 1x1 at the last stage: windowed attention then partitions with a window larger than
    its map, which neither framework supports (the relative position table is sized for the
    config's window). So:

    * with ``window_size``, the image is a multiple of ``reduction * window``: every stage's map
      holds whole windows, the last exactly one (Swin's own default, 224 = 4 * 8 * 7, is such);
    * ``encoder_stride`` (masked image modeling decodes the last map back to pixels by it) stays
      equal to the reduction when it was by default (ViT: the patch size; Swin: 4 * 2**3);
    * ``input_size`` beside a ``patch_size`` is the image's size (LayoutLMv3) and shrinks as it.

    Values a tester gave are never changed.
    """
    out: dict[str, Any] = {}
    image_cap = _rule("image_size")
    if "input_size" not in given and "patch_size" in defaults and image_cap is not None:
        # ``input_size`` beside a patch size is the image's (LayoutLMv3): it shrinks as image_size does
        size = _cap(defaults.get("input_size"), image_cap)
        if _int(size) and size != defaults.get("input_size"):
            out["input_size"] = merged["input_size"] = size
    old, new = _reduction(defaults), _reduction(merged)
    if new is None:
        return out
    window = merged.get("window_size")
    image = merged.get("image_size")
    if "image_size" not in given and _int(window) and window > 0 and _int(image):
        unit = new * window
        if image % unit:
            out["image_size"] = max(unit, image - image % unit)
    stride = "encoder_stride"
    if stride not in given and old is not None and defaults.get(stride) == old and merged.get(stride) != new:
        out[stride] = new
    return out


def _parts_of_width(defaults: dict[str, Any], merged: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Sizes that are a whole part of the width (default width / k) shrink with it, the width rounded up to
    a multiple of every k (and of 4, the tiny head count); empty when there are none or the width is given."""
    width = next((w for w in WIDTHS if _int(defaults.get(w)) and _int(merged.get(w))), None)
    if width is None or width in given:
        return {}
    full = defaults[width]
    parts = {
        name: full // value
        for name, value in defaults.items()
        if name.endswith(PART_SUFFIX)
        and name not in given
        and _rule(name) is None
        and _int(value)
        and value > 1
        and full % value == 0
        and full // value in PART_DIVISORS
    }
    if not parts:
        return {}
    step = math.lcm(4, *parts.values())
    tiny = -(-merged[width] // step) * step
    return {width: tiny} | {name: tiny // k for name, k in parts.items()}


def _layer_indices(defaults: dict[str, Any], merged: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Lists of layer indices (``out_indices``: the layers a decode head reads) kept inside the tiny depth.

    Data2VecVision's default ``[3, 5, 7, 11]`` indexes 12 layers; with 2 layers its decode head, which
    takes one feature map per index, fails in PyTorch as well. The list keeps its length and takes the
    last layers of the tiny depth, which grows to the list's length when it is shorter.
    """
    depth = next((d for d in LAYER_COUNTS if _int(defaults.get(d)) and _int(merged.get(d))), None)
    if depth is None:
        return {}
    out: dict[str, Any] = {}
    for name, value in defaults.items():
        indices = isinstance(value, list | tuple) and value and all(_int(v) and v >= 0 for v in value)
        if not (name.endswith(LAYER_INDICES) and name not in given and indices):
            continue
        if max(value) >= defaults[depth] or max(value) < merged[depth]:
            continue  # not indices of the default depth, or still inside the tiny one
        layers = merged[depth] if depth in given else max(merged[depth], len(value))
        if len(value) > layers:
            continue
        out[depth] = merged[depth] = layers
        out[name] = type(value)(range(layers - len(value), layers))
    return out


def tower_widths(signatures: dict[str, ConfigSignature], tiny: dict[str, dict[str, Any]]) -> dict[str, dict[int, int]]:
    """For each config class, the widths of the *other* config classes: default -> tiny value.

    Why: the towers of a composite model meet where one's output is another's input. SAM's vision
    ``output_channels`` (256) is what its prompt encoder and mask decoder take as ``hidden_size``
    (256), and its ``num_pos_feats`` (128) is half of it (sine and cosine halves); with the widths
    shrunk alone, PyTorch itself fails on the tiny config.
    """
    widths: dict[str, dict[int, int]] = {}
    for name, sig in signatures.items():
        width = next((w for w in WIDTHS if _int(sig.defaults.get(w))), None)
        if width is not None:
            default = sig.defaults[width]
            widths[name] = {default: tiny.get(name, {}).get(width, default)}
    return {
        name: {d: t for other, pairs in widths.items() if other != name for d, t in pairs.items() if t < d}
        for name in signatures
    }


def _tied_to_towers(defaults: dict[str, Any], given: dict[str, Any], widths: dict[int, int]) -> dict[str, Any]:
    """Sizes with no rule of their own equal to another tower's default width (or half of it) follow its tiny width."""
    out: dict[str, Any] = {}
    for name, value in defaults.items():
        if name in given or _rule(name) is not None or _TOKEN_ID.search(name) or not _int(value) or value < 16:
            continue
        if value in widths:
            out[name] = widths[value]
        elif 2 * value in widths and widths[2 * value] % 2 == 0:
            out[name] = widths[2 * value] // 2
    return out


def _int_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value
    )


def shrink(defaults: dict[str, Any], given: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments that make a config tiny: only the parameters that change.

    ``given`` are values fixed already (from a tester): they win over the rules and are kept.
    """
    given = dict(given or {})
    out: dict[str, Any] = {}
    for name, default in defaults.items():
        if name in given or default is _UNKNOWN:
            continue
        cap = _rule(name)
        if cap is not None:
            value = _cap(default, cap)
            if value != default:
                out[name] = value
    merged = {k: v for k, v in defaults.items() if v is not _UNKNOWN} | out | given

    old_vocab, new_vocab = defaults.get("vocab_size"), merged.get("vocab_size")
    if isinstance(old_vocab, int) and isinstance(new_vocab, int) and new_vocab < old_vocab:
        names = [n for n, v in defaults.items() if _TOKEN_ID.search(n) and n not in given and v is not _UNKNOWN]
        mapping = _remap_token_ids(defaults, names, new_vocab)
        for name in names:
            default = defaults[name]
            if isinstance(default, list | tuple):
                value: Any = type(default)(mapping.get(v, v) for v in default)
            else:
                value = mapping.get(default, default)
            if value != default:
                out[name] = merged[name] = value

    for name, value in _parts_of_width(defaults, merged, given).items():
        out[name] = merged[name] = value

    for name in REQUIRED_SIZES:
        if name in defaults and defaults[name] is None and name not in given:
            cap = _rule(name)
            if cap is not None:
                out[name] = merged[name] = cap

    for name, value in _spatial(defaults, merged, given).items():
        out[name] = merged[name] = value

    for name, value in _layer_indices(defaults, merged, given).items():
        out[name] = merged[name] = value

    for width, heads in DIVIDES:
        w, h = merged.get(width), merged.get(heads)
        if heads in given:
            continue
        if _int_list(w) and _int_list(h) and len(w) == len(h) and any(a % b for a, b in zip(w, h, strict=True)):
            # per-stage widths and heads (CvT): each stage's heads divide that stage's width
            out[heads] = merged[heads] = type(h)(_largest_divisor(a, b) for a, b in zip(w, h, strict=True))
            continue
        if not isinstance(w, int) or isinstance(w, bool):
            continue
        if isinstance(h, int) and not isinstance(h, bool) and h > 0 and w % h:
            out[heads] = merged[heads] = _largest_divisor(w, h)
        elif isinstance(h, list | tuple) and all(isinstance(x, int) and x > 0 for x in h) and any(w % x for x in h):
            # Per-stage heads (Swin): stage widths are multiples of the first, so dividing it is enough.
            out[heads] = merged[heads] = type(h)(_largest_divisor(w, x) for x in h)
    return out | given


# --- the tester of the PyTorch test file -------------------------------------------------------


def _cst_literal(node: cst.BaseExpression) -> Any:
    code = cst.Module(body=[]).code_for_node(node)
    try:
        return ast.literal_eval(code)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def _self_attr(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _callee_class(func: cst.BaseExpression) -> str | None:
    """``XConfig(...)`` or ``XConfig.from_something(...)`` -> ``XConfig``."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return func.value.value
    return None


@dataclass
class _Tester:
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)  # self.<attr> -> literal
    config_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class _TesterCollector(cst.CSTVisitor):
    def __init__(self, config_names: set[str]) -> None:
        self.config_names = config_names
        self.testers: list[_Tester] = []
        self._current: _Tester | None = None
        self._params: dict[str, Any] = {}
        self._in_init = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if node.name.value.endswith("Tester"):
            self._current = _Tester(node.name.value)
            self.testers.append(self._current)
            return True
        return self._current is None

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self._current is not None and original_node.name.value == self._current.name:
            self._current = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self._current is None:
            return False
        self._in_init = node.name.value == "__init__"
        if self._in_init:
            self._params = {}
            for param in (*node.params.params, *node.params.kwonly_params):
                if param.default is not None:
                    self._params[param.name.value] = _cst_literal(param.default)
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if original_node.name.value == "__init__":
            self._in_init = False

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._current is None or not self._in_init or len(node.targets) != 1:
            return
        attr = _self_attr(node.targets[0].target)
        if attr is None:
            return
        value = node.value
        if isinstance(value, cst.Name) and value.value in self._params:
            self._current.attrs[attr] = self._params[value.value]
        else:
            literal = _cst_literal(value)
            if literal is not _UNKNOWN:
                self._current.attrs[attr] = literal

    def visit_Call(self, node: cst.Call) -> None:
        if self._current is None:
            return
        name = _callee_class(node.func)
        if name not in self.config_names:
            return
        kwargs: dict[str, Any] = {}
        for arg in node.args:
            if arg.keyword is None or arg.star:
                continue
            attr = _self_attr(arg.value)
            if attr is not None:
                kwargs[arg.keyword.value] = ("self", attr)
            else:
                literal = _cst_literal(arg.value)
                if literal is not _UNKNOWN:
                    kwargs[arg.keyword.value] = literal
        self._current.config_calls.append((name, kwargs))


def read_tester_configs(path: Path, config_names: set[str]) -> dict[str, dict[str, Any]]:
    """Config keyword arguments that the testers of a test file pass to the model's config classes."""
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except cst.ParserSyntaxError:
        return {}  # a test file that does not parse gives no values: the signature does
    collector = _TesterCollector(config_names)
    walk(module, collector)
    out: dict[str, dict[str, Any]] = {}
    for tester in collector.testers:
        for name, kwargs in tester.config_calls:
            resolved: dict[str, Any] = {}
            for key, value in kwargs.items():
                if isinstance(value, tuple) and len(value) == 2 and value[0] == "self":
                    if value[1] in tester.attrs and tester.attrs[value[1]] is not _UNKNOWN:
                        resolved[key] = tester.attrs[value[1]]
                else:
                    resolved[key] = value
            if resolved and name not in out:
                out[name] = resolved
    return out


def pytorch_test_file(checkout: Checkout, model: Model) -> Path:
    """Where the tree keeps the model's PyTorch test file (it may not exist: source distributions have none)."""
    rel = model.folder.relative_to(checkout.src / "models")
    return checkout.root / "tests" / "models" / rel / f"test_modeling_{model.name}.py"


def tf_test_file(checkout: Checkout, model: Model) -> Path:
    """Where the tree keeps the model's TF test file (it may not exist)."""
    return pytorch_test_file(checkout, model).with_name(f"test_modeling_tf_{model.name}.py")


def tester_file(checkout: Checkout, model: Model) -> Path | None:
    """The test file whose testers give the tiny values: the PyTorch one, else the TF one.

    The PyTorch tester is the reference model's own; a tree may hold only the TF test file (a
    checkout with the TF tests alone, or a port whose PyTorch tests live elsewhere), whose tester
    was chosen to build the very port verify checks (its sizes fit the TF model's constraints,
    such as Swin's window against the feature maps). Neither exists in a source distribution.
    """
    for path in (pytorch_test_file(checkout, model), tf_test_file(checkout, model)):
        if path.is_file():
            return path
    return None


def tiny_config(checkout: Checkout, model: Model) -> TinyConfig:
    """Tiny keyword arguments for every config class of ``model``."""
    config_file = model.folder / f"configuration_{model.name}.py"
    signatures = read_config_signatures(config_file) if config_file.is_file() else {}
    tests = tester_file(checkout, model)
    from_tester = read_tester_configs(tests, set(signatures)) if tests is not None else {}

    nested = {sub for sig in signatures.values() for sub in sig.sub_configs.values()}
    configs: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}

    def own(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        sig = signatures[name]
        given = {k: v for k, v in from_tester.get(name, {}).items() if k not in sig.sub_configs}
        return {k: v for k, v in sig.defaults.items() if k not in sig.sub_configs}, given

    widths = tower_widths(signatures, {name: shrink(*own(name)) for name in signatures})

    def build(name: str, depth: int = 0) -> dict[str, Any]:
        if name in configs or depth > 5:
            return configs.get(name, {})
        sig = signatures[name]
        defaults, given = own(name)
        values = shrink(defaults, given)
        values |= _tied_to_towers(defaults, values | given, widths[name])
        for param, sub in sig.sub_configs.items():
            if sub in signatures:
                sub_values = dict(build(sub, depth + 1))
                sub_values.update(from_tester.get(name, {}).get(param) or {})
                values[param] = sub_values
        configs[name] = values
        if name in from_tester and tests is not None:
            sources[name] = f"tester in {checkout.rel(tests)}"
        else:
            sources[name] = f"signature of {name} in {checkout.rel(config_file)}"
        return values

    for name in signatures:
        build(name)
    roots = [n for n in signatures if n not in nested]
    inputs = read_tester_inputs(tests) if tests is not None else {}
    return TinyConfig(model.name, configs, roots, sources, inputs)


def describe(values: dict[str, Any]) -> str:
    """One line for reports: ``hidden_size=32 num_hidden_layers=2 ...``."""
    parts = []
    for key, value in values.items():
        if isinstance(value, dict):
            parts.append(f"{key}=({describe(value)})")
        else:
            parts.append(f"{key}={value!r}")
    return " ".join(parts)


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` from ``--set``: the value is a Python literal when it parses as one, else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(part.isidentifier() for part in key.split(".")):
        raise ScaffoldError(f"--set takes key=value (a config parameter, dotted for a sub-config), not {text!r}")
    raw = raw.strip()
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = {"true": True, "false": False, "none": None, "null": None}.get(raw.lower(), raw)
    if isinstance(value, float) and math.isnan(value):
        value = raw
    return key, value
