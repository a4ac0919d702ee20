namespace Pastanoodles.Tests.Processes;

/// <summary>Polling for tests across processes: like <see cref="Support.Phase.Until"/> but every 200 ms, since each probe is a
/// call over the network, and a probe that throws (a call through a dying gateway) counts as "not yet".</summary>
public static class Poll
{
    public static async Task<T?> Until<T>(string phase, Func<Task<T>> probe, Func<T, bool> done, string expected, TimeSpan timeout, Func<T, string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T? last = default;
        Exception? error = null;
        while (true)
        {
            try
            {
                last = await probe().WaitAsync(TimeSpan.FromSeconds(10));
                error = null;
                if (done(last))
                    return last;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                error = ex;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Phase '{phase}' did not finish within {timeout.TotalSeconds:0.#} s. Expected {expected}; actual: " +
                    (error is null ? (describe is null || last is null ? $"{last}" : describe(last)) : $"{error.GetType().Name}: {error.Message}"));
            await Task.Delay(200);
        }
    }
}
