namespace Pastanoodles.Tests.Support;

/// <summary>Runs work on a new thread, for tests of per-thread state (libtorch's intra-op thread count is set per thread).</summary>
public static class FreshThread
{
    public static T Run<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }
}
