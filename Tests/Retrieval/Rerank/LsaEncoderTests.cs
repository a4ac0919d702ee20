using Pastanoodles.Retrieval.Analysis;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Rerank;

public class LsaEncoderTests
{
    private static readonly string[] Chunks =
    [
        "photons carry light energy and momentum",
        "light is made of photons, quanta of the electromagnetic field",
        "the electromagnetic field carries energy as waves of light",
        "hash tables store keys in buckets",
        "collisions in hash tables are resolved by chaining buckets",
        "a hash function maps keys to buckets of the table",
    ];

    private static readonly CourseAnalyzer Analyzer = new();

    [Fact]
    public void Texts_on_the_same_topic_are_closer_than_texts_on_another()
    {
        var lsa = LsaEncoder.Fit(Chunks, Analyzer, rank: 2);
        var reranker = new Reranker(lsa);
        var v = lsa.Encode(["quanta of light", Chunks[0], Chunks[3]]);
        // "quanta of light" shares no word with chunk 0 beyond "light", but the topic dimension brings them together.
        Assert.True(reranker.Similarity(v[0], v[1]) > 0.9f, $"same topic: {reranker.Similarity(v[0], v[1])}");
        Assert.True(reranker.Similarity(v[0], v[2]) < 0.2f, $"other topic: {reranker.Similarity(v[0], v[2])}");
    }

    [Fact]
    public void Rank_is_capped_by_the_corpus_and_vectors_have_that_length()
    {
        var lsa = LsaEncoder.Fit(Chunks, Analyzer, rank: 100);
        Assert.Equal(Chunks.Length, lsa.Dimension);
        Assert.All(lsa.Encode(Chunks), v => Assert.Equal(lsa.Dimension, v.Length));
    }

    [Fact]
    public void Saved_basis_encodes_exactly_as_the_fitted_one()
    {
        using var folder = new TempDir();
        var lsa = LsaEncoder.Fit(Chunks, Analyzer, rank: 3);
        lsa.Save(folder.Combine("lsa.bin"));
        var loaded = LsaEncoder.Load(folder.Combine("lsa.bin"), Analyzer);
        Assert.Equal(lsa.VocabularySize, loaded.VocabularySize);
        Assert.Equal(lsa.Encode(Chunks), loaded.Encode(Chunks));
    }

    [Fact]
    public void Unknown_words_encode_to_the_zero_vector()
    {
        var lsa = LsaEncoder.Fit(Chunks, Analyzer, rank: 2);
        Assert.All(lsa.Encode(["zzyzx qwerty"])[0], x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Fitting_on_nothing_says_to_ingest_first()
    {
        var error = Assert.Throws<ArgumentException>(() => LsaEncoder.Fit([], Analyzer));
        Assert.Contains("ingest", error.Message);
    }
}
