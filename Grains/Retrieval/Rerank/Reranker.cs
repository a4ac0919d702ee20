// Dense re-ranking of BM25 candidates, as LangChain + Chroma scores them (shared/specs/rag.md §6): cosine, or
// Euclidean distance. Scores are "higher is better": cosine similarity, or the negated Euclidean distance.
namespace Pastanoodles.Retrieval.Rerank;

/// <summary>Re-orders hits by the dense similarity of their text to the query; the hit's score becomes that similarity.</summary>
public sealed class Reranker
{
    private readonly IDenseEncoder _encoder;

    /// <summary>The k constant of reciprocal rank fusion (the usual default, as in Elasticsearch).</summary>
    public const int FusionK = 60;

    /// <inheritdoc cref="SearchRequest.DefaultBm25Weight"/>
    public const double DefaultBm25Weight = SearchRequest.DefaultBm25Weight;

    /// <param name="bm25Weight">w of <see cref="RerankMode.Weighted"/>, between 0 (dense only) and 1 (BM25 only).</param>
    public Reranker(IDenseEncoder encoder, DenseMetric metric = DenseMetric.Cosine, RerankMode mode = RerankMode.Replace, double bm25Weight = DefaultBm25Weight)
    {
        if (bm25Weight is < 0 or > 1 || double.IsNaN(bm25Weight))
            throw new ArgumentOutOfRangeException(nameof(bm25Weight), bm25Weight, $"The BM25 weight is {bm25Weight}. It must be between 0 (dense only) and 1 (BM25 only).");
        _encoder = encoder;
        Metric = metric;
        Mode = mode;
        Bm25Weight = bm25Weight;
    }

    public double Bm25Weight { get; }

    public IDenseEncoder Encoder => _encoder;

    public DenseMetric Metric { get; }

    public RerankMode Mode { get; }

    /// <summary>The hits, given in BM25 order, sorted by similarity or by fused rank (ties keep their BM25 order).</summary>
    /// <param name="queryVector">The query's <see cref="IDenseEncoder.EncodeQuery"/> from this re-ranker's encoder when the caller already has
    /// it (encoded while the candidates were searched); null to encode it here.</param>
    public IReadOnlyList<SearchHit> Rerank(string query, IReadOnlyList<SearchHit> hits, float[]? queryVector = null)
    {
        if (hits.Count == 0)
            return hits;
        var q = queryVector ?? _encoder.EncodeQuery(query);
        var vectors = Vectors(hits);
        var similarity = vectors.Select(v => Similarity(q, v)).ToArray();   // in BM25 order
        IEnumerable<SearchHit> scored = Mode switch
        {
            RerankMode.Replace => hits.Select((hit, i) => hit with { Score = similarity[i] }),
            RerankMode.Weighted => Weighted(hits, similarity),
            _ => Fused(hits, similarity),
        };
        return scored.OrderByDescending(hit => hit.Score).ToList(); // OrderBy is stable: ties keep the BM25 order
    }

    IEnumerable<SearchHit> Weighted(IReadOnlyList<SearchHit> hits, float[] similarity)
    {
        var (bm25, dense) = (MinMax([.. hits.Select(h => h.Score)]), MinMax(similarity));
        return hits.Select((hit, i) => hit with { Score = (float)(Bm25Weight * bm25[i] + (1 - Bm25Weight) * dense[i]) });
    }

    static IEnumerable<SearchHit> Fused(IReadOnlyList<SearchHit> hits, float[] similarity)
    {
        var denseRank = new int[hits.Count];
        var order = Enumerable.Range(0, hits.Count).OrderByDescending(i => similarity[i]).ToList();
        for (var rank = 0; rank < order.Count; rank++)
            denseRank[order[rank]] = rank + 1;
        return hits.Select((hit, i) => hit with { Score = 1f / (FusionK + i + 1) + 1f / (FusionK + denseRank[i]) });
    }

    /// <summary>Each hit's vector: the one stored at ingest when this encoder made it, else encoded now (in one batch).</summary>
    float[][] Vectors(IReadOnlyList<SearchHit> hits)
    {
        var vectors = new float[hits.Count][];
        var texts = new List<string>();
        var missing = new List<int>();
        for (var i = 0; i < hits.Count; i++)
        {
            if (hits[i] is { Vector: { } stored, Encoder: { } name } && name == _encoder.Name && stored.Length == _encoder.Dimension)
                vectors[i] = stored;
            else
            {
                texts.Add(hits[i].Text);
                missing.Add(i);
            }
        }
        var encoded = texts.Count > 0 ? _encoder.Encode(texts) : [];
        for (var j = 0; j < missing.Count; j++)
            vectors[missing[j]] = encoded[j];
        return vectors;
    }

    /// <summary>(x − min) / (max − min); all 1 when every score is the same (nothing to tell them apart).</summary>
    public static double[] MinMax(IReadOnlyList<float> scores)
    {
        var (min, max) = (scores.Min(), scores.Max());
        return [.. scores.Select(x => max > min ? (x - (double)min) / (max - min) : 1.0)];
    }

    public float Similarity(float[] a, float[] b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Vectors should be of the same length, but are {a.Length} and {b.Length}.");
        double dot = 0, na = 0, nb = 0, d2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
            var d = a[i] - (double)b[i];
            d2 += d * d;
        }
        return Metric switch
        {
            DenseMetric.Cosine => na == 0 || nb == 0 ? 0f : (float)(dot / Math.Sqrt(na * nb)),
            _ => (float)-Math.Sqrt(d2),
        };
    }
}
