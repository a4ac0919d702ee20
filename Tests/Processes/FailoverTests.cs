using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using Pastanoodles.Training;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>Real silo processes over Redis (cpu + gpu + gpu): SIGKILL the silo of a running trainer, and the run finishes on the
/// other gpu silo from its last checkpoint with the adapter an uninterrupted resume from that checkpoint gives.</summary>
[Collection(RedisProcessCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_run_whose_silo_is_killed_finishes_on_the_other_gpu_silo_with_the_adapter_of_an_uninterrupted_resume()
    {
        await RedisCluster.RunAsync([SiloRoles.Cpu, SiloRoles.Gpu, SiloRoles.Gpu], output, KillAndResumeAsync);
    }

    async Task KillAndResumeAsync(RedisCluster cluster)
    {
        await using var connection = await cluster.ConnectAsync();
        var client = connection.Client;
        // 480 synthetic rows: 360 to train on, 90 steps of 4; a checkpoint (with a test pass) every 10 steps.
        var config = DpoTrainerTests.Learnable("chosen by the trainer") with { SyntheticRows = 480, EvalSteps = 10, SaveSteps = 10 };
        const string runId = "failover";
        var grain = client.GetGrain<IExperimentGrain>(runId);
        await grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson()));

        var running = await Poll.Until("run passes its second checkpoint", () => grain.GetStatusAsync().AsTask(),
            s => s is { State: RunState.Running, Checkpoints.Count: >= 2 } || s!.State.IsFinal(), "running with 2 checkpoints", TimeSpan.FromSeconds(120));
        Assert.True(running!.State == RunState.Running && running.Step < running.TotalSteps - 10,
            $"the run must still be mid-run when its silo is killed: {running.State} at step {running.Step}/{running.TotalSteps}");
        var victim = cluster.SiloAt(running.Silo!);
        var killedAt = DateTimeOffset.UtcNow;
        await victim.KillAsync();
        output.WriteLine($"killed silo :{victim.SiloPort} (pid {victim.ProcessId}) at step {running.Step}/{running.TotalSteps}, {running.Checkpoints.Count} checkpoints reported");

        var management = client.GetGrain<IManagementGrain>(0);
        await Poll.Until("the killed silo is declared dead", async () => await management.GetHosts(onlyActive: false),
            hosts => hosts.Any(h => h.Key.ToString() == running.Silo && h.Value == SiloStatus.Dead), $"{running.Silo} Dead", TimeSpan.FromSeconds(60));
        var declaredDead = DateTimeOffset.UtcNow - killedAt;
        var resumed = await Poll.Until("the run resumes on another silo", () => grain.GetStatusAsync().AsTask(),
            s => s!.Attempts >= 2 || s.State.IsFinal(), "a second attempt", TimeSpan.FromSeconds(90));
        var resumedAfter = (resumed!.StartedAt ?? DateTimeOffset.UtcNow) - killedAt;
        var done = await Poll.Until("the resumed run completes", () => grain.GetStatusAsync().AsTask(),
            s => s!.State.IsFinal(), "a final state", TimeSpan.FromSeconds(150));
        output.WriteLine($"declared dead after {declaredDead.TotalSeconds:0.0} s; resumed after {resumedAfter.TotalSeconds:0.0} s on {done!.Silo}; completed {(done.FinishedAt - killedAt)?.TotalSeconds:0.0} s after the kill");

        Assert.True(done.State == RunState.Completed, $"{done.State}: {done.Error}\n{cluster.Logs()}");
        Assert.Equal(2, done.Attempts);
        Assert.NotEqual(running.Silo, done.Silo);
        Assert.Contains(cluster.SiloAt(done.Silo!), cluster.Silos.Where(s => s != victim && !s.HasExited));
        Assert.Equal(90, done.Step);

        // The reference: the same config resumed in this process from the checkpoint the cluster resumed from (the last one the
        // experiment held when the silo died), copied so that nothing of the cluster's run folder is touched.
        var resumedFrom = done.Checkpoints.Where(c => c.Time < killedAt).MaxBy(c => c.Step)
            ?? throw new InvalidOperationException($"no checkpoint before the kill among {string.Join(", ", done.Checkpoints.Select(c => c.Step))}");
        using var reference = new TempDir();
        CopyDirectory(resumedFrom.Path, reference[Path.GetFileName(resumedFrom.Path)]);
        var uninterrupted = Trainer.Train(config with { OutputDir = reference.Path }, resumeFrom: reference[Path.GetFileName(resumedFrom.Path)]);
        var clusterAdapter = Path.Combine(Path.GetDirectoryName(done.Checkpoints[^1].Path)!, "final_adapter", "adapter_model.safetensors");   // in the last attempt's folder
        output.WriteLine($"resumed from {resumedFrom.Path} (step {resumedFrom.Step}); comparing {clusterAdapter} with {uninterrupted.FinalAdapter}");

        Assert.Equal(90, uninterrupted.Steps);
        Assert.True(File.ReadAllBytes(Path.Combine(uninterrupted.FinalAdapter, "adapter_model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(clusterAdapter)), "the final adapters differ");
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
