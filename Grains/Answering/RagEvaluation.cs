using System.Text.Json;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Answering;

/// <summary>Letter accuracy of the retrieval-augmented answer on MCQA rows: each row's question and options go
/// through <see cref="AnswerPipeline"/> (retrieval, the seed's prompt, own-letter scoring) instead of the MMLU prompt.</summary>
public static class RagEvaluation
{
    public sealed record Outcome(double Accuracy, int Questions, double RetrievalMsMean, double ModelMsMean, string? PredictionsFile);

    /// <summary>The question text a row becomes: the question, then one option per line ("A. …"), as a user would type it.</summary>
    public static string QuestionText(McqaRow row) =>
        row.Question.Trim() + "\n" + string.Join("\n", row.Choices.Select((c, i) => $"{McqaRow.Letter(i)}. {c.Trim()}"));

    public static Outcome Mcqa(AnswerPipeline pipeline, IReadOnlyList<McqaRow> rows, string? predictionsFile = null)
    {
        var answers = rows.Select(r => pipeline.Answer(QuestionText(r))).ToList();
        var correct = rows.Zip(answers).Select(p => p.Second.Letter == p.First.AnswerLetter).ToList();
        if (predictionsFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(predictionsFile))!);
            File.WriteAllLines(predictionsFile, rows.Zip(answers, correct).Select(p => JsonSerializer.Serialize(new
            {
                source = p.First.Source,
                row = p.First.Row,
                question = p.First.Question,
                answer = p.First.AnswerLetter.ToString(),
                predicted = p.Second.Letter.ToString(),
                correct = p.Third,
                letter_log_likelihoods = p.Second.LogLikelihoods.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                sources = p.Second.Sources.Select(h => new { source = h.Source, page = h.Page, start = h.Start, score = h.Score }),
            })));
        }
        return rows.Count == 0
            ? new Outcome(double.NaN, 0, 0, 0, predictionsFile)
            : new Outcome(correct.Average(c => c ? 1.0 : 0.0), rows.Count, answers.Average(a => a.RetrievalMs), answers.Average(a => a.ModelMs), predictionsFile);
    }
}
