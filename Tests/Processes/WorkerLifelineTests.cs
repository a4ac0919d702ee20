using System.Diagnostics;
using System.Text.Json;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>A training worker never outlives its silo (<see cref="WorkerLifeline"/>): the kernel kills it when the silo is SIGKILLed,
/// even while it is stopped, and it kills itself when the pipe from its silo closes; the run resumes on the other gpu silo.</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class WorkerLifelineTests(ITestOutputHelper output)
{
    /// <summary>Nothing makes progress while the test waits for a dead silo's worker to go: the kernel does it at once, or never.</summary>
    static readonly TimeSpan OrphanStall = TimeSpan.FromSeconds(30);

    [Fact]
    public Task A_stopped_worker_dies_with_its_SIGKILLed_silo_and_the_run_resumes_on_the_other_gpu_silo() =>
        RedisCluster.RunAsync([SiloRoles.Gpu, SiloRoles.Gpu], output, async cluster =>
        {
            await using var connection = await cluster.ConnectAsync();
            var grain = connection.Client.GetGrain<IExperimentGrain>("orphan");
            // 160 synthetic rows: 30 steps of 4; a checkpoint every 5 steps.
            await grain.SubmitAsync(new ExperimentSpec("orphan", ExperimentKinds.Dpo, TrainingWorkerTests.Config(c => c with { SyntheticRows = 160, EvalSteps = 5, SaveSteps = 5 })));
            var running = await Phase.Until("a first checkpoint", async () => (await grain.GetStatusAsync())!,
                s => s is { State: RunState.Running, Checkpoints.Count: >= 1 } || s.State.IsFinal(), "running with 1 checkpoint", RedisCluster.TrainingStall,
                describe: RedisCluster.Progress);
            Assert.True(running.State == RunState.Running, RedisCluster.Progress(running));
            var silo = cluster.SiloAt(running.Silo!);
            var worker = Assert.Single(ProcessTable.ChildrenOf(silo.ProcessId));

            // Stopped, the worker cannot notice anything itself: only the kernel's parent-death signal can end it.
            ProcessTable.Signal(worker, "STOP");
            await silo.KillAloneAsync();
            output.WriteLine($"stopped worker {worker}, then SIGKILLed silo :{silo.SiloPort} (pid {silo.ProcessId}) at step {running.Step}");
            await Phase.Until($"the dead silo's worker {worker} is gone", () => Task.FromResult(ProcessTable.Runs(worker)), runs => !runs,
                "no process", OrphanStall, describe: runs => runs ? $"worker {worker} runs, parent {ProcessTable.ParentOf(worker)}" : "gone");

            var done = await Phase.Until("the run completes on the other gpu silo", async () => (await grain.GetStatusAsync())!, s => s.State.IsFinal(),
                "Completed", RedisCluster.TrainingStall, describe: RedisCluster.Progress);
            Assert.True(done.State == RunState.Completed, RedisCluster.Progress(done));
            Assert.NotEqual(running.Silo, done.Silo);
            Assert.Equal(30, done.Step);
            Assert.Contains(done.AttemptFailures!, f => f.Contains("was lost", StringComparison.Ordinal));
        }, TrainingWorkerTests.OneThread);

    [Fact]
    public async Task A_worker_kills_itself_when_the_pipe_from_its_silo_closes()
    {
        using var runs = new TempDir();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Pastanoodles.Silo.dll"), "worker" })
            start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment.Remove(WorkerLifeline.SiloPidVariable);   // no silo pid: the parent-death signal is not set, only the pipe counts
        using var worker = Process.Start(start)!;
        var stderr = worker.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        var stdout = Task.Run(async () =>
        {
            while (await worker.StandardOutput.ReadLineAsync() is { } line)
                lock (lines) lines.Add(line);
        });
        var spec = new ExperimentSpec("pipe", ExperimentKinds.Dpo, TrainingWorkerTests.Config(c => c with { SyntheticRows = 4000 }));
        await worker.StandardInput.WriteLineAsync(JsonSerializer.Serialize(
            new WorkerRequest(new RunRequest(spec, runs.Path, null, "cpu"), TimeSpan.FromSeconds(1)), WorkerMessage.Json));
        await worker.StandardInput.FlushAsync();
        int Steps() { lock (lines) return lines.Count(l => l.Contains("\"type\":\"step\"", StringComparison.Ordinal)); }
        await Phase.Until("the worker trains", () => Task.FromResult(Steps()), steps => steps >= 1, "a step line", progress: _ => lines.Count);

        worker.StandardInput.Close();
        await worker.WaitForExitAsync().Within("the worker exits once its stdin closed", () => $"{Steps()} step lines", RedisCluster.TrainingStall);
        await stdout;

        Assert.Equal(128 + 9, worker.ExitCode);   // killed itself (SIGKILL), not an outcome after training on
        Assert.Contains("the pipe from the silo closed", await stderr);
        lock (lines) Assert.DoesNotContain(lines, l => l.Contains("\"outcome\"", StringComparison.Ordinal));
    }
}
