using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;

namespace Pastanoodles.Retrieval.Index;

/// <summary>An <see cref="IndexSearcher"/> over one shard that scores with collection-wide statistics, so hits from
/// different shards compare, and rank exactly as one index over all chunks would.</summary>
public sealed class GlobalStatsSearcher : IndexSearcher
{
    private readonly CollectionStats _stats;

    public GlobalStatsSearcher(IndexReader reader, CollectionStats stats, Similarity similarity) : base(reader)
    {
        _stats = stats;
        Similarity = similarity;
    }

    public override TermStatistics TermStatistics(Term term, TermContext context) =>
        _stats.Term(term) ?? base.TermStatistics(term, context);

    public override CollectionStatistics CollectionStatistics(string field) =>
        _stats.Field(field) ?? base.CollectionStatistics(field);
}
