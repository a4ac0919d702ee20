using Pastanoodles.Training;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Pastanoodles.Cluster;

/// <summary>One run, keyed by run id: holds its spec, status, metrics and checkpoints durably, and keeps it queued or with a trainer until it ends.</summary>
/// <remarks>
/// Each attempt first waits in the cluster's training queue (<see cref="ITrainingQueueGrain"/>) until a gpu silo with a free device takes
/// it and calls <see cref="StartOnAsync"/>; the attempt then runs on a trainer on that silo. A watchdog timer (every
/// <see cref="ExperimentOptions.WatchdogPeriod"/>) and a durable reminder check, while the run is unfinished, that the queue still holds
/// the attempt or that its trainer does. If the trainer's silo is gone, the attempt is lost (not the run's fault): a new attempt, with a
/// new fencing token, goes back in the queue at the run's place (by submit time) and resumes from the last checkpoint stored here.
/// An attempt whose worker crashed is retried the same way, up to <see cref="ExperimentOptions.MaxCrashes"/> crashes; then the run fails.
/// Reports and ends from any attempt but the current one are ignored (fencing), so a stopped silo that comes back cannot write over the run.
/// </remarks>
public sealed partial class ExperimentGrain(
    [PersistentState("experiment", "store")] IPersistentState<ExperimentState> state,
    IOptions<ExperimentOptions> options,
    PastanoodlesMetrics metrics,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain, IRemindable
{
    const string ReminderName = "resume";
    IGrainTimer? _watchdog;
    DateTimeOffset _lastWrite;
    MetricsPages _pages = null!;

    ExperimentState S => state.State;
    string RunId => this.GetPrimaryKeyString();
    bool Unfinished => S.Spec is not null && !S.State.IsFinal();
    ITrainingQueueGrain Queue => GrainFactory.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key);

    ITrainerGrain TrainerOf(int attempt, string silo) => GrainFactory.GetGrain<ITrainerGrain>(ITrainerGrain.KeyOf(RunId, attempt, silo));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _pages = new MetricsPages(ServiceProvider.GetRequiredKeyedService<IGrainStorage>("store"), this.GetGrainId());
        if (S.LatestMetrics.Count == 0)
            S.TrackLatest(S.Metrics);   // state written before the history was paged
        if (Unfinished)
            StartWatchdog(dueTime: TimeSpan.Zero);   // a re-activation: make sure a trainer still has the run
        return Task.CompletedTask;
    }

    public async Task<ExperimentStatus> SubmitAsync(ExperimentSpec spec)
    {
        Validate(spec);
        var origin = $"experiment '{spec.RunId}'";
        var config = new InputRoots(options.Value.InputRoots).Confine(TrainingConfig.Parse(spec.ConfigJson, origin), origin);
        if (config.Task != spec.Kind)
            throw new ArgumentException($"Kind is '{spec.Kind}' but the config's task is '{config.Task}'. They must be equal.", nameof(spec));
        spec = spec with { ConfigJson = config.ToJson() };
        if (S.Spec is not null)
            return S.Spec == spec ? S.ToStatus() : throw new ExperimentConflictException(RunId);
        // Admission control before anything is stored: sizes against the model, peak memory against this silo's budget (gpu silos share one setting).
        var estimate = options.Value.AdmissionControl ? TrainingAdmission.Admit(config, options.Value.TrainingMemoryBudget) : null;
        (S.Spec, S.State, S.SubmittedAt, S.MemoryEstimate) = (spec, RunState.Queued, DateTimeOffset.UtcNow, estimate?.ToString());
        await WriteAsync();
        await GrainFactory.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).AddAsync(RunId);
        await this.RegisterOrUpdateReminder(ReminderName, options.Value.ReminderPeriod, options.Value.ReminderPeriod);
        logger.LogInformation("Experiment {RunId} ({Kind}) submitted", RunId, spec.Kind);
        await HandOffAsync();
        StartWatchdog(options.Value.WatchdogPeriod);
        return S.ToStatus();
    }

    public ValueTask<ExperimentStatus?> GetStatusAsync() => ValueTask.FromResult(S.Spec is null ? null : S.ToStatus());

    public ValueTask<ExperimentSpec?> GetSpecAsync() => ValueTask.FromResult(S.Spec);

    public async ValueTask<IReadOnlyList<MetricPoint>> GetMetricsAsync(int skip)
    {
        skip = Math.Max(skip, 0);
        var points = new List<MetricPoint>();
        var first = S.MetricPages == 0 ? 0 : Math.Min(skip / S.MetricsPageSize, S.MetricPages);
        for (var page = first; page < S.MetricPages; page++)
            points.AddRange(await _pages.ReadAsync(page));
        points.AddRange(S.Metrics);
        return [.. points.Skip(skip - first * S.MetricsPageSize)];
    }

    public async Task<ExperimentStatus> CancelAsync()
    {
        if (S.Spec is null)
            throw new ExperimentNotFoundException(RunId);
        if (S.State.IsFinal())
            return S.ToStatus();
        await FinishAsync(RunState.Cancelled, outcome: null, error: null);
        if (S.AttemptSilo is not { } silo)
            return S.ToStatus();   // still queued: FinishAsync took it out of the queue
        try
        {
            await TrainerOf(S.CurrentAttempt, silo).CancelAsync();
        }
        catch (Exception ex)
        {
            // The run is cancelled here whatever the trainer does: a trainer that comes back is never handed the run again.
            logger.LogWarning(ex, "Could not reach the trainer of run {RunId} to cancel it", RunId);
        }
        return S.ToStatus();
    }

    public async Task ReportProgressAsync(ProgressReport report)
    {
        if (!Unfinished || !IsCurrent(report.Attempt))
            return;   // a late report after a cancel, or from an attempt that is no longer the run's (fenced)
        // A trainer resends a report whose delivery failed (the save, say) though this grain may have applied it: take each part once.
        var mustWrite = report.State != S.State || report.Checkpoints.Count > 0;
        if (report.StartedAtStep is int from && S.StartCounted != report.Attempt)
        {
            // A new attempt redoes every step after its checkpoint, so what was logged after it is about to come again.
            await ForgetMetricsAfterAsync(from);
            S.Checkpoints.RemoveAll(c => c.Step > from);
            (S.Attempts, S.StartedAt, S.StartCounted, mustWrite) = (S.Attempts + 1, DateTimeOffset.UtcNow, report.Attempt, true);
            if (report is { Device: { } device, DeviceSince: { } since })
                S.Timeline.Add(new AttemptSpan(report.Attempt, report.Silo, device, since));
        }
        (S.State, S.Silo, S.Step, S.TotalSteps, S.Error) = (report.State, report.Silo, report.Step, report.TotalSteps, report.Note);
        var fresh = report.Metrics.Where(p => S.LatestMetrics.Find(l => l.Split == p.Split) is not { } latest || p.Step > latest.Step).ToList();
        S.Metrics.AddRange(fresh);
        S.TrackLatest(fresh);
        metrics.RecordProgress(RunId, fresh);
        S.Checkpoints.AddRange(report.Checkpoints.Where(c => !S.Checkpoints.Any(known => known.Step == c.Step && known.Path == c.Path)));
        mustWrite |= await SealFullPagesAsync();
        if (mustWrite || DateTimeOffset.UtcNow - _lastWrite >= options.Value.MetricsWriteInterval)
            await WriteAsync();
    }

    public async Task ReportEndAsync(RunEnd end)
    {
        if (!Unfinished || !IsCurrent(end.Attempt))
            return;
        S.Silo = end.Silo;
        if (S.Timeline.FindLastIndex(t => t.Attempt == end.Attempt) is var span and >= 0)
            S.Timeline[span] = S.Timeline[span] with { End = end.DeviceReleasedAt };
        if (end is { State: RunState.Failed, Crashed: true })
        {
            await RetryOrFailAsync(end);
            return;
        }
        if (end.Outcome is { } outcome)
            S.Checkpoints = [.. S.Checkpoints.UnionBy(outcome.Checkpoints, c => c.Path).OrderBy(c => c.Step)];
        await FinishAsync(end.State, end.Outcome, end.Error);
        logger.LogInformation("Experiment {RunId} {State}{Error}", RunId, end.State, end.Error is null ? "" : ": " + end.Error);
    }

    public async Task<bool> StartOnAsync(int attempt, string silo)
    {
        if (!Unfinished || attempt != S.CurrentAttempt || S.CurrentAttemptOver || S.AttemptSilo is not null)
            return false;   // cancelled, superseded, or already started by another silo's dispatcher
        (S.AttemptSilo, S.Silo, S.Error) = (silo, silo, null);
        await WriteAsync();   // durable before the trainer runs: a second start of this attempt, anywhere, is refused
        logger.LogInformation("Experiment {RunId} attempt {Attempt} starts on {Silo}", RunId, attempt, silo);
        TrainerStatus trainer;
        try
        {
            trainer = await TrainerOf(attempt, silo).StartAttemptAsync(S.Spec!, S.Checkpoints.LastOrDefault(), attempt);
        }
        catch (Exception ex) when (ex is not (TrainerSiloGoneException or OrleansMessageRejectionException or TimeoutException or SiloUnavailableException))
        {
            // The trainer refused the run (its silo's input roots, a config it cannot build): no other silo would do better.
            logger.LogError(ex, "The trainer on {Silo} refused run {RunId}", silo, RunId);
            await FinishAsync(RunState.Failed, outcome: null, $"handing the run to a trainer failed: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
        if (trainer.Attempt == attempt && trainer.End is { } ended)
            await ReportEndAsync(ended);
        return true;
    }

    public Task ResumeAsync() => Unfinished ? HandOffAsync() : Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Unfinished)
            await HandOffAsync();
        else
            await UnregisterReminderAsync();
    }

    /// <summary>Moves each full page of <see cref="ExperimentState.Metrics"/> to its own stored page; true if any moved.
    /// The page is written before the state that counts it, so a crash between the two loses nothing.</summary>
    async Task<bool> SealFullPagesAsync()
    {
        if (S.MetricPages == 0)
            S.MetricsPageSize = options.Value.MetricsPageSize;
        var size = S.MetricsPageSize;
        var sealedAny = false;
        while (S.Metrics.Count >= size)
        {
            await _pages.WriteAsync(S.MetricPages, S.Metrics.GetRange(0, size));
            S.Metrics.RemoveRange(0, size);
            (S.MetricPages, sealedAny) = (S.MetricPages + 1, true);
        }
        return sealedAny;
    }

    /// <summary>Drops every point after step <paramref name="step"/>, reopening the sealed pages that hold some.</summary>
    async Task ForgetMetricsAfterAsync(int step)
    {
        while (S.MetricPages > 0 && (S.Metrics.Count == 0 || S.Metrics[0].Step > step))
        {
            var last = await _pages.ReadAsync(S.MetricPages - 1);
            if (last.Count > 0 && last[^1].Step <= step)
                break;
            S.Metrics.InsertRange(0, last);
            S.MetricPages--;
        }
        S.Metrics.RemoveAll(m => m.Step > step);
        S.LatestMetrics.RemoveAll(m => m.Step > step);
        S.TrackLatest(S.Metrics);
    }

    bool IsCurrent(int attempt) => attempt == S.CurrentAttempt && !S.CurrentAttemptOver;

    /// <summary>A crashed worker: the run is retried from its last checkpoint until <see cref="ExperimentOptions.MaxCrashes"/> attempts crashed,
    /// then failed for good with every attempt's reason.</summary>
    async Task RetryOrFailAsync(RunEnd end)
    {
        S.AttemptFailures.Add($"attempt {end.Attempt} crashed on silo {end.Silo}: {end.Error}");
        S.Crashes++;
        var limit = options.Value.MaxCrashes;
        if (S.Crashes >= limit)
        {
            var error = $"{S.Crashes} attempt(s) crashed, the limit (ExperimentOptions.MaxCrashes) is {limit}, so the run is not retried. " +
                string.Join(" ", S.AttemptFailures.Select(f => $"[{f}]"));
            await FinishAsync(RunState.Failed, outcome: null, error);
            logger.LogWarning("Experiment {RunId} failed: {Error}", RunId, error);
            return;
        }
        (S.State, S.CurrentAttemptOver) = (RunState.Queued, true);
        S.Error = $"attempt {end.Attempt} crashed ({S.Crashes} of {limit} allowed); retrying from {S.Checkpoints.LastOrDefault()?.Path ?? "step 0"}";
        await WriteAsync();
        logger.LogWarning("Experiment {RunId}: {Note}: {Error}", RunId, S.Error, end.Error);
        await HandOffAsync();
    }

    /// <summary>Makes sure the training queue or a trainer holds the current attempt, or queues a new one; applies its end if it already finished.</summary>
    /// <remarks>Only a failure to reach the queue or a trainer's silo (one that is dying) is retried by the watchdog; any other
    /// exception fails the run, since retrying it every watchdog period would never end.</remarks>
    async Task HandOffAsync()
    {
        try
        {
            if (S.CurrentAttempt > 0 && !S.CurrentAttemptOver)
            {
                if (S.AttemptSilo is not { } silo)
                {
                    await EnqueueAsync();   // still queued: the queue has it (put back if it lost it), and a gpu silo takes it
                    return;
                }
                TrainerStatus? held = null;
                try
                {
                    held = await TrainerOf(S.CurrentAttempt, silo).GetStatusAsync();
                }
                catch (TrainerSiloGoneException)
                {
                    // its silo is gone: lost below
                }
                if (held?.Attempt == S.CurrentAttempt)
                {
                    if (held.End is { } end)
                        await ReportEndAsync(end);
                    return;
                }
                // No trainer holds the current attempt: its silo is gone or its activation ended. Lost, not crashed: it does not count.
                S.AttemptFailures.Add($"attempt {S.CurrentAttempt} was lost with its trainer on silo {silo}");
            }
            (S.CurrentAttempt, S.CurrentAttemptOver, S.AttemptSilo, S.State) = (S.CurrentAttempt + 1, false, null, RunState.Queued);
            await WriteAsync();   // the token is durable before the queue holds it, so it is never issued twice
            await EnqueueAsync();
        }
        catch (Exception ex) when (ex is OrleansMessageRejectionException or TimeoutException or SiloUnavailableException)
        {
            logger.LogWarning(ex, "Could not hand run {RunId} on yet", RunId);
            await NoteAsync($"waiting for the training queue or a gpu silo: {ex.Message}");
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Handing run {RunId} to a trainer failed", RunId);
            await FinishAsync(RunState.Failed, outcome: null, $"handing the run to a trainer failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Puts the current attempt in the cluster's training queue at the run's place; nothing changes if it is there already.</summary>
    async Task EnqueueAsync()
    {
        var position = await Queue.EnqueueAsync(new QueuedRun(RunId, S.CurrentAttempt, S.SubmittedAt));
        if (position > 0)
            await NoteAsync("waiting in the cluster's training queue for a free device on any gpu silo");
    }

    /// <summary>Says what a queued run waits for, written only when it changes.</summary>
    async Task NoteAsync(string waiting)
    {
        if (S.State != RunState.Queued || S.Error == waiting)
            return;
        S.Error = waiting;
        await WriteAsync();
    }

    async Task FinishAsync(RunState final, RunOutcome? outcome, string? error)
    {
        (S.State, S.Outcome, S.Error, S.FinishedAt) = (final, outcome, error, DateTimeOffset.UtcNow);
        await WriteAsync();
        _watchdog?.Dispose();
        try
        {
            await Queue.RemoveAsync(RunId);
        }
        catch (Exception ex)
        {
            // A dispatcher that takes it later is refused by StartOnAsync: the run is final.
            logger.LogWarning(ex, "Could not take run {RunId} out of the training queue", RunId);
        }
        await GrainFactory.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).MarkFinishedAsync(RunId);
        await UnregisterReminderAsync();
    }

    void StartWatchdog(TimeSpan dueTime)
    {
        _watchdog?.Dispose();
        _watchdog = this.RegisterGrainTimer(
            () => Unfinished ? HandOffAsync() : Task.CompletedTask,
            new GrainTimerCreationOptions(dueTime, options.Value.WatchdogPeriod));
    }

    async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
            await this.UnregisterReminder(reminder);
    }

    async Task WriteAsync()
    {
        await state.WriteStateAsync();
        _lastWrite = DateTimeOffset.UtcNow;
    }

    void Validate(ExperimentSpec spec)
    {
        if (spec.RunId != RunId)
            throw new ArgumentException($"The spec's RunId is '{spec.RunId}' but this experiment's key is '{RunId}'. They must be equal.", nameof(spec));
        if (!RunIdPattern().IsMatch(spec.RunId))
            throw new ArgumentException($"RunId is '{spec.RunId}'. It must be 1-100 letters, digits, '-', '_' or '.', starting with a letter or digit.", nameof(spec));
        if (!ExperimentKinds.All.Contains(spec.Kind))
            throw new ArgumentException($"Kind is '{spec.Kind}'. It must be one of: {string.Join(", ", ExperimentKinds.All)}.", nameof(spec));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex RunIdPattern();
}
