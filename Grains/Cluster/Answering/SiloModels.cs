using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pastanoodles.Answering;

namespace Pastanoodles.Cluster;

/// <summary>The models this silo answers with: one base per (model, quantization), loaded once and shared by every answer grain
/// activation and every adapter; adapters attach per answer.</summary>
/// <remarks>A silo singleton (STYLE §7). A load runs once however many callers ask at the same time; a failed load is forgotten, so
/// the next call tries again. Each base serves any number of adapters, chosen per call (<see cref="LoadedModel.Use"/>), loaded on
/// first use and evicted least recently used beyond <see cref="AnswerOptions.MaxAdapters"/> or
/// <see cref="AnswerOptions.MaxAdapterBytes"/>; bases stay loaded until the silo stops.</remarks>
public sealed class SiloModels(IOptions<AnswerOptions> options, ILogger<SiloModels> logger) : IDisposable
{
    readonly ConcurrentDictionary<(string Model, bool Nf4), Lazy<LoadedModel>> _models = new();
    readonly ConcurrentDictionary<(string Model, bool Nf4), int> _loads = new();
    readonly ConcurrentDictionary<LoadedModel, Modeling.ForwardWidthChooser> _widths = new();
    readonly Lazy<Modeling.TorchWorkerThreads?> _narrow = new(() =>
        options.Value.ForwardThreads is var n and > 0 ? new Modeling.TorchWorkerThreads(n, "pastanoodles answer") : null);
    readonly Lazy<Modeling.TorchWorkerThreads?> _wide = new(() => options.Value is { ForwardThreads: > 0, WideLoneForwards: true }
        ? new Modeling.TorchWorkerThreads(1, "pastanoodles answer wide", intraOpThreads: null) : null);
    readonly Lock _gate = new();   // busy count, alone-or-not and the queueing of wide work decided together
    int _busy;        // forwards and loads queued or running
    int _answers;     // answers in flight, from before their retrieval (Answering)
    long _arrivals;   // answers, forwards and loads ever begun: a forward ran alone if none began while it ran
    long _wideForwards, _narrowForwards;

    /// <summary>Forwards this silo queued on its wide thread (every core) and on its narrow ones (one core each); tests read them.</summary>
    public (long Wide, long Narrow) ForwardsRun => (Interlocked.Read(ref _wideForwards), Interlocked.Read(ref _narrowForwards));

    /// <summary>The shared base for <paramref name="model"/>, loading it on first use off the grain scheduler: on the wide thread, so that
    /// the load's OpenMP team is that thread's own (see <see cref="Modeling.TorchWorkerThreads"/>), or on the thread pool. Loads of
    /// different models on the wide thread take turns.</summary>
    public Task<LoadedModel> GetAsync(string model, bool nf4)
    {
        if (Loaded(model, nf4) is { } loaded)
            return Task.FromResult(loaded);
        Task<LoadedModel> load;
        lock (_gate)
        {
            Interlocked.Increment(ref _busy);
            Interlocked.Increment(ref _arrivals);
            load = _wide.Value is { } wide ? Queue(wide, () => Get(model, nf4)) : Task.Run(() => Get(model, nf4));
        }
        return NotBusyAfter(load);
    }

