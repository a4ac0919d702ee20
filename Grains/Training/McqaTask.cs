using Pastanoodles.Answering;
using Pastanoodles.Training.Data;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>Teaches the one-letter answer: cross-entropy on the answer letter's token after the MMLU-style prompt, nothing else.</summary>
/// <remarks>
/// The prompt is lm-evaluation-harness's (<see cref="McqaPrompt"/>), ending in "Answer:"; the target is " A", " B", ...
/// (one token each in GPT-2 BPE). The loss is over the full vocabulary, so the model learns to say a letter;
/// accuracy compares only the question's own letters, the standard MMLU way.
/// </remarks>
public sealed class McqaTask : ITrainingTask
{
    readonly TrainingModel _model;
    readonly int _evalBatchSize;
    readonly Dictionary<string, List<(int[] Prompt, int[] Letters, int Answer)>> _rows = new();

    public string Name => ExperimentKinds.Mcqa;
    public string AccuracyKey => ExperimentKinds.AccuracyKey(Name);

    public McqaTask(TrainingModel model, TrainingConfig config, DatasetSplit<McqaRow> data)
    {
        _model = model;
        _evalBatchSize = config.PerDeviceEvalBatchSize;
        _rows[Splits.Train] = data.Train.Select(r => Tokenize(r, config.MaxLength)).ToList();
        _rows[Splits.Eval] = data.Eval.Select(r => Tokenize(r, config.MaxLength)).ToList();
        _rows[Splits.Test] = data.Test.Select(r => Tokenize(r, config.MaxLength)).ToList();
    }

    public int Count(string split) => _rows[split].Count;

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> rows) => Run(Splits.Train, rows);

    public IReadOnlyDictionary<string, double> Evaluate(string split) =>
        SplitEvaluation.Average(Count(split), _evalBatchSize, rows => Run(split, rows));

    /// <summary>Per question of a split: the chosen letter and every option letter's log-likelihood (<see cref="LetterScorer"/>).</summary>
    public IReadOnlyList<LetterChoice> Predict(string split) =>
        _rows[split].Select(r => LetterScorer.Choose(_model.Model, r.Prompt, Enumerable.Range(0, r.Letters.Length).Select(McqaRow.Letter).ToList(), r.Letters)).ToList();

    (Tensor, IReadOnlyDictionary<string, double>, int) Run(string split, IReadOnlyList<int> rows)
    {
        var data = rows.Select(i => _rows[split][i]).ToList();
        var device = _model.Model.Device;
        using var scope = NewDisposeScope();
        int length = data.Max(r => r.Prompt.Length);
        var ids = tensor(data.SelectMany(r => r.Prompt.Concat(Enumerable.Repeat(_model.Tokenizer.EosId, length - r.Prompt.Length))).Select(t => (long)t).ToArray(), device: device)
            .view(rows.Count, length);
        var hidden = _model.Model.Hidden(ids);                                             // [B, T, E]
        var last = tensor(data.Select(r => (long)r.Prompt.Length - 1).ToArray(), device: device);
        var logits = _model.Model.Head(hidden[arange(rows.Count, device: device), last]);  // [B, V]
        var targets = tensor(data.Select(r => (long)r.Letters[r.Answer]).ToArray(), device: device);
        var loss = nn.functional.cross_entropy(logits, targets);
        var logp = logits.detach().log_softmax(-1);
        double correct = 0;
        for (int b = 0; b < rows.Count; b++)
        {
            correct += LetterScorer.Best(LetterScorer.Scores(logp[b], data[b].Letters)) == data[b].Answer ? 1 : 0;
        }
        var metrics = new Dictionary<string, double> { ["loss"] = loss.item<float>(), [AccuracyKey] = correct / rows.Count };
        return (loss.MoveToOuterDisposeScope(), metrics, rows.Count * length);
    }

    (int[] Prompt, int[] Letters, int Answer) Tokenize(McqaRow row, int maxLength)
    {
        var prompt = _model.Tokenizer.Encode(McqaPrompt.Render(row));
        if (prompt.Length > maxLength)
            prompt = prompt[^maxLength..]; // keep the end: the options and "Answer:"
        var letters = LetterScorer.Tokens(_model.Tokenizer, Enumerable.Range(0, row.Choices.Count).Select(McqaRow.Letter).ToList(), $"{row.Source} row {row.Row}");
        return (prompt, letters, row.Answer);
    }
}
