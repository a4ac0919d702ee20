namespace Pastanoodles.Training.Data;

/// <summary>One preference pair as the DPO trainer sees it: rendered prompt and completions, plus where it came from.</summary>
/// <param name="Prompt">The prompt text, already rendered through the <see cref="PromptTemplate"/>.</param>
/// <param name="Chosen">The preferred completion (y_w), continuing <paramref name="Prompt"/>.</param>
/// <param name="Rejected">The dispreferred completion (y_l).</param>
/// <param name="Source">The file the row was read from, as given on the command line.</param>
/// <param name="Row">1-based JSONL line or Parquet row in <paramref name="Source"/>.</param>
public sealed record PreferenceRow(string Prompt, string Chosen, string Rejected, string Source, int Row);
