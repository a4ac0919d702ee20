using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval;

public class CorpusEngineTests
{
    private static void WriteCourse(TempDir folder)
    {
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "physics", "optics.pdf"),
            ["Photons are quanta of light.", "The photoelectric effect shows light arrives in packets."],
            ["Interference patterns appear when waves overlap.", "Diffraction spreads waves around obstacles."]);
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "cs", "hashing.pdf"),
            ["Hash tables map keys to buckets.", "Collisions are resolved by chaining or open addressing."]);
        PdfFixtures.WriteEncryptedPdf(folder.Combine("pdfs", "locked.pdf"), "pw", ["Secret photons."]);
        PdfFixtures.WriteTruncatedPdf(folder.Combine("pdfs", "broken.pdf"), ["Broken hash tables."]);
    }

    [Fact]
    public void Ingest_indexes_readable_pages_and_names_skipped_files()
    {
        using var folder = new TempDir();
        WriteCourse(folder);
        using var engine = CorpusEngine.Open(folder.Combine("index"), new CorpusOptions { Shards = 2, ChunkSize = 60, ChunkOverlap = 10 });

        var report = engine.IngestDirectory(folder.Combine("pdfs"));

        Assert.Equal(4, report.Files);
        Assert.Equal(3, report.Pages);
        Assert.Equal(["broken.pdf", "locked.pdf"], report.Failures.Select(f => f.Source).Order(StringComparer.Ordinal));
        Assert.Equal(report.Chunks, engine.Count);
        var hit = engine.Search("interference of waves", 3)[0];
        Assert.Equal(("physics/optics.pdf", 1), (hit.Source, hit.Page));
        Assert.True(hit.Score > 0);
        Assert.Equal(0, hit.Start);
        Assert.StartsWith("Interference patterns", hit.Text);
    }

    [Fact]
    public void Hits_carry_the_start_of_their_chunk_in_the_page()
    {
        using var folder = new TempDir();
        using var engine = CorpusEngine.Open(folder.Path, new CorpusOptions { ChunkSize = 40, ChunkOverlap = 0 });
        var text = "Stacks push and pop at one end.\nQueues enqueue at the back and dequeue at the front.";
        engine.ReplaceSource("ds.pdf", [new("ds.pdf", 4, text)]);

        var hit = engine.Search("dequeue", 1).Single();

        Assert.Equal(("ds.pdf", 4, "ds.pdf#4#1"), (hit.Source, hit.Page, hit.ChunkId));
        Assert.Equal(text.IndexOf("Queues", StringComparison.Ordinal), hit.Start);
        Assert.Equal(hit.Text, text.Substring(hit.Start, hit.Text.Length));
    }

    [Fact]
    public void Ingesting_the_same_folder_again_replaces_chunks_without_duplicates()
    {
        using var folder = new TempDir();
        WriteCourse(folder);
        using var engine = CorpusEngine.Open(folder.Combine("index"), new CorpusOptions { Shards = 4, ChunkSize = 60, ChunkOverlap = 10 });
        var first = engine.IngestDirectory(folder.Combine("pdfs"));
        var second = engine.IngestDirectory(folder.Combine("pdfs"));
        Assert.Equal(first.Chunks, second.Chunks);
        Assert.Equal(first.Chunks, engine.Count);

        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "cs", "hashing.pdf"), ["Bloom filters answer membership queries."]);
        engine.IngestDirectory(folder.Combine("pdfs"));
        Assert.DoesNotContain(engine.Search("collisions chaining", 5), h => h.Source == "cs/hashing.pdf");
        Assert.Equal("cs/hashing.pdf", engine.Search("bloom membership", 1).Single().Source);
        Assert.Equal(1, engine.AllChunks().Count(c => c.Source == "cs/hashing.pdf"));
    }

    [Fact]
    public void Index_survives_closing_and_reopening()
    {
        using var folder = new TempDir();
        WriteCourse(folder);
        IReadOnlyList<SearchHit> before;
        int count;
        using (var engine = CorpusEngine.Open(folder.Combine("index"), new CorpusOptions { Shards = 3, ChunkSize = 60, ChunkOverlap = 10 }))
        {
            engine.IngestDirectory(folder.Combine("pdfs"));
            before = engine.Search("light photons", 5);
            count = engine.Count;
        }

        using var reopened = CorpusEngine.OpenExisting(folder.Combine("index"));

        Assert.Equal(3, reopened.Options.Shards);
        Assert.Equal(count, reopened.Count);
        Assert.Equal(before, reopened.Search("light photons", 5));
        Assert.NotNull(reopened.Lsa);
    }

    [Fact]
    public void Merge_orders_hits_from_all_shards_by_score_then_chunk_id()
    {
        static (CorpusChunk, float) Hit(string id, float score) => (new CorpusChunk(id, "s.pdf", 0, 0, id), score);
        var merged = CorpusEngine.Merge(
            [
                [Hit("a", 3.0f), Hit("d", 1.0f)],
                [Hit("c", 2.5f), Hit("b", 1.0f)],
                [],
                [Hit("e", 5.0f), Hit("f", 0.5f)],
            ],
            5);
        Assert.Equal(["e", "a", "c", "b", "d"], merged.Select(h => h.ChunkId));
        Assert.Equal([5.0f, 3.0f, 2.5f, 1.0f, 1.0f], merged.Select(h => h.Score));
    }

    [Fact]
    public void Opening_an_index_with_other_settings_names_both()
    {
        using var folder = new TempDir();
        CorpusEngine.Open(folder.Path, new CorpusOptions { Shards = 2 }).Dispose();
        var error = Assert.Throws<ArgumentException>(() => CorpusEngine.Open(folder.Path, new CorpusOptions { Shards = 4 }));
        Assert.Contains("shards=2", error.Message);
        Assert.Contains("shards=4", error.Message);
    }

    [Fact]
    public void Opening_a_folder_without_an_index_says_to_ingest()
    {
        using var folder = new TempDir();
        var error = Assert.Throws<DirectoryNotFoundException>(() => CorpusEngine.OpenExisting(folder.Path));
        Assert.Contains("corpus ingest", error.Message);
    }
}
