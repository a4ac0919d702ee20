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

    /// <summary>Sums statistics taken from every shard separately (<see cref="ToQueryStats"/> of each), which gives the same
    /// numbers as <see cref="Gather"/> over all their readers at once.</summary>
    public static CollectionStats Sum(IEnumerable<QueryStats> perShard)
    {
        var termStats = new Dictionary<Term, TermStatistics>();
        var fieldStats = new Dictionary<string, CollectionStatistics>();
        foreach (var shard in perShard)
        {
            foreach (var t in shard.Terms)
            {
                var term = new Term(t.Field, t.Text);
                termStats[term] = termStats.TryGetValue(term, out var sum)
                    ? new TermStatistics(term.Bytes, sum.DocFreq + t.DocFreq, sum.TotalTermFreq + t.TotalTermFreq)
                    : new TermStatistics(term.Bytes, t.DocFreq, t.TotalTermFreq);
            }
            foreach (var f in shard.Fields)
                fieldStats[f.Field] = fieldStats.TryGetValue(f.Field, out var sum)
                    ? new CollectionStatistics(f.Field, sum.MaxDoc + f.MaxDoc, sum.DocCount + f.DocCount,
                        sum.SumTotalTermFreq + f.SumTotalTermFreq, sum.SumDocFreq + f.SumDocFreq)
                    : new CollectionStatistics(f.Field, f.MaxDoc, f.DocCount, f.SumTotalTermFreq, f.SumDocFreq);
        }
        return new CollectionStats(termStats, fieldStats);
    }

    /// <summary>These statistics as the record that crosses a grain call.</summary>
    public QueryStats ToQueryStats() => new(
        [.. _terms.Select(p => new TermStat(p.Key.Field, p.Key.Text, p.Value.DocFreq, p.Value.TotalTermFreq))],
        [.. _fields.Values.Select(f => new FieldStat(f.Field, f.MaxDoc, f.DocCount, f.SumTotalTermFreq, f.SumDocFreq))]);

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
