using System.Diagnostics.Metrics;
using TagList = System.Diagnostics.TagList;

namespace Pastanoodles.Cluster;

/// <summary>This silo's own instruments on the <see cref="MeterName"/> meter: training progress per run, ask and shard search latency,
/// the cluster's training queue and this silo's devices. Plain <c>System.Diagnostics.Metrics</c>; the silo's OpenTelemetry wiring exports them
/// (README, Monitoring, lists every instrument with its unit and tags).</summary>
/// <remarks>A silo singleton, created through <see cref="IMeterFactory"/> so that each silo of an in-process test cluster has its own meter.
/// Training values are gauges (the last value a run reported); the full series stays in the experiment grain.</remarks>
public sealed class PastanoodlesMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "Pastanoodles";

    /// <summary>Tag: the run (experiment id) a training value or an answer's adapter belongs to.</summary>
    public const string RunIdTag = "pastanoodles.run_id";
    /// <summary>Tag: <c>train</c>, <c>eval</c> or <c>test</c> (<see cref="Splits"/>).</summary>
    public const string SplitTag = "pastanoodles.split";
    /// <summary>Tag: a training device (<c>cpu</c>, <c>cuda:0</c>).</summary>
    public const string DeviceTag = "pastanoodles.device";
    /// <summary>Tag: the silo address, on the per-silo trainer gauges.</summary>
    public const string SiloTag = "pastanoodles.silo";
    /// <summary>Tag: the shard number.</summary>
    public const string ShardTag = "pastanoodles.shard";
    /// <summary>Tag (OpenTelemetry semantic conventions): the exception type of a failed call; absent when it succeeded.</summary>
    public const string ErrorTypeTag = "error.type";

    readonly Gauge<double> _tokensPerSecond, _loss, _rewardAccuracy, _accuracy;
    readonly Histogram<double> _askDuration, _shardSearchDuration;
    readonly string _silo;
    volatile TrainingSlots? _slots;
    int _queueLength = NoQueue;
    const int NoQueue = -1;

    public PastanoodlesMetrics(IMeterFactory meters, string silo)
    {
        _silo = silo;
        var meter = meters.Create(MeterName);
        _tokensPerSecond = meter.CreateGauge<double>("pastanoodles.training.tokens_per_second", "{token}/s",
            "Training throughput of a run at its last logged step (prompt and completion tokens of chosen and rejected).");
        _loss = meter.CreateGauge<double>("pastanoodles.training.loss", "1", "A run's last logged loss, per split.");
        _rewardAccuracy = meter.CreateGauge<double>("pastanoodles.training.reward_accuracy", "1",
            "A DPO run's last rewards/accuracies (TRL): the share of pairs whose chosen reward beats the rejected one, per split.");
        _accuracy = meter.CreateGauge<double>("pastanoodles.training.accuracy", "1", "An MCQA run's last accuracy, per split.");
        _askDuration = meter.CreateHistogram<double>("pastanoodles.ask.duration", "s",
            "Time to answer one question on this silo: retrieval over every shard, the prompt and the letter scores.");
        _shardSearchDuration = meter.CreateHistogram<double>("pastanoodles.shard.search.duration", "s", "Time one shard takes to search its index.");
        meter.CreateObservableUpDownCounter("pastanoodles.trainer.queue.length", ObserveQueue, "{run}",
            "Runs waiting in the cluster's training queue. Only the silo that hosts the queue reports it, so a sum over silos is the cluster's queue.");
        meter.CreateObservableUpDownCounter("pastanoodles.trainer.device.busy", ObserveDevices, "{run}",
            "Runs training on each device of this silo: 1 while a run holds the device, else 0 (more where a device is listed more than once).");
    }

    /// <summary>Reports this silo's devices from now on (a silo has them once it hosts a trainer).</summary>
    public TrainingSlots Observe(TrainingSlots slots) => _slots = slots;

    /// <summary>The cluster's training queue, hosted on this silo, now holds <paramref name="waiting"/> runs; null: it is no longer hosted here.</summary>
    public void ReportQueue(int? waiting) => Volatile.Write(ref _queueLength, waiting ?? NoQueue);

    /// <summary>Records what a run reported: its loss, accuracy and throughput under TRL's keys, tagged with the run and split.</summary>
    public void RecordProgress(string runId, IEnumerable<MetricPoint> points)
    {
        foreach (var point in points)
        {
            var tags = new TagList { { RunIdTag, runId }, { SplitTag, point.Split } };
            foreach (var (key, gauge) in new[] { ("loss", _loss), ("rewards/accuracies", _rewardAccuracy), ("accuracy", _accuracy), ("tokens_per_second", _tokensPerSecond) })
            {
                if (point.Values.TryGetValue(key, out var value) && double.IsFinite(value))
                    gauge.Record(value, tags);
            }
        }
    }

    /// <summary>Records one ask; <paramref name="runId"/> is the experiment whose adapter answered (null: the base model).</summary>
    public void RecordAsk(TimeSpan duration, string? runId, Exception? error)
    {
        var tags = new TagList();
        if (runId is not null)
            tags.Add(RunIdTag, runId);
        if (error is not null)
            tags.Add(ErrorTypeTag, error.GetType().Name);
        _askDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>Records one shard search.</summary>
    public void RecordShardSearch(TimeSpan duration, long shard, Exception? error)
    {
        var tags = new TagList { { ShardTag, shard } };
        if (error is not null)
            tags.Add(ErrorTypeTag, error.GetType().Name);
        _shardSearchDuration.Record(duration.TotalSeconds, tags);
    }

    IEnumerable<Measurement<int>> ObserveQueue() =>
        Volatile.Read(ref _queueLength) is var waiting and >= 0 ? [new(waiting, new KeyValuePair<string, object?>(SiloTag, _silo))] : [];

    IEnumerable<Measurement<int>> ObserveDevices() =>
        _slots is { } slots
            ? [.. slots.Busy.Select(d => new Measurement<int>(d.Value, new KeyValuePair<string, object?>(DeviceTag, d.Key), new KeyValuePair<string, object?>(SiloTag, _silo)))]
            : [];
}
