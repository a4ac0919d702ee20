namespace Pastanoodles.Cluster;

/// <summary>The cluster's one training queue: runs waiting for a training device on any <c>gpu</c> silo, first submitted, first served.</summary>
/// <remarks>One instance, key <see cref="Key"/>, with durable state. Experiments put their current attempt in it; each gpu silo's
/// dispatcher, whenever that silo has a free device, takes the head (<see cref="TakeAsync"/>) and hands it to its experiment, so a silo
/// that joins later takes queued work as soon as it is up. A taken run that no experiment confirmed (<see cref="ConfirmAsync"/>) while
/// its silo died goes back to its place in the queue.</remarks>
[Alias("pastanoodles.ITrainingQueueGrain")]
public interface ITrainingQueueGrain : IGrainWithIntegerKey
{
    /// <summary>The one queue's key.</summary>
    const long Key = 0;

    /// <summary>Puts attempt <see cref="QueuedRun.Attempt"/> of a run in the queue at its place by submit time, or updates the attempt of
    /// a run already there; a run taken and not yet confirmed stays taken. Returns its 1-based position, or 0 while it is taken.</summary>
    [Alias("Enqueue")]
    Task<int> EnqueueAsync(QueuedRun run);

    /// <summary>Removes the head of the queue for a dispatcher on <paramref name="silo"/> that holds a free device; null if none waits.</summary>
    [Alias("Take")]
    Task<QueuedRun?> TakeAsync(string silo);

    /// <summary>From the dispatcher that took <paramref name="runId"/>: its experiment answered, the run no longer needs the queue.</summary>
    [Alias("Confirm")]
    Task ConfirmAsync(string runId, int attempt);

    /// <summary>Takes a run out of the queue (cancelled or finished), waiting or taken.</summary>
    [Alias("Remove")]
    Task RemoveAsync(string runId);

    /// <summary>The waiting runs' ids, head first (a run's position is its index + 1).</summary>
    [Alias("GetWaiting")]
    ValueTask<IReadOnlyList<string>> GetWaitingAsync();
}

/// <summary>One attempt of a run waiting for a training device.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Attempt">The attempt's fencing token, issued by the experiment.</param>
/// <param name="SubmittedAt">When the run was submitted: the queue's order (first in, first out across the cluster), kept when a run comes back after a lost silo or a crash.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.QueuedRun")]
public sealed record QueuedRun(
    [property: Id(0)] string RunId,
    [property: Id(1)] int Attempt,
    [property: Id(2)] DateTimeOffset SubmittedAt);
