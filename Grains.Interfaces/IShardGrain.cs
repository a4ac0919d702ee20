namespace Pastanoodles.Cluster;

/// <summary>One shard of the course index, keyed by shard number: owns its chunks durably and searches them.</summary>
[Alias("pastanoodles.IShardGrain")]
public interface IShardGrain : IGrainWithIntegerKey
{
    /// <summary>Stores and indexes chunks; a chunk id already stored is skipped. Returns how many were new.</summary>
    [Alias("AddChunks")]
    Task<int> AddChunksAsync(IReadOnlyList<Chunk> chunks);

    /// <summary>The shard's best <paramref name="topK"/> chunks for <paramref name="query"/>, best first.</summary>
    [Alias("Search")]
    ValueTask<IReadOnlyList<SearchHit>> SearchAsync(string query, int topK);

    [Alias("GetStats")]
    ValueTask<ShardStats> GetStatsAsync();
}

/// <summary>A piece of a course document, the unit the index stores and returns.</summary>
/// <param name="Id">Stable id, e.g. <c>{source}#p{page}#{n}</c>.</param>
/// <param name="Source">The document it came from (file name).</param>
/// <param name="Page">1-based page.</param>
/// <param name="Text">The chunk's text.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.Chunk")]
public sealed record Chunk(
    [property: Id(0)] string Id,
    [property: Id(1)] string Source,
    [property: Id(2)] int Page,
    [property: Id(3)] string Text);

/// <summary>A chunk found for a query, with its score and shard.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.SearchHit")]
public sealed record SearchHit(
    [property: Id(0)] Chunk Chunk,
    [property: Id(1)] double Score,
    [property: Id(2)] long Shard);

/// <summary>Counts for one shard.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.ShardStats")]
public sealed record ShardStats(
    [property: Id(0)] long Shard,
    [property: Id(1)] int Chunks,
    [property: Id(2)] int Sources);
