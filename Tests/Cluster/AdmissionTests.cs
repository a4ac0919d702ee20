using Orleans.TestingHost;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using Pastanoodles.Training;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Admission control at submit, on silos wired like the real one: a run whose sizes do not fit its model, or whose estimated
/// peak memory is over the budget, is refused with a one-line reason, and nothing of it is stored.</summary>
public sealed class AdmissionTests : IAsyncLifetime
{
    const long Budget = 2_000_000_000;
    readonly TempDir _data = new();
    InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RealSilos.StartAsync(_data.Path, experiments: e => e.TrainingMemoryBudget = Budget);

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        _data.Dispose();
    }

    // Checkpointing off: the figures below are for a trainer that keeps every layer's activations.
    static TrainingConfig Tiny => DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 48, MaxLength = 64, GradientCheckpointing = false };

    [Theory]
    [InlineData("r", "lora.r is 100000. It must be at most 64, min(in, out) of q_proj (64 -> 64) in tiny.")]
    [InlineData("rows", "synthetic_rows is 2000000000. It must be at most 1000000.")]
    [InlineData("length", "max_length is 4096. It must be at most 2048, max_position_embeddings of tiny.")]
    [InlineData("batch", "per_device_train_batch_size is 100000. It must be at most 512.")]
    [InlineData("memory", "The run needs an estimated {estimate}, " +
        "over the training memory budget of 2000 MB (Silo:TrainingMemoryBudget). ---> HINT: lower max_length or per_device_train_batch_size " +
        "(raise gradient_accumulation_steps to keep the batch), or lora.r.")]
    public async Task A_run_that_cannot_fit_is_refused_at_submit_and_nothing_is_stored(string what, string error)
    {
        var config = what switch
        {
            "r" => Tiny with { Lora = Tiny.Lora with { R = 100000 } },
            "rows" => Tiny with { SyntheticRows = 2_000_000_000 },
            "length" => Tiny with { MaxLength = 4096 },
            "batch" => Tiny with { PerDeviceTrainBatchSize = 100000 },
            _ => Tiny with { MaxLength = 2048 },
        };
        var runId = Experiments.NewRunId($"refused-{what}");
        var grain = _cluster.Client.GetGrain<IExperimentGrain>(runId);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson())));

        // The estimate's own accuracy is measured against real processes (Processes/AdmissionEstimateTests).
        Assert.Equal(error.Replace("{estimate}", TrainingAdmission.Estimate(config, Pastanoodles.Modeling.Phi.PhiConfig.Tiny).ToString()), refused.Message);
        Assert.Null(await grain.GetStatusAsync());
    }

    [Fact]
    public async Task An_admitted_run_carries_its_memory_estimate()
    {
        var runId = Experiments.NewRunId("admitted");
        var grain = _cluster.Client.GetGrain<IExperimentGrain>(runId);

        var status = await grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, Tiny.ToJson()));
        await grain.CancelAsync();

        Assert.Equal(TrainingAdmission.Estimate(Tiny, Pastanoodles.Modeling.Phi.PhiConfig.Tiny).ToString(), status.MemoryEstimate);
        Assert.InRange(TrainingAdmission.Estimate(Tiny, Pastanoodles.Modeling.Phi.PhiConfig.Tiny).Total, 235_000_000, Budget);   // admitted: under the budget
    }
}
