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
        var predictions = rows.Zip(answers, (r, a) => new McqaPrediction(r, a.Letter, a.LogLikelihoods, a.Sources)).ToList();
        if (predictionsFile is not null)
            McqaPredictions.Write(predictionsFile, predictions);
        return rows.Count == 0
            ? new Outcome(double.NaN, 0, 0, 0, predictionsFile)
            : new Outcome(McqaPredictions.Accuracy(predictions), rows.Count, answers.Average(a => a.RetrievalMs), answers.Average(a => a.ModelMs), predictionsFile);
    }
}
