using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Cluster;

/// <summary>The dense encoder this silo's answer grains encode queries with: the built-in all-MiniLM-L6-v2 (<see cref="MiniLmPackage"/>),
/// the encoder `corpus ingest --encoder bert` stores the shards' vectors with. Loaded on first use, once per silo (STYLE §7).</summary>
/// <remarks>Blocking on first use: call off the grain scheduler. A failed load is forgotten, so the next call tries again. Thread-safe.</remarks>
public sealed class SiloEncoder(IOptions<AnswerOptions> options, ILogger<SiloEncoder> logger) : IDenseEncoder, IDisposable
{
    readonly object _lock = new();
    BertSentenceEncoder? _encoder;
    long _texts;

    public string Name => MiniLmPackage.Name;

    public int Dimension => MiniLmPackage.Config.HiddenSize;

    /// <summary>Texts this silo has encoded (tests count them: a re-rank over stored vectors encodes the query alone).</summary>
    public long Texts => Interlocked.Read(ref _texts);

    /// <summary>Query forwards this silo has run: <see cref="Texts"/> less the queries its cache answered (tests count them).</summary>
    public long QueryForwards => Volatile.Read(ref _encoder)?.QueryForwards ?? 0;

    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts)
    {
        Interlocked.Add(ref _texts, texts.Count);
        return Loaded().Encode(texts);
    }

    public float[] EncodeQuery(string query)
    {
        Interlocked.Increment(ref _texts);
        return Loaded().EncodeQuery(query);
    }

    /// <summary>The query's vector, queued on the process's serial torch thread without holding a thread meanwhile (the first call
    /// loads the encoder on the thread pool).</summary>
    public async Task<float[]> EncodeQueryAsync(string query)
    {
        Interlocked.Increment(ref _texts);
        var encoder = Volatile.Read(ref _encoder) ?? await Task.Run(Loaded);
        return await encoder.EncodeQueryAsync(query);
    }

    BertSentenceEncoder Loaded()
    {
        lock (_lock)
        {
            if (_encoder is null)
            {
                _encoder = MiniLmPackage.Load(options.Value.QueryDtype is { } dtype ? BertSentenceEncoder.ParseDtype(dtype, "Answer:QueryDtype") : null);
                logger.LogInformation("Loaded {Encoder} for dense retrieval and re-ranking, queries in {QueryDtype}", _encoder.Name, _encoder.QueryDtype);
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
