namespace Pastanoodles.Cluster;

/// <summary>The cluster's course corpus settings (key <see cref="Key"/>): how many shard grains hold it.</summary>
[Alias("pastanoodles.ICorpusGrain")]
public interface ICorpusGrain : IGrainWithIntegerKey
{
    const long Key = 0;

    /// <summary>The default shard count of a cluster corpus.</summary>
    const int DefaultShards = 4;

    /// <summary>The shard count; 0 until the first ingest set it.</summary>
    [Alias("GetShards")]
    ValueTask<int> GetShardsAsync();

    /// <summary>Sets the shard count on the first ingest and returns it; afterwards returns the one set, and throws
    /// <see cref="ArgumentException"/> if <paramref name="shards"/> (when given) differs, since chunks are routed by it.</summary>
    [Alias("EnsureShards")]
    Task<int> EnsureShardsAsync(int? shards);
}
