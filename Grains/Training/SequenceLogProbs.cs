using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>A batch of token rows with the positions whose next token counts (the completion), ready for one forward.</summary>
/// <param name="Ids">[B, T] token ids, right-padded with EOS.</param>
/// <param name="Targets">[B, T] the token predicted at each position (ids shifted left), or -100 where it does not count.</param>
public sealed record TokenBatch(Tensor Ids, Tensor Targets, int Tokens) : IDisposable
{
    /// <summary>Rows of prompt + completion on <paramref name="device"/>; only the completion's tokens are scored (TRL: prompt and padding masked).</summary>
    public static TokenBatch FromPairs(IReadOnlyList<(int[] Prompt, int[] Completion)> rows, int pad, Device device)
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
        return new TokenBatch(tensor(ids, device: device).view(rows.Count, length), tensor(targets, device: device).view(rows.Count, length), ids.Length);
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
/// lm_head runs on those hidden states alone, so a long prompt costs no vocabulary-sized logits. Without grad, and with
/// gradient checkpointing on, the lm_head runs on <see cref="ChunkPositions"/> positions at a time (recomputed in backward
/// when there is one), so at most one chunk's [n, V] fp32 logits are alive instead of all N positions' logits and their
/// gradient.
/// </remarks>
public static class SequenceLogProbs
{
    /// <summary>Scored positions per lm_head chunk (without grad, or under gradient checkpointing): 512 × 51,200 fp32 logits are 105 MB.</summary>
    public const int ChunkPositions = 512;

    public static Tensor Compute(PhiForCausalLM model, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(batch.Ids);                             // [B, T, E]
        var mask = batch.Targets.ne(-100);                                // [B, T]
        var scored = hidden[mask];                                        // [N, E]
        var targets = batch.Targets[mask];                                // [N]
        Tensor picked;
        if (scored.requires_grad && !model.GradientCheckpointing)
            picked = Picked(model, scored, targets);                      // autograd keeps every position's logits anyway
        else
        {
            // Without grad (reference and evaluation log-probs) each chunk's logits are freed before the next; with grad, each chunk is
            // checkpointed, so its logits are recomputed in backward.
            var chunks = new List<Tensor>();
            for (long start = 0; start < scored.shape[0]; start += ChunkPositions)
            {
                long n = Math.Min(ChunkPositions, scored.shape[0] - start);
                chunks.Add(scored.requires_grad
                    ? Checkpoint.Run(x => Picked(model, x[0], x[1]), false, scored.narrow(0, start, n), targets.narrow(0, start, n))
                    : Picked(model, scored.narrow(0, start, n), targets.narrow(0, start, n)));
            }
            picked = cat(chunks, 0);
        }
        var rows = mask.nonzero()[.., 0];                                 // row of each scored position
        var sums = zeros(batch.Ids.shape[0], ScalarType.Float32, batch.Ids.device).index_add(0, rows, picked, 1);
        return sums.MoveToOuterDisposeScope();
    }

    /// <summary>log p(target) at each position: <c>logit[target] − logsumexp(logits)</c>, [N].</summary>
    static Tensor Picked(PhiForCausalLM model, Tensor hidden, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var logits = model.Head(hidden);                                  // [N, V] fp32
        return (logits.gather(1, targets.unsqueeze(1)).squeeze(1) - logits.logsumexp(1, false)).MoveToOuterDisposeScope();
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
