using Microsoft.Extensions.Logging;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Cluster;

/// <summary>The dense encoder this silo's answer grains encode queries with: the built-in all-MiniLM-L6-v2 (<see cref="MiniLmPackage"/>),
/// the encoder `corpus ingest --encoder bert` stores the shards' vectors with. Loaded on first use, once per silo (STYLE §7).</summary>
/// <remarks>A failed load is forgotten, so the next call tries again. The encoder is thread-safe.</remarks>
public sealed class SiloEncoder(ILogger<SiloEncoder> logger) : IDisposable
{
    readonly object _lock = new();
    BertSentenceEncoder? _encoder;

    /// <summary>The encoder, loading it on first use (blocking: call off the grain scheduler).</summary>
    public IDenseEncoder Get()
    {
        lock (_lock)
        {
            if (_encoder is null)
            {
                _encoder = MiniLmPackage.Load();
                logger.LogInformation("Loaded {Encoder} for dense retrieval and re-ranking", _encoder.Name);
            }
            return _encoder;
        }
    }

    public void Dispose()
    {
        lock (_lock)
            _encoder?.Dispose();
    }
}
