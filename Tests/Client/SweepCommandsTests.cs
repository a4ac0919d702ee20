using System.CommandLine;
using Pastanoodles.Client;
using Pastanoodles.Client.Commands;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Training;

namespace Pastanoodles.Tests.Client;

/// <summary>`experiment sweep` and `experiment compare` against the shared in-process cluster (counting runners).</summary>
[Collection(ClusterCollection.Name)]
public sealed class SweepCommandsTests(ClusterFixture fixture) : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => Cli.RunAsync(fixture.Client, args);

    string Write(string name, string json)
    {
        File.WriteAllText(_dir[name], json);
        return _dir[name];
    }

    [Fact]
    public async Task Sweep_submits_one_run_per_grid_point_and_compare_shows_the_keys_that_differ_with_their_scores()
    {
        var prefix = $"sweep-{Guid.NewGuid():N}"[..14];
        var file = Write("grid.json", """{"base": {"max_steps": 4, "synthetic_rows": 1}, "grid": {"save_steps": [2, 4], "max_steps": [4, 6]}}""");

        var sweep = await RunAsync("experiment", "sweep", file, "--prefix", prefix);

        Assert.True(sweep.ExitCode == 0, sweep.Error);
        string[] runIds = [$"{prefix}-01", $"{prefix}-02", $"{prefix}-03", $"{prefix}-04"];
        Assert.Equal(runIds, sweep.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("save_steps=2 max_steps=6", sweep.Error);   // the last grid key varies fastest
        var specs = await Task.WhenAll(runIds.Select(id => fixture.Client.GetGrain<IExperimentGrain>(id).GetSpecAsync().AsTask()));
        var configs = specs.Select(s => TrainingConfig.Parse(s!.ConfigJson, s.RunId)).ToList();   // each run travels as its typed config
        Assert.Equal([(4, 2), (6, 2), (4, 4), (6, 4)], configs.Select(c => (c.MaxSteps, c.SaveSteps)));
        Assert.All(configs, c => Assert.Equal((1, ExperimentKinds.Dpo), (c.SyntheticRows, c.Task)));
        foreach (var id in runIds)
            await Phase.Until($"run {id} completes", async () => (await fixture.Client.GetGrain<IExperimentGrain>(id).GetStatusAsync())!.State,
                s => s == RunState.Completed, "Completed");

        var compare = await RunAsync(["experiment", "compare", .. runIds]);

        Assert.True(compare.ExitCode == 0, compare.Error);
        Assert.Contains("save_steps", compare.Output);
        Assert.DoesNotContain("synthetic_rows", compare.Output);   // the same in every run
        Assert.Equal(4, compare.Output.Split('\n').Count(l => l.Contains(prefix) && l.Contains("completed")));
    }

    [Theory]
    [InlineData("""{"base": {}, "grid": {"beta": []}}""", "grid key 'beta' is []. It must be a non-empty list of values.")]
    [InlineData("""{"base": {}, "grid": {"beta": [0.1]}, "runs": 3}""", "has unknown key 'runs'")]
    [InlineData("""{"grid": {"beta": [0.1]}}""", "\"base\" must be a JSON object of config keys.")]
    [InlineData("""{"base": {"synthetic_rows": 8}, "grid": {"betta": [0.1]}}""", "bad.json', run never-01: The JSON property 'betta' could not be mapped")]
    [InlineData("""{"base": {"synthetic_rows": 8}, "grid": {"beta": [0.1, 0]}}""", "bad.json', run never-02: beta is 0. beta must be greater than 0.")]
    public async Task A_bad_sweep_file_is_named_with_the_rule_before_anything_is_submitted(string json, string expected)
    {
        var sweep = await RunAsync("experiment", "sweep", Write("bad.json", json), "--prefix", "never");

        Assert.Equal(1, sweep.ExitCode);
        Assert.Contains(expected, sweep.Error);
        Assert.Null(await fixture.Client.GetGrain<IExperimentGrain>("never-01").GetStatusAsync());
    }

    [Fact]
    public async Task Compare_names_an_unknown_run()
    {
        var compare = await RunAsync("experiment", "compare", "no-such-run");

        Assert.Equal(1, compare.ExitCode);
        Assert.Contains("no-such-run", compare.Error);
    }
}
