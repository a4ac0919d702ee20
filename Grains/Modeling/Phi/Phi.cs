// Phi (microsoft/phi-2) as TorchSharp modules, in forward order: one model, one file.
// Mirrors huggingface/transformers models/phi/modeling_phi.py; field names are the checkpoint keys, so
// named_parameters() yields HF's state-dict names. Not here: loading (Checkpoints/), generation (Generation/),
// quantization (Quantization/) and adapters (Adapters/), which plug into the linear slots.
using Pastanoodles.Modeling.Generation;
using Pastanoodles.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Phi;

/// <summary>How to build a Phi model: compute dtype, device, and whether the decoder linears are NF4.</summary>
public sealed record PhiBuildOptions
{
    /// <summary>dtype of embeddings, layer norms, lm_head and activations. Default bf16 (fast on this CPU).</summary>
    public ScalarType DType { get; init; } = ScalarType.BFloat16;
    public Device? Device { get; init; }
    /// <summary>NF4 for q/k/v/dense/fc1/fc2 (QLoRA); embeddings, layer norms and lm_head stay 16-bit.</summary>
    public bool Nf4 { get; init; }
    public bool DoubleQuant { get; init; } = true;
}

/// <summary>Rotary position tables for the first <c>rotary_dim</c> dims of each head (HF <c>PhiRotaryEmbedding</c>).</summary>
public sealed class PhiRotaryEmbedding : nn.Module
{
    readonly Tensor inv_freq; // [R/2], non-persistent as in HF

    public PhiRotaryEmbedding(PhiConfig config, Device? device) : base(nameof(PhiRotaryEmbedding))
    {
        int dim = config.RotaryDim;
        inv_freq = (1.0 / pow(config.RopeTheta, arange(0, dim, 2, ScalarType.Float32) / dim)).to(device ?? CPU);
        register_buffer(nameof(inv_freq), inv_freq, persistent: false);
    }

    /// <summary>cos and sin, [T, R], computed in fp32 then cast to <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) forward(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = outer(positions.to(ScalarType.Float32), inv_freq); // [T, R/2]
        var emb = cat([freqs, freqs], -1);                              // [T, R]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }
}

/// <summary>Multi-head attention with partial rotary embedding (HF <c>PhiAttention</c>).</summary>
public sealed class PhiAttention : nn.Module, ILinearSlots
{
    nn.Module<Tensor, Tensor> q_proj, k_proj, v_proj, dense;
    readonly int _heads, _headDim, _rotaryDim;

    public PhiAttention(PhiConfig config, Func<long, long, nn.Module<Tensor, Tensor>> linear) : base(nameof(PhiAttention))
    {
        (_heads, _headDim, _rotaryDim) = (config.NumAttentionHeads, config.HeadDim, config.RotaryDim);
        q_proj = linear(config.HiddenSize, config.HiddenSize);
        k_proj = linear(config.HiddenSize, config.HiddenSize);
        v_proj = linear(config.HiddenSize, config.HiddenSize);
        dense = linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <param name="past">Positions already in <paramref name="cache"/> before this forward (0 without a cache).</param>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, KvCache? cache, int layer, long past)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.call(x).view(b, t, _heads, _headDim).transpose(1, 2); // [B, H, T, D]
        var k = k_proj.call(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var v = v_proj.call(x).view(b, t, _heads, _headDim).transpose(1, 2);
        q = ApplyRotary(q, cos, sin);
        k = ApplyRotary(k, cos, sin);

        if (cache is not null)
            (k, v) = cache.Append(layer, k, v);                                 // [B, H, past+T, D]

        // Differs from HF eager (which upcasts q and k to fp32 for the scores): scaled_dot_product_attention.
        // In fp32 the math is the same; in bf16 libtorch's CPU kernel accumulates scores and softmax in fp32.
        Tensor o;
        if (past == 0)
            o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: t > 1);
        else if (t == 1)
            o = nn.functional.scaled_dot_product_attention(q, k, v);
        else
        {
            var allowed = ones(t, past + t, ScalarType.Bool, x.device).tril(past); // query i sees keys ≤ past+i
            o = nn.functional.scaled_dot_product_attention(q, k, v, allowed);
        }
        var merged = o.transpose(1, 2).reshape(b, t, _heads * _headDim);      // [B, T, E]
        return dense.call(merged).MoveToOuterDisposeScope();
    }

    /// <summary>Rotates the first R dims of each head, GPT-NeoX style: [u1 | u2] → [−u2 | u1].</summary>
    Tensor ApplyRotary(Tensor u, Tensor cos, Tensor sin)
    {
        var rot = u.narrow(-1, 0, _rotaryDim);
        var pass = u.narrow(-1, _rotaryDim, _headDim - _rotaryDim);
        var half = _rotaryDim / 2;
        var rotated = cat([-rot.narrow(-1, half, half), rot.narrow(-1, 0, half)], -1);
        return cat([rot * cos + rotated * sin, pass], -1);
    }

    public IEnumerable<string> SlotNames => [nameof(q_proj), nameof(k_proj), nameof(v_proj), nameof(dense)];

    public nn.Module<Tensor, Tensor> GetLinear(string name) => name switch
    {
        nameof(q_proj) => q_proj, nameof(k_proj) => k_proj, nameof(v_proj) => v_proj, nameof(dense) => dense,
        _ => throw new ArgumentException($"PhiAttention has no linear '{name}'. Valid: {string.Join(", ", SlotNames)}."),
    };

    public void SetLinear(string name, nn.Module<Tensor, Tensor> layer)
    {
        _ = GetLinear(name);
        switch (name)
        {
            case nameof(q_proj): q_proj = layer; break;
            case nameof(k_proj): k_proj = layer; break;
            case nameof(v_proj): v_proj = layer; break;
            default: dense = layer; break;
        }
        _internal_submodules.Remove(name);
        register_module(name, layer);
    }
}

