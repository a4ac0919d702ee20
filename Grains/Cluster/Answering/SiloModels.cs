using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pastanoodles.Answering;

namespace Pastanoodles.Cluster;

/// <summary>The models this silo answers with, loaded once per (base model, adapter) and shared by every answer grain activation.</summary>
/// <remarks>A silo singleton (STYLE §7). A load runs once however many callers ask at the same time; a failed load is forgotten, so
/// the next call tries again. <see cref="LoadedModel"/> is safe for concurrent answers. Each adapter gets its own copy of the base,
/// since enabling and disabling adapters on a shared one would race; models stay loaded until the silo stops.</remarks>
public sealed class SiloModels(IOptions<AnswerOptions> options, ILogger<SiloModels> logger) : IDisposable
{
    readonly ConcurrentDictionary<(string Model, string? Adapter, bool Nf4), Lazy<LoadedModel>> _models = new();
    readonly ConcurrentDictionary<(string Model, string? Adapter, bool Nf4), int> _loads = new();

    /// <summary>How many times this silo has loaded <paramref name="model"/> + <paramref name="adapter"/> (tests count them: once at most).</summary>
    public int LoadsOf(string model, string? adapter = null, bool nf4 = true) =>
        _loads.GetValueOrDefault((model, adapter is null ? null : Path.GetFullPath(adapter), nf4));

    /// <summary>The loaded model for <paramref name="model"/> + <paramref name="adapter"/>, loading it on first use (blocking: call off the grain scheduler).</summary>
    public LoadedModel Get(string model, string? adapter, bool nf4)
    {
        var key = (model, adapter is null ? null : Path.GetFullPath(adapter), nf4);
        var lazy = _models.GetOrAdd(key, k => new Lazy<LoadedModel>(() => Load(k), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _models.TryRemove(new KeyValuePair<(string, string?, bool), Lazy<LoadedModel>>(key, lazy));
            throw;
        }
    }

    LoadedModel Load((string Model, string? Adapter, bool Nf4) key)
    {
        var loaded = LoadedModel.Load(key.Model, key.Adapter, key.Nf4, device: new TorchSharp.torch.Device(options.Value.Device ?? "cpu"));
        _loads.AddOrUpdate(key, 1, (_, n) => n + 1);
        logger.LogInformation("Loaded {Model} for answering", loaded.Description);
        return loaded;
    }

    public void Dispose()
    {
        foreach (var lazy in _models.Values.Where(l => l.IsValueCreated))
            lazy.Value.Dispose();
        _models.Clear();
    }
}
