using Microsoft.ML.Tokenizers;

namespace Pastanoodles.Training.Data;

/// <summary>Everything <c>data prepare</c> needs; defaults are the seed's (cap 6, 2048 tokens, 0.75/0.125/0.125, seed 42).</summary>
public sealed record PreparationOptions(IReadOnlyList<SourceSpec> Sources)
{
    public int MaxPerPrompt { get; init; } = 6;

    public int MaxTokens { get; init; } = 2048;

    /// <summary>Null: half of <see cref="MaxTokens"/>.</summary>
    public int? MaxPromptTokens { get; init; }

    public SplitFractions Split { get; init; } = new();

    public int Seed { get; init; } = 42;

    public bool SkipBadRows { get; init; }

    public PromptTemplate Template { get; init; } = PromptTemplate.Phi;
}

/// <summary>The prepared splits and the report that accounts for every row.</summary>
public sealed record PreparedDataset(DatasetSplit<PreferenceRow> Split, PreparationReport Report);

/// <summary>Read → mix → cap per prompt → truncate → shuffle → split, the seed's §2.1 recipe.</summary>
/// <remarks>
/// Order matters and is fixed: the mix draws from each source's usable rows (seeded per source), the cap keeps
/// the first N rows of each prompt in mix order, truncation follows the cap so that rows that differ only past
/// the budget still count as the same prompt's, and one seeded shuffle precedes the split.
/// </remarks>
public static class PreferencePreparation
{
    public static async Task<PreparedDataset> RunAsync(PreparationOptions options, Tokenizer tokenizer, CancellationToken cancellationToken = default)
    {
        if (options.Sources.Count == 0)
            throw new ArgumentException("No --source given. Name at least one JSONL or Parquet file.");
        options.Split.Validate();
        var budget = new TokenBudget(tokenizer, options.MaxTokens, options.MaxPromptTokens);
        var reader = new PreferenceReader(options.Template, options.SkipBadRows);

        var mixed = new List<PreferenceRow>();
        var read = new List<(SourceSpec Spec, PreferenceSource Source, int Taken)>();
        for (var i = 0; i < options.Sources.Count; i++)
        {
            var spec = options.Sources[i];
            var source = await reader.ReadSourceAsync(spec.Path, spec.Columns, cancellationToken);
            var taken = SourceMix.Take(spec, source.Rows, Seeded.For(options.Seed, i + 1));
            mixed.AddRange(taken);
            read.Add((spec, source, taken.Count));
        }

        var keep = PromptCap.Mask(mixed, options.MaxPerPrompt);
        var truncations = mixed.Select((row, i) => keep[i] ? budget.Apply(row) : (Truncation?)null).ToArray();
        var truncated = truncations.OfType<Truncation>().ToList();
        var split = DatasetSplit<PreferenceRow>.Create(truncated.Select(t => t.Row), options.Split, options.Seed);

        var sources = new List<SourceReport>();
        var start = 0;
        foreach (var (spec, source, taken) in read)
        {
            var duplicates = keep.AsSpan(start, taken).Count(false);
            var cut = truncations.AsSpan(start, taken).ToArray().Count(t => t is { Any: true });
            sources.Add(new(spec.ToString(), source.Layouts, source.Rows.Count + source.Skipped.Count, source.Skipped.Count,
                source.Skipped.CountBy(b => b.Reason).ToDictionary(), taken, duplicates, cut, taken - duplicates, source.IgnoredColumns));
            start += taken;
        }
        var report = new PreparationReport(
            sources,
            read.SelectMany(r => r.Source.Skipped).Select(b => new BadRowReport(b.File, b.Row, b.Field, b.Problem)).ToList(),
            sources.Sum(s => s.DuplicatesDropped),
            truncated.Count(t => t.Any),
            truncated.Count(t => t.PromptCut),
            truncated.Count(t => t.CompletionCut),
            split.Train.Count, split.Eval.Count, split.Test.Count,
            options.Seed, options.MaxPerPrompt, budget.MaxTokens, budget.MaxPromptTokens, options.Split.ToString());
        return new(split, report);
    }
}
