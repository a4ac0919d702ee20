using Pastanoodles.Training;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Parity;

/// <summary>DPO on fixed token rows, for the fixtures' 64-token vocabulary (the real <see cref="DpoTask"/> starts from text).</summary>
/// <remarks>The same calls as <see cref="DpoTask"/>'s forward: one [chosen; rejected] batch through
/// <see cref="SequenceLogProbs"/>, the reference with adapters off, then <see cref="DpoLoss"/>.</remarks>
sealed class TokenDpoTask(TrainingModel model, IReadOnlyList<(int[] Prompt, int[] Chosen, int[] Rejected)> rows, double beta, int pad) : ITrainingTask
{
    public string Name => "dpo";
    public string AccuracyKey => "rewards/accuracies";
    public int Count(string split) => split == Splits.Train ? rows.Count : 0;
    public IReadOnlyDictionary<string, double> Evaluate(string split) => throw new NotSupportedException("The parity task has only a train split.");

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> indices)
    {
        var data = indices.Select(i => rows[i]).ToList();
        var pairs = data.Select(r => (r.Prompt, r.Chosen)).Concat(data.Select(r => (r.Prompt, r.Rejected))).ToList();
        using var batch = TokenBatch.FromPairs(pairs, pad, model.Model.Device);
        Tensor reference;
        using (no_grad())
        using (model.Adapters.Disable())
            reference = SequenceLogProbs.Compute(model.Model, batch);
        var logps = SequenceLogProbs.Compute(model.Model, batch);                 // [2B]
        int n = data.Count;
        var (chosen, rejected) = (logps.narrow(0, 0, n), logps.narrow(0, n, n));
        var result = DpoLoss.Compute(chosen, rejected, reference.narrow(0, 0, n), reference.narrow(0, n, n), beta);
        var metrics = new Dictionary<string, double>(result.Metrics(chosen, rejected));
        for (int b = 0; b < n; b++)
        {
            metrics[$"logps/chosen/{b}"] = chosen[b].item<float>();
            metrics[$"logps/rejected/{b}"] = rejected[b].item<float>();
            metrics[$"ref_logps/chosen/{b}"] = reference[b].item<float>();
            metrics[$"ref_logps/rejected/{b}"] = reference[n + b].item<float>();
        }
        return (result.Loss, metrics, batch.Tokens);
    }
}

/// <summary>The one-letter MCQA loss on fixed token rows; the same math as <see cref="McqaTask"/>'s forward.</summary>
sealed class TokenMcqaTask(TrainingModel model, IReadOnlyList<(int[] Prompt, int Letter)> rows, int pad) : ITrainingTask
{
    public string Name => "mcqa";
    public string AccuracyKey => "accuracy";
    public int Count(string split) => split == Splits.Train ? rows.Count : 0;
    public IReadOnlyDictionary<string, double> Evaluate(string split) => throw new NotSupportedException("The parity task has only a train split.");

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> indices)
    {
        var data = indices.Select(i => rows[i]).ToList();
        int length = data.Max(r => r.Prompt.Length);
        var ids = tensor(data.SelectMany(r => r.Prompt.Concat(Enumerable.Repeat(pad, length - r.Prompt.Length))).Select(t => (long)t).ToArray())
            .view(data.Count, length);
        var hidden = model.Model.Hidden(ids);                                                 // [B, T, E]
        var last = tensor(data.Select(r => (long)r.Prompt.Length - 1).ToArray());
        var logits = model.Model.Head(hidden[arange(data.Count), last]);                      // [B, V]
        var loss = nn.functional.cross_entropy(logits, tensor(data.Select(r => (long)r.Letter).ToArray()));
        return (loss, new Dictionary<string, double> { ["loss"] = loss.item<float>() }, data.Count * length);
    }
}
