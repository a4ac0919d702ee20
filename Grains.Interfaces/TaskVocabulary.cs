namespace Pastanoodles;

/// <summary>The data splits, in data files, metrics and reports (HF datasets' names).</summary>
public static class Splits
{
    public const string Train = "train";
    public const string Eval = "eval";
    public const string Test = "test";
}

/// <summary>The trainers an experiment can name, and what each one's accuracy is called: the one home of the task vocabulary.</summary>
public static class ExperimentKinds
{
    /// <summary>Direct preference optimization on preference pairs.</summary>
    public const string Dpo = "dpo";

    /// <summary>Fine-tuning to answer multiple-choice questions with one letter.</summary>
    public const string Mcqa = "mcqa";

    public static IReadOnlyList<string> All { get; } = [Dpo, Mcqa];

    /// <summary>The metric the best checkpoint is chosen by: TRL's <c>rewards/accuracies</c> for DPO, letter <c>accuracy</c> for MCQA.</summary>
    public static string AccuracyKey(string kind) => kind switch
    {
        Dpo => "rewards/accuracies",
        Mcqa => "accuracy",
        _ => throw Unknown(kind),
    };

    /// <summary>How reports name that metric: "reward accuracy" (DPO) or "letter accuracy" (MCQA).</summary>
    public static string AccuracyLabel(string kind) => kind switch
    {
        Dpo => "reward accuracy",
        Mcqa => "letter accuracy",
        _ => throw Unknown(kind),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="kind"/> and the valid kinds.</summary>
    public static string Validate(string kind) => All.Contains(kind) ? kind : throw Unknown(kind);

    static ArgumentException Unknown(string kind) => new($"task is '{kind}'. Valid: {string.Join(", ", All)}.");
}
