using Microsoft.Extensions.Logging;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Cluster;

/// <summary>A distributed BM25 search over the shard grains, as Elasticsearch's dfs_query_then_fetch: every shard's statistics for
/// the query terms, summed; every shard searched with the sums; hits merged as <see cref="CorpusEngine.Merge(IEnumerable{IEnumerable{SearchHit}}, int)"/>.</summary>
/// <remarks>Both phases call all shards in parallel. A shard that fails is logged by number and left out (GPSTracker's
/// BroadcastUpdates); the result names it, and the other shards still rank on one scale among themselves.</remarks>
public static class ShardFanOut
{
    public static async Task<SearchResult> SearchAsync(IGrainFactory grains, CourseAnalyzer analyzer, string query, int shards, int k, ILogger logger)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k is {k}. k must be 1 or more.");
        var terms = CorpusEngine.QueryTerms(analyzer, query).Select(t => t.Text).ToList();
        if (shards == 0 || terms.Count == 0)
            return new SearchResult([], []);
        var all = Enumerable.Range(0, shards).ToList();

        var stats = await CallAllAsync(all, s => grains.GetGrain<IShardGrain>(s).GetQueryStatsAsync(terms).AsTask(), "statistics", logger);
        var answered = stats.Where(p => p.Value is not null).Select(p => p.Key).ToList();
        var global = Retrieval.Index.CollectionStats.Sum(answered.Select(s => stats[s]!)).ToQueryStats();

        var hits = await CallAllAsync(answered, s => grains.GetGrain<IShardGrain>(s).SearchAsync(terms, global, k).AsTask(), "search", logger);
        var failed = all.Where(s => stats[s] is null || (hits.TryGetValue(s, out var h) && h is null)).ToList();
        return new SearchResult(CorpusEngine.Merge(hits.Values.Where(h => h is not null).Select(h => h!), k), failed);
    }

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
