// Dense re-ranking of BM25 candidates, as LangChain + Chroma scores them (shared/specs/rag.md §6): cosine, or
// Euclidean distance. Scores are "higher is better": cosine similarity, or the negated Euclidean distance.
namespace Pastanoodles.Retrieval.Rerank;

/// <summary>How re-ranking compares a query vector with a chunk vector.</summary>
public enum DenseMetric { Cosine, Euclidean }

/// <summary>Re-orders hits by the dense similarity of their text to the query; the hit's score becomes that similarity.</summary>
public sealed class Reranker
{
    private readonly IDenseEncoder _encoder;

    public Reranker(IDenseEncoder encoder, DenseMetric metric = DenseMetric.Cosine)
    {
        _encoder = encoder;
        Metric = metric;
    }

    public DenseMetric Metric { get; }

    /// <summary>The hits sorted by similarity (ties keep their BM25 order).</summary>
    public IReadOnlyList<SearchHit> Rerank(string query, IReadOnlyList<SearchHit> hits)
    {
        if (hits.Count == 0)
            return hits;
        var texts = new List<string>(hits.Count + 1) { query };
        texts.AddRange(hits.Select(h => h.Text));
        var vectors = _encoder.Encode(texts);
        var q = vectors[0];
        return hits
            .Select((hit, i) => hit with { Score = Similarity(q, vectors[i + 1]) })
            .OrderByDescending(hit => hit.Score) // OrderBy is stable: ties keep the BM25 order
            .ToList();
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
