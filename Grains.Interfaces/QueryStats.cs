namespace Pastanoodles;

/// <summary>BM25 statistics of one query term in one shard, or summed over all of them (Lucene's <c>TermStatistics</c>).</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.TermStat")]
public sealed record TermStat(
    [property: Id(0)] string Field,
    [property: Id(1)] string Text,
    [property: Id(2)] long DocFreq,
    [property: Id(3)] long TotalTermFreq);

/// <summary>Statistics of one field in one shard, or summed (Lucene's <c>CollectionStatistics</c>).</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.FieldStat")]
public sealed record FieldStat(
    [property: Id(0)] string Field,
    [property: Id(1)] long MaxDoc,
    [property: Id(2)] long DocCount,
    [property: Id(3)] long SumTotalTermFreq,
    [property: Id(4)] long SumDocFreq);

/// <summary>What BM25 needs to score a query on one scale across shards: its terms' statistics and their fields'.
/// Phase one of a distributed search asks every shard for these and sums them; phase two scores every shard with the sums.
/// A shard's answer carries its version (summed statistics have none), so the sums can be cached until an ingest changes it.</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.QueryStats")]
public sealed record QueryStats(
    [property: Id(0)] IReadOnlyList<TermStat> Terms,
    [property: Id(1)] IReadOnlyList<FieldStat> Fields,
    [property: Id(2)] string Version = "");
