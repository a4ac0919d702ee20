using System.Text.Json;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class PreferencePreparationTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>Rows p{start}..p{start+count-1}, each prompt repeated <paramref name="repeats"/> times.</summary>
    string Source(string name, int start, int count, int repeats = 1) =>
        _files.WriteLines(name, Enumerable.Range(start, count)
            .SelectMany(i => Enumerable.Range(0, repeats).Select(k => DataFiles.Flat($"p{i}", $"c{i}.{k}", $"r{i}.{k}")))
            .ToArray());

    Task<PreparedDataset> Prepare(PreparationOptions options) => PreferencePreparation.RunAsync(options, DataFiles.R50k);

    static IEnumerable<PreferenceRow> All(PreparedDataset d) => d.Split.Train.Concat(d.Split.Eval).Concat(d.Split.Test);

    [Fact]
    public async Task Sources_mix_whole_by_fraction_and_by_count_and_the_report_accounts_for_every_row()
    {
        var a = Source("a.jsonl", 0, 40);
        var b = Source("b.jsonl", 100, 50);
        var c = Source("c.jsonl", 200, 30);

        var prepared = await Prepare(new([new(a), SourceSpec.Parse($"{b}:0.6"), SourceSpec.Parse($"{c}:10")]));

        var report = prepared.Report;
        Assert.Equal([(40, 40), (50, 30), (30, 10)], report.Sources.Select(s => (s.RowsRead, s.RowsTaken)));
        Assert.Equal(80, report.Rows);
        Assert.Equal((60, 10, 10), (report.Train, report.Eval, report.Test));
        Assert.Equal([40, 30, 10], report.Sources.Select(s => All(prepared).Count(r => r.Source == s.Source.Split(':')[0])));
    }

    [Fact]
    public async Task Prompts_repeated_beyond_the_cap_are_dropped_and_counted_per_source()
    {
        var a = Source("a.jsonl", 0, 5, repeats: 9);
        var b = Source("b.jsonl", 0, 5, repeats: 1);

        var prepared = await Prepare(new([new(a), new(b)]) { MaxPerPrompt = 6 });

        Assert.Equal([(45, 15, 30), (5, 5, 0)], prepared.Report.Sources.Select(s => (s.RowsTaken, s.DuplicatesDropped, s.RowsKept)));
        Assert.Equal(20, prepared.Report.DuplicatesDropped);
        Assert.All(All(prepared).GroupBy(r => r.Prompt), g => Assert.Equal(6, g.Count()));
    }

    [Fact]
    public async Task Truncated_rows_are_counted_and_fit_the_budget()
    {
        var longText = string.Concat(Enumerable.Repeat("lorem ipsum ", 200));
        var path = _files.WriteLines("long.jsonl", DataFiles.Flat(longText + "Q?", " yes", " no"), DataFiles.Flat("short?", " yes", " no"));

        var prepared = await Prepare(new([new(path)]) { MaxTokens = 64 });

        Assert.Equal((1, 1, 0), (prepared.Report.RowsTruncated, prepared.Report.PromptsTruncated, prepared.Report.CompletionsTruncated));
        var budget = new TokenBudget(DataFiles.R50k, 64);
        Assert.All(All(prepared), r => Assert.True(budget.Length(r) <= 64));
        Assert.Contains(All(prepared), r => r.Prompt.EndsWith("lorem ipsum Q?"));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_output_and_another_seed_a_different_one()
    {
        var a = Source("a.jsonl", 0, 60);
        var b = Source("b.jsonl", 100, 60);
        PreparationOptions Options(int seed) => new([new(a), SourceSpec.Parse($"{b}:0.5")]) { Seed = seed };

        var first = await Prepare(Options(42));
        var again = await Prepare(Options(42));
        var other = await Prepare(Options(7));

        Assert.Equal(first.Split.Train, again.Split.Train);
        Assert.Equal(first.Split.Eval, again.Split.Eval);
        Assert.Equal(first.Split.Test, again.Split.Test);
        Assert.NotEqual(first.Split.Train, other.Split.Train);
        Assert.NotEqual(All(first).Where(r => r.Source == b).Order(Comparer), All(other).Where(r => r.Source == b).Order(Comparer));
    }

    static readonly Comparer<PreferenceRow> Comparer = Comparer<PreferenceRow>.Create((x, y) => x.Row.CompareTo(y.Row));

    [Fact]
    public async Task Skipped_bad_rows_are_counted_and_listed()
    {
        var path = _files.WriteLines("a.jsonl", DataFiles.Flat("p1", "c", "r"), "{oops", """{"prompt":"p3","chosen":"c"}""", DataFiles.Flat("p4", "c", "r"));

        var report = (await Prepare(new([new(path)]) { SkipBadRows = true })).Report;

        Assert.Equal((4, 2, 2), (report.Sources[0].RowsRead, report.Sources[0].BadRowsSkipped, report.Sources[0].RowsKept));
        Assert.Equal([(2, "$"), (3, "rejected")], report.BadRows.Select(b => (b.Row, b.Field)));
        Assert.Contains("bad rows skipped: 2", report.Describe());
    }

    [Fact]
    public async Task The_report_lists_each_sources_layout_skips_by_reason_cap_truncation_and_ignored_columns()
    {
        var longQuestion = string.Concat(Enumerable.Repeat("lorem ipsum ", 200)) + "Q?";
        var orca = _files.WriteLines("orca.jsonl",
            """{"system": "S", "question": "q1", "chosen": "c", "rejected": "r", "id": 1}""",
            """{"system": "S", "question": "q1", "chosen": "c2", "rejected": "r2", "id": 2}""",
            $$"""{"system": "", "question": "{{longQuestion}}", "chosen": "c", "rejected": "r", "id": 3}""",
            """{"system": "S", "question": "q4", "chosen": "", "rejected": "r"}""",
            """{"system": "S", "question": "q5", "chosen": "c"}""");
        var math = _files.WriteLines("math.jsonl",
            """{"instruction": "i1", "chosen_response": "c", "rejected_response": "r", "chosen_rating": 9}""",
            """{"instruction": "i2", "chosen_response": "c", "rejected_response": "r", "chosen_rating": 8}""");

        var report = (await Prepare(new([new(orca), new(math)]) { SkipBadRows = true, MaxPerPrompt = 1, MaxTokens = 64 })).Report;

        var (o, m) = (report.Sources[0], report.Sources[1]);
        Assert.Equal(new Dictionary<string, int> { ["system-question"] = 3 }, o.Layouts);
        Assert.Equal((5, 2, 3, 1, 1, 2), (o.RowsRead, o.BadRowsSkipped, o.RowsTaken, o.DuplicatesDropped, o.RowsTruncated, o.RowsKept));
        Assert.Equal(new Dictionary<string, int> { ["chosen is empty"] = 1, ["rejected is missing"] = 1 }, o.SkippedByReason);
        Assert.Equal(new Dictionary<string, int> { ["id"] = 3 }, o.IgnoredColumns);
        Assert.Equal(new Dictionary<string, int> { ["instruction-response"] = 2 }, m.Layouts);
        Assert.Equal((2, 0, 0, 2), (m.RowsRead, m.DuplicatesDropped, m.RowsTruncated, m.RowsKept));
        Assert.Equal(new Dictionary<string, int> { ["chosen_rating"] = 2 }, m.IgnoredColumns);
        Assert.Equal(4, report.Rows);
        Assert.Contains($"{orca} [system-question]: read 5, bad skipped 2 (chosen is empty: 1; rejected is missing: 1), taken 3, capped 1, truncated 1, kept 2; ignored columns: id", report.Describe());
    }

    [Fact]
    public async Task A_mapped_source_is_read_through_its_map_and_named_in_the_report()
    {
        var path = _files.WriteLines("b.jsonl", """{"q": "Hi?", "sys": "Be brief.", "good": "Hello", "bad": "Go away"}""");
        var sources = SourceSpec.WithColumnMaps([new(path)], [$"{path}:prompt=q,system=sys,chosen=good,rejected=bad"]);

        var prepared = await Prepare(new(sources));

        Assert.Equal("Be brief.\nInstruct: Hi?\nOutput:", Assert.Single(All(prepared)).Prompt);
        Assert.Equal(["map(prompt=q,system=sys,chosen=good,rejected=bad)"], prepared.Report.Sources[0].Layouts.Keys);
    }

    [Fact]
    public async Task Without_skipping_a_bad_row_stops_the_run()
    {
        var path = _files.WriteLines("a.jsonl", DataFiles.Flat("p1", "c", "r"), """{"prompt":"p2","chosen":"c","rejected":""}""");

        var error = await Assert.ThrowsAsync<BadRowException>(() => Prepare(new([new(path)])));

        Assert.Equal((2, "rejected"), (error.Row, error.Field));
    }

    [Fact]
    public async Task Written_output_has_three_splits_and_stats()
    {
        var a = Source("a.jsonl", 0, 16);
        var prepared = await Prepare(new([new(a)]));
        var outDir = _files.Path("out");

        await DatasetWriter.WritePreparedAsync(outDir, prepared);

        Assert.Equal(["eval.jsonl", "stats.json", "test.jsonl", "train.jsonl"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        var train = File.ReadAllLines(Path.Combine(outDir, "train.jsonl")).Select(l => JsonSerializer.Deserialize<PreferenceRow>(l, DatasetWriter.Json)!).ToList();
        Assert.Equal(prepared.Split.Train, train);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        Assert.Equal(12, stats.RootElement.GetProperty("train").GetInt32());
        Assert.Equal(16, stats.RootElement.GetProperty("rows").GetInt32());
        var source = stats.RootElement.GetProperty("sources")[0];
        Assert.Equal(16, source.GetProperty("layouts").GetProperty("trl-standard").GetInt32());
        Assert.Equal(0, source.GetProperty("rows_truncated").GetInt32());
        Assert.Empty(source.GetProperty("skipped_by_reason").EnumerateObject());
    }

    [Fact]
    public async Task A_failed_write_leaves_earlier_output_untouched()
    {
        var path = _files.WriteLines("train.jsonl", "earlier good output");

        static IEnumerable<PreferenceRow> Failing()
        {
            yield return new("p", "c", "r", "a.jsonl", 1);
            throw new IOException("disk full");
        }

        await Assert.ThrowsAsync<IOException>(() => DatasetWriter.WriteJsonLinesAsync(path, Failing()));

        Assert.Equal("earlier good output\n", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_files.Root));
    }
}
