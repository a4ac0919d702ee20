namespace Pastanoodles.Cluster;

/// <summary>One attempt at a run, with its fencing token <see cref="Id"/> and its own folder: waits for a device, runs the engine
/// (in a worker process, see <see cref="WorkerProcessRunner"/>) from a thread of its own and buffers its progress until the grain takes it.
/// Plain code, no Orleans: the grain only starts it, drains it and reads how it ended.</summary>
public sealed class TrainingAttempt : IRunProgress
{
    readonly object _lock = new();
    readonly List<MetricPoint> _metrics = [];
    readonly List<CheckpointInfo> _checkpoints = [];
    readonly CancellationTokenSource _cancellation = new();
    RunState _state = RunState.Queued;
    int _step, _totalSteps;
    int? _startedAtStep;
    string? _note, _device;
    DateTimeOffset? _deviceSince, _deviceReleasedAt;
    bool _dirty = true;

    /// <param name="runDirectory">The run's folder; this attempt writes only under <see cref="FolderOf"/> it.</param>
    public TrainingAttempt(ExperimentSpec spec, CheckpointInfo? resumeFrom, string runDirectory, int id)
    {
        (Spec, ResumeFrom, Id) = (spec, resumeFrom, id);
        RunDirectory = FolderOf(runDirectory, id);
        _step = resumeFrom?.Step ?? 0;
    }

    /// <summary>Attempt <paramref name="id"/>'s own folder: a late writer from an older attempt never touches a newer one's files.</summary>
    public static string FolderOf(string runDirectory, int id) => Path.Combine(runDirectory, $"attempt-{id}");

    /// <summary>The fencing token the experiment issued for this attempt.</summary>
    public int Id { get; }

    public ExperimentSpec Spec { get; }
    public CheckpointInfo? ResumeFrom { get; }
    public string RunDirectory { get; }

    /// <summary>The engine's work; null until <see cref="Start"/>.</summary>
    public Task<RunOutcome>? Work { get; private set; }

    /// <summary>True once a user's cancel was asked for, as opposed to a silo shutting down.</summary>
    public bool CancelRequested { get; private set; }

    public int Step
    {
        get { lock (_lock) return _step; }
    }

    public RunState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>Queues for a device on <paramref name="slots"/>, then runs <paramref name="runner"/> on a dedicated thread.</summary>
    public void Start(IExperimentRunner? runner, TrainingSlots slots, string silo) =>
        Work = Task.Run(() => RunAsync(runner, slots, silo));

    async Task<RunOutcome> RunAsync(IExperimentRunner? runner, TrainingSlots slots, string silo)
    {
        var cancellationToken = _cancellation.Token;
        if (runner is null)
            throw new InvalidOperationException(
                $"No IExperimentRunner is registered on silo {silo}, so run '{Spec.RunId}' cannot train. " +
                "The training engine registers one in GrainsServiceCollectionExtensions.AddPastanoodlesGrains.");
        Directory.CreateDirectory(RunDirectory);
        var waiting = slots.Waiting.Count;
        if (waiting > 0)
            Update(() => _note = $"waiting for a training device on silo {silo}: {waiting} run(s) ahead");
        using var lease = await slots.AcquireAsync(Spec.RunId, cancellationToken);
        Update(() => (_state, _startedAtStep, _step, _note, _device, _deviceSince) =
            (RunState.Running, ResumeFrom?.Step ?? 0, ResumeFrom?.Step ?? 0, null, lease.Device, DateTimeOffset.UtcNow));
        var request = new RunRequest(Spec, RunDirectory, ResumeFrom, lease.Device);
        try
        {
            return await Task.Factory.StartNew(
                () => runner.RunAsync(request, this, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        finally
        {
            Update(() => _deviceReleasedAt = DateTimeOffset.UtcNow);   // before the lease is disposed: the next holder's start is later
        }
    }

    /// <summary>Asks the engine to stop. <paramref name="byUser"/>: a user's cancel (reported), not a shutdown (resumed later).</summary>
    public void Cancel(bool byUser)
    {
        if (byUser)
            CancelRequested = true;
        _cancellation.Cancel();
    }

    /// <summary>How the attempt ended, once <see cref="Work"/> has; null while it runs, or if a shutdown stopped it (nothing to report: it resumes).</summary>
    public RunEnd? End(string silo)
    {
        if (Work is not { IsCompleted: true } work)
            return null;
        DateTimeOffset? released;
        lock (_lock)
            released = _deviceReleasedAt;
        if (work.IsCompletedSuccessfully)
            return new RunEnd(RunState.Completed, work.Result, null, silo, Id, DeviceReleasedAt: released);
        var error = work.Exception?.InnerExceptions is [var single] ? single : work.Exception;
        if (work.IsCanceled || error is OperationCanceledException)
            return CancelRequested ? new RunEnd(RunState.Cancelled, null, null, silo, Id, DeviceReleasedAt: released) : null;
        return error switch
        {
            TrainingWorkerCrashedException crash => new RunEnd(RunState.Failed, null, crash.Message, silo, Id, Crashed: true, released),
            TrainingWorkerFailedException failed => new RunEnd(RunState.Failed, null, failed.Message, silo, Id, DeviceReleasedAt: released),
            _ => new RunEnd(RunState.Failed, null, $"{error!.GetType().Name}: {error.Message}", silo, Id, DeviceReleasedAt: released),
        };
    }

    /// <summary>Everything new since the last call, or null if nothing changed.</summary>
    public ProgressReport? TakeReport(string silo)
    {
        lock (_lock)
        {
            if (!_dirty)
                return null;
            var report = new ProgressReport(silo, _state, _step, _totalSteps, [.. _metrics], [.. _checkpoints], _startedAtStep, _note, Id,
                _startedAtStep is null ? null : _device, _startedAtStep is null ? null : _deviceSince);
            _metrics.Clear();
            _checkpoints.Clear();
            (_startedAtStep, _dirty) = (null, false);
            return report;
        }
    }

    /// <summary>Puts back a report that could not be delivered, ahead of anything newer.</summary>
    public void PutBack(ProgressReport report)
    {
        lock (_lock)
        {
            _metrics.InsertRange(0, report.Metrics);
            _checkpoints.InsertRange(0, report.Checkpoints);
            _startedAtStep ??= report.StartedAtStep;
            _dirty = true;
        }
    }

    void IRunProgress.ReportStep(int step, int totalSteps) => Update(() => (_step, _totalSteps) = (step, totalSteps));

    void IRunProgress.ReportMetrics(MetricPoint point) => Update(() => _metrics.Add(point));

    void IRunProgress.ReportCheckpoint(CheckpointInfo checkpoint) => Update(() => _checkpoints.Add(checkpoint));

    void Update(Action change)
    {
        lock (_lock)
        {
            change();
            _dirty = true;
        }
    }
}
