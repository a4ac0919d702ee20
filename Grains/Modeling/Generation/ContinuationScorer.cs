using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Generation;

/// <summary>Log-likelihood of candidate continuations after a shared prompt (lm-evaluation-harness <c>loglikelihood</c>).</summary>
/// <remarks>
/// Single-token candidates (" A", " B", ...: Phi-2's letters are one token each) are read from one forward of the
/// prompt, at its last position. Longer candidates run as one right-padded batch of [prompt ; candidate]. Scores are
/// sums of <c>log_softmax</c> over the full vocabulary, as HF and lm-eval compute them.
/// </remarks>
public static class ContinuationScorer
{
    /// <summary>Summed log-probability of each candidate's tokens after <paramref name="prompt"/>.</summary>
    public static double[] Score(PhiForCausalLM model, int[] prompt, IReadOnlyList<int[]> candidates)
    {
        if (prompt.Length == 0)
            throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        if (candidates.Any(c => c.Length == 0))
            throw new ArgumentException("Every candidate continuation needs at least one token.", nameof(candidates));
        var device = model.Device;
        using var _ = no_grad();
        using var scope = NewDisposeScope();

        if (candidates.All(c => c.Length == 1))
        {
            using var ids = tensor(prompt.Select(t => (long)t).ToArray(), device: device).unsqueeze(0);
            var logp = model.Head(model.Hidden(ids)[0, -1]).log_softmax(-1); // [V]
            return candidates.Select(c => (double)logp[c[0]].item<float>()).ToArray();
        }

        // General case: one batch of [prompt ; candidate] rows, right-padded (causal attention never sees the pad).
        int longest = candidates.Max(c => c.Length);
        var rows = candidates.Select(c => prompt.Concat(c).Concat(Enumerable.Repeat(0, longest - c.Length)).Select(t => (long)t).ToArray()).ToArray();
        using var batch = tensor(rows.SelectMany(r => r).ToArray(), device: device).view(candidates.Count, prompt.Length + longest);
        var logits = model.call(batch).log_softmax(-1);                      // [N, T, V]
        var scores = new double[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
            for (int j = 0; j < candidates[i].Length; j++)
                scores[i] += logits[i, prompt.Length - 1 + j, candidates[i][j]].item<float>();
        return scores;
    }

    /// <summary>Index of the best-scoring candidate.</summary>
    public static int Best(double[] scores) => Array.IndexOf(scores, scores.Max());
}
