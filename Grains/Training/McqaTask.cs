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
    readonly Dictionary<string, List<(int[] Prompt, int[] Letters, int Answer)>> _rows = new();

    public string Name => "mcqa";
    public string AccuracyKey => "accuracy";

    public McqaTask(TrainingModel model, TrainingConfig config, DatasetSplit<McqaRow> data)
    {
        _model = model;
        _rows[Splits.Train] = data.Train.Select(r => Tokenize(r, config.MaxLength)).ToList();
        _rows[Splits.Eval] = data.Eval.Select(r => Tokenize(r, config.MaxLength)).ToList();
        _rows[Splits.Test] = data.Test.Select(r => Tokenize(r, config.MaxLength)).ToList();
    }

    public int Count(string split) => _rows[split].Count;

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> rows) => Run(Splits.Train, rows);

    public IReadOnlyDictionary<string, double> Evaluate(string split)
    {
        int n = Count(split);
        double loss = 0, correct = 0;
        using var _ = no_grad();
        for (int start = 0; start < n; start += 8)
        {
            var rows = Enumerable.Range(start, Math.Min(8, n - start)).ToList();
            var (l, metrics, _) = Run(split, rows);
            l.Dispose();
            loss += metrics["loss"] * rows.Count;
            correct += metrics["accuracy"] * rows.Count;
        }
        return new Dictionary<string, double> { ["loss"] = loss / n, ["accuracy"] = correct / n };
    }

    /// <summary>Per question of a split: the predicted option (highest letter log-likelihood) and every letter's score.</summary>
    public IReadOnlyList<(int Predicted, double[] Scores)> Predict(string split)
    {
        var result = new List<(int, double[])>();
        using var _ = no_grad();
        foreach (var (prompt, letters, _) in _rows[split])
        {
            using var scope = NewDisposeScope();
            using var ids = tensor(prompt.Select(t => (long)t).ToArray(), device: _model.Model.Device).unsqueeze(0);
            var logp = _model.Model.Head(_model.Model.Hidden(ids)[0, -1]).log_softmax(-1);
            var scores = LetterScores(logp, letters);
            result.Add((Array.IndexOf(scores, scores.Max()), scores));
        }
        return result;
    }

    /// <summary>Log-likelihood of each letter at the end of the prompt, for the prediction and its score.</summary>
    public static double[] LetterScores(Tensor logProbs, int[] letters) => letters.Select(id => (double)logProbs[id].item<float>()).ToArray();

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
            var scores = LetterScores(logp[b], data[b].Letters);
            correct += Array.IndexOf(scores, scores.Max()) == data[b].Answer ? 1 : 0;
        }
        var metrics = new Dictionary<string, double> { ["loss"] = loss.item<float>(), ["accuracy"] = correct / rows.Count };
        return (loss.MoveToOuterDisposeScope(), metrics, rows.Count * length);
    }

    (int[] Prompt, int[] Letters, int Answer) Tokenize(McqaRow row, int maxLength)
    {
        var prompt = _model.Tokenizer.Encode(McqaPrompt.Render(row));
        if (prompt.Length > maxLength)
            prompt = prompt[^maxLength..]; // keep the end: the options and "Answer:"
        var letters = McqaPrompt.Continuations(row.Choices.Count).Select(c =>
        {
            var ids = _model.Tokenizer.Encode(c);
            return ids.Length == 1 ? ids[0] : throw new InvalidDataException($"{row.Source} row {row.Row}: the letter '{c}' is {ids.Length} tokens; one-letter scoring needs one.");
        }).ToArray();
        return (prompt, letters, row.Answer);
    }
}
