namespace Pastanoodles.Cluster;

/// <summary>Trains one run, keyed by its run id, on a <c>gpu</c> silo; at most one run per GPU trains at a time, the others queue.</summary>
/// <remarks>Only its <see cref="IExperimentGrain"/> drives it. It keeps no durable state: after a re-activation the experiment
/// calls <see cref="EnsureRunningAsync"/> again with the last checkpoint, and the run resumes from there.</remarks>
[Alias("pastanoodles.ITrainerGrain")]
public interface ITrainerGrain : IGrainWithStringKey
{
    /// <summary>Starts the run (queued behind other runs on this silo) unless this activation already has it. Returns at once.</summary>
    /// <param name="spec">The run.</param>
    /// <param name="resumeFrom">The last checkpoint the experiment knows of, or null to start from step 0.</param>
    [Alias("EnsureRunning")]
    Task<TrainerStatus> EnsureRunningAsync(ExperimentSpec spec, CheckpointInfo? resumeFrom);

    /// <summary>Stops the run at the engine's next cancellation check and reports it cancelled.</summary>
    [Alias("Cancel")]
    Task CancelAsync();

    [Alias("GetStatus")]
    ValueTask<TrainerStatus> GetStatusAsync();
}
