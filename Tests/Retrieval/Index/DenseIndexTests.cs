using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Retrieval.Rerank;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Index;

/// <summary>The dense retriever: exact top-k over every stored vector, checked against a brute-force reference computed here.</summary>
public class DenseIndexTests
{
    static List<CorpusChunk> RandomChunks(int count, int dimension, int seed, bool unit)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var v = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1) * (unit ? 1f : (float)random.NextDouble() * 5)).ToArray();
            if (unit)
            {
                var norm = MathF.Sqrt(v.Sum(x => x * x));
                v = [.. v.Select(x => x / norm)];
            }
            return new CorpusChunk($"doc{i % 7}.pdf#{i}#0", $"doc{i % 7}.pdf", i, 0, $"chunk {i}", v, "enc");
        })];
    }

    /// <summary>The reference: every chunk scored in double precision, sorted by score then id, cut at k.</summary>
    static List<(string Id, double Score)> BruteForce(IEnumerable<CorpusChunk> chunks, float[] q, DenseMetric metric, int k) =>
        [.. chunks.Select(c =>
        {
            double dot = 0, nq = 0, nc = 0, d2 = 0;
            for (var i = 0; i < q.Length; i++)
            {
                dot += q[i] * (double)c.Vector![i];
                nq += q[i] * (double)q[i];
                nc += c.Vector[i] * (double)c.Vector[i];
                d2 += (q[i] - (double)c.Vector[i]) * (q[i] - (double)c.Vector[i]);
            }
            return (c.Id, Score: metric == DenseMetric.Cosine ? dot / Math.Sqrt(nq * nc) : -Math.Sqrt(d2));
        }).OrderByDescending(h => h.Score).ThenBy(h => h.Id, CodePointOrder.Instance).Take(k)];

    [Theory]
    [InlineData(DenseMetric.Cosine, true)]
    [InlineData(DenseMetric.Euclidean, true)]
    [InlineData(DenseMetric.Cosine, false)]
    [InlineData(DenseMetric.Euclidean, false)]
    public void Top_k_equals_a_brute_force_reference(DenseMetric metric, bool unit)
    {
        var chunks = RandomChunks(2_000, 37, seed: 5, unit);   // 37: not a multiple of the SIMD width, so the scalar tail runs too
        var index = DenseIndex.Of(chunks, "enc", 37);
        foreach (var query in RandomChunks(20, 37, seed: 6, unit).Select(c => c.Vector!))
        {
            var expected = BruteForce(chunks, query, metric, 10);
            var actual = index.Search(query, metric, 10);
            Assert.Equal(expected.Select(h => h.Id), actual.Select(h => h.Chunk.Id));
            foreach (var (e, a) in expected.Zip(actual))
                Assert.Equal(e.Score, a.Score, 1e-5 * Math.Max(1, Math.Abs(e.Score)));   // float against double: relative precision
        }
    }

    [Fact]
    public void Cosine_and_Euclidean_rank_unit_vectors_identically()
    {
        // On unit vectors ‖q − c‖² = 2 − 2 cos, so both orders are the same (Chroma's l2 and cosine spaces agree on MiniLM's vectors).
        var chunks = RandomChunks(1_000, 24, seed: 7, unit: true);
        var index = DenseIndex.Of(chunks, "enc", 24);
        foreach (var query in RandomChunks(10, 24, seed: 8, unit: true).Select(c => c.Vector!))
        {
            var cosine = index.Search(query, DenseMetric.Cosine, 25);
            var euclidean = index.Search(query, DenseMetric.Euclidean, 25);
            Assert.Equal(cosine.Select(h => h.Chunk.Id), euclidean.Select(h => h.Chunk.Id));
            Assert.All(cosine.Zip(euclidean), p => Assert.Equal(-Math.Sqrt(2 - 2 * p.First.Score), p.Second.Score, 4));
        }
    }

    [Fact]
    public void Cosine_and_Euclidean_differ_where_the_lengths_differ()
    {
        // long points the query's way (cosine 1, distance 9); near is a little off its direction but close (cosine 0.994, distance 0.14).
        CorpusChunk[] chunks = [new("long#0#0", "long", 0, 0, "", [10f, 0f], "enc"), new("near#0#0", "near", 0, 0, "", [0.9f, 0.1f], "enc")];
        var index = DenseIndex.Of(chunks, "enc", 2);
        float[] query = [1f, 0f];

        var cosine = index.Search(query, DenseMetric.Cosine, 2);
        var euclidean = index.Search(query, DenseMetric.Euclidean, 2);

        Assert.Equal(["long#0#0", "near#0#0"], cosine.Select(h => h.Chunk.Id));
        Assert.Equal(["near#0#0", "long#0#0"], euclidean.Select(h => h.Chunk.Id));
        Assert.Equal([1.0, 0.9 / Math.Sqrt(0.82)], cosine.Select(h => (double)h.Score), new ToleranceComparer(1e-6));
        Assert.Equal([-Math.Sqrt(0.02), -9.0], euclidean.Select(h => (double)h.Score), new ToleranceComparer(1e-5));
    }

    [Fact]
    public void Chunks_without_a_vector_from_the_encoder_are_left_out_and_counted()
    {
        CorpusChunk[] chunks = [new("a#0#0", "a", 0, 0, "", [1f, 0f], "enc"), new("b#0#0", "b", 0, 0, ""), new("c#0#0", "c", 0, 0, "", [0f, 1f], "other")];
        var index = DenseIndex.Of(chunks, "enc", 2);
        Assert.Equal((1, 2), (index.Count, index.Missing));
        Assert.Equal(["a#0#0"], index.Search([1f, 1f], DenseMetric.Cosine, 5).Select(h => h.Chunk.Id));
        var wrong = Assert.Throws<ArgumentException>(() => index.Search([1f, 1f, 1f], DenseMetric.Cosine, 5));
        Assert.StartsWith("The query vector should be of size 2 (encoder 'enc'), but is 3.", wrong.Message);
    }

    [Fact]
    public void The_engine_searches_every_shard_densely_and_merges_as_one_index()
    {
        using var dir = new TempDir();
        var encoder = new StoredVectorsTests.CountingEncoder("counting-v1");
        var words = new[] { "light", "wave", "photon", "hash", "table", "bucket", "entropy", "gas", "orbit" };
        var random = new Random(3);
        var chunks = Enumerable.Range(0, 60).Select(i => new CorpusChunk($"s{i % 5}.pdf#{i}#0", $"s{i % 5}.pdf", i, 0,
            string.Join(' ', Enumerable.Range(0, 3 + random.Next(8)).Select(_ => words[random.Next(words.Length)])))).ToList();
        using var engine = CorpusEngine.Open(dir["index"], new CorpusOptions { Shards = 3 });
        engine.AddChunks(chunks);
        var none = Assert.Throws<InvalidDataException>(() => engine.DenseSearch("light", 5, encoder));
        Assert.StartsWith($"Index '{dir["index"]}' has no chunk with a vector from encoder 'counting-v1' (60 chunks without). HINT:", none.Message);

        engine.AddChunks(CorpusIngest.Embed(chunks, encoder));
        var reference = DenseIndex.Of(engine.AllChunks(), encoder.Name, encoder.Dimension);
        foreach (var metric in new[] { DenseMetric.Cosine, DenseMetric.Euclidean })
            foreach (var query in new[] { "light wave photon", "hash table bucket bucket", "an orbit" })
            {
                var q = encoder.Encode([query])[0];
                Assert.Equal(reference.Search(q, metric, 7).Select(h => (h.Chunk.Id, h.Score)), engine.DenseSearch(query, 7, encoder, metric).Select(h => (h.ChunkId, h.Score)));
            }
        Assert.Equal(3, engine.DenseIndexes(encoder).Count);
        Assert.Equal(60, engine.DenseIndexes(encoder).Sum(i => i.Count));
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
