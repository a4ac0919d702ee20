using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Tests.Retrieval.Rerank;

public class RerankerTests
{
    /// <summary>Maps a text to a fixed vector from a table.</summary>
    private sealed class TableEncoder(Dictionary<string, float[]> table) : IDenseEncoder
    {
        public string Name => "table";

        public int Dimension => 2;
        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts) => texts.Select(t => table[t]).ToList();
    }

    private static readonly TableEncoder Encoder = new(new()
    {
        ["q"] = [1, 0],
        ["far"] = [0, 1],
        ["near"] = [2, 0.2f],
        ["near-small"] = [0.9f, 0.1f],
    });

    private static SearchHit Hit(string text, float score) => new(text, "s.pdf", 0, 0, score, text);

    [Fact]
    public void Cosine_orders_by_angle_and_scores_with_the_cosine()
    {
        var hits = new Reranker(Encoder, DenseMetric.Cosine).Rerank("q", [Hit("far", 9), Hit("near", 5), Hit("near-small", 1)]);
        Assert.Equal(["near", "near-small", "far"], hits.Select(h => h.Text));
        Assert.Equal(2 / MathF.Sqrt(4.04f), hits[0].Score, 5);
        Assert.Equal(0f, hits[2].Score, 6);
    }

    [Fact]
    public void Euclidean_orders_by_distance_and_scores_with_its_negation()
    {
        var hits = new Reranker(Encoder, DenseMetric.Euclidean).Rerank("q", [Hit("far", 9), Hit("near", 5), Hit("near-small", 1)]);
        Assert.Equal(["near-small", "near", "far"], hits.Select(h => h.Text));
        Assert.Equal(-MathF.Sqrt(0.02f), hits[0].Score, 5);
        Assert.Equal(-MathF.Sqrt(2f), hits[2].Score, 5);
    }

    [Fact]
    public void Fusion_adds_reciprocal_ranks_of_the_bm25_and_dense_orders()
    {
        // BM25 order: far, near, near-small. Cosine order: near, near-small, far.
        var hits = new Reranker(Encoder, DenseMetric.Cosine, RerankMode.Fusion).Rerank("q", [Hit("far", 9), Hit("near", 5), Hit("near-small", 1)]);
        // Fused: near 1/62 + 1/61, far 1/61 + 1/63, near-small 1/63 + 1/62.
        Assert.Equal(["near", "far", "near-small"], hits.Select(h => h.Text));
        Assert.Equal(1f / 62 + 1f / 61, hits[0].Score, 6);
        Assert.Equal(1f / 61 + 1f / 63, hits[1].Score, 6);
        Assert.Equal(1f / 63 + 1f / 62, hits[2].Score, 6);
    }

    [Fact]
    public void Vectors_of_different_lengths_are_refused_with_both_lengths()
    {
        var error = Assert.Throws<ArgumentException>(() => new Reranker(Encoder).Similarity([1, 2], [1, 2, 3]));
        Assert.Contains("2 and 3", error.Message);
    }
}
