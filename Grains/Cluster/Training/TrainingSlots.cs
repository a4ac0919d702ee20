namespace Pastanoodles.Cluster;

/// <summary>This silo's training devices, handed out one run at a time each, first come first served.</summary>
/// <remarks>A silo singleton: every trainer activation on the silo queues here, so two runs never share a GPU.</remarks>
public sealed class TrainingSlots
{
    readonly object _lock = new();
    readonly Stack<string> _free;
    readonly LinkedList<(string RunId, TaskCompletionSource<Lease> Waiter)> _queue = new();

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

    /// <summary>Runs waiting for a device, oldest first.</summary>
    public IReadOnlyList<string> Waiting
    {
        get { lock (_lock) return [.. _queue.Select(w => w.RunId)]; }
    }

    /// <summary>Waits for a free device; dispose the lease to give it back. Waiters are served in arrival order.</summary>
    public Task<Lease> AcquireAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
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