/// <summary>fc1 → gelu_new → fc2 (HF <c>PhiMLP</c>).</summary>
public sealed class PhiMLP : nn.Module<Tensor, Tensor>, ILinearSlots
{
    nn.Module<Tensor, Tensor> fc1, fc2;

    public PhiMLP(PhiConfig config, Func<long, long, nn.Module<Tensor, Tensor>> linear) : base(nameof(PhiMLP))
    {
        fc1 = linear(config.HiddenSize, config.IntermediateSize);
        fc2 = linear(config.IntermediateSize, config.HiddenSize);
        RegisterComponents();
    }

    // Differs from HF: gelu_new as libtorch's tanh GELU; the same function, rounding differs (HF PytorchGELUTanh note).
    public override Tensor forward(Tensor x)
    {
        using var h = fc1.call(x);
        using var a = nn.functional.gelu(h, GELU.Approximate.tanh);
        return fc2.call(a);
    }

    public IEnumerable<string> SlotNames => [nameof(fc1), nameof(fc2)];

    public nn.Module<Tensor, Tensor> GetLinear(string name) => name switch
    {
        nameof(fc1) => fc1, nameof(fc2) => fc2,
        _ => throw new ArgumentException($"PhiMLP has no linear '{name}'. Valid: {string.Join(", ", SlotNames)}."),
    };

    public void SetLinear(string name, nn.Module<Tensor, Tensor> layer)
    {
        _ = GetLinear(name);
        if (name == nameof(fc1)) fc1 = layer; else fc2 = layer;
        _internal_submodules.Remove(name);
        register_module(name, layer);
    }
}

/// <summary>Parallel attention and MLP off one LayerNorm, summed with the residual (HF <c>PhiDecoderLayer</c>).</summary>
public sealed class PhiDecoderLayer : nn.Module
{
    readonly PhiAttention self_attn;
    readonly PhiMLP mlp;
    readonly LayerNorm input_layernorm;
    readonly Dropout resid_dropout;

    public PhiDecoderLayer(PhiConfig config, Func<long, long, nn.Module<Tensor, Tensor>> linear, PhiBuildOptions options)
        : base(nameof(PhiDecoderLayer))
    {
        self_attn = new PhiAttention(config, linear);
        mlp = new PhiMLP(config, linear);
        input_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: options.Device, dtype: options.DType);
        resid_dropout = nn.Dropout(config.ResidPdrop);
        RegisterComponents();
    }

    public PhiAttention Attention => self_attn;
    public PhiMLP Mlp => mlp;

    /// <summary>The layer's forward without a KV cache, recomputed in backward instead of keeping its activations (<see cref="Checkpoint"/>).</summary>
    public Tensor CheckpointedForward(Tensor h, Tensor cos, Tensor sin)
    {
        bool random = training && modules().OfType<Dropout>().Any(d => d.p > 0); // resid_dropout, LoRA dropout
        return Checkpoint.Run(x => forward(x[0], x[1], x[2], null, 0, 0), random, h, cos, sin);
    }

    public Tensor forward(Tensor h, Tensor cos, Tensor sin, KvCache? cache, int layer, long past)
    {
        using var scope = NewDisposeScope();
        var x = input_layernorm.call(h);
        var a = self_attn.forward(x, cos, sin, cache, layer, past);
        var m = mlp.call(x);
        return (resid_dropout.call(a) + resid_dropout.call(m) + h).MoveToOuterDisposeScope();
    }
}

/// <summary>Embeddings, decoder layers and the final LayerNorm (HF <c>PhiModel</c>).</summary>
public sealed class PhiModel : nn.Module
{
    readonly Embedding embed_tokens;
    readonly Dropout embed_dropout;
    readonly ModuleList<PhiDecoderLayer> layers;
    readonly LayerNorm final_layernorm;
    readonly PhiRotaryEmbedding rotary_emb;

