namespace Pastanoodles.Cluster;

/// <summary>A run as its <see cref="IExperimentGrain"/> knows it; everything here is durable.</summary>
/// <param name="RunId">The run's id.</param>
/// <param name="Kind">The trainer it names (<see cref="ExperimentKinds"/>).</param>
/// <param name="State">Queued, running or final.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Optimizer steps the run will do; 0 until the trainer has said.</param>
/// <param name="LatestMetrics">The latest metric point of each split that has one (train, eval, test).</param>
/// <param name="Checkpoints">Checkpoints written so far, oldest first.</param>
/// <param name="BestCheckpoint">The best checkpoint, once the run has completed.</param>
/// <param name="TestAccuracy">The best checkpoint's test <see cref="ExperimentKinds.AccuracyKey"/> (label it with <see cref="ExperimentKinds.AccuracyLabel"/>), once the run has completed.</param>
/// <param name="FinalAdapter">The adapter to answer with, once the run has completed.</param>
/// <param name="Error">Why the run failed, or what it is waiting for while queued; null otherwise.</param>
/// <param name="Silo">The silo whose trainer has the run, or null before one took it.</param>
/// <param name="SubmittedAt">When the client submitted it.</param>
/// <param name="StartedAt">When a trainer last started (or resumed) it.</param>
/// <param name="FinishedAt">When it reached a final state.</param>
/// <param name="Attempts">How many times a trainer started it: 1, plus one per resume after a lost trainer or a crashed worker.</param>
/// <param name="MemoryEstimate">The run's estimated peak memory from admission control at submit, or null when admission was off.</param>
/// <param name="Timeline">Each attempt that held a device: its silo, device, and when it took and gave back the device (by that silo's clock).</param>
/// <param name="AttemptFailures">Why each earlier attempt ended without finishing the run, oldest first: "attempt 1 crashed: ..." or "attempt 2 lost with its silo".</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.ExperimentStatus")]
public sealed record ExperimentStatus(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Kind,
    [property: Id(2)] RunState State,
    [property: Id(3)] int Step,
    [property: Id(4)] int TotalSteps,
    [property: Id(5)] IReadOnlyList<MetricPoint> LatestMetrics,
    [property: Id(6)] IReadOnlyList<CheckpointInfo> Checkpoints,
    [property: Id(7)] string? BestCheckpoint,
    [property: Id(8)] double? TestAccuracy,
    [property: Id(9)] string? FinalAdapter,
    [property: Id(10)] string? Error,
    [property: Id(11)] string? Silo,
    [property: Id(12)] DateTimeOffset SubmittedAt,
    [property: Id(13)] DateTimeOffset? StartedAt,
    [property: Id(14)] DateTimeOffset? FinishedAt,
    [property: Id(15)] int Attempts,
    [property: Id(16)] IReadOnlyList<string>? AttemptFailures = null,
    [property: Id(17)] string? MemoryEstimate = null,
    [property: Id(18)] IReadOnlyList<AttemptSpan>? Timeline = null);

/// <summary>One attempt's time on a training device.</summary>
/// <param name="Attempt">The attempt's fencing token.</param>
/// <param name="Silo">The silo it trained on.</param>
/// <param name="Device">The device it held there.</param>
/// <param name="Start">When it took the device.</param>
/// <param name="End">When it gave the device back; null while it holds it, or if it was lost with its silo.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.AttemptSpan")]
public sealed record AttemptSpan(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] DateTimeOffset Start,
    [property: Id(4)] DateTimeOffset? End = null);
