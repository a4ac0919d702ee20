using Pastanoodles.Training;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

public class SequenceLogProbsTests
{
    [Fact]
    public void Completion_only_sums_equal_the_naive_log_softmax_formula()
    {
        using var model = TinyModels.Build();
        using var batch = TokenBatch.FromPairs([([5, 6, 7], [8, 9]), ([1, 2], [3, 4, 5, 6]), ([10], [11])], pad: 0, CPU);
        using var _ = no_grad();
        using var fast = SequenceLogProbs.Compute(model, batch);
        using var naive = SequenceLogProbs.Reference(model, batch);
        Assert.True((fast - naive).abs().max().item<float>() < 1e-4f, $"{fast.ToString(TorchSharp.TensorStringStyle.Julia)} vs {naive.ToString(TorchSharp.TensorStringStyle.Julia)}");

        // Row 3 scores exactly one token: log p(11 | 10).
        using var single = model.call(tensor(new long[] { 10 }).unsqueeze(0))[0, 0].log_softmax(-1)[11];
        Assert.Equal(single.item<float>(), fast[2].item<float>(), 4);
    }

    [Fact]
    public void Without_grad_the_lm_head_runs_in_chunks_and_the_sums_equal_the_naive_formula()
    {
        using var model = TinyModels.Build();
        // 2 rows whose completions together span three chunks of positions, the last one partial.
        int completion = SequenceLogProbs.ChunkPositions + 100;
        int[] Tokens(int start, int count) => Enumerable.Range(start, count).Select(i => i % 90 + 1).ToArray();   // within Micro's vocab of 99
        using var batch = TokenBatch.FromPairs([(Tokens(3, 4), Tokens(7, completion)), (Tokens(50, 2), Tokens(90, completion - 3))], pad: 0, CPU);
        using var _ = no_grad();
        using var fast = SequenceLogProbs.Compute(model, batch);
        using var naive = SequenceLogProbs.Reference(model, batch);
        Assert.Equal(2, fast.shape[0]);
        var relative = ((fast - naive).abs().max() / naive.abs().max()).item<float>();
        Assert.True(relative < 1e-5f, $"relative difference {relative}: {fast.ToString(TorchSharp.TensorStringStyle.Julia)} vs {naive.ToString(TorchSharp.TensorStringStyle.Julia)}");
    }

    [Fact]
    public void Prompt_and_padding_are_not_scored()
    {
        using var batch = TokenBatch.FromPairs([([5, 6, 7], [8]), ([1], [2, 3])], pad: 0, CPU);
        var targets = batch.Targets.data<long>().ToArray();
        // Row 0 (length 4 = T): only position 2 predicts the completion token 8. Row 1: positions 0,1 predict 2,3.
        Assert.Equal(new long[] { -100, -100, 8, -100, 2, 3, -100, -100 }, targets);
    }
}
