using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Training;
using Pastanoodles.Tests.Training;
using Orleans.TestingHost;

namespace Pastanoodles.Tests.Cluster;

/// <summary>The real trainer (<see cref="TrainingRunner"/>) on an in-process cpu + gpu cluster: a DPO run of tiny from submit to a best checkpoint that answers.</summary>
public sealed class RealTrainingTests : IAsyncLifetime
{
    readonly TempDir _data = new();
    InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RealSilos.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task A_submitted_dpo_run_of_tiny_completes_on_the_gpu_silo_and_its_best_checkpoint_answers()
    {
        var config = DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 240, EvalSteps = 15, SaveSteps = 15 };
        var runId = Experiments.NewRunId("real-dpo");
        var grain = _cluster.Client.GetGrain<IExperimentGrain>(runId);
        await grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson()));

        var done = await Phase.Until("real DPO run to completion", async () => (await grain.GetStatusAsync())!,
            s => s.State is RunState.Completed or RunState.Failed or RunState.Cancelled, $"experiment {runId} completed", TimeSpan.FromSeconds(120));
        Assert.True(done.State == RunState.Completed, $"{done.State}: {done.Error}");
        var gpuSilo = _cluster.Silos.Single(s => s.Name != "Silo_0").SiloAddress.ToString();
        Assert.Equal(gpuSilo, done.Silo);
        Assert.Equal(45, done.Step);                                   // 180 train rows / batch 4 = 45 steps
        Assert.Equal(3, done.Checkpoints.Count);
        Assert.True(done.TestAccuracy >= 0.8, $"test reward accuracy {done.TestAccuracy}");
        Assert.True(File.Exists(Path.Combine(done.BestCheckpoint!, "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(done.BestCheckpoint)!, "plots", "accuracy.png")));
        var metrics = await grain.GetMetricsAsync(0);
        Assert.Contains(metrics, m => m.Split == "test" && m.Values.ContainsKey("rewards/accuracies"));

        // The best checkpoint is a PEFT adapter folder the answering engine loads onto the same base.
        using var model = LoadedModel.Load("tiny", done.FinalAdapter);
        // Loaded, the adapter changes the letter scores: the answering engine uses the trained weights, not the bare base.
        using var bare = LoadedModel.Load("tiny");
        var prompt = model.Tokenizer.Encode(RagPrompt.Render("Cats are animals.", "Which is an animal?\nA. cat\nB. lamp"));
        var adapted = LetterScorer.Choose(model.Model, model.Tokenizer, prompt, ['A', 'B']);
        var plain = LetterScorer.Choose(bare.Model, bare.Tokenizer, prompt, ['A', 'B']);
        Assert.NotNull(model.Adapter);
        Assert.NotEqual(plain.LogLikelihoods['A'], adapted.LogLikelihoods['A']);
    }
}
