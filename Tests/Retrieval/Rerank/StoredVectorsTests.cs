using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Rerank;

/// <summary>Vectors computed once at ingest, stored with each chunk, reused by a re-rank that then encodes only the query.</summary>
public class StoredVectorsTests
{
    /// <summary>A deterministic encoder that counts the texts it is asked to encode: [letters, vowels, words].</summary>
    internal sealed class CountingEncoder(string name) : IDenseEncoder
    {
        public string Name => name;
        public int Dimension => 3;
        public int Texts;
        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts)
        {
            Interlocked.Add(ref Texts, texts.Count);
            return [.. texts.Select(t => new float[] { t.Count(char.IsLetter), t.Count("aeiou".Contains), t.Split(' ').Length })];
        }
    }

    static void WriteCourse(TempDir folder)
    {
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "optics.pdf"),
            ["Photons are quanta of light."], ["Interference patterns appear when waves overlap."], ["Light waves diffract."]);
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "hashing.pdf"), ["Hash tables map keys to buckets of light."]);
    }

    [Fact]
    public void A_rerank_over_stored_vectors_encodes_only_the_query_and_ranks_as_encoding_everything()
    {
        using var folder = new TempDir();
        WriteCourse(folder);
        var encoder = new CountingEncoder("counting-v1");
        using (var engine = CorpusEngine.Open(folder.Combine("index"), new CorpusOptions { Shards = 2 }))
            engine.IngestDirectory(folder.Combine("pdfs"), encoder: encoder);
        Assert.Equal(4, encoder.Texts);

        using var reopened = CorpusEngine.OpenExisting(folder.Combine("index"));   // the vectors are durable in the shards
        Assert.All(reopened.AllChunks(), c => Assert.Equal(("counting-v1", 3), (c.Encoder, c.Vector!.Length)));
        encoder.Texts = 0;
        var stored = reopened.Search("light waves", 4, new Reranker(encoder));
        Assert.Equal(1, encoder.Texts);

        // The same encoder under another name cannot use the stored vectors: it encodes every candidate, and ranks the same.
        var fresh = new CountingEncoder("counting-v2");
        var encodedNow = reopened.Search("light waves", 4, new Reranker(fresh));
        Assert.Equal(1 + stored.Count, fresh.Texts);
        Assert.Equal(encodedNow.Select(h => (h.ChunkId, h.Score)), stored.Select(h => (h.ChunkId, h.Score)));
    }

    [Fact]
    public void Re_ingesting_with_another_encoder_rebuilds_every_vector()
    {
        using var folder = new TempDir();
        WriteCourse(folder);
        using var engine = CorpusEngine.Open(folder.Combine("index"));
        engine.IngestDirectory(folder.Combine("pdfs"), encoder: new CountingEncoder("v1"));
        // A chunk added from elsewhere without a vector, then a re-ingest of one file only with a new encoder.
        engine.AddChunks([new CorpusChunk("other.pdf#0#0", "other.pdf", 0, 0, "Light from elsewhere.")]);
        File.Delete(folder.Combine("pdfs", "hashing.pdf"));
        var v2 = new CountingEncoder("v2");
        engine.IngestDirectory(folder.Combine("pdfs"), encoder: v2);
        Assert.Equal(5, engine.Count);
        Assert.All(engine.AllChunks(), c => Assert.Equal("v2", c.Encoder));
        Assert.Equal(5, v2.Texts);   // 3 optics chunks as they were indexed, then hashing's and other's, which were stale
        Assert.Equal(0, engine.StoreVectors(v2));
    }

    [Fact]
    public void A_cached_shard_index_keeps_and_returns_the_vectors_of_its_chunks()
    {
        using var folder = new TempDir();
        float[] vector = [0.25f, -1.5f, 3e-8f];
        CorpusChunk[] chunks = [new("a#0#0", "a", 0, 0, "light waves", vector, "enc"), new("b#0#0", "b", 0, 0, "light only")];
        using (var index = CachedShardIndex.Open(folder.Path, 3, chunks, "e:1"))
        {
            var hits = index.Search(["light", "wave"], index.Stats(["light", "wave"]), 2);
            Assert.Equal(vector, hits.Single(h => h.ChunkId == "a#0#0").Vector);
            Assert.Equal("enc", hits.Single(h => h.ChunkId == "a#0#0").Encoder);
            Assert.Null(hits.Single(h => h.ChunkId == "b#0#0").Vector);
        }
        using var reused = CachedShardIndex.Open(folder.Path, 3, chunks, "e:1");
        Assert.False(reused.Rebuilt);
        Assert.Equal(vector, reused.Search(["light"], reused.Stats(["light"]), 2).Single(h => h.ChunkId == "a#0#0").Vector);
    }
}
