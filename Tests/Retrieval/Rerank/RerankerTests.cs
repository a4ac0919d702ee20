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
    public void Weighted_mixes_min_max_normalized_bm25_and_cosine()
    {
        SearchHit[] bm25 = [Hit("far", 9), Hit("near", 5), Hit("near-small", 1)];
        // min-max BM25: far 1, near 0.5, near-small 0. Cosines: far 0, near 2/√4.04, near-small 0.9/√0.82; min-max: 0, 1, their ratio.
        var ratio = 0.9 / Math.Sqrt(0.82) / (2 / Math.Sqrt(4.04));
        var half = new Reranker(Encoder, DenseMetric.Cosine, RerankMode.Weighted, 0.5).Rerank("q", bm25);
        Assert.Equal(["near", "far", "near-small"], half.Select(h => h.Text));
        Assert.Equal([0.75, 0.5, 0.5 * ratio], half.Select(h => Math.Round(h.Score, 5)), new RoundedComparer());
        var mostlyDense = new Reranker(Encoder, DenseMetric.Cosine, RerankMode.Weighted, 0.3).Rerank("q", bm25);
        Assert.Equal(["near", "near-small", "far"], mostlyDense.Select(h => h.Text));
        Assert.Equal(["far", "near", "near-small"], new Reranker(Encoder, DenseMetric.Cosine, RerankMode.Weighted, 1).Rerank("q", bm25).Select(h => h.Text));
        Assert.Equal(["near", "near-small", "far"], new Reranker(Encoder, DenseMetric.Cosine, RerankMode.Weighted, 0).Rerank("q", bm25).Select(h => h.Text));
    }

    sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-5;
        public int GetHashCode(double x) => 0;
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void A_weight_outside_0_to_1_is_refused(double weight) =>
        Assert.Contains("between 0 (dense only) and 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Reranker(Encoder, mode: RerankMode.Weighted, bm25Weight: weight)).Message);

    [Fact]
    public void Min_max_of_equal_scores_is_all_ones() => Assert.Equal([1.0, 1.0], Reranker.MinMax([3f, 3f]));

    [Fact]
    public void Vectors_of_different_lengths_are_refused_with_both_lengths()
    {
        var error = Assert.Throws<ArgumentException>(() => new Reranker(Encoder).Similarity([1, 2], [1, 2, 3]));
        Assert.Contains("2 and 3", error.Message);
    }
}
