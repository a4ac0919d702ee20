namespace Pastanoodles.Tests.Support;

/// <summary>What every <see cref="CountingRunner"/> attempt did, shared by all silos of a test cluster, with waits that tests use as phase barriers.</summary>
public sealed class RunJournal
{
    readonly object _lock = new();
    readonly List<Attempt> _attempts = [];
    readonly HashSet<string> _released = [];
    readonly Dictionary<string, int> _holding = [];
    TaskCompletionSource _changed = NewSignal();

    /// <summary>One runner call: where it ran, where it started, how far it got and how it ended.</summary>
    public sealed record Attempt(string RunId, string Silo, string Device, int? ResumedFromStep, int StartCount, DateTimeOffset Start)
    {
        public int Count { get; internal set; } = StartCount;
        public DateTimeOffset? End { get; internal set; }
        public string? Result { get; internal set; }
    }

    public IReadOnlyList<Attempt> AttemptsOf(string runId)
    {
        lock (_lock) return [.. _attempts.Where(a => a.RunId == runId)];
    }

    public IReadOnlyList<Attempt> All
    {
        get { lock (_lock) return [.. _attempts]; }
    }

    internal Attempt Begin(string runId, string silo, string device, int? resumedFrom, int count) =>
        Change(() =>
        {
            var attempt = new Attempt(runId, silo, device, resumedFrom, count, DateTimeOffset.UtcNow);
            _attempts.Add(attempt);
            return attempt;
        });

    internal void Step(Attempt attempt, int count) => Change(() => attempt.Count = count);

    internal void End(Attempt attempt, string result) => Change(() => (attempt.End, attempt.Result) = (DateTimeOffset.UtcNow, result));

    /// <summary>Blocks the runner at <paramref name="step"/> until the test calls <see cref="Release"/>, or the run is cancelled.</summary>
    internal async Task HoldAsync(string runId, int step, CancellationToken cancellationToken)
    {
        Change(() => _holding[runId] = step);
        try
        {
            await WaitUntilAsync(() => _released.Contains(runId), cancellationToken);
        }
        finally
        {
            Change(() => _holding.Remove(runId));
        }
    }

    /// <summary>Lets a held run go on, now and in any later attempt.</summary>
    public void Release(string runId) => Change(() => _released.Add(runId));

    /// <summary>Waits until a runner of <paramref name="runId"/> is held at its hold step.</summary>
    public Task WaitForHoldAsync(string runId, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => _holding.ContainsKey(runId), cancellationToken);

    /// <summary>Waits until an attempt of <paramref name="runId"/> has ended (completed, failed or cancelled).</summary>
    public Task WaitForEndAsync(string runId, int attempts = 1, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => _attempts.Count(a => a.RunId == runId && a.End is not null) >= attempts, cancellationToken);

    /// <summary>Completes when <paramref name="condition"/> (checked under the journal's lock) holds; rechecked on every change.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (condition())
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken);
        }
    }

    T Change<T>(Func<T> change)
    {
        TaskCompletionSource signal;
        T result;
        lock (_lock)
        {
            result = change();
            (signal, _changed) = (_changed, NewSignal());
        }
        signal.SetResult();
        return result;
    }

    void Change(Action change) => Change(() => { change(); return 0; });

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
