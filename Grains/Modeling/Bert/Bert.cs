// BERT (the encoder of sentence-transformers/all-MiniLM-L6-v2) as TorchSharp modules, in forward order: one model,
// one file. Mirrors huggingface/transformers models/bert/modeling_bert.py (BertModel without its pooler); field names
// are the checkpoint keys, so named_parameters() yields HF's state-dict names (embeddings.word_embeddings.weight,
// encoder.layer.0.attention.self.query.weight, ...). Not here: loading (Checkpoints/BertModelFolder.cs), tokenization,
// pooling and normalisation (Retrieval/Rerank/BertSentenceEncoder.cs).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Bert;

/// <summary>Word + absolute position + token type embeddings, then LayerNorm (HF <c>BertEmbeddings</c>).</summary>
public sealed class BertEmbeddings : nn.Module
{
    readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertEmbeddings(BertConfig config, Device? device) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId, device: device);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, device: device);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize, device: device);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>[B, T, E] for token ids and token type ids [B, T]; positions are 0..T-1 (padding is on the right).</summary>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var positions = arange(inputIds.shape[1], device: inputIds.device).unsqueeze(0);            // [1, T]
        var e = word_embeddings.call(inputIds) + token_type_embeddings.call(tokenTypeIds) + position_embeddings.call(positions);
        return dropout.call(LayerNorm.call(e)).MoveToOuterDisposeScope();
    }
}

/// <summary>Bidirectional multi-head attention over the unmasked tokens (HF <c>BertSelfAttention</c>, eager/sdpa).</summary>
public sealed class BertSelfAttention : nn.Module
{
    readonly Linear query, key, value;
    readonly int _heads, _headDim;
    readonly double _dropout;

    public BertSelfAttention(BertConfig config, Device? device) : base(nameof(BertSelfAttention))
    {
        (_heads, _headDim, _dropout) = (config.NumAttentionHeads, config.HeadDim, config.AttentionProbsDropoutProb);
        query = nn.Linear(config.HiddenSize, config.HiddenSize, device: device);
        key = nn.Linear(config.HiddenSize, config.HiddenSize, device: device);
        value = nn.Linear(config.HiddenSize, config.HiddenSize, device: device);
        RegisterComponents();
    }

    /// <param name="allowed">[B, 1, 1, T] bool, true where a key is a real token (HF's extended attention mask); null when every token is.</param>
    public Tensor forward(Tensor x, Tensor? allowed)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = query.call(x).view(b, t, _heads, _headDim).transpose(1, 2);      // [B, H, T, D]
        var k = key.call(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var v = value.call(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var o = nn.functional.scaled_dot_product_attention(q, k, v, allowed, training ? _dropout : 0.0);
        return o.transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope(); // [B, T, E]
    }
}

/// <summary>dense → dropout → LayerNorm(+ residual) after attention (HF <c>BertSelfOutput</c>).</summary>
public sealed class BertSelfOutput : nn.Module
{
    readonly Linear dense;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertSelfOutput(BertConfig config, Device? device) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize, device: device);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(dense.call(hidden)) + residual).MoveToOuterDisposeScope();
    }
}

/// <summary>Self-attention and its output projection (HF <c>BertAttention</c>).</summary>
public sealed class BertAttention : nn.Module
{
    readonly BertSelfAttention self;
    readonly BertSelfOutput output;

    public BertAttention(BertConfig config, Device? device) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config, device);
        output = new BertSelfOutput(config, device);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? allowed)
    {
        using var a = self.forward(x, allowed);
        return output.forward(a, x);
    }
}

/// <summary>dense → exact GELU (HF <c>BertIntermediate</c> with hidden_act "gelu", the erf form).</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    readonly Linear dense;

    public BertIntermediate(BertConfig config, Device? device) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var h = dense.call(x);
        return nn.functional.gelu(h); // exact: 0.5·x·(1 + erf(x/√2)), not the tanh approximation
    }
}

/// <summary>dense → dropout → LayerNorm(+ residual) after the MLP (HF <c>BertOutput</c>).</summary>
public sealed class BertOutput : nn.Module
{
    readonly Linear dense;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertOutput(BertConfig config, Device? device) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize, device: device);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(dense.call(hidden)) + residual).MoveToOuterDisposeScope();
    }
}

/// <summary>Post-LN transformer block: attention, then the MLP, each with its residual and LayerNorm (HF <c>BertLayer</c>).</summary>
public sealed class BertLayer : nn.Module
{
    readonly BertAttention attention;
    readonly BertIntermediate intermediate;
    readonly BertOutput output;

    public BertLayer(BertConfig config, Device? device) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config, device);
        intermediate = new BertIntermediate(config, device);
        output = new BertOutput(config, device);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? allowed)
    {
        using var scope = NewDisposeScope();
        var a = attention.forward(x, allowed);
        return output.forward(intermediate.call(a), a).MoveToOuterDisposeScope();
    }
}

/// <summary>The stack of <see cref="BertLayer"/>s (HF <c>BertEncoder</c>; checkpoint keys <c>encoder.layer.{i}</c>).</summary>
public sealed class BertEncoder : nn.Module
{
    readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config, Device? device) : base(nameof(BertEncoder))
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config, device)).ToArray());
        RegisterComponents();
    }

    public Tensor forward(Tensor h, Tensor? allowed)
    {
        using var scope = NewDisposeScope();
        foreach (var block in layer)
            h = block.forward(h, allowed);
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>Embeddings and encoder; returns the last hidden state (HF <c>BertModel</c> with <c>add_pooling_layer=False</c>).</summary>
/// <remarks>
/// Differs from HF's default BertModel: no pooler (dense + tanh over [CLS]). sentence-transformers never uses it — its
/// Pooling module averages the token embeddings — so its weights in a checkpoint are skipped on load, not built.
/// Loaded in fp32 and runs on the CPU beside the index; a query may run a bf16 copy (<c>model.to(bfloat16)</c>, BertSentenceEncoder).
/// </remarks>
public sealed class BertModel : nn.Module
{
    readonly BertEmbeddings embeddings;
    readonly BertEncoder encoder;

    public BertConfig Config { get; }

    public BertModel(BertConfig config, Device? device = null) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config, device);
        encoder = new BertEncoder(config, device);
        RegisterComponents();
    }

    /// <summary>Last hidden state [B, T, E] for token ids and attention mask [B, T] (1 = real token, 0 = padding).</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var tokenTypes = zeros_like(inputIds);                                    // one segment, as sentence-transformers
        // HF's _prepare_4d_attention_mask_for_sdpa: with no padding there is no mask, so SDPA can take its fused kernel (a query alone).
        var allowed = attentionMask.all().item<bool>() ? null : attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1); // [B, 1, 1, T]
        var h = embeddings.forward(inputIds, tokenTypes);                         // [B, T, E]
        return encoder.forward(h, allowed).MoveToOuterDisposeScope();
    }

    /// <summary>Random initialisation from a seed, as HF's <c>_init_weights</c>: N(0, initializer_range) weights, zero biases, unit LayerNorms.</summary>
    public BertModel InitializeWeights(long seed)
    {
        HfInit.Initialize(this, Config.InitializerRange, seed);
        return this;
    }
}
