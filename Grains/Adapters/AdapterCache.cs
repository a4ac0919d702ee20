namespace Pastanoodles.Adapters;

/// <summary>The adapters served on one <see cref="SharedBase"/>, loaded from their PEFT folders on first use and evicted least
/// recently used when there are more than <see cref="MaxAdapters"/> or their tensors pass <see cref="MaxBytes"/>.</summary>
/// <remarks>
/// Thread-safe. A folder loads once however many callers ask for it at the same time; a failed load is forgotten, so the next
/// call tries again. An answer holds an <see cref="AdapterLease"/> for as long as it runs: an adapter evicted meanwhile leaves the
/// cache at once (the budget counts resident adapters only) and frees its tensors when its last lease ends. Acquiring counts as
/// a use, so the order is that of the latest answers.
/// </remarks>
public sealed class AdapterCache : IDisposable
{
    readonly SharedBase _shared;
    readonly Action<ServedAdapter>? _evicted;
    readonly object _gate = new();
    readonly Dictionary<string, Entry> _entries = new();
    readonly LinkedList<Entry> _recency = new();             // least recently used first
    readonly Dictionary<string, int> _loads = new();

    /// <param name="maxAdapters">Adapters kept loaded at most; 1 or more.</param>
    /// <param name="maxBytes">Bytes of adapter tensors kept loaded at most; 0 for no byte limit.</param>
    /// <param name="evicted">Called (under the cache's lock) with each adapter evicted, for logs.</param>
    public AdapterCache(SharedBase shared, int maxAdapters, long maxBytes = 0, Action<ServedAdapter>? evicted = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAdapters, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        (_shared, MaxAdapters, MaxBytes, _evicted) = (shared, maxAdapters, maxBytes, evicted);
    }

    public int MaxAdapters { get; }
    public long MaxBytes { get; }

    /// <summary>The loaded adapters' full folder paths, least recently used first.</summary>
    public IReadOnlyList<string> Resident
    {
        get { lock (_gate) return _recency.Where(e => e.Load.IsValueCreated).Select(e => e.Key).ToList(); }
    }

    /// <summary>Bytes of the loaded adapters' tensors.</summary>
    public long ResidentBytes
    {
        get { lock (_gate) return ResidentBytesLocked(); }
    }

    /// <summary>How many times <paramref name="folder"/> has been loaded (again after each eviction).</summary>
    public int LoadsOf(string folder)
    {
        lock (_gate) return _loads.GetValueOrDefault(Path.GetFullPath(folder));
    }

    /// <summary>The adapter in <paramref name="folder"/>, loaded if it is not (blocking), held until the lease is disposed.</summary>
    public AdapterLease Acquire(string folder)
    {
        var key = Path.GetFullPath(folder);
        Entry entry;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var found))
            {
                entry = found;
                _recency.Remove(entry.Node);
                _recency.AddLast(entry.Node);
            }
            else
            {
                entry = new Entry(key, new Lazy<ServedAdapter>(() => Load(key), LazyThreadSafetyMode.ExecutionAndPublication));
                _entries.Add(key, entry);
                _recency.AddLast(entry.Node);
            }
            entry.Leases++;
        }

        ServedAdapter adapter;
        try
        {
            adapter = entry.Load.Value;
            if (MaxBytes > 0 && adapter.Bytes > MaxBytes)
                throw new InvalidOperationException(
                    $"Adapter {key} takes {adapter.Bytes} bytes; Answer:MaxAdapterBytes is {MaxBytes}. HINT: raise Answer:MaxAdapterBytes, or set it to 0 for no byte limit.");
        }
        catch
        {
            lock (_gate)
            {
                entry.Leases--;
                Evict(entry);
            }
            throw;
        }
        lock (_gate)
            EvictOverBudget(keep: entry);
        return new AdapterLease(adapter, () => Release(entry));
    }

    ServedAdapter Load(string key)
    {
        var adapter = ServedAdapter.Load(_shared, key);
        lock (_gate) _loads[key] = _loads.GetValueOrDefault(key) + 1;
        return adapter;
    }

    void EvictOverBudget(Entry keep)
    {
        while (_entries.Count > MaxAdapters || (MaxBytes > 0 && ResidentBytesLocked() > MaxBytes))
        {
            // Adapters still loading have no size yet and are not evicted; they count once loaded.
            var victim = _recency.FirstOrDefault(e => e != keep && e.Load.IsValueCreated);
            if (victim is null)
                return;
            _evicted?.Invoke(victim.Load.Value);
            Evict(victim);
        }
    }

    /// <summary>Takes <paramref name="entry"/> out of the cache; its tensors go when no lease holds them.</summary>
    void Evict(Entry entry)
    {
        if (_entries.TryGetValue(entry.Key, out var current) && current == entry)
        {
            _entries.Remove(entry.Key);
            _recency.Remove(entry.Node);
        }
        entry.Evicted = true;
        if (entry.Leases == 0 && entry.Load.IsValueCreated)
            entry.Load.Value.Dispose();
    }

    void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (entry.Evicted && entry.Leases == 0)
                entry.Load.Value.Dispose();
        }
    }

    long ResidentBytesLocked() => _recency.Where(e => e.Load.IsValueCreated).Sum(e => e.Load.Value.Bytes);

    public void Dispose()
    {
        lock (_gate)
            foreach (var entry in _entries.Values.ToList())
                Evict(entry);
    }

    sealed class Entry
    {
        public Entry(string key, Lazy<ServedAdapter> load) => (Key, Load, Node) = (key, load, new LinkedListNode<Entry>(this));
        public string Key { get; }
        public Lazy<ServedAdapter> Load { get; }
        public LinkedListNode<Entry> Node { get; }
        public int Leases { get; set; }
        public bool Evicted { get; set; }
    }
}

/// <summary>An adapter held for one answer: it stays loaded until the lease is disposed, even if evicted meanwhile.</summary>
public sealed class AdapterLease(ServedAdapter adapter, Action release) : IDisposable
{
    int _released;
    public ServedAdapter Adapter { get; } = adapter;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
            release();
    }
}
