"""The rule pipeline, in the order it runs. Each module holds the rules of one concern.

torch_names  (first) one spelling for PyTorch names however imported (from torch.nn import LayerNorm)
layer_bases  class X(GradientCheckpointingLayer) -> class X(nn.Module): the base adds only training-time behaviour
generic_heads  class XForY(GenericForY, XPreTrainedModel): pass (4.54+) -> the generic body, base model named
auto_submodels  AutoModel.from_config(config.x_config) -> the port's model, TFAutoModel, or (no TF port) no class
layer_functions  def f(module, ...) reading module.training takes training=; methods pass self.training
embedding_accessors  get/set_input/output_embeddings the base class implies (4.53+) written out
recorded_outputs  @check_model_inputs/@can_return_tuple (4.54+) -> the flags as arguments, records gathered as 4.46 did
autograd_functions  class X(torch.autograd.Function): forward kept, apply() added, backward dropped
super_calls  super(Enclosing, self) -> super(), so code moved between classes stays valid
layer_tables  TABLE[key](...) over a module-level table of layer classes -> one constructor call per entry
layer_factories  self.x = make_layer(...) where the module's function only returns a layer -> the constructor call
foreign_models  classes imported from another model's PyTorch module -> that port's TF class (its main layer)
cleanup   drop what only PyTorch needs (alternative attention, init, checkpointing, .to/.contiguous)
naming    TF prefix on the module's classes, TF base classes, TF output classes
model     model structure: __init__/call signatures, training, MainLayer split, heads and losses
input_signature  vision models whose config has no image_size declare the size they build with
tying     (around layers) output embeddings PyTorch ties to the input embeddings; embedding tables shared between layers
layers    nn.* modules -> keras layers with name=, parameters and buffers, build()
ops       torch functions, tensor methods and torch.nn.functional -> TF ops
leftovers (before naming) PyTorch-only model classes whose output has no TF twin
computed  (before layers) embedding tables computed in __init__ (sinusoidal) as weights built from the computation; nn types in hints
masks     2D-mask helpers of modeling_attn_mask_utils and masking_utils as TF support functions
model     (after ops) a loss the call computes itself, when a scalar, is returned with shape (1,)
checks    (after ops) PyTorch size checks that raise as tf.debugging assertions (graph mode)
decoder_positions (after ops) decoder_position_ids for encoder-decoders whose decoder positions come
          from the past's length
generation (after ops) prepare_inputs_for_generation for heads PyTorch builds on GenerationMixin
stacked_past  the cache of models TF generate() reads on batch axis 1: stacked per layer
generation_ids  the long dtype in prepare_inputs_for_generation is the dtype of the ids generate() feeds
scopes    weight names when a layer calls its sublayers' sublayers or shares an embedding with them
unused    locals the conversion left unread (their only reader was a dropped PyTorch argument)

FINAL runs on the finished module (imports pruned, reused code in place):
sample_docstrings  code-sample decorators whose sample TF_SAMPLE_DOCSTRINGS lacks (they raise at import)
dummy_inputs  multiple-choice heads under a base class with its own dummy_inputs get a choices axis
import_time  names TF lacks where the module runs them at import time: TF-safe forms with a TODO
"""

from __future__ import annotations

from scaffold.convert.rules import (
    activation_names,
    auto_submodels,
    autograd_functions,
    checks,
    cleanup,
    computed,
    decoder,
    decoder_positions,
    dummy_inputs,
    embedding_accessors,
    foreign_models,
    generation,
    generation_ids,
    generic_heads,
    import_time,
    input_signature,
    layer_bases,
    layer_factories,
    layer_functions,
    layer_tables,
    layers,
    leftovers,
    masks,
    model,
    module_all,
    naming,
    ops,
    recorded_outputs,
    sample_docstrings,
    scopes,
    stacked_past,
    super_calls,
    torch_names,
    tying,
    unused,
)
from scaffold.convert.rules.base import Rule

PIPELINE: list[type[Rule]] = [
    *torch_names.RULES,
    *layer_bases.RULES,
    *autograd_functions.RULES,
    *super_calls.RULES,
    *generic_heads.RULES,
    *auto_submodels.RULES,
    *recorded_outputs.RULES,
    *embedding_accessors.RULES,
    *layer_functions.RULES,
    *layer_tables.RULES,
    *layer_factories.RULES,
    *foreign_models.RULES,
    *decoder.BEFORE_CLEANUP,
    *cleanup.RULES,
    *leftovers.BEFORE_NAMING,
    *naming.RULES,
    *module_all.RULES,
    *model.RULES,
    *input_signature.RULES,
    *tying.BEFORE_LAYERS,
    *computed.RULES,
    *layers.RULES,
    *tying.AFTER_LAYERS,
    *ops.RULES,
    *decoder.AFTER_OPS,
    *model.AFTER_OPS,
    *decoder_positions.RULES,
    *generation.RULES,
    *stacked_past.RULES,
    *generation_ids.RULES,
    *checks.RULES,
    *activation_names.RULES,
    *masks.RULES,
    *scopes.RULES,
    *unused.RULES,
]

# rules that need the finished module: what is undefined is known only once imports and reused code are in
FINAL: list[type[Rule]] = [*sample_docstrings.RULES, *dummy_inputs.RULES, *import_time.RULES]
