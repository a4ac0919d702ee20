using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Generation;

/// <summary>How to pick the next token: greedy (temperature 0) or sampled with temperature and top-k.</summary>
public sealed record SamplingOptions
{
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>0 means greedy (argmax).</summary>
    public double Temperature { get; init; }
    /// <summary>0 keeps the whole vocabulary.</summary>
    public int TopK { get; init; }
    public long Seed { get; init; } = 0;
    public int? StopTokenId { get; init; } = 50256;
}

/// <summary>KV-cached autoregressive generation (named apart from libtorch's RNG <c>torch.Generator</c>): one prefill of the prompt, then one position per step.</summary>
public static class TextGenerator
{
    public static int[] Generate(PhiForCausalLM model, int[] prompt, SamplingOptions options)
    {
        if (prompt.Length == 0)
            throw new ArgumentException("The prompt has no tokens; generation needs at least one.", nameof(prompt));
        int limit = model.Config.MaxPositionEmbeddings;
        if (prompt.Length + options.MaxNewTokens > limit)
            throw new ArgumentException($"Prompt of {prompt.Length} tokens plus {options.MaxNewTokens} new tokens exceeds max_position_embeddings {limit}.", nameof(prompt));

        var device = model.Device;
        var generator = options.Temperature > 0 ? new TorchSharp.torch.Generator((ulong)options.Seed) : null;
        var output = new List<int>();
        using var _ = no_grad();
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        using var promptIds = tensor(prompt.Select(t => (long)t).ToArray(), device: device).unsqueeze(0);
        var input = promptIds.alias();
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var hidden = model.Hidden(input, cache);
            var logits = model.Head(hidden[.., -1]);           // [1, V]
            int next = Pick(logits[0], options, generator);
            input.Dispose();
            input = tensor(new long[] { next }, device: device).unsqueeze(0).DetachFromDisposeScope();
            output.Add(next);
            if (next == options.StopTokenId)
                break;
        }
        input.Dispose();
        return output.ToArray();
    }

    static int Pick(Tensor logits, SamplingOptions options, TorchSharp.torch.Generator? generator)
    {
        if (options.Temperature <= 0)
            return (int)logits.argmax().item<long>();
        var scaled = logits / options.Temperature;
        if (options.TopK > 0 && options.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(options.TopK).values[-1];
            scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
        }
        var probs = scaled.softmax(-1);
        return (int)probs.multinomial(1, generator: generator).item<long>();
    }
}
