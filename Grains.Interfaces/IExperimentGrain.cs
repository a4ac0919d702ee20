namespace Pastanoodles.Cluster;

/// <summary>One training run, keyed by its run id: its spec, status, metrics history and checkpoints, durable across silo restarts.</summary>
/// <remarks>
/// Clients call the methods up to <see cref="CancelAsync"/> (and follow a run by polling <see cref="GetStatusAsync"/>, which survives the grain moving to another silo). The run's <see cref="ITrainerGrain"/> calls <see cref="ReportProgressAsync"/> and
/// <see cref="ReportEndAsync"/>; a silo starting up calls <see cref="ResumeAsync"/> for every unfinished run.
/// </remarks>
[Alias("pastanoodles.IExperimentGrain")]
public interface IExperimentGrain : IGrainWithStringKey
{
    /// <summary>Stores the spec and hands the run to a trainer. Submitting the same spec again returns the current status;
    /// a different spec under the same run id throws <see cref="ExperimentConflictException"/>.</summary>
    [Alias("Submit")]
    Task<ExperimentStatus> SubmitAsync(ExperimentSpec spec);

    /// <summary>The run's status, or null if this run id was never submitted.</summary>
    [Alias("GetStatus")]
    ValueTask<ExperimentStatus?> GetStatusAsync();

    /// <summary>The spec as submitted (config JSON included), or null if this run id was never submitted.</summary>
    [Alias("GetSpec")]
    ValueTask<ExperimentSpec?> GetSpecAsync();

    /// <summary>The metrics history from index <paramref name="skip"/> on, oldest first (train, eval and test interleaved by time).</summary>
    [Alias("GetMetrics")]
    ValueTask<IReadOnlyList<MetricPoint>> GetMetricsAsync(int skip);

    /// <summary>Cancels a queued or running run; a final run is returned unchanged. Throws <see cref="ExperimentNotFoundException"/>.</summary>
    [Alias("Cancel")]
    Task<ExperimentStatus> CancelAsync();

    /// <summary>From the run's trainer: progress since its last report.</summary>
    [Alias("ReportProgress")]
    Task ReportProgressAsync(ProgressReport report);

    /// <summary>From the run's trainer: how its attempt ended.</summary>
    [Alias("ReportEnd")]
    Task ReportEndAsync(RunEnd end);

    /// <summary>From the dispatcher of <paramref name="silo"/>, which took attempt <paramref name="attempt"/> from the training queue and holds
    /// a free device for it: starts the attempt on a trainer there. False (the dispatcher frees the device) if the attempt is no longer the
    /// run's current one, or another silo already has it.</summary>
    [Alias("StartOn")]
    Task<bool> StartOnAsync(int attempt, string silo);

    /// <summary>Activates the run and, if it is not final, makes sure a trainer has it or the training queue holds it (resuming from the last checkpoint).</summary>
    [Alias("Resume")]
    Task ResumeAsync();
}
