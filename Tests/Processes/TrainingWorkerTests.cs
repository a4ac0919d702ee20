using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using Pastanoodles.Training;

namespace Pastanoodles.Tests.Processes;

/// <summary>Each training attempt in its own worker process under a real silo process: a native abort, a memory flood, a cancel and a
/// stopped worker each end the worker, never the silo; a run that keeps crashing fails with every attempt's reason.</summary>
/// <remarks>One localhost silo process: redis-server is not installed on every machine these tests run on, and a crash of the worker
/// is a matter between one silo and its child. In the Redis collection, so that they run alone, after the parallel tests.</remarks>
[Collection(RedisProcessCollection.Name)]
public sealed class TrainingWorkerTests : IDisposable
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);
    static readonly IReadOnlyDictionary<string, string> OneThread = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
    /// <summary>Admission control would refuse the bad runs at submit (<see cref="Cluster.AdmissionTests"/>); these test what happens past it.</summary>
    const string NoAdmission = "--Silo:AdmissionControl=false";
    readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    static string Config(Func<TrainingConfig, TrainingConfig>? change = null) =>
        (change ?? (c => c))(DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 48, EvalSteps = 2, SaveSteps = 2 }).ToJson();

    [Fact]
    public async Task A_worker_that_aborts_natively_fails_its_run_after_two_crashes_and_the_silo_lives()
    {
        await using var silo = await SiloProcess.StartAsync(_data.Path, [NoAdmission], OneThread);
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None);
        var grain = connection.Client.GetGrain<IExperimentGrain>("r-100000");
        // r = 100000 makes libtorch allocate a 40 GB r x r matrix and abort (c10::Error, SIGABRT): nothing in-process can catch it.
        await grain.SubmitAsync(new ExperimentSpec("r-100000", ExperimentKinds.Dpo, Config(c => c with { Lora = c.Lora with { R = 100000 } })));

        var done = await Poll.Until("run with r = 100000 fails", async () => (await grain.GetStatusAsync())!, s => s.State.IsFinal(),
            "Failed after 2 crashes", RunTimeout, s => $"{s.State} attempts {s.Attempts}: {s.Error}");

        Assert.Equal(RunState.Failed, done!.State);
        Assert.Equal(2, done.AttemptFailures!.Count);
        Assert.All(done.AttemptFailures, f => Assert.Contains("was killed by signal 6 (SIGABRT", f));
        Assert.All(done.AttemptFailures, f => Assert.Contains("DefaultCPUAllocator: can't allocate memory", f));
        Assert.Contains("2 attempt(s) crashed", done.Error);
        Assert.False(silo.HasExited, silo.Log);
        Assert.Equal(SiloRoles.Gpu, (await connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync()).Single().Role);
        Assert.Empty(Workers(silo.ProcessId));
    }

    [Fact]
    public async Task A_worker_over_its_memory_budget_is_killed_and_the_silo_stays_small()
    {
        const long budget = 900_000_000;
        await using var silo = await SiloProcess.StartAsync(_data.Path, [NoAdmission, $"--Silo:TrainingMemoryBudget={budget}"], OneThread);
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None);
        var grain = connection.Client.GetGrain<IExperimentGrain>("rows-2e9");
        await grain.SubmitAsync(new ExperimentSpec("rows-2e9", ExperimentKinds.Dpo, Config(c => c with { SyntheticRows = 2_000_000_000 })));

        long siloPeak = 0;
        var done = await Poll.Until("run with 2e9 synthetic rows fails", async () =>
        {
            siloPeak = Math.Max(siloPeak, WorkerProcessRunner.ResidentBytes(silo.ProcessId) ?? 0);
            return (await grain.GetStatusAsync())!;
        }, s => s.State.IsFinal(), "Failed after 2 memory kills", RunTimeout, s => $"{s.State}: {s.Error}");

        Assert.Equal(RunState.Failed, done!.State);
        Assert.Equal(2, done.AttemptFailures!.Count);
        // Every attempt crashed; under heavy load one may miss its heartbeat before it reaches the budget, so at least one must be the budget.
        Assert.True(done.AttemptFailures.Any(f => f.Contains("over the training memory budget of 900 MB", StringComparison.Ordinal)),
            string.Join("\n", done.AttemptFailures));
        Assert.True(siloPeak < budget + 200_000_000, $"silo RSS peaked at {siloPeak / 1e6:0} MB; budget {budget / 1e6:0} MB");
        Assert.False(silo.HasExited, silo.Log);
    }

    [Fact]
    public async Task Cancel_kills_a_running_worker_within_2_s()
    {
        await using var silo = await SiloProcess.StartAsync(_data.Path, [NoAdmission], OneThread);
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None);
        var grain = connection.Client.GetGrain<IExperimentGrain>("cancel-worker");
        await grain.SubmitAsync(new ExperimentSpec("cancel-worker", ExperimentKinds.Dpo, Config(c => c with { SyntheticRows = 4000 })));
        await Poll.Until("the worker trains", async () => (await grain.GetStatusAsync())!, s => s.Step >= 1, "step >= 1", RunTimeout, s => $"{s.State} step {s.Step}: {s.Error}");
        var worker = Assert.Single(Workers(silo.ProcessId));

        await grain.CancelAsync();
        var cancelled = DateTime.UtcNow;
        while (Directory.Exists($"/proc/{worker}") && !IsZombie(worker) && DateTime.UtcNow - cancelled < TimeSpan.FromSeconds(2))
            await Task.Delay(20);

        Assert.False(Directory.Exists($"/proc/{worker}") && !IsZombie(worker), $"worker {worker} still runs {DateTime.UtcNow - cancelled} after the cancel");
        Assert.Equal(RunState.Cancelled, (await grain.GetStatusAsync())!.State);
        Assert.False(silo.HasExited, silo.Log);
    }

    [Fact]
    public async Task A_stopped_worker_misses_its_heartbeat_and_the_next_attempt_resumes_from_the_last_checkpoint()
    {
        await using var silo = await SiloProcess.StartAsync(_data.Path, [NoAdmission, "--Silo:WorkerHeartbeatTimeout=00:00:10"], OneThread);
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None);
        var grain = connection.Client.GetGrain<IExperimentGrain>("stopped-worker");
        await grain.SubmitAsync(new ExperimentSpec("stopped-worker", ExperimentKinds.Dpo, Config()));
        var saved = await Poll.Until("a first checkpoint", async () => (await grain.GetStatusAsync())!, s => s.Checkpoints.Count >= 1,
            "1 checkpoint", RunTimeout, s => $"{s.State} step {s.Step}: {s.Error}");
        var worker = Assert.Single(Workers(silo.ProcessId));
        Signal(worker, "STOP");
        var stoppedAt = (await grain.GetStatusAsync())!.Checkpoints[^1];

        var done = await Poll.Until("the run completes in a second attempt", async () => (await grain.GetStatusAsync())!, s => s.State.IsFinal(),
            "Completed", RunTimeout, s => $"{s.State} step {s.Step} attempts {s.Attempts}: {s.Error}");
        Signal(worker, "KILL");   // already killed by the supervisor; this only makes sure

        Assert.True(done!.State == RunState.Completed, $"{done.State}: {done.Error}");
        Assert.Contains("sent no heartbeat for", Assert.Single(done.AttemptFailures!));
        Assert.Equal(2, done.Attempts);
        Assert.Contains(done.Checkpoints, c => c.Path == stoppedAt.Path);   // adopted from attempt 1, not redone
        var folders = done.Checkpoints.Select(c => Path.GetFileName(Path.GetDirectoryName(c.Path))).ToList();
        Assert.Equal([.. folders.Order()], folders);   // attempt 1's checkpoints, then attempt 2's: each attempt writes in its own folder
        Assert.Equal("attempt-2", folders[^1]);
        var trainSteps = (await grain.GetMetricsAsync(0)).Where(m => m.Split == Splits.Train).Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, done.TotalSteps), trainSteps);
    }

    /// <summary>The silo's child processes in worker mode.</summary>
    static List<int> Workers(int silo) =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == silo && !IsZombie(pid))];

    static int ParentOf(int pid)
    {
        try { return int.Parse(Stat(pid)[1]); }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    static bool IsZombie(int pid)
    {
        try { return Stat(pid)[0] == "Z"; }
        catch (IOException) { return true; }
    }

    /// <summary>The fields of /proc/PID/stat after the command name: state, ppid, ...</summary>
    static string[] Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    static void Signal(int pid, string signal) => System.Diagnostics.Process.Start("kill", [$"-{signal}", $"{pid}"])!.WaitForExit();
}
