namespace Pastanoodles.Cluster;

/// <summary>What a trainer tells its experiment since its last report: steps, new metrics, new checkpoints.</summary>
/// <param name="Silo">The trainer's silo.</param>
/// <param name="State"><see cref="RunState.Queued"/> while it waits for a GPU slot, <see cref="RunState.Running"/> after.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Optimizer steps the run will do; 0 until the engine has said.</param>
/// <param name="Metrics">Metric points logged since the last report, oldest first.</param>
/// <param name="Checkpoints">Checkpoints written since the last report, oldest first.</param>
/// <param name="StartedAtStep">Set once per attempt, in the first report after the trainer took a GPU slot:
/// the step it starts from (0, or the step of the checkpoint it resumes). Metrics past it are about to be redone.</param>
/// <param name="Note">While queued: what the run waits for.</param>
/// <param name="Attempt">The attempt's fencing token, from <see cref="ITrainerGrain.StartAttemptAsync"/>: the experiment ignores reports of any other attempt.</param>
/// <param name="Device">With <paramref name="StartedAtStep"/>: the device the attempt holds.</param>
/// <param name="DeviceSince">With <paramref name="StartedAtStep"/>: when the attempt took its device, by the trainer silo's clock.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.ProgressReport")]
public sealed record ProgressReport(
    [property: Id(0)] string Silo,
    [property: Id(1)] RunState State,
    [property: Id(2)] int Step,
    [property: Id(3)] int TotalSteps,
    [property: Id(4)] IReadOnlyList<MetricPoint> Metrics,
    [property: Id(5)] IReadOnlyList<CheckpointInfo> Checkpoints,
    [property: Id(6)] int? StartedAtStep = null,
    [property: Id(7)] string? Note = null,
    [property: Id(8)] int Attempt = 0,
    [property: Id(9)] string? Device = null,
    [property: Id(10)] DateTimeOffset? DeviceSince = null);

/// <summary>How a trainer's attempt at a run ended.</summary>
/// <param name="State">Completed, Failed or Cancelled.</param>
/// <param name="Outcome">What a completed run left behind.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Silo">The trainer's silo.</param>
/// <param name="Attempt">The attempt's fencing token: the experiment ignores the end of any attempt but its current one.</param>
/// <param name="Crashed">Failed because its worker process died (a signal, an exit without an outcome, the memory budget, a missed
/// heartbeat), as opposed to an error the engine reported. The experiment retries a crash, up to a limit.</param>
/// <param name="DeviceReleasedAt">When the attempt gave its device back (just before), by the trainer silo's clock; null if it never held one.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.RunEnd")]
public sealed record RunEnd(
    [property: Id(0)] RunState State,
    [property: Id(1)] RunOutcome? Outcome,
    [property: Id(2)] string? Error,
    [property: Id(3)] string Silo,
    [property: Id(4)] int Attempt = 0,
    [property: Id(5)] bool Crashed = false,
    [property: Id(6)] DateTimeOffset? DeviceReleasedAt = null);

/// <summary>Where a trainer activation is with its run.</summary>
/// <param name="Silo">The silo the trainer lives on.</param>
/// <param name="Phase">Idle (no run), Queued, Running or Ended.</param>
/// <param name="Step">Steps done in the current attempt.</param>
/// <param name="End">How the run ended, once the trainer has reported that to the experiment (after all its progress).</param>
/// <param name="Attempt">The fencing token of the attempt this activation holds; 0 when it holds none.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.TrainerStatus")]
public sealed record TrainerStatus(
    [property: Id(0)] string Silo,
    [property: Id(1)] TrainerPhase Phase,
    [property: Id(2)] int Step,
    [property: Id(3)] RunEnd? End,
    [property: Id(4)] int Attempt = 0);

/// <summary>A trainer activation's phase.</summary>
[GenerateSerializer, Alias("pastanoodles.TrainerPhase")]
public enum TrainerPhase
{
    Idle = 0,
    Queued = 1,
    Running = 2,
    Ended = 3,
}
