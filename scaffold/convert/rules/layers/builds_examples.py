"""Examples of the ``build()`` rule (:class:`~scaffold.convert.rules.layers.builds.SublayerBuilds`)."""

from __future__ import annotations

from scaffold.convert.rules.base import Example

SUBLAYER_BUILDS_EXAMPLES = (
    Example(
        before="""
class TFMarianDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        embed_dim = config.d_model
        self.self_attn = TFMarianAttention(embed_dim, config.heads)
        self.self_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.encoder_attn = TFMarianAttention(embed_dim, config.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, config.ffn_dim)
        self.pooler = TFPooler(config) if config.pool else None
        self.final_layer_norm = nn.LayerNorm(embed_dim)
        self.dropout = nn.Dropout(0.1)

    def call(self, hidden_states, encoder_hidden_states=None):
        hidden_states = self.self_attn_layer_norm(self.self_attn(hidden_states))
        if encoder_hidden_states is not None:
            hidden_states = self.encoder_attn_layer_norm(self.encoder_attn(hidden_states))
        if self.norm_last:
            hidden_states = self.final_layer_norm(tf.reshape(hidden_states, [-1, 32]))
        return self.fc1(hidden_states)


class TFMarianAttention(keras.layers.Layer):
    def __init__(self, embed_dim, num_heads, bias=True, **kwargs):
        super().__init__(**kwargs)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)


class TFPooler(keras.layers.Layer):
    pass
""",
        after="""
class TFMarianDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        embed_dim = config.d_model
        self.self_attn = TFMarianAttention(embed_dim, config.heads)
        self.embed_dim = embed_dim
        self.self_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.encoder_attn = TFMarianAttention(embed_dim, config.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, config.ffn_dim)
        self.pooler = TFPooler(config) if config.pool else None
        self.final_layer_norm = nn.LayerNorm(embed_dim)
        self.dropout = nn.Dropout(0.1)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.self_attn.name):
            self.self_attn.build(None)
        with tf.name_scope(self.self_attn_layer_norm.name):
            self.self_attn_layer_norm.build([None, None, self.embed_dim])
        with tf.name_scope(self.encoder_attn.name):
            self.encoder_attn.build(None)
        with tf.name_scope(self.encoder_attn_layer_norm.name):
            self.encoder_attn_layer_norm.build([None, None, self.embed_dim])
        with tf.name_scope(self.fc1.name):
            self.fc1.build([None, None, self.embed_dim])
        if self.pooler is not None:
            with tf.name_scope(self.pooler.name):
                self.pooler.build(None)
        with tf.name_scope(self.final_layer_norm.name):
            self.final_layer_norm.build([None, self.embed_dim])

    def call(self, hidden_states, encoder_hidden_states=None):
        hidden_states = self.self_attn_layer_norm(self.self_attn(hidden_states))
        if encoder_hidden_states is not None:
            hidden_states = self.encoder_attn_layer_norm(self.encoder_attn(hidden_states))
        if self.norm_last:
            hidden_states = self.final_layer_norm(tf.reshape(hidden_states, [-1, 32]))
        return self.fc1(hidden_states)


class TFMarianAttention(keras.layers.Layer):
    def __init__(self, embed_dim, num_heads, bias=True, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.k_proj.name):
            self.k_proj.build([None, None, self.embed_dim])


class TFPooler(keras.layers.Layer):
    pass
""",
        note="every weight exists after build(): a norm gets the rank its calls give it (3 unless reshaped)",
    ),
    Example(
        before="""
class TFSamVisionLayer(keras.layers.Layer):
    def __init__(self, config):
        self.layer_norm1 = nn.LayerNorm(config.hidden_size)
        self.layer_norm2 = nn.LayerNorm(config.hidden_size)

    def window_partition(self, hidden_states, window_size):
        batch_size, height, width, channel = hidden_states.shape
        return hidden_states

    def call(self, hidden_states, other):
        hidden_states = self.layer_norm1(hidden_states)
        windows = self.window_partition(hidden_states, 2)
        other = self.layer_norm2(other)
        b, n, c = other.shape
        return windows
""",
        after="""
class TFSamVisionLayer(keras.layers.Layer):
    def __init__(self, config):
        self.config = config
        self.layer_norm1 = nn.LayerNorm(config.hidden_size)
        self.layer_norm2 = nn.LayerNorm(config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.layer_norm1.name):
            self.layer_norm1.build([None, None, None, self.config.hidden_size])
        with tf.name_scope(self.layer_norm2.name):
            self.layer_norm2.build([None, None, self.config.hidden_size])

    def window_partition(self, hidden_states, window_size):
        batch_size, height, width, channel = hidden_states.shape
        return hidden_states

    def call(self, hidden_states, other):
        hidden_states = self.layer_norm1(hidden_states)
        windows = self.window_partition(hidden_states, 2)
        other = self.layer_norm2(other)
        b, n, c = other.shape
        return windows
""",
        note="a shape unpacked later (here, or by a method the tensor is handed to) gives the rank of the calls before",
    ),
    Example(
        before="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    pass


class TFBertForTokens(TFBertPreTrainedModel):
    def __init__(self, config):
        self.bert = TFBertMainLayer(config)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config):
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = nn.LayerNorm(config.hidden_size)

    def call(self, input_ids):
        hidden_states = self.embed(input_ids).reshape(-1, self.hidden_size)
        hidden_states = hidden_states.reshape(*self.shape)
        return self.norm(hidden_states)


class TFBertLayer(keras.layers.Layer):
    pass
""",
        after="""
class TFBertPreTrainedModel(TFPreTrainedModel):
    pass


class TFBertForTokens(TFBertPreTrainedModel):
    def __init__(self, config):
        self.bert = TFBertMainLayer(config)
        self.config = config
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.bert.name):
            self.bert.build(None)
        with tf.name_scope(self.dense.name):
            self.dense.build([None, None, self.config.hidden_size])


