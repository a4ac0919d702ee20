// One shard whose chunks are kept somewhere durable (a shard grain's state) and whose Lucene index on local disk is
// only a cache of them: opened when its commit says it holds the given version with the right count, rebuilt from the
// chunks otherwise (a new silo, a lost folder, a crash between a state write and a commit). Orleans-free: the grain
// passes the chunks and version in and keeps them durable itself.
using Lucene.Net.Search.Similarities;
using Pastanoodles.Retrieval.Analysis;
using Term = Lucene.Net.Index.Term;

namespace Pastanoodles.Retrieval.Index;

/// <summary>A BM25 shard index rebuilt from its chunks when missing or stale; searched in two phases with collection-wide statistics.</summary>
/// <remarks>Deleted documents are merged away after every change, so its statistics are those of a fresh index of the
/// same chunks: a shard ranks the same whether it was just rebuilt or has seen many re-ingests. Thread-safe for
/// concurrent <see cref="Stats"/> and <see cref="Search"/>; changes must not overlap each other.</remarks>
public sealed class CachedShardIndex : IDisposable
{
    /// <summary>Commit user-data key holding the version the index was committed at.</summary>
    public const string VersionKey = "pastanoodles.version";

    private readonly ShardIndex _index;

    private CachedShardIndex(ShardIndex index, int shard, bool rebuilt) => (_index, Shard, Rebuilt) = (index, shard, rebuilt);

    /// <summary>The shard number every hit carries.</summary>
    public int Shard { get; }

    /// <summary>Whether opening had to rebuild the index from the chunks.</summary>
    public bool Rebuilt { get; }

    /// <summary>Live chunks in the index.</summary>
    public int Count => _index.Count;

    /// <summary>Opens the cache in <paramref name="path"/>, rebuilding it from <paramref name="chunks"/> unless its last commit is
    /// <paramref name="version"/> and it holds exactly that many chunks.</summary>
    public static CachedShardIndex Open(string path, int shard, IReadOnlyCollection<CorpusChunk> chunks, string version, CorpusOptions? options = null)
    {
        options ??= new CorpusOptions();
        var index = new ShardIndex(path, new CourseAnalyzer(options.Lemmatize), new BM25Similarity(options.K1, options.B));
        try
        {
            var fresh = index.CommittedUserData.TryGetValue(VersionKey, out var committed) && committed == version && index.Count == chunks.Count;
            if (!fresh)
            {
                index.DeleteAll();
                foreach (var chunk in chunks)
                    index.Upsert(chunk);
                index.Commit(new Dictionary<string, string> { [VersionKey] = version });
            }
            return new CachedShardIndex(index, shard, rebuilt: !fresh);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Replaces every chunk of <paramref name="source"/> with <paramref name="chunks"/> and commits at <paramref name="version"/>.</summary>
    public void ReplaceSource(string source, IEnumerable<CorpusChunk> chunks, string version)
    {
        _index.DeleteSource(source);
        foreach (var chunk in chunks)
            _index.Upsert(chunk);
        _index.ExpungeDeletes();
        _index.Commit(new Dictionary<string, string> { [VersionKey] = version });
    }

    /// <summary>Phase one: this shard's statistics for the (analyzed) text-field <paramref name="terms"/>.</summary>
    public QueryStats Stats(IReadOnlyList<string> terms)
    {
        var reader = _index.Acquire();
        try
        {
            return CollectionStats.Gather([reader], ToTerms(terms)).ToQueryStats();
        }
        finally
        {
            ShardIndex.Release(reader);
        }
    }

    /// <summary>Phase two: this shard's top <paramref name="k"/> for <paramref name="terms"/>, scored with the collection-wide
    /// <paramref name="global"/> statistics (every shard's <see cref="Stats"/> summed), ties broken by chunk id.</summary>
    public IReadOnlyList<SearchHit> Search(IReadOnlyList<string> terms, QueryStats global, int k)
    {
        if (terms.Count == 0)
            return [];
        var query = CorpusEngine.QueryOf(ToTerms(terms));
        var reader = _index.Acquire();
        try
        {
            return [.. _index.Search(query, reader, CollectionStats.Sum([global]), k).Select(h => SearchHit.From(h.Chunk, h.Score, Shard))];
        }
        finally
        {
            ShardIndex.Release(reader);
        }
    }

    private static List<Term> ToTerms(IReadOnlyList<string> terms) => [.. terms.Distinct().Select(t => new Term(ShardIndex.TextField, t))];

    public void Dispose() => _index.Dispose();
}
