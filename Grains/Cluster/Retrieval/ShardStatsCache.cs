using Pastanoodles.Retrieval.Index;

namespace Pastanoodles.Cluster;

/// <summary>Collection-wide BM25 statistics of the terms queried so far, cached per corpus version, so a search makes one round trip
/// per shard: phase one (statistics) runs only for terms not seen at this version. A silo singleton shared by the answer grains.</summary>
/// <remarks>The corpus version is every shard's <see cref="ShardState.Version"/>, which changes with each ingest. Every shard answers
/// with its version; when one differs from the cached one the cache is dropped and the search runs again in two phases, so scores are
/// never computed with stale statistics.</remarks>
public sealed class ShardStatsCache
{
    readonly object _lock = new();
    string[] _versions = [];
    readonly Dictionary<string, TermStat> _terms = new(StringComparer.Ordinal);
    FieldStat? _field;

    /// <summary>How many times phase one ran (statistics asked of the shards); tests count them.</summary>
    public int Refreshes { get; private set; }

    /// <summary>The summed statistics of <paramref name="terms"/> and the shards' versions they hold for, if every term is cached.</summary>
    public (QueryStats Stats, string[] Versions)? TryGet(IReadOnlyList<string> terms)
    {
        lock (_lock)
        {
            if (_field is null || _versions.Length == 0)
                return null;
            var stats = new List<TermStat>(terms.Count);
            foreach (var term in terms)
            {
                if (!_terms.TryGetValue(term, out var stat))
                    return null;
                stats.Add(stat);
            }
            return (new QueryStats(stats, [_field]), _versions);
        }
    }

    /// <summary>Adds phase one's per-shard answers (every shard answered, in shard order); a new corpus version replaces everything.</summary>
    public QueryStats Add(IReadOnlyList<QueryStats> perShard)
    {
        var sum = CollectionStats.Sum(perShard).ToQueryStats();
        var versions = perShard.Select(s => s.Version).ToArray();
        lock (_lock)
        {
            Refreshes++;
            if (!versions.SequenceEqual(_versions))
            {
                _terms.Clear();
                _versions = versions;
            }
            foreach (var term in sum.Terms)
                _terms[term.Text] = term;
            _field = sum.Fields.SingleOrDefault(f => f.Field == ShardIndex.TextField) ?? _field;
        }
        return sum;
    }

    /// <summary>Forgets the statistics (a shard answered at another version than they hold for).</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _versions = [];
            _terms.Clear();
            _field = null;
        }
    }
}
