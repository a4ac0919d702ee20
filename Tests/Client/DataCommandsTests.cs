using Pastanoodles.Tests.Support;
using System.CommandLine;
using System.Text.Json;
using Pastanoodles.Client.Commands;
using Pastanoodles.Tests.Training.Data;

namespace Pastanoodles.Tests.Client;

public class DataCommandsTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    static (int ExitCode, string Output, string Error) Run(params string[] args) => Cli.Run(args);

    [Fact]
    public void Synth_then_prepare_writes_splits_and_stats_and_prints_the_report()
    {
        var synthetic = _files.Path("synthetic.jsonl");
        var outDir = _files.Path("out");

        var synth = Run("data", "synth", "--kind", "dpo", "--rows", "200", "--seed", "3", "--out", synthetic);
        var prepare = Run("data", "prepare", "--source", synthetic, "--source", $"{synthetic}:0.5", "--seed", "1", "--out", outDir);

        Assert.Equal((0, ""), (synth.ExitCode, synth.Error));
        Assert.Equal((0, ""), (prepare.ExitCode, prepare.Error));
        Assert.Contains("rows: 300 (train 225, eval 38, test 37)", prepare.Output);
        Assert.Equal(225, File.ReadAllLines(Path.Combine(outDir, "train.jsonl")).Length);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        Assert.Equal(300, stats.RootElement.GetProperty("rows").GetInt32());
    }

    [Fact]
    public void Synth_mcqa_writes_mmlu_form_rows()
    {
        var path = _files.Path("mcqa.jsonl");

        Assert.Equal(0, Run("data", "synth", "--kind", "mcqa", "--rows", "7", "--out", path).ExitCode);

        Assert.Equal(7, File.ReadAllLines(path).Length);
    }

    [Theory]
    [InlineData("--split", "0.7,0.2,0.2", "--split is '0.7,0.2,0.2', which sums to 1.1")]
    [InlineData("--max-per-prompt", "0", "--max-per-prompt is 0. It must be at least 1.")]
    [InlineData("--template", "nope", "--template is 'nope'")]
    public void Bad_options_are_reported_by_name_and_value(string option, string value, string expected)
    {
        var source = _files.WriteLines("a.jsonl", DataFiles.Flat("p", "c", "r"));

        var (exitCode, _, error) = Run("data", "prepare", "--source", source, "--out", _files.Path("out"), option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_bad_row_fails_the_run_and_keeps_earlier_output()
    {
        var outDir = Directory.CreateDirectory(_files.Path("out")).FullName;
        File.WriteAllText(Path.Combine(outDir, "train.jsonl"), "earlier\n");
        var source = _files.WriteLines("a.jsonl", DataFiles.Flat("p", "c", "r"), """{"prompt":"p","chosen":"c"}""");

        var (exitCode, _, error) = Run("data", "prepare", "--source", source, "--out", outDir);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{source} row 2, field 'rejected': is missing", error);
        Assert.Equal("earlier\n", File.ReadAllText(Path.Combine(outDir, "train.jsonl")));
    }

    [Fact]
    public void Skip_bad_rows_reports_them()
    {
        var source = _files.WriteLines("a.jsonl", DataFiles.Flat("p", "c", "r"), """{"prompt":"p","chosen":"c"}""");

        var (exitCode, output, _) = Run("data", "prepare", "--source", source, "--out", _files.Path("out"), "--skip-bad-rows");

        Assert.Equal(0, exitCode);
        Assert.Contains("bad rows skipped: 1", output);
    }

    [Fact]
    public void The_issue_rows_in_system_question_and_instruction_layouts_prepare_and_are_named_in_the_report()
    {
        var orca = _files.WriteLines("orca.jsonl", """{"system": "You are helpful.", "question": "What is 2+2?", "chosen": "4", "rejected": "5"}""");
        var distilabel = _files.WriteLines("distilabel.jsonl", """{"instruction": "Solve 3*3", "chosen_response": "9", "rejected_response": "6", "chosen_rating": 9}""");
        var outDir = _files.Path("out");

        var (exitCode, output, error) = Run("data", "prepare", "--source", orca, "--source", distilabel, "--out", outDir);

        Assert.Equal((0, ""), (exitCode, error));
        Assert.Contains($"{orca} [system-question]: read 1, bad skipped 0, taken 1, capped 0, truncated 0, kept 1", output);
        Assert.Contains($"{distilabel} [instruction-response]: read 1,", output);
        Assert.Contains("ignored columns: chosen_rating", output);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
        Assert.Equal(1, stats.RootElement.GetProperty("sources")[1].GetProperty("ignored_columns").GetProperty("chosen_rating").GetInt32());
    }

    [Fact]
    public void A_map_reads_other_column_names()
    {
        var source = _files.WriteLines("b.jsonl", """{"q": "Hi?", "sys": "", "good": "Hello", "bad": "Go away"}""");
        var outDir = _files.Path("out");

        var (exitCode, output, error) = Run("data", "prepare", "--source", source, "--map", $"{source}:prompt=q,system=sys,chosen=good,rejected=bad", "--out", outDir);

        Assert.Equal((0, ""), (exitCode, error));
        Assert.Contains($"{source} [map(prompt=q,system=sys,chosen=good,rejected=bad)]: read 1,", output);
        var all = string.Concat(new[] { "train", "eval", "test" }.Select(s => File.ReadAllText(Path.Combine(outDir, $"{s}.jsonl"))));
        Assert.Contains("\"prompt\":\"Instruct: Hi?\\nOutput:\"", all);
    }

    [Theory]
    [InlineData("prompt=q,system=sys2", "{0}: --map system=sys2 names column 'sys2', which the file does not have. Its columns: bad, good, q, sys.")]
    [InlineData("promt=q", "--map '{0}:promt=q': 'promt' is not a role. Roles: prompt, system, input, chosen, rejected.")]
    public void A_bad_map_is_one_line_naming_the_file_and_the_column(string roles, string expected)
    {
        var source = _files.WriteLines("b.jsonl", """{"q": "Hi?", "sys": "", "good": "Hello", "bad": "Go away"}""");

        var (exitCode, _, error) = Run("data", "prepare", "--source", source, "--map", $"{source}:{roles}", "--out", _files.Path("out"));

        Assert.Equal(1, exitCode);
        Assert.Equal($"error: {string.Format(expected, source)}", error.Trim());
    }
}
