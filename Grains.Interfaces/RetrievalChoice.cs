namespace Pastanoodles;

/// <summary>How a dense similarity compares a query vector with a chunk vector (shared/specs/rag.md §6): cosine similarity, or
/// Euclidean distance; scores are "higher is better" (the distance is negated).</summary>
[GenerateSerializer]
public enum DenseMetric { Cosine, Euclidean }

/// <summary>What the dense similarity does to the BM25 order: replace it; be fused with it by reciprocal rank
/// fusion (score = Σ 1/(60 + rank), ranks from 1, over the BM25 and the dense ranking; Cormack et al. 2009); or be
/// mixed with it by weight: score = w · minmax(BM25) + (1 − w) · minmax(dense), each min-max normalized over the
/// candidates (Elasticsearch's linear retriever with the minmax normalizer).</summary>
[GenerateSerializer]
public enum RerankMode { Replace, Fusion, Weighted }

/// <summary>Where the candidates come from: BM25 over the analyzed chunks (the default), or the seed's dense top-k by the query's
/// vector against every chunk's stored vector (Chroma's flat index).</summary>
[GenerateSerializer]
public enum Retriever { Bm25, Dense }

/// <summary>A search through the cluster: the retriever, and for BM25 an optional dense re-rank of its top <see cref="RerankDepth"/>.
/// The dense parts use the silos' encoder (all-MiniLM-L6-v2) and the vectors the shards stored at ingest, so only the query is encoded.</summary>
/// <param name="Rerank">Null: BM25's order. Ignored by the dense retriever.</param>
/// <param name="Bm25Weight">w of <see cref="RerankMode.Weighted"/>, 0 (dense only) to 1 (BM25 only).</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.SearchRequest")]
public sealed record SearchRequest(
    [property: Id(0)] string Query,
    [property: Id(1)] int K,
    [property: Id(2)] Retriever Retriever = Retriever.Bm25,
    [property: Id(3)] DenseMetric Metric = DenseMetric.Cosine,
    [property: Id(4)] RerankMode? Rerank = null,
    [property: Id(5)] double Bm25Weight = SearchRequest.DefaultBm25Weight,
    [property: Id(6)] int RerankDepth = SearchRequest.DefaultRerankDepth)
{
    /// <summary>BM25 candidates a re-ranker re-orders by default: the depth README's chunk-size and re-rank table was measured at
    /// (recall@5 was already 1.000 there, so deeper lists only add candidates the re-ranker can wrongly promote).</summary>
    public const int DefaultRerankDepth = 20;

    /// <summary>The default BM25 weight of <see cref="RerankMode.Weighted"/>; see README "Retrieval" for the sweep behind it.</summary>
    public const double DefaultBm25Weight = 0.5;

    /// <summary>The most hits a search returns and the most candidates a re-rank re-orders: far past what a prompt or an eval uses,
    /// and a bound on what one request can make every shard do.</summary>
    public const int MaxK = 1000;

    /// <summary>Why a search may not ask for the dense retriever and a re-rank at once (a cluster request or a local search).</summary>
    public const string DenseHasNothingToRerank = "A re-rank re-orders BM25's candidates; the dense retriever has none to re-order. HINT: leave one of them out.";

    /// <summary>The most BM25 candidates a re-rank re-orders: each one without a stored vector is encoded for the query.</summary>
    public const int MaxRerankDepth = 100;

    /// <summary>The longest query or question text a silo takes, in characters: a question with its options is a few hundred, and every
    /// character is tokenized and analyzed before anything is cut to the model's length.</summary>
    public const int MaxTextLength = 20_000;

    /// <summary><paramref name="text"/> when it is at most <see cref="MaxTextLength"/> characters; else a one-line <see cref="ArgumentException"/> naming it.</summary>
    public static string CheckLength(string text, string name) =>
        text.Length <= MaxTextLength ? text : throw new ArgumentException($"{name} is {text.Length} characters. {name} must be at most {MaxTextLength}.");

    /// <summary><paramref name="value"/> when it is 1 to <paramref name="max"/>; else a one-line <see cref="ArgumentException"/> naming it.</summary>
    public static int CheckCount(int value, string name, int max = MaxK) =>
        value is >= 1 && value <= max ? value : throw new ArgumentException($"{name} is {value}. {name} must be 1 to {max}.");

    /// <summary>Throws a one-line <see cref="ArgumentException"/> naming the first field out of its range.</summary>
    public void Validate()
    {
        CheckLength(Query, nameof(Query));
        CheckCount(K, nameof(K));
        CheckCount(RerankDepth, nameof(RerankDepth), MaxRerankDepth);
        if (Retriever == Retriever.Dense && Rerank is not null)
            throw new ArgumentException(DenseHasNothingToRerank);
        if (Bm25Weight is not (>= 0 and <= 1))
            throw new ArgumentException($"{nameof(Bm25Weight)} is {Bm25Weight}. It must be between 0 (dense only) and 1 (BM25 only).");
    }
}
