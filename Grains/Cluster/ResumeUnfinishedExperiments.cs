using Microsoft.Extensions.Logging;

namespace Pastanoodles.Cluster;

/// <summary>When a silo becomes active, pokes every unfinished experiment so its run goes on from the last checkpoint.</summary>
/// <remarks>Needed where reminders do not survive a whole-cluster restart (the in-memory reminder service of a one-machine silo);
/// with durable reminders it only makes the resume quicker. Every silo does it; a second poke finds the run already with a trainer.</remarks>
public sealed class ResumeUnfinishedExperiments(IGrainFactory grains, ILogger<ResumeUnfinishedExperiments> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ResumeUnfinishedExperiments), ServiceLifecycleStage.Active, OnActiveAsync, _ => Task.CompletedTask);

    Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(ResumeAllAsync, CancellationToken.None);   // off the startup path: a slow catalog must not hold the silo back
        return Task.CompletedTask;
    }

    async Task ResumeAllAsync()
    {
        IReadOnlyList<string> unfinished;
        try
        {
            unfinished = await grains.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ListUnfinishedAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not read the experiment catalog; unfinished runs resume when their reminders fire");
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
            logger.LogInformation("Resumed {Count} unfinished experiment(s): {RunIds}", unfinished.Count, string.Join(", ", unfinished));
    }
}
