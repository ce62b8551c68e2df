"""What transformers' own checks (``utils/check_copies.py``, ``utils/check_docstrings.py``) need of a port.

Fast tests work on small fixture modules; the slow test runs ``check_copies`` on ports generated
in a full checkout (the source distribution with the corpus of transformers' ``utils/`` unpacked
over it).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from scaffold.convert.assemble import _insert_before_class, _mark_undefined, _with_support
from scaffold.convert.copies import copy_dependents, tidy_markers
from scaffold.convert.reuse import SourceModule, keep_copied

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus" / "transformers-f0e640ad-utils-tests-docs.tar.gz"


def _objects(known: dict[str, set[str]]):
    return lambda module: known.get(module)


# -- item 1 and 2: markers -------------------------------------------------------------------------------------------


def test_pytorch_markers_are_dropped_tf_markers_kept():
    code = textwrap.dedent("""
        # Copied from transformers.models.bart.modeling_bart.BartScaledWordEmbedding with Bart->XGLM
        class TFXGLMScaledWordEmbedding(keras.layers.Layer):
            # Copied from transformers.models.mbart.modeling_mbart.MBartDecoderLayer.forward
            def call(self):
                pass


        # Copied from transformers.models.bert.modeling_tf_bert.TFBertPooler with Bert->XGLM
        class TFXGLMPooler(keras.layers.Layer):
            pass


        # Copied from transformers.models.bert.modeling_tf_bert.TFBertGone with Bert->XGLM
        def gone():
            pass
        """)
    known = {"models.bert.modeling_tf_bert": {"TFBertPooler"}}
    out, dropped = tidy_markers(code, "models.xglm.modeling_tf_xglm", _objects(known))
    assert "modeling_bart" not in out and "modeling_mbart" not in out
    assert "# Copied from transformers.models.bert.modeling_tf_bert.TFBertPooler with Bert->XGLM\nclass" in out
    assert "TFBertGone" not in out  # names nothing the tree defines
    assert len(dropped) == 3
    ast.parse(out)


def test_marker_moves_between_decorators_and_class():
    code = textwrap.dedent("""
        # Copied from transformers.models.mobilebert.modeling_tf_mobilebert.TFMobileBertOutput with MobileBert->Bert
        @dataclass
        @other(
            1,
        )
        class TFBertOutput(ModelOutput):
            x: int = 1
        """)
    known = {"models.mobilebert.modeling_tf_mobilebert": {"TFMobileBertOutput"}}
    out, _ = tidy_markers(code, "models.bert.modeling_tf_bert", _objects(known))
    lines = out.strip().splitlines()
    assert lines[0] == "@dataclass"
    assert lines[4].startswith("# Copied from") and lines[5].startswith("class TFBertOutput")


def test_support_code_goes_above_the_decorators_of_the_first_class():
    """Support placed between ``@dataclass`` and a marked class made the helper layer a dataclass
    (unhashable: Keras' compile failed on it) and left the output class undecorated."""
    code = textwrap.dedent("""
        import tensorflow as tf

        X = 1


        # a comment about the output
        @dataclass
        @other(
            1,
        )
        # Copied from transformers.models.vit.modeling_tf_vit.TFViTOutput with ViT->Bert
        class TFBertOutput(ModelOutput):
            x: int = 1
        """)
    ctx = SimpleNamespace(support={"TFHelper": "class TFHelper:\n    pass\n"})
    out = _with_support(code, ctx)
    assert out.index("class TFHelper") < out.index("# a comment about the output") < out.index("@dataclass")
    assert "    pass\n\n\n# a comment about the output\n@dataclass\n@other(" in out
    again = _insert_before_class(code, "TFBertOutput", "class TFHelper:\n    pass\n")
    assert again == out


def test_marker_naming_the_definition_below_it_is_dropped():
    """Reused code renamed back to this model copies itself (``with Bert->Bert``): a pointless marker."""
    code = textwrap.dedent("""
        class TFBertSelfOutput:
            pass


        class TFBertOutput:
            # Copied from transformers.models.bert.modeling_tf_bert.TFBertOutput.call with Bert->Bert
            def call(self):
                pass


        # Copied from transformers.models.bert.modeling_tf_bert.TFBertSelfOutput with SelfOutput->CrossOutput
        class TFBertCrossOutput:
            pass
        """)
    out, dropped = tidy_markers(code, "models.bert.modeling_tf_bert", _objects({}))
    assert dropped == ["# Copied from transformers.models.bert.modeling_tf_bert.TFBertOutput.call with Bert->Bert"]
    assert "TFBertSelfOutput with SelfOutput->CrossOutput" in out


# -- item 3: names other ports copy ------------------------------------------------------------------------------------

OLD_PORT = textwrap.dedent("""
    class TFToyLayer(keras.layers.Layer):
        def __init__(self, config, **kwargs):
            super().__init__(**kwargs)

        def call(self, hidden_states, attention_mask, training=False):
            return hidden_states  # hand-written


    class TFToyMLMHead(keras.layers.Layer):
        def __init__(self, config, input_embeddings, **kwargs):
            super().__init__(**kwargs)


    class TFToyMainLayer(keras.layers.Layer):
        def _prune_heads(self, heads_to_prune):
            raise NotImplementedError
    """)


def test_copy_dependents_scans_other_files(tmp_path: Path):
    src = tmp_path / "src" / "transformers"
    (src / "models" / "other").mkdir(parents=True)
    (src / "models" / "other" / "modeling_tf_other.py").write_text(
        "# Copied from transformers.models.toy.modeling_tf_toy.TFToyLayer with Toy->Other\nclass TFOtherLayer:\n"
        "    pass\n"
    )
    (src / "models" / "toy").mkdir()
    own = src / "models" / "toy" / "modeling_tf_toy.py"
    own.write_text("# Copied from transformers.models.toy.modeling_tf_toy.TFToyLayer\nclass X:\n    pass\n")
    found = copy_dependents(src, "models.toy.modeling_tf_toy", exclude=own)
    assert found == {"TFToyLayer": [src / "models" / "other" / "modeling_tf_other.py"]}


def _old(tmp_path: Path) -> SourceModule:
    path = tmp_path / "modeling_tf_toy.py"
    path.write_text(OLD_PORT)
    return SourceModule(path, path.read_bytes())


def test_copied_classes_are_kept_and_missing_ones_restored(tmp_path: Path):
    new = textwrap.dedent("""
        class TFToyLayer(keras.layers.Layer):
            def __init__(self, config, **kwargs):
                super().__init__(**kwargs)

            def call(self, hidden_states, attention_mask=None, training=False):
                return hidden_states * 1  # regenerated


        class TFToyMainLayer(keras.layers.Layer):
            def __init__(self, config, **kwargs):
                self.layer = TFToyLayer(config, name="layer")

            def call(self, x, training=False):
                return self.layer(x, attention_mask=None, training=training)
        """)
    dependents = {"TFToyLayer": [], "TFToyMLMHead": [], "TFToyMainLayer._prune_heads": []}
    out, kept = keep_copied(new, _old(tmp_path), dependents)
    assert kept.classes == ["TFToyLayer", "TFToyMLMHead"]
    assert kept.methods == ["TFToyMainLayer._prune_heads"]
    assert "# hand-written" in out and "# regenerated" not in out
    tree = ast.parse(out)
    main = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TFToyMainLayer")
    assert [f.name for f in main.body] == ["__init__", "call", "_prune_heads"]


def test_copied_class_that_does_not_fit_is_regenerated_and_said(tmp_path: Path):
    """The regenerated caller (which the old port lacks, so it cannot be kept with it) leaves out an argument the old
    class requires: keeping the old class would break the port."""
    new = textwrap.dedent("""
        class TFToyLayer(keras.layers.Layer):
            def call(self, hidden_states, attention_mask=None, training=False):
                return hidden_states * 1  # regenerated


        class TFToyEncoder(keras.layers.Layer):
            def __init__(self, config, **kwargs):
                self.layer = TFToyLayer(config, name="layer")

            def call(self, x, training=False):
                return self.layer(x, training=training)
        """)
    out, kept = keep_copied(new, _old(tmp_path), {"TFToyLayer": []})
    assert kept.classes == []
    assert kept.not_kept == {"TFToyLayer": "its signature does not fit the regenerated code around it"}
    assert "# regenerated" in out


# -- item 4: noqa within the line length ----------------------------------------------------------------------------


def test_noqa_never_pushes_a_line_past_the_limit(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 119\n")
    code = textwrap.dedent("""
        class TFSwinPatchMerging(keras.layers.Layer):
            def __init__(
                self, input_resolution: Tuple[int], dim: int, norm_layer: keras.layers.Layer = nn.LayerNorm, **kwargs
            ) -> None:
                super().__init__(**kwargs)
        """).lstrip()
    out, todos = _mark_undefined(code, SimpleNamespace(root=tmp_path), tmp_path / "m.py")
    assert max(len(line) for line in out.splitlines()) <= 119
    assert "norm_layer: keras.layers.Layer = nn.LayerNorm,  # noqa: F821" in out
    assert {t.text.split(":")[0] for t in todos} == {"keras", "Tuple", "nn"}


# -- the real checks on a full checkout -------------------------------------------------------------------------------


def _ruff_051() -> str | None:
    """A ruff 0.5.1 binary (what check_copies formats with on this line of transformers)."""
    # .ci/setup installs it into the project's git-ignored .cache/ruff051, apart from the project's own ruff
    installed = Path(__file__).resolve().parents[1] / ".cache" / "ruff051" / "bin" / "ruff"
    for candidate in (os.environ.get("TFSCAFFOLD_RUFF_051"), str(installed), shutil.which("ruff")):
        if candidate and Path(candidate).is_file():
            proc = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            if proc.stdout.strip() == "ruff 0.5.1":
                return candidate
    return None


_RUN_COPIES = textwrap.dedent("""
    import glob, os, sys
    sys.path.insert(0, "utils")
    import check_copies as c
    buffer = {}
    files = sorted(glob.glob(os.path.join(c.TRANSFORMERS_PATH, "**/*.py"), recursive=True))
    for f in files:
        try:
            diffs = c.is_copy_consistent(f, False, buffer)
        except Exception as e:
            print(f"ERROR {f} {' '.join(str(e).split())[:300]}")
            continue
        for d in diffs:
            print(f"MISMATCH {f} {d[0]}")
    """)


def _check_copies(root: Path, ruff: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "PATH": f"{Path(ruff).parent}:{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_COPIES], cwd=root, capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.splitlines()


@pytest.mark.slow
def test_check_copies_passes_on_generated_ports(pristine: Path, tmp_path: Path):
    """``new`` on a full checkout: check_copies finds nothing, as on the unmodified tree."""
    if not CORPUS.is_file():
        pytest.skip(f"the corpus of transformers' utils/ is absent ({CORPUS})")
    ruff = _ruff_051()
    if ruff is None:
        pytest.skip("check_copies needs ruff==0.5.1 (set TFSCAFFOLD_RUFF_051 to its binary)")
    root = tmp_path / "transformers"
    shutil.copytree(pristine, root)
    with tarfile.open(CORPUS) as archive:
        archive.extractall(root, filter="data")
    assert _check_copies(root, ruff) == []  # the pristine baseline

    def new(model: str, *args: str) -> dict:
        import json

        proc = subprocess.run(
            [sys.executable, "-m", "scaffold", "new", model, "--repo", str(root), "--json", *args],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)

    # a fresh port whose PyTorch code carries markers (BartScaledWordEmbedding, MBartDecoderLayer.forward)
    (root / "src/transformers/models/xglm/modeling_tf_xglm.py").unlink()
    new("xglm")
    # a regenerated port that 14 other TF files copy from
    report = new("bert", "--force")
    # what other files copy is kept where it fits; the markers of the other copies are pointed at one of them
    assert _check_copies(root, ruff) == []
    kept = [item["name"] for item in report["copied_by_other_ports"] if item["status"] == "kept"]
    assert "TFBertPreTrainingLoss" in kept and "TFBertMainLayer._prune_heads" in kept
    remarked = {item["name"] for item in report["copied_by_other_ports"] if item["remarked"]}
    assert remarked and remarked == {e["copy_of"] for e in report["marker_edits"]}
    assert not any(item["breaks"] for item in report["copied_by_other_ports"])


# -- copies of what a regenerated port no longer defines as they copied it ------------------------------------------


def test_copies_of_a_changed_object_are_marked_as_copies_of_one_of_them(tmp_path: Path):
    """Two ports copied TFToyEmbeddings; regenerated, it differs: the first copy becomes the source of the
    second, a copy no renaming reproduces loses its marker, a copy the new object still gives is left."""
    from scaffold.convert.reanchor import apply_edits, reanchor

    body = "    def __init__(self, config, **kwargs):\n        self.toy_size = config.toy_size  # {}\n"
    files = {}
    for name, extra in (("alpha", ""), ("beta", ""), ("gamma", "changed by hand")):
        cls = name.capitalize()
        files[name] = tmp_path / f"modeling_tf_{name}.py"
        files[name].write_text(
            "import tensorflow as tf\n\n\n"
            f"# Copied from transformers.models.toy.modeling_tf_toy.TFToyEmbeddings with Toy->{cls} all-casing\n"
            f"class TF{cls}Embeddings(tf.keras.layers.Layer):\n" + body.replace("toy", name).format(extra)
        )
    same = tmp_path / "modeling_tf_same.py"
    same.write_text(
        "# Copied from transformers.models.toy.modeling_tf_toy.TFToyEmbeddings with Toy->Same\n"
        "class TFSameEmbeddings(tf.keras.layers.Layer):\n    pass\n"
    )
    code = "class TFToyEmbeddings(tf.keras.layers.Layer):\n    pass\n"  # the regenerated port
    copied = {"TFToyEmbeddings": [*files.values(), same]}
    edits = reanchor("models.toy.modeling_tf_toy", code, copied, lambda p: f"models.x.{p.stem}")
    assert [(e.path.stem, e.new) for e in edits] == [
        ("modeling_tf_alpha", None),
        (
            "modeling_tf_beta",
            "# Copied from transformers.models.x.modeling_tf_alpha.TFAlphaEmbeddings with Alpha->Beta all-casing\n",
        ),
        ("modeling_tf_gamma", None),
    ]
    beta = apply_edits(files["beta"].read_text(), [e for e in edits if e.path == files["beta"]])
    assert beta.splitlines()[3].startswith("# Copied from transformers.models.x.modeling_tf_alpha.TFAlphaEmbeddings")
    assert beta.splitlines()[4:] == files["beta"].read_text().splitlines()[4:]  # the code is as it was
    alpha = apply_edits(files["alpha"].read_text(), [e for e in edits if e.path == files["alpha"]])
    assert "Copied from" not in alpha and "class TFAlphaEmbeddings" in alpha
    with pytest.raises(ValueError, match="changed since it was read"):
        apply_edits("something else\n" * 9, edits[1:2])


# -- a fresh port other ports copy from: what they copy comes back from their copies ---------------------------------


def test_fresh_port_gets_back_what_other_ports_copy(tmp_path: Path):
    """No earlier port to keep from: each copy renamed back is the object, whole or a method of a regenerated class.

    Methods and layers (a class with ``call``) are regenerated instead: upstream code may follow
    other conventions than the converted code around it (channels-last images); they are reported.
    """
    from scaffold.convert.reuse import recover_copied

    other = tmp_path / "modeling_tf_other.py"
    other.write_text(textwrap.dedent("""
        import tensorflow as tf


        # Copied from transformers.models.toy.modeling_tf_toy.TFToyDropPath with Toy->Other
        class TFOtherDropPath(keras.layers.Layer):
            def call(self, x):
                return x  # TFOtherDropPath as the toy port had it


        @dataclass
        # Copied from transformers.models.toy.modeling_tf_toy.TFToyOutput with Toy->Other
        class TFOtherOutput(ModelOutput):
            logits: tf.Tensor = None


        class TFOtherLMHeadModel:
            # Copied from transformers.models.toy.modeling_tf_toy.TFToyLMHeadModel.prepare_inputs_for_generation
            def prepare_inputs_for_generation(self, inputs, past_key_values=None):
                return {"input_ids": inputs}  # upstream
        """))
    dependents = {
        "TFToyDropPath": [other],
        "TFToyDropPath.call": [other],  # a method of a layer regenerated whole does not come back alone
        "TFToyOutput": [other],
        "TFToyLMHeadModel.prepare_inputs_for_generation": [other],
        "TFToyGone.call": [other],  # no such copy in the file
    }
    recovered = recover_copied("models.toy.modeling_tf_toy", dependents)
    assert recovered is not None
    assert "TFToyDropPath" not in recovered.text
    assert "@dataclass\nclass TFToyOutput(ModelOutput):" in recovered.text  # decorators above the marker come too
    new = textwrap.dedent("""
        class TFToyDropPath(keras.layers.Layer):
            def call(self, x):
                return x * 1  # regenerated


        class TFToyLMHeadModel:
            def call(self, x):
                return x

            def prepare_inputs_for_generation(self, inputs, **kwargs):
                return {"input_ids": inputs, "regenerated": True}
        """)
    out, kept = keep_copied(new, recovered, dependents, partial=True)
    assert "# regenerated" in out and '"regenerated"' in out
    assert "TFToyDropPath as the toy port had it" not in out and "# upstream" not in out
    tree = ast.parse(out)
    head = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TFToyLMHeadModel")
    assert [f.name for f in head.body] == ["call", "prepare_inputs_for_generation"]  # the rest of the class stays
    assert kept.classes == ["TFToyOutput"]
    assert "@dataclass\nclass TFToyOutput(ModelOutput):" in out
    assert kept.methods == []
    reason = "a method or a layer (regenerated), or no copy of it renames back"
    assert kept.not_kept == {
        "TFToyDropPath": reason,
        "TFToyDropPath.call": reason,
        "TFToyGone.call": reason,
        "TFToyLMHeadModel.prepare_inputs_for_generation": reason,
    }