    /// <summary>Counts an answer in flight until disposed, from before its retrieval: a forward runs wide only when its answer is the
    /// silo's only one, since answers still retrieving will want a core for their forwards within milliseconds.</summary>
    public IDisposable Answering()
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _answers);
            Interlocked.Increment(ref _arrivals);
        }
        return new Support.OnDispose(() => Interlocked.Decrement(ref _answers));
    }

    /// <summary>Runs an answer's forward on <paramref name="model"/> off the grain scheduler. Answers at once each get one of this silo's
    /// narrow answer threads (<see cref="AnswerOptions.ForwardThreads"/>, one intra-op thread each); an answer alone (no other forward,
    /// load or <see cref="Answering"/> answer) runs on the wide thread (every core) when <see cref="Modeling.ForwardWidthChooser"/> finds
    /// it faster here. With ForwardThreads 0, on the thread pool.</summary>
    public async Task<RagAnswer> ForwardAsync(LoadedModel model, Func<RagAnswer> forward)
    {
        if (_narrow.Value is not { } narrow)
            return await Task.Run(forward);
        Modeling.ForwardWidthChooser? width;
        long arrivals;
        bool wide;
        Task<RagAnswer> run;
        lock (_gate)
        {
            var alone = Interlocked.Increment(ref _busy) == 1 && Volatile.Read(ref _answers) <= 1;
            arrivals = Interlocked.Increment(ref _arrivals);
            width = _wide.Value is null ? null : _widths.GetOrAdd(model, _ => new());
            wide = alone && width is not null && width.NextIsWide();
            run = Queue(wide ? _wide.Value! : narrow, forward);
        }
        Interlocked.Increment(ref wide ? ref _wideForwards : ref _narrowForwards);
        var answer = await NotBusyAfter(run);
        var ranAlone = Interlocked.Read(ref _arrivals) == arrivals;
        if (width is not null && width.Record(wide, answer.ModelMs, answer.PromptTokens, ranAlone))
        {
            var (w, n) = width.MsPerToken;
            logger.LogInformation("Answers alone on {Model} now run {Width}: {Wide:F3} ms per prompt token on every core, {Narrow:F3} on one",
                model.Description, width.PrefersWide ? "on every core" : "on one core", w, n);
        }
        return answer;
    }

    /// <summary>Queues <paramref name="work"/> on <paramref name="threads"/>; a refusal (the silo is stopping) comes back as the task's
    /// exception, so the busy count taken before it is given back.</summary>
    static Task<T> Queue<T>(Modeling.TorchWorkerThreads threads, Func<T> work)
    {
        try { return threads.RunAsync(work); }
        catch (InvalidOperationException e) { return Task.FromException<T>(e); }
    }

    async Task<T> NotBusyAfter<T>(Task<T> work)
    {
        try { return await work; }
        finally { Interlocked.Decrement(ref _busy); }
    }

    /// <summary>How many times this silo has loaded the base <paramref name="model"/>, or with <paramref name="adapter"/>, that adapter
    /// onto it (tests count them: a base once at most; an adapter once until evicted).</summary>
    public int LoadsOf(string model, string? adapter = null, bool nf4 = true)
    {
        if (adapter is null)
            return _loads.GetValueOrDefault((model, nf4));
        return _models.TryGetValue((model, nf4), out var lazy) && lazy.IsValueCreated ? lazy.Value.Adapters.LoadsOf(adapter) : 0;
    }

    /// <summary>The shared base for <paramref name="model"/> when it is loaded already, else null (never blocks: <see cref="GetAsync"/> then
    /// needs no hop to another thread).</summary>
    LoadedModel? Loaded(string model, bool nf4) =>
        _models.TryGetValue((model, nf4), out var lazy) && lazy.IsValueCreated ? lazy.Value : null;

    /// <summary>The shared base for <paramref name="model"/>, loading it on first use (blocking: call off the grain scheduler).</summary>
    public LoadedModel Get(string model, bool nf4)
    {
        var key = (model, nf4);
        var lazy = _models.GetOrAdd(key, k => new Lazy<LoadedModel>(() => Load(k), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<(string, bool), Lazy<LoadedModel>>(key, lazy));
            throw;
        }
    }

    LoadedModel Load((string Model, bool Nf4) key)
    {
        var o = options.Value;
        var loaded = LoadedModel.Load(key.Model, adapter: null, key.Nf4, device: new TorchSharp.torch.Device(o.Device ?? "cpu"),
            maxAdapters: o.MaxAdapters, maxAdapterBytes: o.MaxAdapterBytes,
            evicted: a => logger.LogInformation("Evicted adapter {Adapter} ({Bytes} bytes), the least recently used over Answer:MaxAdapters {Max} / MaxAdapterBytes {MaxBytes}",
                a.Name, a.Bytes, o.MaxAdapters, o.MaxAdapterBytes));
        _loads.AddOrUpdate(key, 1, (_, n) => n + 1);
        logger.LogInformation("Loaded {Model} for answering", loaded.Description);
        return loaded;
    }

    public void Dispose()
    {
        foreach (var threads in new[] { _narrow, _wide }.Where(t => t.IsValueCreated))
            threads.Value?.Dispose();
        // Forwards and loads already queued finish first: they use the models disposed below (bounded: the silo is stopping).
        SpinWait.SpinUntil(() => Volatile.Read(ref _busy) == 0, TimeSpan.FromSeconds(30));
        foreach (var lazy in _models.Values.Where(l => l.IsValueCreated))
            lazy.Value.Dispose();
        _models.Clear();
    }
}