class TFBertMainLayer(keras.layers.Layer):
    def __init__(self, config):
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layer = nn.ModuleList([TFBertLayer(config) for _ in range(config.num_hidden_layers)])
        self.config = config
        self.norm = nn.LayerNorm.any_rank(config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embed.name):
            self.embed.build(None)
        for layer in self.layer:
            with tf.name_scope(layer.name):
                layer.build(None)
        with tf.name_scope(self.norm.name):
            self.norm.build([None, self.config.hidden_size])

    def call(self, input_ids):
        hidden_states = self.embed(input_ids).reshape(-1, self.hidden_size)
        hidden_states = hidden_states.reshape(*self.shape)
        return self.norm(hidden_states)


class TFBertLayer(keras.layers.Layer):
    pass
""",
        note=(
            "model classes build too (TFPreTrainedModel.build makes nothing); a norm of unwritten rank becomes"
            " the layer norm that does not fix its rank (TFLayerNormLastAxis, by the layers table)"
        ),
    ),
    Example(
        before="""
class TFOPTDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.self_attn_layer_norm = nn.LayerNorm(config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size)

    def call(self, hidden_states):
        hidden_states = self.self_attn_layer_norm(hidden_states)
        shape = hidden_states.shape
        hidden_states = hidden_states.reshape(-1, hidden_states.size(-1))
        hidden_states = self.final_layer_norm(hidden_states)
        return hidden_states.view(shape)
""",
        after="""
class TFOPTDecoderLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.config = config
        self.self_attn_layer_norm = nn.LayerNorm(config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.self_attn_layer_norm.name):
            self.self_attn_layer_norm.build([None, None, self.config.hidden_size])
        with tf.name_scope(self.final_layer_norm.name):
            self.final_layer_norm.build([None, self.config.hidden_size])

    def call(self, hidden_states):
        hidden_states = self.self_attn_layer_norm(hidden_states)
        shape = hidden_states.shape
        hidden_states = hidden_states.reshape(-1, hidden_states.size(-1))
        hidden_states = self.final_layer_norm(hidden_states)
        return hidden_states.view(shape)
