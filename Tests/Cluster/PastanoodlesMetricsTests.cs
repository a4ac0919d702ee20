using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using static Pastanoodles.Tests.Support.ExportedMetrics;

namespace Pastanoodles.Tests.Cluster;

/// <summary><see cref="PastanoodlesMetrics"/> read through the silo's meter list and OpenTelemetry's in-memory exporter, without a cluster.</summary>
public sealed class PastanoodlesMetricsTests : IDisposable
{
    readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    readonly ExportedMetrics _exported = new();
    readonly string _silo = $"test-silo-{Guid.NewGuid():N}";

    PastanoodlesMetrics NewMetrics() => new(_services.GetRequiredService<IMeterFactory>(), _silo);

    [Fact]
    public void Progress_sets_loss_accuracy_and_throughput_gauges_per_run_and_split_to_the_last_value()
    {
        var metrics = NewMetrics();
        var runId = $"run-{Guid.NewGuid():N}";
        metrics.RecordProgress(runId, [
            new MetricPoint(1, Splits.Train, new Dictionary<string, double> { ["loss"] = 0.69, ["rewards/accuracies"] = 0.5, ["tokens_per_second"] = 1200 }, DateTimeOffset.UtcNow),
            new MetricPoint(2, Splits.Train, new Dictionary<string, double> { ["loss"] = 0.61, ["rewards/accuracies"] = 0.75, ["tokens_per_second"] = 1300 }, DateTimeOffset.UtcNow),
            new MetricPoint(2, Splits.Eval, new Dictionary<string, double> { ["loss"] = 0.65, ["rewards/accuracies"] = double.NaN }, DateTimeOffset.UtcNow),
        ]);
        metrics.RecordProgress($"{runId}-mcqa", [new MetricPoint(1, Splits.Test, new Dictionary<string, double> { ["accuracy"] = 0.25 }, DateTimeOffset.UtcNow)]);

        var exported = _exported.Collect();
        double Last(string name, string run, string split) =>
            Assert.Single(Points(exported, name, (PastanoodlesMetrics.RunIdTag, run), (PastanoodlesMetrics.SplitTag, split))).GetGaugeLastValueDouble();

        Assert.Equal(0.61, Last("pastanoodles.training.loss", runId, "train"));
        Assert.Equal(0.75, Last("pastanoodles.training.reward_accuracy", runId, "train"));
        Assert.Equal(1300, Last("pastanoodles.training.tokens_per_second", runId, "train"));
        Assert.Equal(0.65, Last("pastanoodles.training.loss", runId, "eval"));
        Assert.Equal(0.25, Last("pastanoodles.training.accuracy", $"{runId}-mcqa", "test"));
        Assert.Empty(Points(exported, "pastanoodles.training.reward_accuracy", (PastanoodlesMetrics.RunIdTag, runId), (PastanoodlesMetrics.SplitTag, "eval")));   // NaN is not a value
        Assert.Empty(Points(exported, "pastanoodles.training.tokens_per_second", (PastanoodlesMetrics.RunIdTag, runId), (PastanoodlesMetrics.SplitTag, "eval")));
        Assert.Equal("{token}/s", exported.Single(m => m.Name == "pastanoodles.training.tokens_per_second").Unit);
    }

    [Fact]
    public async Task Busy_devices_follow_the_training_slots()
    {
        var slots = NewMetrics().Observe(new TrainingSlots(["cuda:0", "cuda:1"]));
        (long Cuda0, long Cuda1) Read()
        {
            var exported = _exported.Collect();
            long Busy(string device) => Assert.Single(Points(exported, "pastanoodles.trainer.device.busy",
                (PastanoodlesMetrics.SiloTag, _silo), (PastanoodlesMetrics.DeviceTag, device))).GetSumLong();
            return (Busy("cuda:0"), Busy("cuda:1"));
        }

        Assert.Equal((0, 0), Read());
        var first = await slots.AcquireAsync("a", CancellationToken.None);
        var second = await slots.AcquireAsync("b", CancellationToken.None);
        var third = slots.AcquireAsync("c", CancellationToken.None);
        Assert.Equal((1, 1), Read());

        first.Dispose();
        (await third).Dispose();
        Assert.Equal((0, 1), Read());
        second.Dispose();
        Assert.Equal((0, 0), Read());
    }

    [Fact]
    public void The_queue_length_is_reported_only_while_this_silo_hosts_the_queue()
    {
        var metrics = NewMetrics();
        IEnumerable<long> Queue() => Points(_exported.Collect(), "pastanoodles.trainer.queue.length", (PastanoodlesMetrics.SiloTag, _silo)).Select(p => p.GetSumLong());

        Assert.Empty(Queue());
        metrics.ReportQueue(3);
        Assert.Equal([3], Queue());
        metrics.ReportQueue(0);
        Assert.Equal([0], Queue());
        metrics.ReportQueue(null);   // the queue grain left this silo
        Assert.Empty(Queue());
    }

    [Fact]
    public async Task A_device_listed_twice_counts_both_of_its_runs()
    {
        var slots = NewMetrics().Observe(new TrainingSlots(["cpu", "cpu"]));
        long Busy() => Assert.Single(Points(_exported.Collect(), "pastanoodles.trainer.device.busy", (PastanoodlesMetrics.SiloTag, _silo))).GetSumLong();

        using var first = await slots.AcquireAsync("a", CancellationToken.None);
        Assert.Equal(1, Busy());
        using var second = await slots.AcquireAsync("b", CancellationToken.None);
        Assert.Equal(2, Busy());
    }

    [Fact]
    public void Ask_and_shard_search_durations_are_histograms_in_seconds_tagged_with_run_shard_and_error()
    {
        var metrics = NewMetrics();
        var runId = $"ask-{Guid.NewGuid():N}";
        metrics.RecordAsk(TimeSpan.FromMilliseconds(250), runId, null);
        metrics.RecordAsk(TimeSpan.FromMilliseconds(750), runId, null);
        metrics.RecordAsk(TimeSpan.FromMilliseconds(10), runId, new ExperimentNotFoundException(runId));

        var exported = _exported.Collect();
        var ok = Assert.Single(Points(exported, "pastanoodles.ask.duration", (PastanoodlesMetrics.RunIdTag, runId)), p => !Tags(p).ContainsKey("error.type"));
        var failed = Assert.Single(Points(exported, "pastanoodles.ask.duration", (PastanoodlesMetrics.RunIdTag, runId), ("error.type", nameof(ExperimentNotFoundException))));
        Assert.Equal((2, 1.0), (ok.GetHistogramCount(), ok.GetHistogramSum()));
        Assert.Equal((1, 0.01), (failed.GetHistogramCount(), failed.GetHistogramSum()));
        Assert.Equal("s", exported.Single(m => m.Name == "pastanoodles.ask.duration").Unit);
    }

    public void Dispose()
    {
        _exported.Dispose();
        _services.Dispose();
    }
}
