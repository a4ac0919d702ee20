using System.Diagnostics;

namespace Pastanoodles.Tests.Support;

/// <summary>Named phases for cluster and process tests. A wait fails when its subject stops making progress for a stated time
/// (no new step, checkpoint, state or log line), not when a fixed total passes, so a loaded machine slows a test without failing
/// it; a generous overall cap still ends a run that changes forever. Every failure names the phase, what it expected and what it saw.</summary>
public static class Phase
{
    /// <summary>How long a phase may go without progress, unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultStall = TimeSpan.FromSeconds(60);

    /// <summary>The most any phase may take in all, progressing or not.</summary>
    public static readonly TimeSpan DefaultCap = TimeSpan.FromMinutes(15);

    static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(30);

    /// <summary>Awaits <paramref name="task"/>. It fails when <paramref name="progress"/> (by default <paramref name="actual"/>; with
    /// neither, nothing counts as progress) has not changed for <paramref name="stall"/>, or after <paramref name="cap"/> in all.</summary>
    public static async Task Within(this Task task, string phase, Func<string>? actual = null, TimeSpan? stall = null,
        Func<object?>? progress = null, TimeSpan? cap = null)
    {
        var watch = new ProgressWatch(phase, stall, cap);
        progress ??= actual;
        while (!task.IsCompleted)
        {
            watch.Observe(progress?.Invoke());
            if (watch.Failure() is { } failure)
                throw new TimeoutException(failure + (actual is null ? "" : " Actual: " + actual()));
            await Task.WhenAny(task, Task.Delay(Every));
        }
        await task;
    }

    /// <summary>Awaits <paramref name="task"/> and returns its value, failing as <see cref="Within(Task, string, Func{string}?, TimeSpan?, Func{object?}?, TimeSpan?)"/> does.</summary>
    public static async Task<T> Within<T>(this Task<T> task, string phase, Func<string>? actual = null, TimeSpan? stall = null,
        Func<object?>? progress = null, TimeSpan? cap = null)
    {
        await ((Task)task).Within(phase, actual, stall, progress, cap);
        return await task;
    }

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its value. Progress is a change of
    /// <paramref name="progress"/>'s value (by default of the described value itself); a probe that throws or hangs (a call through a
    /// dying gateway) counts as "not yet". On failure it names the phase, the expected and the last value (or error).</summary>
    public static async Task<T> Until<T>(string phase, Func<Task<T>> probe, Func<T, bool> done, string expected, TimeSpan? stall = null,
        Func<T, object?>? progress = null, TimeSpan? cap = null, Func<T, string>? describe = null)
    {
        var watch = new ProgressWatch(phase, stall, cap);
        describe ??= value => $"{value}";
        T last = default!;
        var seen = false;
        Exception? error = null;
        while (true)
        {
            try
            {
                last = await probe().WaitAsync(ProbeLimit);
                (seen, error) = (true, null);
                if (done(last))
                    return last;
                watch.Observe(progress is null ? describe(last) : progress(last));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                error = ex;
            }
            if (watch.Failure() is { } failure)
                throw new TimeoutException($"{failure} Expected {expected}; actual: " +
                    (error is not null ? $"{error.GetType().Name}: {error.Message}" : seen ? describe(last) : "(no answer)"));
            await Task.Delay(Every);
        }
    }

    /// <summary>The clocks of one phase: time since the progress value last changed, and time in all.</summary>
    sealed class ProgressWatch(string phase, TimeSpan? stall, TimeSpan? cap)
    {
        readonly TimeSpan _stall = stall ?? DefaultStall;
        readonly TimeSpan _cap = cap ?? DefaultCap;
        readonly Stopwatch _total = Stopwatch.StartNew();
        readonly Stopwatch _sinceProgress = Stopwatch.StartNew();
        object? _progress;
        int _changes;

        public void Observe(object? progress)
        {
            if (_changes == 0 || !Equals(progress, _progress))
            {
                (_progress, _changes) = (progress, _changes + 1);
                _sinceProgress.Restart();
            }
        }

        public string? Failure() =>
            _total.Elapsed > _cap
                ? $"Phase '{phase}' did not finish within its cap of {Seconds(_cap)} s (it was still progressing: last progress {Describe()})."
                : _sinceProgress.Elapsed > _stall
                    ? $"Phase '{phase}' made no progress for {Seconds(_stall)} s ({Seconds(_total.Elapsed)} s in all; last progress {Describe()})."
                    : null;

        string Describe() => _changes == 0 ? "none seen" : $"'{_progress}', {_changes - 1} changes";

        static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0.#}";
    }
}
