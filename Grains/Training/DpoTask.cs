using Pastanoodles.Training.Data;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>DPO on preference pairs: chosen and rejected go through one forward as [chosen; rejected]; the reference is the same network with adapters off.</summary>
/// <remarks>
/// Tokenized as TRL 0.x does: prompt, chosen and rejected separately, no BOS, EOS appended to each completion; a row
/// longer than max_length loses the start of its prompt first (keep_end), then the end of its completions.
/// Reference log-probs are computed once per row and cached: the base is frozen and (with disable_dropout) the
/// forward is deterministic, so this equals recomputing them every step (TRL's precompute_ref_log_probs).
/// </remarks>
public sealed class DpoTask : ITrainingTask
{
    readonly TrainingModel _model;
    readonly TrainingConfig _config;
    readonly Dictionary<string, List<(int[] Prompt, int[] Chosen, int[] Rejected)>> _rows = new();
    readonly Dictionary<(string, int), (float Chosen, float Rejected)> _reference = new();

    public string Name => ExperimentKinds.Dpo;
    public string AccuracyKey => ExperimentKinds.AccuracyKey(Name);
    public int Truncated { get; private set; }

    public DpoTask(TrainingModel model, TrainingConfig config, DatasetSplit<PreferenceRow> data)
    {
        (_model, _config) = (model, config);
        _rows[Splits.Train] = data.Train.Select(Tokenize).ToList();
        _rows[Splits.Eval] = data.Eval.Select(Tokenize).ToList();
        _rows[Splits.Test] = data.Test.Select(Tokenize).ToList();
    }

    public int Count(string split) => _rows[split].Count;

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> rows) => Run(Splits.Train, rows);

    public IReadOnlyDictionary<string, double> Evaluate(string split) =>
        SplitEvaluation.Average(Count(split), _config.PerDeviceEvalBatchSize, rows => Run(split, rows));

    (Tensor, IReadOnlyDictionary<string, double>, int) Run(string split, IReadOnlyList<int> rows)
    {
        var data = rows.Select(i => _rows[split][i]).ToList();
        var pairs = data.Select(r => (r.Prompt, r.Chosen)).Concat(data.Select(r => (r.Prompt, r.Rejected))).ToList();
        using var batch = TokenBatch.FromPairs(pairs, _model.Tokenizer.EosId, _model.Model.Device);
        var (refChosen, refRejected) = Reference(split, rows);

        using var scope = NewDisposeScope();
        var device = _model.Model.Device;
        var (referenceChosen, referenceRejected) = (tensor(refChosen, device: device), tensor(refRejected, device: device));
        var logps = SequenceLogProbs.Compute(_model.Model, batch);               // [2B]
        var policyChosen = logps.narrow(0, 0, rows.Count);
        var policyRejected = logps.narrow(0, rows.Count, rows.Count);
        var result = DpoLoss.Compute(policyChosen, policyRejected, referenceChosen, referenceRejected, _config.Beta, _config.LabelSmoothing);
        var metrics = result.Metrics(policyChosen, policyRejected);
        return (result.Loss.MoveToOuterDisposeScope(), metrics, batch.Tokens);
    }

    /// <summary>Reference log-probs of each row, computed for that row alone (its own [chosen; rejected] batch), so the
    /// value never depends on which rows it was batched with; a resumed run therefore sees the same numbers.</summary>
    (float[] Chosen, float[] Rejected) Reference(string split, IReadOnlyList<int> rows)
    {
        foreach (var i in rows.Where(i => !_reference.ContainsKey((split, i))))
        {
            var (prompt, chosen, rejected) = _rows[split][i];
            using var batch = TokenBatch.FromPairs([(prompt, chosen), (prompt, rejected)], _model.Tokenizer.EosId, _model.Model.Device);
            using var _ = no_grad();
            using var off = _model.Adapters.Disable();
            using var logps = SequenceLogProbs.Compute(_model.Model, batch);
            var values = logps.data<float>().ToArray();
            _reference[(split, i)] = (values[0], values[1]);
        }
        return (rows.Select(i => _reference[(split, i)].Chosen).ToArray(), rows.Select(i => _reference[(split, i)].Rejected).ToArray());
    }

    (int[] Prompt, int[] Chosen, int[] Rejected) Tokenize(PreferenceRow row)
    {
        var tokenizer = _model.Tokenizer;
        var prompt = tokenizer.Encode(row.Prompt);
        var chosen = tokenizer.Encode(row.Chosen).Append(tokenizer.EosId).ToArray();
        var rejected = tokenizer.Encode(row.Rejected).Append(tokenizer.EosId).ToArray();
        int longest = Math.Max(chosen.Length, rejected.Length);
        if (prompt.Length + longest <= _config.MaxLength)
            return (prompt, chosen, rejected);
        Truncated++;
        int keepPrompt = Math.Max(1, _config.MaxLength - longest);
        prompt = prompt[^Math.Min(keepPrompt, prompt.Length)..];
        int room = _config.MaxLength - prompt.Length;
        return (prompt, chosen[..Math.Min(room, chosen.Length)], rejected[..Math.Min(room, rejected.Length)]);
    }
}
