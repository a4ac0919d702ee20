using Microsoft.Extensions.Logging;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Cluster;

/// <summary>A distributed BM25 search over the shard grains, as Elasticsearch's dfs_query_then_fetch: every shard's statistics for
/// the query terms, summed; every shard searched with the sums; hits merged as <see cref="CorpusEngine.Merge(IEnumerable{IEnumerable{SearchHit}}, int)"/>.
/// The summed statistics are cached per corpus version (<see cref="ShardStatsCache"/>), so once a query's terms have been seen at
/// this version a search is one round trip per shard.</summary>
/// <remarks>Both phases call all shards in parallel. A shard that fails is logged by number and left out (GPSTracker's
/// BroadcastUpdates); the result names it, and the other shards still rank on one scale among themselves.</remarks>
public static class ShardFanOut
{
    public static async Task<SearchResult> SearchAsync(IGrainFactory grains, CourseAnalyzer analyzer, string query, int shards, int k, ILogger logger,
        ShardStatsCache? cache = null)
    {
        SearchRequest.CheckCount(k, nameof(k));
        var terms = CorpusEngine.QueryTerms(analyzer, query).Select(t => t.Text).ToList();
        if (shards == 0 || terms.Count == 0)
            return new SearchResult([], []);
        var all = Enumerable.Range(0, shards).ToList();

        if (cache?.TryGet(terms) is var (cached, versions) && versions.Length == shards)
        {
            var fast = await CallAllAsync(all, s => grains.GetGrain<IShardGrain>(s).SearchAsync(terms, cached, k).AsTask(), "search", logger);
            if (all.All(s => fast[s] is null || fast[s]!.Version == versions[s]))
                return Result(all, fast, k);
            cache.Invalidate();   // an ingest happened since: these scores used stale statistics
        }

        var stats = await CallAllAsync(all, s => grains.GetGrain<IShardGrain>(s).GetQueryStatsAsync(terms).AsTask(), "statistics", logger);
        var answered = all.Where(s => stats[s] is not null).ToList();
        var global = answered.Count == shards && cache is not null
            ? cache.Add([.. all.Select(s => stats[s]!)])
            : Retrieval.Index.CollectionStats.Sum(answered.Select(s => stats[s]!)).ToQueryStats();
        var hits = await CallAllAsync(answered, s => grains.GetGrain<IShardGrain>(s).SearchAsync(terms, global, k).AsTask(), "search", logger);
        return Result(all, all.ToDictionary(s => s, s => hits.GetValueOrDefault(s)), k);
    }

    /// <summary>The dense retriever over the shard grains: every shard scores its own stored vectors against <paramref name="query"/>
    /// (one round trip each), and the hits are merged as BM25's are. With no vector from <paramref name="encoder"/> anywhere it is an error.</summary>
    public static async Task<SearchResult> DenseSearchAsync(IGrainFactory grains, float[] query, string encoder, DenseMetric metric, int shards, int k, ILogger logger)
    {
        SearchRequest.CheckCount(k, nameof(k));
        var all = Enumerable.Range(0, shards).ToList();
        var hits = await CallAllAsync(all, s => grains.GetGrain<IShardGrain>(s).DenseSearchAsync(query, encoder, metric, k).AsTask(), "dense search", logger);
        var answered = hits.Values.OfType<ShardHits>().ToList();
        if (answered.Count > 0 && answered.All(h => h.Hits.Count == 0) && answered.Sum(h => h.Unscored) > 0)
            throw new InvalidDataException($"No chunk in the cluster corpus has a vector from encoder '{encoder}' ({answered.Sum(h => h.Unscored)} chunks without). " +
                "HINT: ingest again with `pastanoodles corpus ingest DIR --encoder bert --replace` to store them.");
        return Result(all, hits, k);
    }

    static SearchResult Result(IReadOnlyList<int> all, Dictionary<int, ShardHits?> hits, int k) => new(
        CorpusEngine.Merge(all.Where(s => hits[s] is not null).Select(s => hits[s]!.Hits), k),
        [.. all.Where(s => hits[s] is null)]);

    static async Task<Dictionary<int, T?>> CallAllAsync<T>(IReadOnlyList<int> shards, Func<int, Task<T>> call, string phase, ILogger logger) where T : class
    {
        var tasks = shards.ToDictionary(s => s, call);
        try
        {
            await Task.WhenAll(tasks.Values);
        }
        catch
        {
            // each failure is looked at below
        }
        var results = new Dictionary<int, T?>();
        foreach (var (shard, task) in tasks)
        {
            if (task.IsCompletedSuccessfully)
                results[shard] = task.Result;
            else
            {
                logger.LogWarning(task.Exception?.GetBaseException(), "Shard {Shard} failed in the {Phase} phase; its chunks are left out", shard, phase);
                results[shard] = null;
            }
        }
        return results;
    }
}
