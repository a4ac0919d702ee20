// Dense re-ranking of BM25 candidates, as LangChain + Chroma scores them (shared/specs/rag.md §6): cosine, or
// Euclidean distance. Scores are "higher is better": cosine similarity, or the negated Euclidean distance.
namespace Pastanoodles.Retrieval.Rerank;

/// <summary>How re-ranking compares a query vector with a chunk vector.</summary>
public enum DenseMetric { Cosine, Euclidean }

/// <summary>What the dense similarity does to the BM25 order: replace it, or be fused with it by reciprocal rank
/// fusion (score = Σ 1/(60 + rank), ranks from 1, over the BM25 and the dense ranking; Cormack et al. 2009).</summary>
public enum RerankMode { Replace, Fusion }

/// <summary>Re-orders hits by the dense similarity of their text to the query; the hit's score becomes that similarity.</summary>
public sealed class Reranker
{
    private readonly IDenseEncoder _encoder;

    /// <summary>The k constant of reciprocal rank fusion (the usual default, as in Elasticsearch).</summary>
    public const int FusionK = 60;

    public Reranker(IDenseEncoder encoder, DenseMetric metric = DenseMetric.Cosine, RerankMode mode = RerankMode.Replace)
    {
        _encoder = encoder;
        Metric = metric;
        Mode = mode;
    }

    public IDenseEncoder Encoder => _encoder;

    public DenseMetric Metric { get; }

    public RerankMode Mode { get; }

    /// <summary>The hits, given in BM25 order, sorted by similarity or by fused rank (ties keep their BM25 order).</summary>
    public IReadOnlyList<SearchHit> Rerank(string query, IReadOnlyList<SearchHit> hits)
    {
        if (hits.Count == 0)
            return hits;
        var (q, vectors) = Vectors(query, hits);
        var dense = hits
            .Select((hit, i) => hit with { Score = Similarity(q, vectors[i]) })
            .OrderByDescending(hit => hit.Score) // OrderBy is stable: ties keep the BM25 order
            .ToList();
        if (Mode == RerankMode.Replace)
            return dense;
        var denseRank = dense.Select((hit, i) => (hit.ChunkId, Rank: i + 1)).ToDictionary(p => p.ChunkId, p => p.Rank);
        return hits
            .Select((hit, i) => hit with { Score = 1f / (FusionK + i + 1) + 1f / (FusionK + denseRank[hit.ChunkId]) })
            .OrderByDescending(hit => hit.Score)
            .ToList();
    }

    /// <summary>The query's vector and each hit's: the one stored at ingest when this encoder made it, else encoded now
    /// (in one batch with the query).</summary>
    (float[] Query, float[][] Hits) Vectors(string query, IReadOnlyList<SearchHit> hits)
    {
        var vectors = new float[hits.Count][];
        var texts = new List<string> { query };
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
        var encoded = _encoder.Encode(texts);
        for (var j = 0; j < missing.Count; j++)
            vectors[missing[j]] = encoded[j + 1];
        return (encoded[0], vectors);
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
