using Pastanoodles.Training;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Pastanoodles.Cluster;

/// <summary>One run, keyed by run id: holds its spec, status, metrics and checkpoints durably, and keeps it with a trainer until it ends.</summary>
/// <remarks>
/// A watchdog timer (every <see cref="ExperimentOptions.WatchdogPeriod"/>) and a durable reminder check that the trainer still holds
/// the current attempt while the run is unfinished. If its silo is gone, the attempt is lost (not the run's fault): a new attempt,
/// with a new fencing token, goes to a trainer on another <c>gpu</c> silo and resumes from the last checkpoint stored here.
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
    ITrainerGrain Trainer => GrainFactory.GetGrain<ITrainerGrain>(RunId);

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
        try
        {
            await Trainer.CancelAsync();
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
        var mustWrite = report.State != S.State || report.Checkpoints.Count > 0;
        if (report.StartedAtStep is int from)
        {
            // A new attempt redoes every step after its checkpoint, so what was logged after it is about to come again.
            await ForgetMetricsAfterAsync(from);
            S.Checkpoints.RemoveAll(c => c.Step > from);
            (S.Attempts, S.StartedAt, mustWrite) = (S.Attempts + 1, DateTimeOffset.UtcNow, true);
        }
        (S.State, S.Silo, S.Step, S.TotalSteps, S.Error) = (report.State, report.Silo, report.Step, report.TotalSteps, report.Note);
        S.Metrics.AddRange(report.Metrics);
        S.TrackLatest(report.Metrics);
        metrics.RecordProgress(RunId, report.Metrics);
        S.Checkpoints.AddRange(report.Checkpoints);
        mustWrite |= await SealFullPagesAsync();
        if (mustWrite || DateTimeOffset.UtcNow - _lastWrite >= options.Value.MetricsWriteInterval)
            await WriteAsync();
    }

    public async Task ReportEndAsync(RunEnd end)
    {
        if (!Unfinished || !IsCurrent(end.Attempt))
            return;
        S.Silo = end.Silo;
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

    /// <summary>Makes sure a trainer holds the current attempt, or starts a new one; applies its end if it already finished.</summary>
    /// <remarks>Only a failure to reach a gpu silo (none in the cluster, or one that just died) is retried by the watchdog; any other
    /// exception fails the run, since retrying it every watchdog period would never end.</remarks>
    async Task HandOffAsync()
    {
        try
        {
            if (S.CurrentAttempt > 0 && !S.CurrentAttemptOver)
            {
                var held = await Trainer.GetStatusAsync();
                if (held.Attempt == S.CurrentAttempt)
                {
                    if (held.End is { } end)
                        await ReportEndAsync(end);
                    return;
                }
                // No trainer holds the current attempt: its silo is gone or its activation ended. Lost, not crashed: it does not count.
                if (S.State == RunState.Running)
                    S.AttemptFailures.Add($"attempt {S.CurrentAttempt} was lost with its trainer on silo {S.Silo}");
            }
            (S.CurrentAttempt, S.CurrentAttemptOver) = (S.CurrentAttempt + 1, false);
            await WriteAsync();   // the token is durable before any trainer holds it, so it is never issued twice
            var trainer = await Trainer.StartAttemptAsync(S.Spec!, S.Checkpoints.LastOrDefault(), S.CurrentAttempt);
            if (trainer.Attempt == S.CurrentAttempt && trainer.End is { } ended)
                await ReportEndAsync(ended);
        }
        catch (Exception ex) when (ex is NoGpuSiloException or OrleansMessageRejectionException or TimeoutException)
        {
            logger.LogWarning(ex, "No trainer took run {RunId} yet", RunId);
            var waiting = $"waiting for a trainer on a gpu silo: {ex.Message}";
            if (S.State == RunState.Queued && S.Error != waiting)
            {
                S.Error = waiting;
                await WriteAsync();
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Handing run {RunId} to a trainer failed", RunId);
            await FinishAsync(RunState.Failed, outcome: null, $"handing the run to a trainer failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    async Task FinishAsync(RunState final, RunOutcome? outcome, string? error)
    {
        (S.State, S.Outcome, S.Error, S.FinishedAt) = (final, outcome, error, DateTimeOffset.UtcNow);
        await WriteAsync();
        _watchdog?.Dispose();
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
