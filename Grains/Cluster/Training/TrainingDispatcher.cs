using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pastanoodles.Cluster;

/// <summary>A gpu silo's side of the cluster's training queue: whenever this silo has a free device (<see cref="TrainingSlots"/>), takes
/// the queue's head and has its experiment start it here, on that device. Pull, not push: the queue never needs to know which silos
/// exist or how busy they are, and a silo that joins takes work as soon as it is active.</summary>
/// <remarks>The device is held (<see cref="TrainingSlots.Hold"/>) before the run is taken, so a run is only ever taken by a silo that can
/// start it at once; the trainer's attempt picks that lease up. If the experiment refuses (cancelled, or another silo has the attempt)
/// or cannot be reached, the device is freed. If this silo dies between taking and confirming, the queue puts the run back.</remarks>
public sealed class TrainingDispatcher(
    TrainingSlots slots,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<ExperimentOptions> options,
    ILogger<TrainingDispatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    readonly CancellationTokenSource _stopping = new();
    Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TrainingDispatcher), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);

    Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => DispatchAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    async Task OnStopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        try { await _loop.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
    }

    async Task DispatchAsync(CancellationToken stopping)
    {
        var self = silo.SiloAddress.ToString();
        var queue = grains.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key);
        while (!stopping.IsCancellationRequested)
        {
            TrainingSlots.Lease? lease = null;
            try
            {
                lease = await slots.AcquireAsync(TrainingSlots.Dispatcher, stopping);
                if (await queue.TakeAsync(self) is not { } run)
                {
                    lease.Dispose();
                    await Task.Delay(options.Value.QueuePollInterval, stopping);
                    continue;
                }
                var device = lease.Device;
                slots.Hold(run.RunId, lease);
                lease = null;   // the trainer's attempt picks it up; Unhold frees it if nothing did
                var started = false;
                try
                {
                    started = await grains.GetGrain<IExperimentGrain>(run.RunId).StartOnAsync(run.Attempt, self);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The experiment re-queues its attempt on its next watchdog turn if no trainer took it.
                    logger.LogWarning(ex, "Could not start run {RunId} (attempt {Attempt}) here", run.RunId, run.Attempt);
                }
                finally
                {
                    if (!started)
                        slots.Unhold(run.RunId);
                }
                await queue.ConfirmAsync(run.RunId, run.Attempt);
                logger.LogInformation("Run {RunId} (attempt {Attempt}) {Outcome} on {Device}", run.RunId, run.Attempt,
                    started ? "starts here" : "was not started", device);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                lease?.Dispose();
            }
            catch (Exception ex)
            {
                lease?.Dispose();
                logger.LogWarning(ex, "The training queue could not be reached; asking again in {Interval}", options.Value.QueuePollInterval);
                try { await Task.Delay(options.Value.QueuePollInterval, stopping); }
                catch (OperationCanceledException) { }
            }
        }
    }
}
