namespace Pastanoodles.Cluster;

/// <summary>This silo's training devices, handed out one run at a time each, first come first served.</summary>
/// <remarks>A silo singleton, so two runs never share a GPU: the <see cref="TrainingDispatcher"/> takes a free device here before it
/// takes a run from the cluster's queue, and holds it for that run's attempt.</remarks>
public sealed class TrainingSlots
{
    readonly object _lock = new();
    readonly Stack<string> _free;
    readonly LinkedList<(string RunId, TaskCompletionSource<Lease> Waiter)> _queue = new();
    readonly Dictionary<string, Lease> _held = [];

    public TrainingSlots(IEnumerable<string> devices)
    {
        _free = new Stack<string>(devices.Reverse());
        Devices = [.. _free];
        if (Devices.Count == 0)
            throw new ArgumentException("TrainingDevices is empty. A gpu silo needs at least one device to train on, e.g. [\"cpu\"] or [\"cuda:0\"].", nameof(devices));
    }

    public IReadOnlyList<string> Devices { get; }

    /// <summary>How many runs hold each device now (a device listed twice trains two runs at once).</summary>
    public IReadOnlyDictionary<string, int> Busy
    {
        get
        {
            lock (_lock)
                return Devices.Distinct().ToDictionary(d => d, d => Devices.Count(x => x == d) - _free.Count(x => x == d));
        }
    }

    /// <summary>Runs waiting for a device, oldest first (not the dispatcher, which waits for one to take a run for).</summary>
    public IReadOnlyList<string> Waiting
    {
        get { lock (_lock) return [.. _queue.Select(w => w.RunId).Where(id => id != Dispatcher)]; }
    }

    /// <summary>The name the <see cref="TrainingDispatcher"/> waits under.</summary>
    internal const string Dispatcher = nameof(TrainingDispatcher);

    /// <summary>Keeps <paramref name="lease"/> for <paramref name="runId"/>'s attempt, which takes it in <see cref="AcquireAsync"/>.</summary>
    public void Hold(string runId, Lease lease)
    {
        lock (_lock)
            _held[runId] = lease;
    }

    /// <summary>Frees the device held for <paramref name="runId"/>, unless its attempt took it already.</summary>
    public void Unhold(string runId)
    {
        Lease? lease;
        lock (_lock)
            _held.Remove(runId, out lease);
        lease?.Dispose();
    }

    /// <summary>The device held for <paramref name="runId"/> (<see cref="Hold"/>), else waits for a free one; dispose the lease to give it
    /// back. Waiters are served in arrival order.</summary>
    public Task<Lease> AcquireAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_held.Remove(runId, out var held))
                return Task.FromResult(held);
            if (_queue.Count == 0 && _free.TryPop(out var device))
                return Task.FromResult(new Lease(this, runId, device));
            var waiter = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            var node = _queue.AddLast((runId, waiter));
            var registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    if (node.List is null)
                        return;
                    _queue.Remove(node);
                }
                waiter.TrySetCanceled(cancellationToken);
            });
            waiter.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            return waiter.Task;
        }
    }

    void Release(string device)
    {
        lock (_lock)
        {
            while (_queue.First is { } next)
            {
                _queue.RemoveFirst();
                if (next.Value.Waiter.TrySetResult(new Lease(this, next.Value.RunId, device)))
                    return;
            }
            _free.Push(device);
        }
    }

    /// <summary>One device, held by one run until disposed.</summary>
    public sealed class Lease(TrainingSlots owner, string runId, string device) : IDisposable
    {
        int _released;

        public string RunId { get; } = runId;
        public string Device { get; } = device;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                owner.Release(Device);
        }
    }
}
