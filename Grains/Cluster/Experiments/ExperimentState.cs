namespace Pastanoodles.Cluster;

/// <summary>What an <see cref="ExperimentGrain"/> keeps durable: its spec, where the run is, its newest metrics and its checkpoints.</summary>
/// <remarks>Stored as JSON by the "store" provider (System.Text.Json by <see cref="FileGrainStorage"/>, Orleans' serializer by others),
/// so it is a plain class of settable properties with serializer ids.</remarks>
[GenerateSerializer, Alias("pastanoodles.ExperimentState")]
public sealed class ExperimentState
{
    /// <summary>Null until submitted.</summary>
    [Id(0)] public ExperimentSpec? Spec { get; set; }
    [Id(1)] public RunState State { get; set; }
    [Id(2)] public int Step { get; set; }
    [Id(3)] public int TotalSteps { get; set; }
    /// <summary>The metrics history after its last sealed page (<see cref="MetricsPages"/>), oldest first; never more than a page.</summary>
    [Id(4)] public List<MetricPoint> Metrics { get; set; } = [];
    [Id(5)] public List<CheckpointInfo> Checkpoints { get; set; } = [];
    [Id(6)] public RunOutcome? Outcome { get; set; }
    [Id(7)] public string? Error { get; set; }
    [Id(8)] public string? Silo { get; set; }
    [Id(9)] public DateTimeOffset SubmittedAt { get; set; }
    [Id(10)] public DateTimeOffset? StartedAt { get; set; }
    [Id(11)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(12)] public int Attempts { get; set; }

    /// <summary>The fencing token of the current attempt; 0 before the first. Reports and ends of any other attempt are ignored.</summary>
    [Id(13)] public int CurrentAttempt { get; set; }

    /// <summary>True once the current attempt has ended without finishing the run (it crashed): the next hand-off starts a new one.</summary>
    [Id(14)] public bool CurrentAttemptOver { get; set; }

    /// <summary>Why each earlier attempt ended without finishing the run, oldest first.</summary>
    [Id(15)] public List<string> AttemptFailures { get; set; } = [];

    /// <summary>Attempts whose worker crashed; at <see cref="ExperimentOptions.MaxCrashes"/> the run fails.</summary>
    [Id(16)] public int Crashes { get; set; }

    /// <summary>The estimated peak memory admission control computed at submit; null when it was off.</summary>
    [Id(17)] public string? MemoryEstimate { get; set; }

    /// <summary>The silo whose dispatcher took the current attempt from the training queue and started it there; null while it is queued.</summary>
    [Id(18)] public string? AttemptSilo { get; set; }

    /// <summary>Each attempt's time on a device, oldest first.</summary>
    [Id(19)] public List<AttemptSpan> Timeline { get; set; } = [];

    /// <summary>How many pages of the metrics history are sealed in <see cref="MetricsPages"/>, each <see cref="MetricsPageSize"/> points.</summary>
    [Id(20)] public int MetricPages { get; set; }

    /// <summary>The page size the sealed pages were written with (<see cref="ExperimentOptions.MetricsPageSize"/> at the first seal); 0 before it.</summary>
    [Id(21)] public int MetricsPageSize { get; set; }

    /// <summary>The last point of each split, kept here since the history it came from may be sealed away.</summary>
    [Id(22)] public List<MetricPoint> LatestMetrics { get; set; } = [];

    /// <summary>The attempt whose start (its first report) was counted in Attempts and Timeline, so a resent first report counts once.</summary>
    [Id(23)] public int StartCounted { get; set; }

    public ExperimentStatus ToStatus() => new(
        Spec!.RunId, Spec.Kind, State, Step, TotalSteps, [.. LatestMetrics.OrderBy(m => m.Split switch { Splits.Train => 0, Splits.Eval => 1, _ => 2 })],
        [.. Checkpoints], Outcome?.BestCheckpoint, Outcome?.TestAccuracy, Outcome?.FinalAdapter,
        Error, Silo, SubmittedAt, StartedAt, FinishedAt, Attempts, [.. AttemptFailures], MemoryEstimate, [.. Timeline]);

    /// <summary>Makes each of <paramref name="points"/> (oldest first) the latest of its split.</summary>
    public void TrackLatest(IEnumerable<MetricPoint> points)
    {
        foreach (var point in points)
        {
            LatestMetrics.RemoveAll(m => m.Split == point.Split);
            LatestMetrics.Add(point);
        }
    }
}
