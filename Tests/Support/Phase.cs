namespace Pastanoodles.Tests.Support;

/// <summary>Named phases for cluster tests: a wait that times out says which phase, what it expected and what it saw.</summary>
public static class Phase
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Awaits <paramref name="task"/>; on timeout throws naming <paramref name="phase"/> and <paramref name="actual"/>'s description.</summary>
    public static async Task Within(this Task task, string phase, Func<string>? actual = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Phase '{phase}' did not finish within {limit.TotalSeconds:0.#} s.{(actual is null ? "" : " Actual: " + actual())}");
        }
    }

    /// <summary>Awaits <paramref name="task"/> and returns its value; on timeout throws naming <paramref name="phase"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, string phase, Func<string>? actual = null, TimeSpan? timeout = null)
    {
        await ((Task)task).Within(phase, actual, timeout);
        return await task;
    }

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its value; the timeout names the phase and the last value.</summary>
    public static async Task<T> Until<T>(string phase, Func<Task<T>> probe, Func<T, bool> done, string expected, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Phase '{phase}' did not finish within {limit.TotalSeconds:0.#} s. Expected {expected}; actual: {last}");
            await Task.Delay(25);
            last = await probe();
        }
        return last;
    }
}
