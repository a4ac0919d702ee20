using System.Diagnostics;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;
using static Pastanoodles.Tests.Support.ExportedMetrics;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Runs alone (no other test class in parallel), so that the counts read from the process-wide meters are this test's own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection : ICollectionFixture<CorpusClusterFixture>
{
    public const string Name = "telemetry";
}

/// <summary>The metrics a monitoring stack reads, taken from a real in-process cluster with the silo's meter list and OpenTelemetry's
/// in-memory exporter: Orleans' and .NET's meters, a tiny DPO run's progress, an ask with its adapter, the shard searches it made.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(CorpusClusterFixture fixture)
{
    const string Question = "What is it called when two different keys are placed in the same bucket of a hash table?\nA. A rehash\nB. A collision\nC. A probe\nD. A digest";

    [Fact]
    public async Task A_training_run_and_an_ask_are_exported_with_orleans_and_runtime_meters()
    {
        using var exported = new ExportedMetrics();
        var runId = Experiments.NewRunId("telemetry-dpo");
        var config = DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 48, EvalSteps = 3, SaveSteps = 3 };
        var run = fixture.Client.GetGrain<IExperimentGrain>(runId);
        await run.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson()));
        var done = await UntilFinalAsync(run, runId);
        Assert.True(done.State == RunState.Completed, $"{done.State}: {done.Error}");

        var watch = Stopwatch.StartNew();
        await fixture.Client.GetGrain<IAnswerGrain>(0).AskAsync(new AnswerRequest(Question, runId)).Within("ask with the run's adapter");
        var askSeconds = watch.Elapsed.TotalSeconds;
        var metrics = exported.Collect();

        // Training: the gauges hold the last train point the experiment stored.
        var lastTrain = (await run.GetMetricsAsync(0)).Last(m => m.Split == Splits.Train).Values;
        double Gauge(string name) => Assert.Single(Points(metrics, name, (PastanoodlesMetrics.RunIdTag, runId), (PastanoodlesMetrics.SplitTag, "train"))).GetGaugeLastValueDouble();
        Assert.Equal(lastTrain["loss"], Gauge("pastanoodles.training.loss"));
        Assert.Equal(lastTrain["rewards/accuracies"], Gauge("pastanoodles.training.reward_accuracy"));
        Assert.Equal(lastTrain["tokens_per_second"], Gauge("pastanoodles.training.tokens_per_second"));
        Assert.True(lastTrain["tokens_per_second"] > 0, $"tokens/s {lastTrain["tokens_per_second"]}");
        Assert.NotEmpty(Points(metrics, "pastanoodles.training.loss", (PastanoodlesMetrics.RunIdTag, runId), (PastanoodlesMetrics.SplitTag, "eval")));

        // The ask: one, timed within what the client saw; it searched each shard once.
        var ask = Assert.Single(Points(metrics, "pastanoodles.ask.duration", (PastanoodlesMetrics.RunIdTag, runId)));
        Assert.Equal(1, ask.GetHistogramCount());
        Assert.InRange(ask.GetHistogramSum(), 1e-6, askSeconds);
        var searches = Points(metrics, "pastanoodles.shard.search.duration");
        Assert.Equal(Enumerable.Range(0, CorpusClusterFixture.Shards).Select(s => (long)s), searches.Select(p => (long)Tags(p)[PastanoodlesMetrics.ShardTag]!).Order());
        Assert.All(searches, p => Assert.Equal(1, p.GetHistogramCount()));

        // The gpu silo's device is free again and nothing waits.
        var gpu = fixture.Cluster.Silos.Single(s => s.Name != "Silo_0").SiloAddress.ToString();
        Assert.Equal(0, Assert.Single(Points(metrics, "pastanoodles.trainer.device.busy", (PastanoodlesMetrics.SiloTag, gpu), (PastanoodlesMetrics.DeviceTag, "cpu"))).GetSumLong());
        Assert.Equal(0, Assert.Single(Points(metrics, "pastanoodles.trainer.queue.length")).GetSumLong());   // one point: the silo that hosts the queue

        // Orleans' own meter and .NET's runtime meter come through the same wiring.
        Assert.Contains(metrics, m => m.MeterName == "Microsoft.Orleans" && m.Name == "orleans-catalog-activations");
        Assert.True(Points(metrics, "dotnet.process.cpu.time").Sum(p => p.GetSumDouble()) > 0, "process CPU time");
    }

    [Fact]
    public async Task The_queue_length_is_the_cluster_queue_reported_once()
    {
        using var exported = new ExportedMetrics();
        var config = DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 4000 };   // long enough to hold the one device
        var runIds = Enumerable.Range(1, 3).Select(i => Experiments.NewRunId($"queued-{i}")).ToList();
        foreach (var runId in runIds)
            await fixture.Client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson()));
        var queue = fixture.Client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key);
        try
        {
            // One run holds the gpu silo's only device, two wait.
            var waiting = await Phase.Until("two runs wait", () => queue.GetWaitingAsync().AsTask(), w => w.Count == 2, "2 waiting", TimeSpan.FromSeconds(60),
                describe: w => string.Join(", ", w));
            Assert.Equal(runIds[1..], waiting);
            Assert.Equal(2, Assert.Single(Points(exported.Collect(), "pastanoodles.trainer.queue.length")).GetSumLong());

            await fixture.Client.GetGrain<IExperimentGrain>(runIds[2]).CancelAsync();   // a cancel leaves the queue
            Assert.Equal(1, Assert.Single(Points(exported.Collect(), "pastanoodles.trainer.queue.length")).GetSumLong());
        }
        finally
        {
            foreach (var runId in runIds)
                await fixture.Client.GetGrain<IExperimentGrain>(runId).CancelAsync();
        }
        Assert.Equal(0, Assert.Single(Points(exported.Collect(), "pastanoodles.trainer.queue.length")).GetSumLong());
    }

    /// <summary>Waits for the run to end; the deadline follows its progress (60 s without a new step or state), not the wall clock.</summary>
    static async Task<ExperimentStatus> UntilFinalAsync(IExperimentGrain run, string runId)
    {
        var status = (await run.GetStatusAsync())!;
        var (seen, lastMove) = ((status.State, status.Step), Stopwatch.StartNew());
        while (!status.State.IsFinal())
        {
            if (lastMove.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"Phase 'tiny DPO run to its end': run {runId} made no progress for 60 s. Expected a final state; actual: {status}");
            await Task.Delay(50);
            status = (await run.GetStatusAsync())!;
            if ((status.State, status.Step) == seen)
                continue;
            seen = (status.State, status.Step);
            lastMove.Restart();
        }
        return status;
    }
}
