using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using Pastanoodles.Training;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>Each training attempt in its own worker process, on a Redis cluster of two real gpu silo processes: a native abort, a memory
/// flood, a cancel and a stopped worker each end the worker, never a silo; a run that keeps crashing fails with every attempt's reason,
/// and is never taken for a run whose silo was lost. Both silos stay alive throughout, with the pids and membership generations they
/// started with (no silo process restarts).</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class TrainingWorkerTests(ITestOutputHelper output)
{
    internal static readonly IReadOnlyDictionary<string, string> OneThread = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
    /// <summary>Admission control would refuse the bad runs at submit (<see cref="Cluster.AdmissionTests"/>); these test what happens past it.</summary>
    internal const string NoAdmission = "--Silo:AdmissionControl=false";

    internal static string Config(Func<TrainingConfig, TrainingConfig>? change = null) =>
        (change ?? (c => c))(DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 48, EvalSteps = 2, SaveSteps = 2 }).ToJson();

    [Fact]
    public Task With_admission_on_the_consoles_r_100000_and_2e9_rows_runs_are_refused_at_submit_and_no_worker_starts() => OnTwoGpuSilosAsync(async (cluster, client) =>
    {
        using var files = new TempDir();
        foreach (var (runId, config, reason) in new[]
        {
            ("r-100000", Config(c => c with { Lora = c.Lora with { R = 100000 } }), "lora.r is 100000. It must be at most 64, min(in, out) of q_proj (64 -> 64) in tiny."),
            ("rows-2e9", Config(c => c with { SyntheticRows = 2_000_000_000 }), "synthetic_rows is 2000000000. It must be at most 1000000."),
        })
        {
            File.WriteAllText(files[$"{runId}.json"], config);

            var (exitCode, stdout, stderr) = await Task.Run(() =>
                Cli.Run("experiment", "submit", files[$"{runId}.json"], "--id", runId, "--kind", "dpo", "--cluster", cluster.Redis.Url));

            Assert.Equal((1, ""), (exitCode, stdout));
            Assert.Equal($"error: {reason}", stderr.Trim());   // one line, before any allocation
            Assert.Null(await client.GetGrain<IExperimentGrain>(runId).GetStatusAsync());
        }
        Assert.Empty(await client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key).GetWaitingAsync());
        Assert.All(cluster.Silos, s => Assert.Empty(ProcessTable.ChildrenOf(s.ProcessId)));   // no worker was ever started
    }, admission: true);

    [Fact]
    public Task A_worker_that_aborts_natively_fails_its_run_after_two_crashes_and_both_silos_live() => OnTwoGpuSilosAsync(async (cluster, client) =>
    {
        var grain = client.GetGrain<IExperimentGrain>("r-100000");
        // r = 100000 makes libtorch allocate a 40 GB r x r matrix and abort (c10::Error, SIGABRT): nothing in-process can catch it.
        await grain.SubmitAsync(new ExperimentSpec("r-100000", ExperimentKinds.Dpo, Config(c => c with { Lora = c.Lora with { R = 100000 } })));

        var done = await WaitForFinalAsync(grain, "run with r = 100000 fails after 2 crashes");

        Assert.Equal(RunState.Failed, done.State);
        Assert.Equal(2, done.AttemptFailures!.Count);
        Assert.All(done.AttemptFailures, f => Assert.Contains("crashed on silo", f));
        Assert.All(done.AttemptFailures, f => Assert.Contains("was killed by signal 6 (SIGABRT", f));
        Assert.All(done.AttemptFailures, f => Assert.Contains("DefaultCPUAllocator: can't allocate memory", f));
        Assert.DoesNotContain(done.AttemptFailures, f => f.Contains("lost", StringComparison.Ordinal));   // a crash is never taken for a lost silo
        Assert.Equal(2, done.Attempts);   // and never resumed elsewhere as a lost silo's run would be
        Assert.Contains("2 attempt(s) crashed", done.Error);
        Assert.All(cluster.Silos, s => Assert.Empty(ProcessTable.ChildrenOf(s.ProcessId)));
    });

    [Fact]
    public Task A_worker_over_its_memory_budget_is_killed_and_every_silo_stays_small()
    {
        const long budget = 900_000_000;
        return OnTwoGpuSilosAsync(async (cluster, client) =>
        {
            var grain = client.GetGrain<IExperimentGrain>("rows-2e9");
            await grain.SubmitAsync(new ExperimentSpec("rows-2e9", ExperimentKinds.Dpo, Config(c => c with { SyntheticRows = 2_000_000_000 })));

            var peaks = cluster.Silos.ToDictionary(s => s.SiloPort, _ => 0L);
            var done = await WaitForFinalAsync(grain, "run with 2e9 synthetic rows fails after 2 memory kills", () =>
            {
                foreach (var silo in cluster.Silos)
                    peaks[silo.SiloPort] = Math.Max(peaks[silo.SiloPort], Pastanoodles.Modeling.ProcessMemory.Resident(silo.ProcessId) ?? 0);
            });
            output.WriteLine($"silo RSS peaks: {string.Join(", ", peaks.Select(p => $":{p.Key} {p.Value / 1e6:0} MB"))}");

            Assert.Equal(RunState.Failed, done.State);
            Assert.Equal(2, done.AttemptFailures!.Count);
            Assert.All(done.AttemptFailures, f => Assert.Contains("crashed on silo", f));
            // Every attempt crashed; under heavy load one may miss its heartbeat before it reaches the budget, so at least one must be the budget.
            Assert.True(done.AttemptFailures.Any(f => f.Contains("over the training memory budget of 900 MB", StringComparison.Ordinal)),
                string.Join("\n", done.AttemptFailures));
            Assert.All(peaks, p => Assert.True(p.Value is > 0 and < budget + 200_000_000, $"silo :{p.Key} RSS peaked at {p.Value / 1e6:0} MB; budget {budget / 1e6:0} MB"));
        }, [$"--Silo:TrainingMemoryBudget={budget}"]);
    }

    [Fact]
    public Task Cancel_kills_a_running_worker_within_2_s() => OnTwoGpuSilosAsync(async (cluster, client) =>
    {
        var grain = client.GetGrain<IExperimentGrain>("cancel-worker");
        await grain.SubmitAsync(new ExperimentSpec("cancel-worker", ExperimentKinds.Dpo, Config(c => c with { SyntheticRows = 4000 })));
        var running = await Phase.Until("the worker trains", async () => (await grain.GetStatusAsync())!, s => s.Step >= 1 || s.State.IsFinal(), "step >= 1",
            RedisCluster.TrainingStall, describe: RedisCluster.Progress);
        var worker = Assert.Single(ProcessTable.ChildrenOf(cluster.SiloAt(running.Silo!).ProcessId));

        await grain.CancelAsync();
        var cancelled = DateTime.UtcNow;
        while (ProcessTable.Runs(worker) && DateTime.UtcNow - cancelled < TimeSpan.FromSeconds(2))
            await Task.Delay(20);

        Assert.False(ProcessTable.Runs(worker), $"worker {worker} still runs {DateTime.UtcNow - cancelled} after the cancel");
        Assert.Equal(RunState.Cancelled, (await grain.GetStatusAsync())!.State);
    });

    [Fact]
    public Task A_stopped_worker_misses_its_heartbeat_and_the_next_attempt_resumes_from_the_last_checkpoint() => OnTwoGpuSilosAsync(async (cluster, client) =>
    {
        var grain = client.GetGrain<IExperimentGrain>("stopped-worker");
        await grain.SubmitAsync(new ExperimentSpec("stopped-worker", ExperimentKinds.Dpo, Config()));
        var saved = await Phase.Until("a first checkpoint", async () => (await grain.GetStatusAsync())!, s => s.Checkpoints.Count >= 1 || s.State.IsFinal(),
            "1 checkpoint", RedisCluster.TrainingStall, describe: RedisCluster.Progress);
        var worker = Assert.Single(ProcessTable.ChildrenOf(cluster.SiloAt(saved.Silo!).ProcessId));
        ProcessTable.Signal(worker, "STOP");
        var stoppedAt = (await grain.GetStatusAsync())!.Checkpoints[^1];

        var done = await WaitForFinalAsync(grain, "the run completes in a second attempt");
        ProcessTable.Signal(worker, "KILL");   // already killed by the supervisor; this only makes sure

        Assert.True(done.State == RunState.Completed, $"{done.State}: {done.Error}");
        Assert.Contains("sent no heartbeat for", Assert.Single(done.AttemptFailures!));
        Assert.Equal(2, done.Attempts);
        Assert.Contains(done.Checkpoints, c => c.Path == stoppedAt.Path);   // adopted from attempt 1, not redone
        var folders = done.Checkpoints.Select(c => Path.GetFileName(Path.GetDirectoryName(c.Path))).ToList();
        Assert.Equal([.. folders.Order()], folders);   // attempt 1's checkpoints, then attempt 2's: each attempt writes in its own folder
        Assert.Equal("attempt-2", folders[^1]);
        var trainSteps = (await grain.GetMetricsAsync(0)).Where(m => m.Split == Splits.Train).Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, done.TotalSteps), trainSteps);
    }, ["--Silo:WorkerHeartbeatTimeout=00:00:10"]);

    /// <summary>Runs <paramref name="body"/> on a Redis cluster of two gpu silo processes (admission off unless <paramref name="admission"/>, plus <paramref name="arguments"/>),
    /// then checks that neither silo died or restarted: the same processes run, and the membership table holds the same two silos
    /// (address and generation), both active, and no dead one.</summary>
    Task OnTwoGpuSilosAsync(Func<RedisCluster, IClusterClient, Task> body, string[]? arguments = null, bool admission = false) =>
        RedisCluster.RunAsync([SiloRoles.Gpu, SiloRoles.Gpu], output, async cluster =>
        {
            await using var connection = await cluster.ConnectAsync();
            var pids = cluster.Silos.Select(s => s.ProcessId).ToList();
            var members = await MembersAsync(connection.Client);
            Assert.Equal(2, members.Count(m => m.EndsWith(" Active", StringComparison.Ordinal)));

            await body(cluster, connection.Client);

            Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"silo :{s.SiloPort} exited with {s.ExitCode}"));
            Assert.Equal(pids, cluster.Silos.Select(s => s.ProcessId));
            Assert.All(pids, pid => Assert.True(ProcessTable.Runs(pid), $"silo pid {pid} is gone"));
            Assert.Equal(members, await MembersAsync(connection.Client));
        }, OneThread, [.. admission ? [] : new[] { NoAdmission }, .. arguments ?? []]);

    /// <summary>Every silo the membership table has ever held, as "address status" (the address carries the silo's generation).</summary>
    static async Task<List<string>> MembersAsync(IGrainFactory client) =>
        [.. (await client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false)).Select(h => $"{h.SiloAddress} {h.Status}").Order()];

    /// <summary>Waits for the run's final state; every change of its state, step, attempt or note is progress.</summary>
    static Task<ExperimentStatus> WaitForFinalAsync(IExperimentGrain grain, string phase, Action? sample = null) =>
        Phase.Until(phase, async () =>
        {
            sample?.Invoke();
            return (await grain.GetStatusAsync())!;
        }, s => s.State.IsFinal(), "a final state", RedisCluster.TrainingStall, describe: RedisCluster.Progress);
}
