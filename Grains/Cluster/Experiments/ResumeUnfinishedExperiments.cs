using Microsoft.Extensions.Logging;

namespace Pastanoodles.Cluster;

/// <summary>When a silo becomes active, and whenever the cluster declares a silo dead, pokes every unfinished experiment so its
/// run goes on from the last checkpoint.</summary>
/// <remarks>Needed where reminders do not survive a whole-cluster restart (the in-memory reminder service of a one-machine silo);
/// with durable reminders it only makes the resume quicker. The poke on a silo's death is what makes a lost trainer resume within
/// seconds of its death being declared even when the experiment grain died with it (its reminder fires only every minute).
/// Every silo does it; a second poke finds the run already with a trainer.</remarks>
public sealed class ResumeUnfinishedExperiments(IGrainFactory grains, IClusterMembershipService membership, ILogger<ResumeUnfinishedExperiments> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    readonly CancellationTokenSource _stopping = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ResumeUnfinishedExperiments), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);

    Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(() => ResumeAllAsync("this silo started"), CancellationToken.None);   // off the startup path: a slow catalog must not hold the silo back
        _ = Task.Run(WatchForDeadSilosAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    Task OnStopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    async Task WatchForDeadSilosAsync()
    {
        var known = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token))
            {
                var died = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && known.Add(m.SiloAddress)).Select(m => m.SiloAddress.ToString()).ToList();
                if (died.Count > 0)
                    await ResumeAllAsync($"silo {string.Join(", ", died)} died");
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Stopped watching membership; runs of dead silos resume on their experiments' watchdogs and reminders");
        }
    }

    async Task ResumeAllAsync(string why)
    {
        IReadOnlyList<string> unfinished;
        try
        {
            unfinished = await grains.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ListUnfinishedAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not read the experiment catalog ({Why}); unfinished runs resume when their reminders fire", why);
            return;
        }
        foreach (var runId in unfinished)
        {
            try
            {
                await grains.GetGrain<IExperimentGrain>(runId).ResumeAsync();
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not resume experiment {RunId}", runId);
            }
        }
        if (unfinished.Count > 0)
            logger.LogInformation("Resumed {Count} unfinished experiment(s) because {Why}: {RunIds}", unfinished.Count, why, string.Join(", ", unfinished));
    }
}