""",
        note="a norm's rank follows the tensor it gets at that point of the call",
    ),
    Example(
        before="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        if config.share_encoder_decoder_embeddings:
            encoder_embed_tokens = self.shared
        else:
            encoder_embed_tokens = copy.deepcopy(self.shared)
            self.shared = None
        self.encoder = TFMarianEncoder(config, encoder_embed_tokens)


class TFMarianEncoder(keras.layers.Layer):
    pass
""",
        after="""
class TFMarianMainLayer(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        if config.share_encoder_decoder_embeddings:
            encoder_embed_tokens = self.shared
        else:
            encoder_embed_tokens = copy.deepcopy(self.shared)
            self.shared = None
        self.encoder = TFMarianEncoder(config, encoder_embed_tokens)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.shared is not None:
            with tf.name_scope(self.shared.name):
                self.shared.build(None)
        with tf.name_scope(self.encoder.name):
            self.encoder.build(None)


class TFMarianEncoder(keras.layers.Layer):
    pass
""",
        note="a layer a branch then sets to None builds when it is still there",
    ),
    Example(
        before="""
class TFViTHead(keras.layers.Layer):
    def __init__(self, config):
        num_channels, hidden_size = config.num_channels, config.hidden_size
        self.pooler = TFViTPooler(config)
        self.projection = nn.Conv2d(num_channels, hidden_size, kernel_size=4, stride=4)
        self.classifier = nn.Linear(hidden_size, config.num_labels) if config.num_labels > 0 else nn.Identity()
        self.decoder = nn.Sequential(nn.Conv2d(hidden_size, 16, kernel_size=1), nn.PixelShuffle(4))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(hidden_size, 2) if config.num_labels > 0 else nn.Identity())
""",
        after="""
class TFViTHead(keras.layers.Layer):
    def __init__(self, config):
        num_channels, hidden_size = config.num_channels, config.hidden_size
        self.pooler = TFViTPooler(config)
        self.num_channels = num_channels
        self.projection = nn.Conv2d(num_channels, hidden_size, kernel_size=4, stride=4)
        self.hidden_size = hidden_size
        self.classifier = nn.Linear(hidden_size, config.num_labels) if config.num_labels > 0 else nn.Identity()
        self.decoder = nn.Sequential(nn.Conv2d(hidden_size, 16, kernel_size=1), nn.PixelShuffle(4))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(hidden_size, 2) if config.num_labels > 0 else nn.Identity())

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.pooler.name):
            self.pooler.build(None)
        with tf.name_scope(self.projection.name):
            self.projection.build([None, self.num_channels, None, None])
        with tf.name_scope(self.classifier.name):
            self.classifier.build([None, None, self.hidden_size])
        with tf.name_scope(self.decoder.name):
            with tf.name_scope(self.decoder.sequence[0].name):
                self.decoder.sequence[0].build([None, self.hidden_size, None, None])
        with tf.name_scope(self.head.name):
            with tf.name_scope(self.head.sequence[1].name):
                self.head.sequence[1].build([None, None, self.hidden_size])
""",
        note="a reused layer (TFViTPooler) builds itself; a weightless alternative (Identity) takes any shape,"
        " in a Sequential too",
        context=(("reused", {"ViTPooler"}), ("class_bases", {"ViTPooler": ["Module"]})),
    ),
    Example(
        before="""
class TFDPRPreTrainedModel(TFPreTrainedModel):
    pass


class TFDPREncoder(TFDPRPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.bert_model = TFBertMainLayer(config, add_pooling_layer=False, name="bert_model")
""",
        after="""
class TFDPRPreTrainedModel(TFPreTrainedModel):
    pass


class TFDPREncoder(TFDPRPreTrainedModel):
    def __init__(self, config, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        self.bert_model = TFBertMainLayer(config, add_pooling_layer=False, name="bert_model")

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.bert_model.name):
            self.bert_model.build(None)
""",
        note="another port's main layer builds itself, so from_pretrained finds its weights before any call",
        context=(
            (
                "foreign_layers",
                {"BertModel": ("TFBertMainLayer", "from ..bert.modeling_tf_bert import TFBertMainLayer")},
            ),
            ("class_bases", {"DPREncoder": ["DPRPreTrainedModel"], "DPRPreTrainedModel": ["PreTrainedModel"]}),
        ),
    ),
    Example(
        before="""
class TFBertHead(keras.layers.Layer):
    def __init__(self, config, shared):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = shared
        self.norm = nn.LayerNorm((config.hidden_size,))
        if config.extra:
            width = config.extra
            self.extra = nn.Linear(width, 2)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.bias = self.bias
""",
        after="""
class TFBertHead(keras.layers.Layer):
    def __init__(self, config, shared):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = shared
        self.norm = nn.LayerNorm((config.hidden_size,))
        if config.extra:
            width = config.extra
            self.extra = nn.Linear(width, 2)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.bias = self.bias
""",
        note="reassigned, tied and multi-axis sublayers, and widths bound in a branch, are left to their call",
    ),
    Example(
        before="""
class TFGPT2Attention(keras.layers.Layer):
    def __init__(self, config, is_cross_attention=False):
        self.embed_dim = config.hidden_size
        if is_cross_attention:
            self.c_attn = Conv1D(2 * self.embed_dim, self.embed_dim)
            self.q_attn = Conv1D(self.embed_dim, self.embed_dim)
        else:
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)


class TFGPT2Block(keras.layers.Layer):
    def __init__(self, config):
        attention_class = TFGPT2Attention
        self.attn = attention_class(config)
""",
        after="""
class TFGPT2Attention(keras.layers.Layer):
    def __init__(self, config, is_cross_attention=False):
        self.embed_dim = config.hidden_size
        self.is_cross_attention = is_cross_attention
        if is_cross_attention:
            self.c_attn = Conv1D(2 * self.embed_dim, self.embed_dim)
            self.q_attn = Conv1D(self.embed_dim, self.embed_dim)
        else:
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.is_cross_attention:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
            with tf.name_scope(self.q_attn.name):
                self.q_attn.build([None, None, self.embed_dim])
        else:
            with tf.name_scope(self.c_attn.name):
                self.c_attn.build([None, None, self.embed_dim])
        with tf.name_scope(self.c_proj.name):
            self.c_proj.build([None, None, self.embed_dim])


class TFGPT2Block(keras.layers.Layer):
    def __init__(self, config):
        attention_class = TFGPT2Attention
        self.attn = attention_class(config)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.attn.name):
            self.attn.build(None)
""",
        note="a sublayer made in a branch builds under the same test; a local name for a layer class builds too",
    ),
    Example(
        before="""
class TFRobertaEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size, self.padding_idx)
""",
        after="""
class TFRobertaEmbeddings(keras.layers.Layer):
    def __init__(self, config):
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size, self.padding_idx)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.position_embeddings.name):
            self.position_embeddings.build(None)
""",
        note="a layer made twice (a copied block, then the model's own) builds its last making",
    ),
    Example(
        before="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings, embedding_dim, **kwargs):
        super().__init__(num_embeddings, embedding_dim, **kwargs)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model)
        if embed_tokens is not None:
            self.embed_tokens.weight = embed_tokens.weight
