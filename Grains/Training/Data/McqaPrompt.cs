namespace Pastanoodles.Training.Data;

/// <summary>The MMLU prompt of lm-evaluation-harness (ml.md §7): lettered options, "Answer:", continuations " A", " B", ...</summary>
/// <remarks>
/// <c>{description}{shot}\n\n...{question.strip()}\nA. {c0}\nB. {c1}\n...\nAnswer:</c>, where each few-shot example is
/// the same block followed by <c>" {letter}"</c> and the description is
/// <c>"The following are multiple choice questions (with answers) about {subject with spaces}.\n\n"</c>.
/// The context ends without a trailing space; the space belongs to the continuation, as lm-eval's target_delimiter.
/// </remarks>
public static class McqaPrompt
{
    public static string Description(string subject) =>
        $"The following are multiple choice questions (with answers) about {subject.Replace('_', ' ')}.\n\n";

    /// <summary>One question block, ending in "Answer:".</summary>
    public static string Question(McqaRow row)
    {
        var text = new System.Text.StringBuilder(row.Question.Trim()).Append('\n');
        for (var i = 0; i < row.Choices.Count; i++)
            text.Append(McqaRow.Letter(i)).Append(". ").Append(row.Choices[i]).Append('\n');
        return text.Append("Answer:").ToString();
    }

    /// <summary>The full context: description (when a subject is known), solved few-shot examples, then the question.</summary>
    public static string Render(McqaRow row, IReadOnlyList<McqaRow>? shots = null, string? subject = null)
    {
        var text = new System.Text.StringBuilder();
        if ((subject ?? row.Subject) is { } topic)
            text.Append(Description(topic));
        foreach (var shot in shots ?? [])
            text.Append(Question(shot)).Append(Continuation(shot.Answer)).Append("\n\n");
        return text.Append(Question(row)).ToString();
    }

    /// <summary>What is scored after the context for option <paramref name="index"/>: " A", " B", ...</summary>
    public static string Continuation(int index) => $" {McqaRow.Letter(index)}";

    public static IReadOnlyList<string> Continuations(int count) => Enumerable.Range(0, count).Select(Continuation).ToList();
}
