using System.Text.Json.Nodes;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>The experiment's hand-off to a trainer: a missing gpu silo is waited for, any other refusal fails the run at once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HandOffTests : IDisposable
{
    readonly TempDir _data = new();
    readonly TempDir _onlyOnCpu = new();
    readonly RunJournal _journal = new();

    public void Dispose()
    {
        _data.Dispose();
        _onlyOnCpu.Dispose();
    }

    [Fact]
    public async Task A_trainer_that_refuses_the_run_fails_it_with_the_reason_instead_of_waiting_for_another()
    {
        // The cpu silo reads one folder more than the gpu silo: a user who put the data only there gets a run the trainer refuses.
        var onlyOnCpu = _onlyOnCpu.Path;
        var trainFile = _onlyOnCpu["train.jsonl"];
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
        Assert.StartsWith("waiting for a trainer on a gpu silo: No active silo has role 'gpu'", waiting.Error);
        Assert.Equal($"handing the run to a trainer failed: InvalidDataException: experiment '{runId}': train_file '{trainFile}' is not under " +
            $"the folders this silo reads (Silo:InputRoots: {_data.Path}, {_data.Path}). Put the file in the shared data or artifacts folder and name it there.",
            failed.Error);
        Assert.Empty(_journal.AttemptsOf(runId));   // refused before any attempt ran
        Assert.Equal(RunState.Failed, (await cluster.Client.GetGrain<IExperimentGrain>(runId).CancelAsync()).State);   // final: nothing left to cancel
    }
}
