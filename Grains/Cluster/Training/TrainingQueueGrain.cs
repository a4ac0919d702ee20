using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pastanoodles.Cluster;

/// <summary>The cluster's training queue (<see cref="ITrainingQueueGrain"/>): the truth of which runs wait, in durable state, served
/// first submitted, first out to whichever gpu silo asks with a free device.</summary>
/// <remarks>Not reentrant: one call at a time, so two silos can never take the same run; each change is written before it is answered.
/// A taken run stays recorded (silo, time) until its dispatcher confirms; if that silo is no longer active, or no confirm came within
/// <see cref="ExperimentOptions.QueueTakeTimeout"/>, the run goes back to its place, and its experiment refuses a second start of the
/// same attempt, so a late dispatcher cannot start it twice.</remarks>
public sealed class TrainingQueueGrain(
    [PersistentState("training-queue", "store")] IPersistentState<TrainingQueueState> state,
    IClusterMembershipService membership,
    IOptions<ExperimentOptions> options,
    PastanoodlesMetrics metrics,
    ILogger<TrainingQueueGrain> logger) : Grain, ITrainingQueueGrain
{
    TrainingQueueState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.ReportQueue(S.Waiting.Count);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.ReportQueue(null);
        return Task.CompletedTask;
    }

    public async Task<int> EnqueueAsync(QueuedRun run)
    {
        if (S.Taken.TryGetValue(run.RunId, out var taken) && taken.Run.Attempt == run.Attempt)
            return 0;
        S.Taken.Remove(run.RunId);
        var at = S.Waiting.FindIndex(w => w.RunId == run.RunId);
        if (at >= 0 && S.Waiting[at] == run)
            return at + 1;
        if (at >= 0)
            S.Waiting.RemoveAt(at);
        var position = Insert(run);
        await SaveAsync();
        return position + 1;
    }

    public async Task<QueuedRun?> TakeAsync(string silo)
    {
        var changed = ReturnAbandoned();
        QueuedRun? head = null;
        if (S.Waiting.Count > 0)
        {
            head = S.Waiting[0];
            S.Waiting.RemoveAt(0);
            S.Taken[head.RunId] = new TakenRun(head, silo, DateTimeOffset.UtcNow);
            changed = true;
        }
        if (changed)
            await SaveAsync();
        if (head is not null)
            logger.LogInformation("Silo {Silo} took run {RunId} (attempt {Attempt}) from the training queue; {Waiting} wait", silo, head.RunId, head.Attempt, S.Waiting.Count);
        return head;
    }

    public async Task ConfirmAsync(string runId, int attempt)
    {
        if (S.Taken.TryGetValue(runId, out var taken) && taken.Run.Attempt == attempt && S.Taken.Remove(runId))
            await SaveAsync();
    }

    public async Task RemoveAsync(string runId)
    {
        if (S.Taken.Remove(runId) | S.Waiting.RemoveAll(w => w.RunId == runId) > 0)
            await SaveAsync();
    }

    public ValueTask<IReadOnlyList<string>> GetWaitingAsync() => ValueTask.FromResult<IReadOnlyList<string>>([.. S.Waiting.Select(w => w.RunId)]);

    /// <summary>Writes the queue, then shows its length on this silo's <c>pastanoodles.trainer.queue.length</c>.</summary>
    async Task SaveAsync()
    {
        await state.WriteStateAsync();
        metrics.ReportQueue(S.Waiting.Count);
    }

    /// <summary>Puts runs taken by a silo that is gone, or never confirmed, back at their places.</summary>
    bool ReturnAbandoned()
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString()).ToHashSet();
        var abandoned = S.Taken.Values
            .Where(t => !active.Contains(t.Silo) || DateTimeOffset.UtcNow - t.At > options.Value.QueueTakeTimeout).ToList();
        foreach (var taken in abandoned)
        {
            S.Taken.Remove(taken.Run.RunId);
            Insert(taken.Run);
            logger.LogWarning("Run {RunId} (attempt {Attempt}) taken by silo {Silo} at {At} was not started; it is back in the training queue",
                taken.Run.RunId, taken.Run.Attempt, taken.Silo, taken.At);
        }
        return abandoned.Count > 0;
    }

    /// <summary>Inserts after every run submitted at or before it (FIFO by submit time); returns its index.</summary>
    int Insert(QueuedRun run)
    {
        var index = S.Waiting.FindIndex(w => w.SubmittedAt > run.SubmittedAt);
        if (index < 0)
            index = S.Waiting.Count;
        S.Waiting.Insert(index, run);
        return index;
    }
}

/// <summary>The training queue's durable state: waiting runs, head first, and runs taken by a silo but not yet confirmed.</summary>
[GenerateSerializer, Alias("pastanoodles.TrainingQueueState")]
public sealed class TrainingQueueState
{
    [Id(0)] public List<QueuedRun> Waiting { get; set; } = [];
    [Id(1)] public Dictionary<string, TakenRun> Taken { get; set; } = [];
}

/// <summary>A run a silo's dispatcher took, and when.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.TakenRun")]
public sealed record TakenRun([property: Id(0)] QueuedRun Run, [property: Id(1)] string Silo, [property: Id(2)] DateTimeOffset At);