""",
        after="""
class TFBartScaledWordEmbedding(keras.layers.Embedding):
    def __init__(self, num_embeddings, embedding_dim, **kwargs):
        super().__init__(num_embeddings, embedding_dim, **kwargs)


class TFBartDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self.embed_tokens = TFBartScaledWordEmbedding(config.vocab_size, config.d_model)
        if embed_tokens is not None:
            self.embed_tokens.weight = embed_tokens.weight

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.embed_tokens.name):
            self.embed_tokens.build(None)
""",
        note="an embedding that may share another's table builds too: a decoder run alone owns its table",
    ),
    Example(
        before="""
class TFMarianDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        if embed_tokens is not None:
            self.embed_tokens = embed_tokens
        else:
            self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
""",
        after="""
class TFMarianDecoder(keras.layers.Layer):
    def __init__(self, config, embed_tokens=None, **kwargs):
        self._embed_tokens = embed_tokens
        if embed_tokens is not None:
            self.embed_tokens = embed_tokens
        else:
            self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self._embed_tokens is not None:
            pass
        else:
            with tf.name_scope(self.embed_tokens.name):
                self.embed_tokens.build(None)
""",
        note="a layer made only in the else branch builds there (the given layer is its owner's to build)",
    ),
    Example(
        before="""
class TFConvNextStage(keras.layers.Layer):
    def __init__(self, config, in_channels, out_channels, depth=2):
        if in_channels != out_channels:
            self.downsampling_layer = nn.Conv2d(in_channels, out_channels, kernel_size=2)
        else:
            self.downsampling_layer = nn.Identity()
        self.layers = nn.Sequential(*[TFConvNextLayer(config, dim=out_channels) for j in range(depth)])


class TFConvNextEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = nn.ModuleList([])
        for i in range(config.num_stages):
            stage = TFConvNextStage(config, 4, 4)
            self.stages.append(stage)


class TFConvNextLayer(keras.layers.Layer):
    pass
""",
        after="""
class TFConvNextStage(keras.layers.Layer):
    def __init__(self, config, in_channels, out_channels, depth=2):
        self.in_channels = in_channels
        self.out_channels = out_channels
        if in_channels != out_channels:
            self.downsampling_layer = nn.Conv2d(in_channels, out_channels, kernel_size=2)
        else:
            self.downsampling_layer = nn.Identity()
        self.layers = nn.Sequential(*[TFConvNextLayer(config, dim=out_channels) for j in range(depth)])

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.in_channels != self.out_channels:
            with tf.name_scope(self.downsampling_layer.name):
                self.downsampling_layer.build([None, self.in_channels, None, None])
        with tf.name_scope(self.layers.name):
            for layer in self.layers.sequence:
                with tf.name_scope(layer.name):
                    layer.build(None)


class TFConvNextEncoder(keras.layers.Layer):
    def __init__(self, config):
        self.stages = nn.ModuleList([])
        for i in range(config.num_stages):
            stage = TFConvNextStage(config, 4, 4)
            self.stages.append(stage)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        for layer in self.stages:
            with tf.name_scope(layer.name):
                layer.build(None)


class TFConvNextLayer(keras.layers.Layer):
    pass
""",
        note="a weightless else builds nothing; a Sequential of module layers and a list filled by append (from nn.ModuleList([])) build each item",
    ),
    Example(
        before="""
class TFCLIPPreTrainedModel(TFPreTrainedModel):
    pass


class TFCLIPTextModel(TFCLIPPreTrainedModel):
    def __init__(self, config):
        self.text_model = TFCLIPTextTransformer(config)


class TFCLIPTextModelWithProjection(TFCLIPPreTrainedModel):
    def __init__(self, config):
        text_model = TFCLIPTextModel._from_config(config)
        self.text_model = text_model.text_model
        self.pooler = config.pooler


class TFCLIPTextTransformer(keras.layers.Layer):
    pass
""",
        after="""
class TFCLIPPreTrainedModel(TFPreTrainedModel):
    pass


class TFCLIPTextModel(TFCLIPPreTrainedModel):
    def __init__(self, config):
        self.text_model = TFCLIPTextTransformer(config)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.text_model.name):
            self.text_model.build(None)


class TFCLIPTextModelWithProjection(TFCLIPPreTrainedModel):
    def __init__(self, config):
        text_model = TFCLIPTextModel._from_config(config)
        self.text_model = text_model.text_model
        self.pooler = config.pooler

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.text_model.name):
            self.text_model.build(None)


class TFCLIPTextTransformer(keras.layers.Layer):
    pass
""",
        note="a layer borrowed from another model of the module builds when that model makes it of a layer class",
    ),
    Example(
        before="""
class TFSegformerEncoder(keras.layers.Layer):
    def __init__(self, config):
        embeddings = []
        for i in range(config.num_encoder_blocks):
            embedding = TFSegformerEmbeddings(config, i)
            embeddings.append(embedding)
        self.patch_embeddings = nn.ModuleList(embeddings)
        blocks = []
        for i in range(config.num_encoder_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFSegformerLayer(config, i))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
        self.layer_norm = nn.ModuleList([nn.LayerNorm(config.hidden_sizes[i]) for i in range(config.num_encoder_blocks)])


