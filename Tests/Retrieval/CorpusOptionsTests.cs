using Pastanoodles.Retrieval;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval;

public class CorpusOptionsTests
{
    [Fact]
    public void Defaults_are_langchains_tutorial_settings()
    {
        var options = new CorpusOptions();
        Assert.Equal((1, 1000, 200, true, 1.2f, 0.75f), (options.Shards, options.ChunkSize, options.ChunkOverlap, options.Lemmatize, options.K1, options.B));
    }

    [Fact]
    public void Saved_options_load_back_equal()
    {
        using var folder = new TempDir();
        var options = new CorpusOptions { Shards = 4, ChunkSize = 500, ChunkOverlap = 50, Lemmatize = false };
        options.Save(folder.Combine("corpus.json"));
        Assert.Equal(options, CorpusOptions.Load(folder.Combine("corpus.json")));
    }

    [Fact]
    public void Unknown_keys_are_errors()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("corpus.json"), """{"shards": 2, "chunk_sise": 10}""");
        var error = Assert.Throws<InvalidDataException>(() => CorpusOptions.Load(folder.Combine("corpus.json")));
        Assert.Contains("chunk_sise", error.Message);
    }

    [Fact]
    public void Overlap_above_size_names_both_values()
    {
        var error = Assert.Throws<ArgumentException>(() => new CorpusOptions { ChunkSize = 100, ChunkOverlap = 150 }.Validate());
        Assert.Contains("chunk_overlap is set to 150", error.Message);
        Assert.Contains("(100)", error.Message);
    }
}
