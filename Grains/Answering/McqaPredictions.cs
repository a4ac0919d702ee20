using System.Text.Json;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Answering;

/// <summary>One MCQA question answered: the row, the letter chosen, every option letter's log-likelihood and, with retrieval, the chunks used.</summary>
public sealed record McqaPrediction(McqaRow Row, char Predicted, IReadOnlyDictionary<char, double> LetterLogLikelihoods, IReadOnlyList<SearchHit>? Sources = null)
{
    public bool Correct => Predicted == Row.AnswerLetter;
}

/// <summary>The predictions JSONL that `eval mcqa --out` writes (local, with --rag, or through the cluster) and the accuracy over them.</summary>
/// <remarks>One object per line: <c>source</c>, <c>row</c>, <c>question</c>, <c>answer</c>, <c>predicted</c>, <c>correct</c>,
/// <c>letter_log_likelihoods</c> (letter → log-likelihood) and, when retrieval was used, <c>sources</c> (source, page, start, score).</remarks>
public static class McqaPredictions
{
    public static void Write(string path, IEnumerable<McqaPrediction> predictions)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, predictions.Select(p => JsonSerializer.Serialize(new
        {
            source = p.Row.Source,
            row = p.Row.Row,
            question = p.Row.Question,
            answer = p.Row.AnswerLetter.ToString(),
            predicted = p.Predicted.ToString(),
            correct = p.Correct,
            letter_log_likelihoods = p.LetterLogLikelihoods.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            sources = p.Sources?.Select(h => new { source = h.Source, page = h.Page, start = h.Start, score = h.Score }),
        }, s_json)));
    }

    /// <summary>Share of correct predictions; NaN for none.</summary>
    public static double Accuracy(IReadOnlyCollection<McqaPrediction> predictions) =>
        predictions.Count == 0 ? double.NaN : predictions.Average(p => p.Correct ? 1.0 : 0.0);

    static readonly JsonSerializerOptions s_json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
