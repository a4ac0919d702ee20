using System.Text.Json.Serialization;

namespace Pastanoodles.Training.Data;

/// <summary>What happened to one source: its layout, rows read, bad rows skipped (by reason), rows taken by the mix,
/// rows capped (more than N per prompt), rows truncated and rows kept, and the columns it had that nothing reads.</summary>
public sealed record SourceReport(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("layouts")] IReadOnlyDictionary<string, int> Layouts,
    [property: JsonPropertyName("rows_read")] int RowsRead,
    [property: JsonPropertyName("bad_rows_skipped")] int BadRowsSkipped,
    [property: JsonPropertyName("skipped_by_reason")] IReadOnlyDictionary<string, int> SkippedByReason,
    [property: JsonPropertyName("rows_taken")] int RowsTaken,
    [property: JsonPropertyName("duplicates_dropped")] int DuplicatesDropped,
    [property: JsonPropertyName("rows_truncated")] int RowsTruncated,
    [property: JsonPropertyName("rows_kept")] int RowsKept,
    [property: JsonPropertyName("ignored_columns")] IReadOnlyDictionary<string, int> IgnoredColumns)
{
    /// <summary>The source as the console prints it, on one line.</summary>
    public string Describe()
    {
        var layouts = Layouts.Count == 0 ? "no rows" : string.Join(", ", Layouts.Select(l => Layouts.Count == 1 ? l.Key : $"{l.Key} {l.Value}"));
        var skipped = SkippedByReason.Count == 0 ? "" : $" ({string.Join("; ", SkippedByReason.Select(r => $"{r.Key}: {r.Value}"))})";
        var ignored = IgnoredColumns.Count == 0 ? "" : $"; ignored columns: {string.Join(", ", IgnoredColumns.Keys)}";
        return $"{Source} [{layouts}]: read {RowsRead}, bad skipped {BadRowsSkipped}{skipped}, taken {RowsTaken}, capped {DuplicatesDropped}, "
            + $"truncated {RowsTruncated}, kept {RowsKept}{ignored}";
    }
}

/// <summary>One skipped bad row, as the stats file lists it.</summary>
public sealed record BadRowReport(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("row")] int Row,
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("problem")] string Problem);

/// <summary>The account of a <c>data prepare</c> run; nothing leaves the data without being counted here.</summary>
/// <remarks>Per source: rows_read = bad_rows_skipped + rows usable, rows usable = rows_taken + (not drawn by the mix),
/// rows_taken = duplicates_dropped + rows_kept, rows_truncated ≤ rows_kept; layouts sum to the rows usable.
/// Overall: sum of rows_kept = train + eval + test.</remarks>
public sealed record PreparationReport(
    [property: JsonPropertyName("sources")] IReadOnlyList<SourceReport> Sources,
    [property: JsonPropertyName("bad_rows")] IReadOnlyList<BadRowReport> BadRows,
    [property: JsonPropertyName("duplicates_dropped")] int DuplicatesDropped,
    [property: JsonPropertyName("rows_truncated")] int RowsTruncated,
    [property: JsonPropertyName("prompts_truncated")] int PromptsTruncated,
    [property: JsonPropertyName("completions_truncated")] int CompletionsTruncated,
    [property: JsonPropertyName("train")] int Train,
    [property: JsonPropertyName("eval")] int Eval,
    [property: JsonPropertyName("test")] int Test,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("max_per_prompt")] int MaxPerPrompt,
    [property: JsonPropertyName("max_tokens")] int MaxTokens,
    [property: JsonPropertyName("max_prompt_tokens")] int MaxPromptTokens,
    [property: JsonPropertyName("split")] string Split)
{
    [JsonPropertyName("bad_rows_skipped")]
    public int BadRowsSkipped => BadRows.Count;

    [JsonPropertyName("rows")]
    public int Rows => Train + Eval + Test;

    /// <summary>The report as the console prints it.</summary>
    public string Describe()
    {
        var lines = new List<string>();
        foreach (var s in Sources)
            lines.Add(s.Describe());
        lines.Add($"rows: {Rows} (train {Train}, eval {Eval}, test {Test})");
        lines.Add($"bad rows skipped: {BadRowsSkipped}");
        lines.Add($"duplicates dropped (more than {MaxPerPrompt} per prompt): {DuplicatesDropped}");
        lines.Add($"rows truncated to {MaxTokens} tokens: {RowsTruncated} (prompt cut {PromptsTruncated}, completions cut {CompletionsTruncated})");
        return string.Join(Environment.NewLine, lines);
    }
}
