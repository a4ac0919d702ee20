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
}
