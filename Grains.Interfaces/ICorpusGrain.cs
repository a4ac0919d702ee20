using Pastanoodles.Retrieval;

namespace Pastanoodles.Cluster;

/// <summary>The cluster's course corpus settings (key <see cref="Key"/>): shard count, chunking, analyzer and BM25, as
/// <c>corpus.json</c> holds them for a local index. Shards index and answers query with them.</summary>
[Alias("pastanoodles.ICorpusGrain")]
public interface ICorpusGrain : IGrainWithIntegerKey
{
    const long Key = 0;

    /// <summary>The default shard count of a cluster corpus.</summary>
    const int DefaultShards = 4;

    /// <summary>The settings a new cluster corpus gets when ingest asks for none: <see cref="CorpusOptions"/>' defaults with <see cref="DefaultShards"/>.</summary>
    static CorpusOptions Defaults => new() { Shards = DefaultShards };

    /// <summary>The settings; null until the first ingest set them.</summary>
    [Alias("GetSettings")]
    ValueTask<CorpusOptions?> GetSettingsAsync();

    /// <summary>Sets the settings on the first ingest (<paramref name="asked"/>, or <see cref="Defaults"/>) and returns them; afterwards
    /// returns the ones set, and throws <see cref="ArgumentException"/> if <paramref name="asked"/> (when given) differs: chunks are routed
    /// by the shard count and queries must be analysed as the chunks were.</summary>
    [Alias("EnsureSettings")]
    Task<CorpusOptions> EnsureSettingsAsync(CorpusOptions? asked);
}
