// Collection-wide statistics for scoring shards on one scale, the way Elasticsearch's dfs_query_then_fetch does:
// BM25's idf needs docFreq and maxDoc, its length norm avgdl = sumTotalTermFreq / maxDoc. Summed over shards these
// are exactly what one index over the same chunks would report (deleted documents included, as Lucene counts them).
using Lucene.Net.Index;
using Lucene.Net.Search;

namespace Pastanoodles.Retrieval.Index;

/// <summary>Term and field statistics summed over every shard's reader, for the terms of one query.</summary>
public sealed class CollectionStats
{
    private readonly Dictionary<Term, TermStatistics> _terms;
    private readonly Dictionary<string, CollectionStatistics> _fields;

    private CollectionStats(Dictionary<Term, TermStatistics> terms, Dictionary<string, CollectionStatistics> fields)
    {
        _terms = terms;
        _fields = fields;
    }

    /// <summary>Sums the statistics of <paramref name="terms"/> and of their fields over <paramref name="readers"/>.</summary>
    public static CollectionStats Gather(IReadOnlyList<IndexReader> readers, IEnumerable<Term> terms)
    {
        var termStats = new Dictionary<Term, TermStatistics>();
        var fieldStats = new Dictionary<string, CollectionStatistics>();
        foreach (var term in terms.Distinct())
        {
            long docFreq = 0, totalTermFreq = 0;
            foreach (var reader in readers)
            {
                docFreq += reader.DocFreq(term);
                totalTermFreq += reader.TotalTermFreq(term);
            }
            termStats[term] = new TermStatistics(term.Bytes, docFreq, totalTermFreq);
            if (!fieldStats.ContainsKey(term.Field))
                fieldStats[term.Field] = SumField(readers, term.Field);
        }
        return new CollectionStats(termStats, fieldStats);
    }

    public TermStatistics? Term(Term term) => _terms.GetValueOrDefault(term);

    public CollectionStatistics? Field(string field) => _fields.GetValueOrDefault(field);

    private static CollectionStatistics SumField(IReadOnlyList<IndexReader> readers, string field)
    {
        long maxDoc = 0, docCount = 0, sumTotalTermFreq = 0, sumDocFreq = 0;
        foreach (var reader in readers)
        {
            maxDoc += reader.MaxDoc;
            var terms = MultiFields.GetTerms(reader, field);
            if (terms is null)
                continue;
            docCount += terms.DocCount;
            sumTotalTermFreq += terms.SumTotalTermFreq;
            sumDocFreq += terms.SumDocFreq;
        }
        return new CollectionStatistics(field, maxDoc, docCount, sumTotalTermFreq, sumDocFreq);
    }
}
