namespace Pastanoodles.Cluster;

/// <summary>One shard of the course index, keyed by shard number: owns its chunks durably and searches them with
/// collection-wide BM25 statistics (phase one: <see cref="GetQueryStatsAsync"/> on every shard, summed by the caller;
/// phase two: <see cref="SearchAsync"/> with the sums), so N shards rank exactly like one index.</summary>
[Alias("pastanoodles.IShardGrain")]
public interface IShardGrain : IGrainWithIntegerKey
{
    /// <summary>Replaces every chunk of <paramref name="source"/> in this shard with <paramref name="chunks"/> (the ones routed here;
    /// an empty list removes the source). Durable when it returns. Returns the shard's chunk count after the change.</summary>
    [Alias("ReplaceSource")]
    Task<int> ReplaceSourceAsync(string source, IReadOnlyList<CorpusChunk> chunks);

    /// <summary>This shard's statistics for the analyzed text-field <paramref name="terms"/> of a query.</summary>
    [Alias("GetQueryStats")]
    ValueTask<QueryStats> GetQueryStatsAsync(IReadOnlyList<string> terms);

    /// <summary>This shard's best <paramref name="k"/> chunks for <paramref name="terms"/>, scored with the summed <paramref name="global"/>
    /// statistics, best first, with their stored vectors; and the shard's version, so a caller that cached the statistics can tell they are stale.</summary>
    [Alias("Search")]
    ValueTask<ShardHits> SearchAsync(IReadOnlyList<string> terms, QueryStats global, int k);

    /// <summary>The seed's dense retriever on this shard: its best <paramref name="k"/> chunks by <paramref name="metric"/> between
    /// <paramref name="query"/> and every stored vector from <paramref name="encoder"/> (exact, a matrix–vector product), best first.
    /// Chunks without such a vector are left out and counted in <see cref="ShardHits.Unscored"/>.</summary>
    [Alias("DenseSearch")]
    ValueTask<ShardHits> DenseSearchAsync(float[] query, string encoder, DenseMetric metric, int k);

    [Alias("GetStats")]
    ValueTask<ShardStats> GetStatsAsync();
}

/// <summary>One shard's hits for a query, the version of its chunks they come from, and (dense search) how many chunks had no vector to score.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.ShardHits")]
public sealed record ShardHits(
    [property: Id(0)] IReadOnlyList<SearchHit> Hits,
    [property: Id(1)] string Version,
    [property: Id(2)] int Unscored = 0);

/// <summary>What one shard holds, and where it is active.</summary>
/// <param name="Shard">The shard number.</param>
/// <param name="Chunks">Chunks stored.</param>
/// <param name="Sources">Distinct sources among them, in code-point order.</param>
/// <param name="Silo">The silo serving the shard now.</param>
/// <param name="Rebuilt">Whether this activation rebuilt its Lucene index from the stored chunks (new silo, missing or stale cache).</param>
/// <param name="DenseBuilds">Dense indexes (a matrix of one encoder's stored vectors) this activation has built: one per encoder and
/// corpus version that a dense search asked for.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.ShardStats")]
public sealed record ShardStats(
    [property: Id(0)] int Shard,
    [property: Id(1)] int Chunks,
    [property: Id(2)] IReadOnlyList<string> Sources,
    [property: Id(3)] string Silo,
    [property: Id(4)] bool Rebuilt,
    [property: Id(5)] int DenseBuilds = 0);
