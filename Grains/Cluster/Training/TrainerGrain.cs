using Pastanoodles.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Pastanoodles.Cluster;

/// <summary>Trains one fenced attempt of a run on the <c>gpu</c> silo its key names. The attempt runs the engine in a worker process
/// (<see cref="TrainingAttempt"/>, <see cref="WorkerProcessRunner"/>); a timer turn sends its progress to the experiment, then how it ended.</summary>
/// <remarks>Reentrant: the experiment calls in (cancel, status) while the timer awaits the experiment, and every method here
/// only reads or swaps fields between awaits. Nothing is durable here: the experiment holds the run and resumes it after a re-activation.</remarks>
[TrainerPlacement, Reentrant]
public sealed class TrainerGrain(
    IServiceProvider services,
    TrainingSlots slots,
    ILocalSiloDetails silo,
    IOptions<ExperimentOptions> options,
    ILogger<TrainerGrain> logger) : Grain, ITrainerGrain
{
    TrainingAttempt? _attempt;
    IGrainTimer? _pump;
    bool _endDelivered;

    string Silo => silo.SiloAddress.ToString();

    IExperimentGrain Experiment => GrainFactory.GetGrain<IExperimentGrain>(ITrainerGrain.ParseKey(this.GetPrimaryKeyString()).RunId);

    public Task<TrainerStatus> StartAttemptAsync(ExperimentSpec spec, CheckpointInfo? resumeFrom, int attempt)
    {
        if (_attempt is { } current && current.Id >= attempt)
            return Task.FromResult(Status());   // already has it (a repeated call), or a newer one
        if (_attempt is { Work.IsCompleted: false } stale)
        {
            logger.LogWarning("Trainer for run {RunId} stops attempt {Stale}: the experiment started attempt {Attempt}", spec.RunId, stale.Id, attempt);
            stale.Cancel(byUser: false);   // fenced already: the experiment ignores it; this only frees its device
        }
        _pump?.Dispose();
        // Checked again here, before anything is opened: this silo's roots, and links as they are now.
        var origin = $"experiment '{spec.RunId}'";
        spec = spec with { ConfigJson = new InputRoots(options.Value.InputRoots).Confine(TrainingConfig.Parse(spec.ConfigJson, origin), origin).ToJson() };
        var runDirectory = Path.Combine(options.Value.ArtifactsDirectory, spec.RunId);
        var started = _attempt = new TrainingAttempt(spec, resumeFrom, runDirectory, attempt);
        _endDelivered = false;
        started.Start(services.GetService<IExperimentRunner>(), slots, Silo);
        _pump = this.RegisterGrainTimer(ct => PumpAsync(started, ct), new GrainTimerCreationOptions(TimeSpan.Zero, options.Value.ReportInterval) { KeepAlive = true });
        logger.LogInformation("Trainer for run {RunId} started attempt {Attempt} on {Silo} in {Folder}, from {Checkpoint}",
            spec.RunId, attempt, Silo, started.RunDirectory, resumeFrom?.Path ?? "step 0");
        return Task.FromResult(Status());
    }

    public Task CancelAsync()
    {
        _attempt?.Cancel(byUser: true);
        return Task.CompletedTask;
    }

    public ValueTask<TrainerStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    TrainerStatus Status()
    {
        if (_attempt is null)
            return new TrainerStatus(Silo, TrainerPhase.Idle, 0, null);
        // The end is shown only once the pump has delivered it after the last progress: a caller that applied an earlier
        // end would drop the final steps and metrics still in the buffer.
        var end = _endDelivered ? _attempt.End(Silo) : null;
        var phase = _attempt.Work?.IsCompleted == true ? TrainerPhase.Ended : _attempt.State == RunState.Running ? TrainerPhase.Running : TrainerPhase.Queued;
        return new TrainerStatus(Silo, phase, _attempt.Step, end, _attempt.Id);
    }

    /// <summary>One timer turn: send new progress; once the work is over and everything before it is sent, send how it ended.</summary>
    async Task PumpAsync(TrainingAttempt attempt, CancellationToken cancellationToken)
    {
        if (attempt != _attempt || _endDelivered)
            return;   // replaced by a newer attempt: the experiment ignores this one
        var workDone = attempt.Work?.IsCompleted == true;   // read before taking the report, so nothing logged after it is left behind
        if (!await SendProgressAsync(attempt) || !workDone)
            return;
        if (attempt.End(Silo) is not { } end)
            return;   // stopped by a shutdown: the experiment resumes the run elsewhere
        try
        {
            await Experiment.ReportEndAsync(end);
            if (attempt != _attempt)
                return;   // the experiment started the next attempt (a retry after a crash) while this end was on its way
            _endDelivered = true;
            _pump?.Dispose();
            logger.LogInformation("Run {RunId} ended {State} on {Silo}", attempt.Spec.RunId, end.State, Silo);
            DeactivateOnIdle();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not report the end of run {RunId}; retrying", attempt.Spec.RunId);
        }
    }

    async Task<bool> SendProgressAsync(TrainingAttempt attempt)
    {
        if (attempt.TakeReport(Silo) is not { } report)
            return true;
        try
        {
            await Experiment.ReportProgressAsync(report);
            return true;
        }
        catch (Exception ex)
        {
            attempt.PutBack(report);
            logger.LogWarning(ex, "Could not report progress of run {RunId}; retrying", attempt.Spec.RunId);
            return false;
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_attempt is { Work.IsCompleted: false } attempt)
        {
            logger.LogInformation("Trainer for run {RunId} deactivating ({Reason}); stopping at step {Step}", attempt.Spec.RunId, reason, attempt.Step);
            attempt.Cancel(byUser: false);
            try
            {
                await attempt.Work!.WaitAsync(cancellationToken);
            }
            catch (Exception)
            {
                // Stopped or failed: PumpAsync reports a failure; after a stop the experiment resumes the run from its last checkpoint.
            }
        }
        if (_attempt is { } last)
            await PumpAsync(last, cancellationToken);   // the checkpoints written before the stop, or an end not yet delivered
        _pump?.Dispose();
    }
}
