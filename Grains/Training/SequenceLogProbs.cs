using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>A batch of token rows with the positions whose next token counts (the completion), ready for one forward.</summary>
/// <param name="Ids">[B, T] token ids, right-padded with EOS.</param>
/// <param name="Targets">[B, T] the token predicted at each position (ids shifted left), or -100 where it does not count.</param>
public sealed record TokenBatch(Tensor Ids, Tensor Targets, int Tokens) : IDisposable
{
    /// <summary>Rows of prompt + completion; only the completion's tokens are scored (TRL: prompt and padding masked).</summary>
    public static TokenBatch FromPairs(IReadOnlyList<(int[] Prompt, int[] Completion)> rows, int pad)
    {
        int length = rows.Max(r => r.Prompt.Length + r.Completion.Length);
        var ids = new long[rows.Count * length];
        var targets = new long[rows.Count * length];
        Array.Fill(ids, pad);
        Array.Fill(targets, -100);
        for (int b = 0; b < rows.Count; b++)
        {
            var (prompt, completion) = rows[b];
            var sequence = prompt.Concat(completion).ToArray();
            for (int t = 0; t < sequence.Length; t++) ids[b * length + t] = sequence[t];
            for (int t = prompt.Length - 1; t < sequence.Length - 1; t++) targets[b * length + t] = sequence[t + 1];
        }
        return new TokenBatch(tensor(ids).view(rows.Count, length), tensor(targets).view(rows.Count, length), ids.Length);
    }

    public void Dispose()
    {
        Ids.Dispose();
        Targets.Dispose();
    }
}

/// <summary>Summed log-probabilities of the scored tokens of each row (TRL <c>concatenated_forward</c> + <c>selective_log_softmax</c>).</summary>
/// <remarks>
/// Equal to <c>log_softmax(logits)[target]</c> summed over scored positions (the naive formula, checked by a test),
/// computed as <c>logit[target] − logsumexp(logits)</c> over the full vocabulary, and only at scored positions: the
/// lm_head runs on those hidden states alone, so a long prompt costs no vocabulary-sized logits.
/// </remarks>
public static class SequenceLogProbs
{
    public static Tensor Compute(PhiForCausalLM model, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(batch.Ids);                             // [B, T, E]
        var mask = batch.Targets.ne(-100);                                // [B, T]
        var scored = hidden[mask];                                        // [N, E]
        var logits = model.Head(scored);                                  // [N, V] fp32
        var targets = batch.Targets[mask];                                // [N]
        var picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1) - logits.logsumexp(1, false);
        var rows = mask.nonzero()[.., 0];                                 // row of each scored position
        var sums = zeros(batch.Ids.shape[0], ScalarType.Float32).index_add(0, rows, picked, 1);
        return sums.MoveToOuterDisposeScope();
    }

    /// <summary>The naive formula, for tests: full log_softmax, gathered and masked.</summary>
    public static Tensor Reference(PhiForCausalLM model, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        var logp = model.call(batch.Ids).log_softmax(-1);                 // [B, T, V]
        var mask = batch.Targets.ne(-100);
        var safe = batch.Targets.clamp_min(0);
        var picked = logp.gather(2, safe.unsqueeze(2)).squeeze(2) * mask;
        return picked.sum(1).MoveToOuterDisposeScope();
    }
}
