namespace Pastanoodles.Cluster;

/// <summary>Trains one run, keyed by its run id, on a <c>gpu</c> silo; at most one run per GPU trains at a time, the others queue.</summary>
/// <remarks>Only its <see cref="IExperimentGrain"/> drives it. It keeps no durable state: after a re-activation the experiment finds
/// it holding no attempt (<see cref="GetStatusAsync"/>), calls <see cref="StartAttemptAsync"/> with a new attempt id and the last
/// checkpoint, and the run resumes from there.</remarks>
[Alias("pastanoodles.ITrainerGrain")]
public interface ITrainerGrain : IGrainWithStringKey
{
    /// <summary>Starts attempt <paramref name="attempt"/> of the run (queued behind other runs on this silo) in its own folder, unless this
    /// activation already holds that attempt or a newer one; an older attempt it still runs is stopped. Returns at once.</summary>
    /// <param name="spec">The run.</param>
    /// <param name="resumeFrom">The last checkpoint the experiment adopted, or null to start from step 0.</param>
    /// <param name="attempt">The attempt's fencing token, issued once by the experiment: every report and end of the attempt carries it.</param>
    [Alias("StartAttempt")]
    Task<TrainerStatus> StartAttemptAsync(ExperimentSpec spec, CheckpointInfo? resumeFrom, int attempt);

    /// <summary>Stops the run (a worker process is killed at once) and reports it cancelled.</summary>
    [Alias("Cancel")]
    Task CancelAsync();

    [Alias("GetStatus")]
    ValueTask<TrainerStatus> GetStatusAsync();
}
