namespace Pastanoodles.Cluster;

/// <summary>Trains one attempt of a run on the <c>gpu</c> silo whose dispatcher took it from the cluster's training queue; keyed
/// <see cref="KeyOf"/>(run, attempt, silo), and activated only on that silo.</summary>
/// <remarks>Only its <see cref="IExperimentGrain"/> drives it. It keeps no durable state: if its silo is gone, activating it fails
/// (<see cref="TrainerSiloGoneException"/>), the experiment counts the attempt lost and queues a new one that resumes from the last checkpoint.</remarks>
[Alias("pastanoodles.ITrainerGrain")]
public interface ITrainerGrain : IGrainWithStringKey
{
    /// <summary>The key of attempt <paramref name="attempt"/> of <paramref name="runId"/> on <paramref name="silo"/> (a silo address as
    /// <c>SiloAddress.ToString()</c> writes it). Run ids hold no '/', so the key splits back unambiguously.</summary>
    static string KeyOf(string runId, int attempt, string silo) => $"{runId}/{attempt}/{silo}";

    /// <summary>The run id and silo a key names; see <see cref="KeyOf"/>.</summary>
    static (string RunId, int Attempt, string Silo) ParseKey(string key) =>
        key.Split('/', 3) is [var runId, var attempt, var silo] && int.TryParse(attempt, out var id)
            ? (runId, id, silo)
            : throw new ArgumentException($"Trainer key '{key}' is not RUN_ID/ATTEMPT/SILO.", nameof(key));

    /// <summary>Starts attempt <paramref name="attempt"/> of the run (on the device its silo's dispatcher holds for it) in its own folder, unless this
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

/// <summary>A trainer's key names a silo that is not an active gpu silo (it died, or was never one): the attempt it named is lost.</summary>
[GenerateSerializer, Alias("pastanoodles.TrainerSiloGoneException")]
public sealed class TrainerSiloGoneException : OrleansException
{
    public TrainerSiloGoneException(string message) : base(message) { }
}
