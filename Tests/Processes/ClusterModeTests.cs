using System.Diagnostics;
using System.Text.Json.Nodes;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>Real silo processes over Redis driven by the real console: a sweep of 8 runs over 2 gpu silos, `pastanoodles cluster`,
/// and a client that loses its gateway.</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class ClusterModeTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task A_sweep_of_8_runs_over_2_gpu_silos_all_finish_and_no_silo_ever_trains_two_at_once()
    {
        // One libtorch thread per silo: two silos training at once on a 2-core machine with 2 threads each run ~5x slower.
        await RedisCluster.RunAsync([SiloRoles.Cpu, SiloRoles.Gpu, SiloRoles.Gpu], output, SweepAsync,
            environment: new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" });
    }

    async Task SweepAsync(RedisCluster cluster)
    {
        // 80 synthetic rows: 60 to train on, 15 steps of 4, one checkpoint at the end; a few seconds each on a CPU core.
        var sweep = _files["sweep.json"];
        File.WriteAllText(sweep, """
            {
              "base": { "task": "dpo", "model": "tiny", "synthetic_rows": 80, "per_device_train_batch_size": 4, "eval_steps": 15, "save_steps": 15 },
              "grid": { "beta": [0.1, 0.2, 0.3, 0.5], "learning_rate": [1e-3, 2e-3] }
            }
            """);

        var (exitCode, stdout, stderr) = Cli.Run("experiment", "sweep", sweep, "--prefix", "grid", "--cluster", cluster.Redis.Url);

        Assert.True(exitCode == 0, stderr);
        string[] runIds = [.. Enumerable.Range(1, 8).Select(i => $"grid-{i:00}")];
        Assert.Equal(runIds, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        await using var connection = await cluster.ConnectAsync();
        var watch = Stopwatch.StartNew();
        var statuses = await Phase.Until("8 runs finish", () => Task.WhenAll(runIds.Select(id => connection.Client.GetGrain<IExperimentGrain>(id).GetStatusAsync().AsTask())),
            all => all.All(s => s!.State.IsFinal()), "all final", RedisCluster.TrainingStall,
            describe: all => string.Join("; ", all.Select(RedisCluster.Progress)));
        output.WriteLine($"8 runs finished {watch.Elapsed.TotalSeconds:0.0} s after the sweep was submitted");

        Assert.All(statuses, s => Assert.True(s!.State == RunState.Completed, $"{s.RunId}: {s.State} {s.Error}"));
        var gpuSilos = statuses.Select(s => s!.Silo!).Distinct().ToList();
        Assert.All(gpuSilos, silo => Assert.Contains(cluster.SiloAt(silo), cluster.Silos.Skip(1)));   // silos 1 and 2 are the gpu ones
        Assert.Equal(2, gpuSilos.Count);   // least-busy placement: submitted one after another, the runs alternate between the two
        // When each run trained: its first and last metric points, stamped by the engine as it logged them.
        var windows = new List<(string Silo, string RunId, DateTimeOffset From, DateTimeOffset To)>();
        foreach (var status in statuses)
        {
            var metrics = await connection.Client.GetGrain<IExperimentGrain>(status!.RunId).GetMetricsAsync(0);
            windows.Add((status.Silo!, status.RunId, metrics.Min(m => m.Time), metrics.Max(m => m.Time)));
        }
        foreach (var group in windows.GroupBy(w => w.Silo))
        {
            var ordered = group.OrderBy(w => w.From).ToList();
            output.WriteLine($"{group.Key}: {string.Join(", ", ordered.Select(w => $"{w.RunId} {w.From:HH:mm:ss.fff}-{w.To:HH:mm:ss.fff}"))}");
            foreach (var (earlier, later) in ordered.Zip(ordered.Skip(1)))
                Assert.True(later.From >= earlier.To, $"{earlier.RunId} ({earlier.From:HH:mm:ss.fff}-{earlier.To:HH:mm:ss.fff}) and {later.RunId} ({later.From:HH:mm:ss.fff}-{later.To:HH:mm:ss.fff}) trained at once on {group.Key}");
        }

        var compare = Cli.Run(["experiment", "compare", .. runIds, "--cluster", cluster.Redis.Url]);
        Assert.True(compare.ExitCode == 0, compare.Error);
        output.WriteLine(compare.Output);
        Assert.Contains("beta", compare.Output);
        Assert.Contains("learning_rate", compare.Output);
        Assert.DoesNotContain("synthetic_rows", compare.Output);                         // the same in every run
        foreach (var status in statuses)
            Assert.Contains(status!.TestAccuracy!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), compare.Output);
    }

    [Fact]
    public async Task A_client_whose_gateway_dies_goes_on_through_another_and_no_call_hangs()
    {
        using var duration = new TestDuration(output);
        await using var cluster = await RedisCluster.StartAsync([SiloRoles.Cpu, SiloRoles.Cpu, SiloRoles.Cpu]);
        var listed = Cli.Run("cluster", "--cluster", cluster.Redis.Url);
        Assert.True(listed.ExitCode == 0, listed.Error);
        foreach (var silo in cluster.Silos)
            Assert.Matches($@"cpu\s*│\s*S127\.0\.0\.1:{silo.SiloPort}:\d+\s*│\s*Active", listed.Output);

        var responseTimeout = TimeSpan.FromSeconds(5);
        await using var connection = await cluster.ConnectAsync(responseTimeout);
        var catalog = connection.Client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key);
        await catalog.ListAsync();
        var victim = cluster.Silos[0];

        // Calls in flight while the silo dies: each gets an answer or an error within the response timeout, none hangs.
        var inFlight = Enumerable.Range(0, 40).Select(i => i % 2 == 0
            ? Outcome(catalog.ListAsync().AsTask())
            : Outcome(connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync())).ToList();
        var killedAt = Stopwatch.StartNew();
        await victim.KillAsync();
        // No call hangs: each one ends within the response timeout, so the finished count grows at least that often.
        var outcomes = await Task.WhenAll(inFlight).Within("calls in flight when the gateway died finish",
            () => $"{inFlight.Count(c => c.IsCompleted)} of {inFlight.Count} finished", stall: responseTimeout + TimeSpan.FromSeconds(10));
        output.WriteLine($"in flight at the kill: {outcomes.Count(o => o is null)} answered, errors: " +
            string.Join("; ", outcomes.OfType<string>().GroupBy(o => o).Select(g => $"{g.Count()}× {g.Key}")));

        // Afterwards every call is answered, through the other gateways.
        await Phase.Until("a call succeeds after the kill", () => catalog.ListAsync().AsTask(), _ => true, "an answer");
        var firstAnswer = killedAt.Elapsed;
        for (var i = 0; i < 20; i++)
            await catalog.ListAsync().AsTask().WaitAsync(responseTimeout);
        await Phase.Until("the killed silo is listed dead", () => Task.FromResult(Cli.Run("cluster", "--cluster", cluster.Redis.Url).Output),
            text => System.Text.RegularExpressions.Regex.IsMatch(text, $@"S127\.0\.0\.1:{victim.SiloPort}:\d+\s*│\s*Dead"), "Dead");
        output.WriteLine($"first answer {firstAnswer.TotalSeconds:0.0} s after the kill; listed Dead by `pastanoodles cluster` after {killedAt.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Null when the call answered; the exception's type and message when it failed.</summary>
    static async Task<string?> Outcome<T>(Task<T> call)
    {
        try
        {
            await call;
            return null;
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message.Split('\n')[0][..Math.Min(ex.Message.Split('\n')[0].Length, 120)]}";
        }
    }
}