class TFSegformerEmbeddings(keras.layers.Layer):
    pass


class TFSegformerLayer(keras.layers.Layer):
    pass
""",
        after="""
class TFSegformerEncoder(keras.layers.Layer):
    def __init__(self, config):
        embeddings = []
        for i in range(config.num_encoder_blocks):
            embedding = TFSegformerEmbeddings(config, i)
            embeddings.append(embedding)
        self.patch_embeddings = nn.ModuleList(embeddings)
        blocks = []
        for i in range(config.num_encoder_blocks):
            layers = []
            for j in range(config.depths[i]):
                layers.append(TFSegformerLayer(config, i))
            blocks.append(nn.ModuleList(layers))
        self.block = nn.ModuleList(blocks)
        self.config = config
        self.layer_norm = nn.ModuleList([nn.LayerNorm(config.hidden_sizes[i]) for i in range(config.num_encoder_blocks)])

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        for layer in self.patch_embeddings:
            with tf.name_scope(layer.name):
                layer.build(None)
        for items_0 in self.block:
            for layer in items_0:
                with tf.name_scope(layer.name):
                    layer.build(None)
        for i, layer in enumerate(self.layer_norm):
            with tf.name_scope(layer.name):
                layer.build([None, None, self.config.hidden_sizes[i]])


class TFSegformerEmbeddings(keras.layers.Layer):
    pass


class TFSegformerLayer(keras.layers.Layer):
    pass
""",
        note="local lists filled by append and wrapped (one level or a list of lists) build each item; "
        "a comprehension of Keras layers builds each with the shape of its index",
    ),
    Example(
        before="""
class TFBeitPyramidPoolingBlock(keras.layers.Layer):
    def __init__(self, pool_scale, in_channels, channels, **kwargs):
        super().__init__(**kwargs)
        self.layers = [nn.AdaptiveAvgPool2d(pool_scale), TFBeitConvModule(in_channels, channels)]


class TFBeitFCNHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        convs = []
        for i in range(config.num_convs):
            convs.append(TFBeitConvModule(config.channels, config.channels))
        self.convs = nn.Sequential(*convs)


class TFBeitConvModule(keras.layers.Layer):
    pass
""",
        after="""
class TFBeitPyramidPoolingBlock(keras.layers.Layer):
    def __init__(self, pool_scale, in_channels, channels, **kwargs):
        super().__init__(**kwargs)
        self.layers = [nn.AdaptiveAvgPool2d(pool_scale), TFBeitConvModule(in_channels, channels)]

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.layers[1].name):
            self.layers[1].build(None)


class TFBeitFCNHead(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        convs = []
        for i in range(config.num_convs):
            convs.append(TFBeitConvModule(config.channels, config.channels))
        self.convs = nn.Sequential(*convs)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        with tf.name_scope(self.convs.name):
            for layer in self.convs.sequence:
                with tf.name_scope(layer.name):
                    layer.build(None)


class TFBeitConvModule(keras.layers.Layer):
    pass
""",
        note="a written-out list builds the items whose constructor determines them (the pooling has no "
        "weights); a Sequential of a local list of the module's layers builds each item",
    ),
    Example(
        before="""
class TFGPT2SequenceSummary(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.summary = nn.Identity()
        if config.summary_use_proj:
            self.summary = nn.Linear(config.hidden_size, config.num_labels)
""",
        after="""
class TFGPT2SequenceSummary(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.summary = nn.Identity()
        self.config = config
        if config.summary_use_proj:
            self.summary = nn.Linear(config.hidden_size, config.num_labels)

    def build(self, input_shape=None):
        if self.built:
            return
        self.built = True
        if self.config.summary_use_proj:
            with tf.name_scope(self.summary.name):
                self.summary.build([None, None, self.config.hidden_size])
""",
        note="a layer without weights made first and replaced under a test: build() builds the replacement "
        "under that test (built nowhere, its weights would be made at the first call, after a checkpoint loads)",
    ),
)
