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
    readonly Lazy<Modeling.TorchWorkerThreads?> _threads = new(() =>
        options.Value.ForwardThreads is var n and > 0 ? new Modeling.TorchWorkerThreads(n, "pastanoodles answer") : null);

    /// <summary>Runs an answer's forward off the grain scheduler: on this silo's answer threads (<see cref="AnswerOptions.ForwardThreads"/>,
    /// one intra-op thread each), or on the thread pool when that is 0.</summary>
    public Task<T> RunAsync<T>(Func<T> forward) => _threads.Value is { } threads ? threads.RunAsync(forward) : Task.Run(forward);

    /// <summary>How many times this silo has loaded the base <paramref name="model"/>, or with <paramref name="adapter"/>, that adapter
    /// onto it (tests count them: a base once at most; an adapter once until evicted).</summary>
    public int LoadsOf(string model, string? adapter = null, bool nf4 = true)
    {
        if (adapter is null)
            return _loads.GetValueOrDefault((model, nf4));
        return _models.TryGetValue((model, nf4), out var lazy) && lazy.IsValueCreated ? lazy.Value.Adapters.LoadsOf(adapter) : 0;
    }

    /// <summary>The shared base for <paramref name="model"/> when it is loaded already, else null (never blocks: an answer then needs no
    /// hop to the thread pool before its forward).</summary>
    public LoadedModel? Loaded(string model, bool nf4) =>
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
        if (_threads.IsValueCreated)
            _threads.Value?.Dispose();
        foreach (var lazy in _models.Values.Where(l => l.IsValueCreated))
            lazy.Value.Dispose();
        _models.Clear();
    }
}
