using System.Text.Json;
using System.Text.Json.Nodes;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Silos that stop, start again or join late, each test on its own cluster over one data folder.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RestartTests : IDisposable
{
    readonly TempDir _data = new();
    readonly RunJournal _journal = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_full_restart_keeps_every_experiments_state_and_resumes_the_unfinished_run_from_its_checkpoint()
    {
        var (done, held, queued) = (Experiments.NewRunId("done"), Experiments.NewRunId("held"), Experiments.NewRunId("queued"));
        string before;
        await using (var first = await TestCluster.StartAsync(2, _data.Path, _journal))   // Silo_0 cpu, Silo_1 gpu with one device
        {
            await first.Client.SubmitAsync(done, new CountingConfig(Steps: 4));
            await first.Client.WaitForStateAsync(done, RunState.Completed, "first run completes before the restart");
            await first.Client.SubmitAsync(held, new CountingConfig(Steps: 12, CheckpointEvery: 5, HoldAtStep: 7));
            await _journal.WaitForHoldAsync(held).Within($"{held} reaches its hold at step 7");
            await Phase.Until($"{held} has checkpoint 5 stored", () => first.Client.StatusAsync(held), s => s.Checkpoints.Any(c => c.Step == 5), "a checkpoint at step 5");
            await first.Client.SubmitAsync(queued, new CountingConfig(Steps: 3));
            await first.Client.WaitForStateAsync(queued, RunState.Queued, "third run queues behind the held one");
            await first.Client.GetGrain<IExperimentGrain>(queued).CancelAsync();
            before = await SnapshotAsync(first.Client, done, queued);
        }
        _journal.Release(held);

        await using var second = await TestCluster.StartAsync(2, _data.Path, _journal);
        var after = await SnapshotAsync(second.Client, done, queued);
        var resumed = await second.Client.WaitForStateAsync(held, RunState.Completed, "held run resumes after the restart and completes");

        Assert.Equal(before, after);
        Assert.Single(_journal.AttemptsOf(done));
        Assert.Empty(_journal.AttemptsOf(queued));
        var attempts = _journal.AttemptsOf(held);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("cancelled", 7), (attempts[0].Result, attempts[0].Count + 1));   // stopped while held before step 7
        Assert.Equal((5, 5, "completed", 12), (attempts[1].ResumedFromStep, attempts[1].StartCount, attempts[1].Result, attempts[1].Count));
        await AssertResumedRunAsync(second.Client, held, resumed, steps: 12, checkpoints: [5, 10, 12]);
    }

    [Fact]
    public async Task A_run_whose_trainer_silo_stops_resumes_from_its_last_checkpoint_on_the_other_gpu_silo()
    {
        var runId = Experiments.NewRunId("failover");
        await using var cluster = await TestCluster.StartAsync(3, _data.Path, _journal);   // Silo_0 cpu, Silo_1 and Silo_2 gpu

        await cluster.Client.SubmitAsync(runId, new CountingConfig(Steps: 20, CheckpointEvery: 5, HoldAtStep: 7));
        await _journal.WaitForHoldAsync(runId).Within($"{runId} reaches its hold at step 7");
        var running = await Phase.Until($"{runId} has checkpoint 5 stored", () => cluster.Client.StatusAsync(runId),
            s => s.Checkpoints.Any(c => c.Step == 5), "a checkpoint at step 5");
        var lost = cluster.Cluster.Silos.Single(s => s.SiloAddress.ToString() == running.Silo);
        await cluster.Cluster.StopSiloAsync(lost);
        _journal.Release(runId);
        // Polling the status re-activates the experiment if it lived on the lost silo; its watchdog then hands the run to a new trainer.
        var done = await cluster.Client.WaitForStateAsync(runId, RunState.Completed, "run resumes on the other gpu silo and completes");

        var attempts = _journal.AttemptsOf(runId);
        Assert.Equal(2, attempts.Count);
        Assert.Equal((lost.Name, "cancelled"), (attempts[0].Silo, attempts[0].Result));
        Assert.NotEqual(lost.Name, attempts[1].Silo);
        Assert.NotEqual("Silo_0", attempts[1].Silo);
        Assert.Equal((5, 5, "completed", 20), (attempts[1].ResumedFromStep, attempts[1].StartCount, attempts[1].Result, attempts[1].Count));
        await AssertResumedRunAsync(cluster.Client, runId, done, steps: 20, checkpoints: [5, 10, 15, 20]);
    }

    [Fact]
    public async Task A_trainer_that_refuses_the_run_fails_it_with_the_reason_instead_of_waiting_for_another()
    {
        // The hand-off: a missing gpu silo is waited for, any other refusal fails the run at once.
        // The cpu silo reads one folder more than the gpu silo: a user who put the data only there gets a run the trainer refuses.
        using var files = new TempDir();
        var (onlyOnCpu, trainFile) = (files.Path, files["train.jsonl"]);
        File.WriteAllText(trainFile, "");
        var runId = Experiments.NewRunId("refused");
        var config = JsonNode.Parse(new CountingConfig(Steps: 2).ToJson())!.AsObject();
        config["train_file"] = trainFile;
        await using var cluster = await TestCluster.StartAsync(1, _data.Path, _journal, (silo, experiments) =>
        {
            if (TestCluster.RoleOf(silo) == SiloRoles.Cpu)
                experiments.InputRoots = [.. experiments.InputRoots, onlyOnCpu];
        });

        // Only the cpu silo so far: the experiment lives there and waits for a gpu silo, which is not the run's fault.
        await cluster.Client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJsonString()));
        var waiting = await cluster.Client.StatusAsync(runId);
        await cluster.Cluster.StartAdditionalSiloAsync();   // Silo_1, gpu, reading only the data folder
        var failed = await cluster.Client.WaitForStateAsync(runId, RunState.Failed, $"the gpu silo's trainer refuses {runId} and the run fails");

        Assert.True(waiting.State == RunState.Queued, waiting.Error);
        Assert.Equal("waiting in the cluster's training queue for a free device on any gpu silo", waiting.Error);
        Assert.Equal($"handing the run to a trainer failed: InvalidDataException: experiment '{runId}': train_file '{trainFile}' is not under " +
            $"the folders this silo reads (Silo:InputRoots: {_data.Path}, {_data.Path}). Put the file in the shared data or artifacts folder and name it there.",
            failed.Error);
        Assert.Empty(_journal.AttemptsOf(runId));   // refused before any attempt ran
        Assert.Equal(RunState.Failed, (await cluster.Client.GetGrain<IExperimentGrain>(runId).CancelAsync()).State);   // final: nothing left to cancel
    }

    /// <summary>Two attempts, and a history as if the run had never stopped: each step's metrics once, each checkpoint once.</summary>
    static async Task AssertResumedRunAsync(IClusterClient client, string runId, ExperimentStatus done, int steps, int[] checkpoints)
    {
        Assert.Equal((2, steps), (done.Attempts, done.Step));
        Assert.Equal(checkpoints, done.Checkpoints.Select(c => c.Step));
        var metrics = await client.GetGrain<IExperimentGrain>(runId).GetMetricsAsync(0);
        Assert.Equal(Enumerable.Range(1, steps), metrics.Where(m => m.Split == Splits.Train).Select(m => m.Step));
    }

    static async Task<string> SnapshotAsync(IClusterClient client, params string[] runIds)
    {
        var snapshot = new List<object>();
        foreach (var runId in runIds)
            snapshot.Add(new { status = await client.StatusAsync(runId), metrics = await client.GetGrain<IExperimentGrain>(runId).GetMetricsAsync(0) });
        return JsonSerializer.Serialize(snapshot);
    }
}
