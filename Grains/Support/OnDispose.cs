namespace Pastanoodles.Support;

/// <summary>Runs an action when disposed, once however many times it is disposed: the end of a <c>using</c> scope.</summary>
public sealed class OnDispose(Action action) : IDisposable
{
    int _done;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
            action();
    }
}
