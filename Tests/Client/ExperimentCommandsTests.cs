using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Pastanoodles.Client;
using Pastanoodles.Client.Commands;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>The cluster commands against the shared in-process cluster (its client stands in for a gateway connection).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ExperimentCommandsTests(ClusterFixture fixture) : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        Cli.RunAsync(fixture.Client, args is ["experiment", "status", ..] ? [.. args, "--poll-ms", "50"] : args);

    string WriteConfig(string name, string json)
    {
        var path = _dir[name];
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task Plot_draws_the_runs_curves_from_the_clusters_metrics()
    {
        var file = WriteConfig("plot me.json", new CountingConfig(Steps: 6, StepMs: 20).ToJson());
        var runId = (await RunAsync("experiment", "submit", file, "--kind", "dpo")).Output.Trim();
        await RunAsync("experiment", "status", runId).Within($"`experiment status {runId}` follows the run to its end");

        var plot = await RunAsync("experiment", "plot", runId, "--out", _dir["plots"]);

        Assert.Equal((0, ""), (plot.ExitCode, plot.Error));
        Assert.True(new FileInfo(_dir["plots/loss.png"]).Length > 1000);
        Assert.True(new FileInfo(_dir["plots/accuracy.png"]).Length > 1000);
        Assert.NotEmpty(File.ReadAllLines(_dir["plots/metrics.jsonl"]));
        var unknown = await RunAsync("experiment", "plot", "no-such-run", "--out", _dir["x"]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no-such-run", unknown.Error);
    }

    [Fact]
    public async Task Submit_prints_the_run_id_and_status_follows_it_to_completion()
    {
        var file = WriteConfig("count me.json", new CountingConfig(Steps: 6, StepMs: 20).ToJson());

        var submit = await RunAsync("experiment", "submit", file, "--kind", "dpo");
        var runId = submit.Output.Trim();
        var status = await RunAsync("experiment", "status", runId).Within($"`experiment status {runId}` follows the run to its end");
        var list = await RunAsync("experiment", "list");

        Assert.Equal((0, ""), (submit.ExitCode, status.Error));
        Assert.Matches(@"^count-me-\d{8}-\d{6}-[0-9a-f]{4}$", runId);
        Assert.Contains($"follow it with `pastanoodles experiment status {runId}`", submit.Error);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"state\s+completed", status.Output);
        Assert.Matches(@"step\s+6/6", status.Output);
        Assert.Matches(@"test reward accuracy\s+0\.750", status.Output);
        Assert.Contains(runId, list.Output);
    }

    [Fact]
    public async Task Cancel_cancels_a_running_run_and_says_so_for_a_finished_one()
    {
        var runId = Experiments.NewRunId("cli-cancel");
        var file = WriteConfig("held.json", new CountingConfig(Steps: 40, HoldAtStep: 2).ToJson(runId));
        await RunAsync("experiment", "submit", file, "--id", runId);
        await fixture.Journal.WaitForHoldAsync(runId).Within($"{runId} reaches its hold at step 2");
        await Phase.Until($"{runId} reports step 1", () => fixture.Client.StatusAsync(runId), s => s.Step == 1, "step 1");

        var first = await RunAsync("experiment", "cancel", runId);
        var second = await RunAsync("experiment", "cancel", runId);
        var status = await RunAsync("experiment", "status", runId, "--no-follow");

        Assert.Equal((0, $"cancelled {runId} at step 1/40"), (first.ExitCode, first.Output.Trim()));
        Assert.Equal($"{runId} had already cancelled; nothing to cancel", second.Output.Trim());
        Assert.Matches(@"state\s+cancelled", status.Output);
    }

    [Theory]
    [InlineData("missing.json", null, "does not exist")]
    [InlineData("broken.json", "{\"beta\": ", "is not valid JSON")]
    [InlineData("array.json", "[1, 2]", "holds a JSON array. It must hold one JSON object of config keys.")]
    [InlineData("unknown.json", "{\"stepz\": 1}", "The JSON property 'stepz' could not be mapped")]
    [InlineData("nodata.json", "{\"beta\": 0.2}", "neither train_file nor synthetic_rows is set; the run has no data.")]
    public async Task Submit_rejects_a_file_that_is_not_a_json_object(string name, string? content, string expected)
    {
        var path = content is null ? _dir[name] : WriteConfig(name, content);

        var (exitCode, output, error) = await RunAsync("experiment", "submit", path);

        Assert.Equal((1, ""), (exitCode, output));
        Assert.StartsWith($"error: Experiment file '{path}'", error);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("/tmp/elsewhere")]
    [InlineData("../runs")]
    public async Task Submit_takes_no_output_folder(string output)
    {
        var path = WriteConfig("out.json", "{\"steps\": 1}");

        var (exitCode, stdout, error) = await RunAsync("experiment", "submit", path, "--out", output);

        Assert.Equal(1, exitCode);
        Assert.Contains("'--out' was not matched", stdout + error);   // a parse error: nothing reaches a silo
        Assert.False(Directory.Exists(Path.GetFullPath(output, _dir.Path)));
    }

    [Fact]
    public async Task Status_of_an_unknown_run_says_how_to_list_runs()
    {
        var (exitCode, _, error) = await RunAsync("experiment", "status", "no-such-run");

        Assert.Equal((1, "error: No experiment has run id 'no-such-run'. List them with `pastanoodles experiment list`."), (exitCode, error.Trim()));
    }

    [Fact]
    public async Task Cluster_lists_every_silo_with_its_role()
    {
        var (exitCode, output, _) = await RunAsync("cluster");

        Assert.Equal(0, exitCode);
        foreach (var silo in fixture.Cluster.Cluster.Silos)
            Assert.Matches($@"{silo.Name}\s*│\s*{TestCluster.RoleOf(silo.Name)}\s*│", output);
    }

    [Fact]
    public async Task Without_a_silo_the_connection_fails_fast_and_says_how_to_start_one()
    {
        var port = FreePorts.Next();

        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() =>
            ClusterConnection.ConnectAsync(new ClusterAddress(port), CancellationToken.None).Within("connecting to a port with no silo fails"));

        Assert.StartsWith($"no silo reachable at 127.0.0.1:{port} (cluster 'pastanoodles') — start one with `dotnet run --project Silo`", error.Message);
    }
}