    public PhiModel(PhiConfig config, Func<long, long, nn.Module<Tensor, Tensor>> linear, PhiBuildOptions options)
        : base(nameof(PhiModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: options.Device, dtype: options.DType);
        embed_dropout = nn.Dropout(config.EmbdPdrop);
        layers = new ModuleList<PhiDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new PhiDecoderLayer(config, linear, options)).ToArray());
        final_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: options.Device, dtype: options.DType);
        rotary_emb = new PhiRotaryEmbedding(config, options.Device);
        RegisterComponents();
    }

    public IList<PhiDecoderLayer> Layers => layers;

    /// <summary>Recompute each decoder layer in backward instead of keeping its activations (HF <c>gradient_checkpointing</c>).
    /// Applies in training with grad on and no KV cache, as in HF; inference paths never checkpoint.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Hidden states after the final LayerNorm, [B, T, E].</summary>
    public Tensor forward(Tensor inputIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long past = cache?.Length ?? 0;
        var h = embed_dropout.call(embed_tokens.call(inputIds));                 // [B, T, E]
        var positions = arange(past, past + inputIds.shape[1], device: inputIds.device);
        var (cos, sin) = rotary_emb.forward(positions, h.dtype);                 // [T, R]
        bool checkpoint = GradientCheckpointing && training && cache is null && is_grad_enabled();
        if (checkpoint && !h.requires_grad)
            h.requires_grad_(true); // frozen embeddings: without this the first layer's checkpoint has no graph (HF enable_input_require_grads)
        for (int i = 0; i < layers.Count; i++)
            h = checkpoint ? layers[i].CheckpointedForward(h, cos, sin) : layers[i].forward(h, cos, sin, cache, i, past);
        return final_layernorm.call(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Phi with its language-model head (HF <c>PhiForCausalLM</c>).</summary>
public sealed class PhiForCausalLM : nn.Module<Tensor, Tensor>
{
    readonly PhiModel model;
    readonly Linear lm_head;

    public PhiConfig Config { get; }
    public PhiBuildOptions Options { get; }

    /// <summary>Where the weights live; every input tensor must be created here.</summary>
    public Device Device => Options.Device ?? CPU;

    public PhiForCausalLM(PhiConfig config, PhiBuildOptions? options = null) : base(nameof(PhiForCausalLM))
    {
        Config = config;
        Options = options ?? new PhiBuildOptions();
        var o = Options;
        model = new PhiModel(config, (inF, outF) => o.Nf4
            ? new Linear4bit(inF, outF, hasBias: true, o.DType, o.DoubleQuant, o.Device)
            : nn.Linear(inF, outF, hasBias: true, device: o.Device, dtype: o.DType), o);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: true, device: o.Device, dtype: o.DType);
        RegisterComponents();
    }

    public PhiModel Model => model;

    /// <summary>See <see cref="PhiModel.GradientCheckpointing"/>; also makes <c>SequenceLogProbs</c> recompute the lm_head in chunks.</summary>
    public bool GradientCheckpointing
    {
        get => model.GradientCheckpointing;
        set => model.GradientCheckpointing = value;
    }

    /// <summary>Logits [B, T, V] in fp32 (HF upcasts them), for token ids [B, T].</summary>
    public override Tensor forward(Tensor inputIds) => forward(inputIds, null);

    public Tensor forward(Tensor inputIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = model.forward(inputIds, cache);
        return lm_head.call(h).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states before lm_head, [B, T, E], for callers that only need some positions' logits.</summary>
    public Tensor Hidden(Tensor inputIds, KvCache? cache = null) => model.forward(inputIds, cache);

    /// <summary>fp32 logits for chosen hidden states.</summary>
    public Tensor Head(Tensor hidden) => lm_head.call(hidden).to(ScalarType.Float32);

    /// <summary>Random initialisation from a seed, as HF's <c>_init_weights</c>: N(0, initializer_range) weights, zero biases, unit LayerNorms.</summary>
    public PhiForCausalLM InitializeWeights(long seed)
    {
        HfInit.Initialize(this, Config.InitializerRange, seed);
        return this;
    }

    /// <summary>Every decoder linear slot, by its full checkpoint path (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public IEnumerable<(string Path, ILinearSlots Owner, string Slot)> LinearSlots()
    {
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            foreach (var slot in layer.Attention.SlotNames)
                yield return ($"model.layers.{i}.self_attn.{slot}", layer.Attention, slot);
            foreach (var slot in layer.Mlp.SlotNames)
                yield return ($"model.layers.{i}.mlp.{slot}", layer.Mlp, slot);
        }
    }
}

/// <summary>A module whose linear children can be swapped (for 4-bit storage or adapters).</summary>
public interface ILinearSlots
{
    IEnumerable<string> SlotNames { get; }
    nn.Module<Tensor, Tensor> GetLinear(string name);
    void SetLinear(string name, nn.Module<Tensor, Tensor> layer);
}
