using Pastanoodles.Modeling.Generation;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Modeling;

public class GenerationTests
{
    [Fact]
    public void Kv_cached_decode_equals_full_recomputation()
    {
        using var model = TinyModels.Build();
        using var ids = TinyModels.Ids(model.Config.VocabSize, 10);
        using var _ = no_grad();
        using var full = model.call(ids);                                    // [1, 10, V]

        using var cache = new KvCache(model.Config.NumHiddenLayers);
        using var prefill = model.forward(ids.narrow(1, 0, 6), cache);     // 6 positions at once
        using var chunk = model.forward(ids.narrow(1, 6, 2), cache);        // 2 more with a past (explicit mask)
        var steps = new List<Tensor> { prefill, chunk };
        for (int t = 8; t < 10; t++)
            steps.Add(model.forward(ids.narrow(1, t, 1), cache));           // one at a time
        using var cached = cat(steps, 1);
        Assert.Equal(10, cache.Length);
        Assert.True((full - cached).abs().max().item<float>() < 1e-5f, $"max |Δ| {(full - cached).abs().max().item<float>()}");
    }

    [Fact]
    public void Greedy_generation_equals_argmax_of_recomputed_logits()
    {
        using var model = TinyModels.Build();
        int[] prompt = [5, 17, 42, 3];
        var generated = TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = 6, StopTokenId = null });
        Assert.Equal(6, generated.Length);

        var sequence = prompt.ToList();
        using var _ = no_grad();
        foreach (var token in generated)
        {
            using var ids = tensor(sequence.Select(t => (long)t).ToArray()).unsqueeze(0);
            using var logits = model.call(ids);
            Assert.Equal(logits[0, -1].argmax().item<long>(), token);
            sequence.Add(token);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_by_seed_and_varies_across_seeds()
    {
        using var model = TinyModels.Build();
        int[] prompt = [1, 2, 3];
        var options = new SamplingOptions { MaxNewTokens = 12, Temperature = 1.5, StopTokenId = null };
        var a = TextGenerator.Generate(model, prompt, options with { Seed = 1 });
        var b = TextGenerator.Generate(model, prompt, options with { Seed = 1 });
        var c = TextGenerator.Generate(model, prompt, options with { Seed = 2 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Continuation_scores_are_summed_log_probs_and_single_tokens_take_the_fast_path()
    {
        using var model = TinyModels.Build();
        int[] prompt = [4, 8, 15, 16];
        var singles = ContinuationScorer.Score(model, prompt, [[23], [42], [7]]);

        using var _ = no_grad();
        using var ids = tensor(prompt.Select(t => (long)t).ToArray()).unsqueeze(0);
        using var logp = model.call(ids)[0, -1].log_softmax(-1);
        Assert.Equal(logp[42].item<float>(), singles[1], 5);

        var multi = ContinuationScorer.Score(model, prompt, [[23, 5], [42]]);
        using var longer = tensor(new long[] { 4, 8, 15, 16, 23 }).unsqueeze(0);
        using var logp2 = model.call(longer)[0, -1].log_softmax(-1);
        Assert.Equal(logp[23].item<float>() + logp2[5].item<float>(), multi[0], 4);
        Assert.Equal(singles[1], multi[1], 4);
    }

    [Fact]
    public void Empty_prompt_is_rejected()
    {
        using var model = TinyModels.Build();
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, [], new SamplingOptions()));
        Assert.Throws<ArgumentException>(() => ContinuationScorer.Score(model, [], [[1]]));
    }
}
