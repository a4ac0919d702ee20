using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using Pastanoodles.Training;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>A gpu silo stopped (SIGSTOP) mid-run and continued (SIGCONT) after its run moved on: the stale attempt is fenced off, so the
/// run's metrics stay strictly ordered and its final adapter is the one an uninterrupted resume gives.</summary>
/// <remarks>Three localhost silo processes sharing one data folder (cpu primary, two gpu), since redis-server is not installed on every
/// machine these tests run on; the fencing is the same whatever the membership store.</remarks>
[Collection(RedisProcessCollection.Name)]
public sealed class SiloPauseTests(ITestOutputHelper output) : IDisposable
{
    static readonly IReadOnlyDictionary<string, string> OneThread = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
    readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_stopped_then_continued_silo_cannot_write_over_the_run_that_moved_on()
    {
        await using var primary = await SiloProcess.StartAsync(_data.Path, ["--role", SiloRoles.Cpu], OneThread);
        string[] join = ["--role", SiloRoles.Gpu, $"--Silo:PrimarySiloPort={primary.SiloPort}"];
        await using var gpu1 = await SiloProcess.StartAsync(_data.Path, join, OneThread);
        await using var gpu2 = await SiloProcess.StartAsync(_data.Path, join, OneThread);
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(primary.GatewayPort), CancellationToken.None);
        // 160 synthetic rows: 120 to train on, 30 steps of 4; a checkpoint every 5 steps.
        var config = DpoTrainerTests.Learnable("chosen by the trainer") with { SyntheticRows = 160, EvalSteps = 5, SaveSteps = 5 };
        var grain = connection.Client.GetGrain<IExperimentGrain>("paused");
        await grain.SubmitAsync(new ExperimentSpec("paused", ExperimentKinds.Dpo, config.ToJson()));

        var running = await Phase.Until("the run passes its second checkpoint", async () => (await grain.GetStatusAsync())!,
            s => s is { State: RunState.Running, Checkpoints.Count: >= 2 } || s.State.IsFinal(), "running with 2 checkpoints", TimeSpan.FromMinutes(6));
        Assert.True(running!.State == RunState.Running, $"{running.State}: {running.Error}");
        var paused = new[] { gpu1, gpu2 }.Single(s => running.Silo!.Contains($":{s.SiloPort}:", StringComparison.Ordinal));
        ProcessTable.Signal(paused.ProcessId, "STOP");
        output.WriteLine($"stopped silo :{paused.SiloPort} at step {running.Step}/{running.TotalSteps}");

        var moved = await Phase.Until("the run moves to the other gpu silo", async () => (await grain.GetStatusAsync())!,
            s => s.Attempts >= 2 || s.State.IsFinal(), "a second attempt", TimeSpan.FromMinutes(3), s => $"{s.State} attempts {s.Attempts}: {s.Error}");
        ProcessTable.Signal(paused.ProcessId, "CONT");   // the stale attempt's trainer wakes up with its reports and end still to send
        var done = await Phase.Until("the moved run completes", async () => (await grain.GetStatusAsync())!, s => s.State.IsFinal(),
            "a final state", TimeSpan.FromMinutes(6), s => $"{s.State} step {s.Step}: {s.Error}");
        await Task.Delay(TimeSpan.FromSeconds(5));   // time for anything the continued silo still had to send

        Assert.True(done!.State == RunState.Completed, $"{done.State}: {done.Error}");
        Assert.Equal(done, (await grain.GetStatusAsync())!, new StatusComparer());   // nothing late moved it
        var trainSteps = (await grain.GetMetricsAsync(0)).Where(m => m.Split == Splits.Train).Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, 30), trainSteps);
        var lastFolder = Path.GetDirectoryName(done.Checkpoints[^1].Path)!;
        var logged = MetricsLog.ReadAll(Path.Combine(lastFolder, "metrics.jsonl")).Where(r => r.Split == Splits.Train).Select(r => (int)r.Step).ToList();
        Assert.Equal(Enumerable.Range(1, 30), logged);

        // The reference: the same config resumed in this process from a copy of the checkpoint the second attempt resumed from.
        var resumedFrom = done.Checkpoints.Where(c => Path.GetDirectoryName(c.Path) != lastFolder).MaxBy(c => c.Step)!;
        using var reference = new TempDir();
        var copy = reference[Path.GetFileName(resumedFrom.Path)];
        FailoverTests.CopyDirectory(resumedFrom.Path, copy);
        var uninterrupted = Trainer.Train(config with { OutputDir = reference.Path }, resumeFrom: copy);
        Assert.True(File.ReadAllBytes(Path.Combine(uninterrupted.FinalAdapter, "adapter_model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(lastFolder, "final_adapter", "adapter_model.safetensors"))), "the final adapters differ");
        output.WriteLine($"moved after {moved!.StartedAt - running.StartedAt}; resumed from {resumedFrom.Path}; continued silo exited: {paused.HasExited}");
    }

    /// <summary>Equal in everything the run's owner sees: state, step, checkpoints, outcome, attempts.</summary>
    sealed class StatusComparer : IEqualityComparer<ExperimentStatus>
    {
        public bool Equals(ExperimentStatus? a, ExperimentStatus? b) =>
            (a!.State, a.Step, a.BestCheckpoint, a.FinalAdapter, a.Attempts, a.Silo) == (b!.State, b.Step, b.BestCheckpoint, b.FinalAdapter, b.Attempts, b.Silo)
            && a.Checkpoints.SequenceEqual(b.Checkpoints);

        public int GetHashCode(ExperimentStatus s) => s.Step;
    }
}
