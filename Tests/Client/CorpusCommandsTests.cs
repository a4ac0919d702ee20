using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

public class CorpusCommandsTests
{
    [Fact]
    public void Ingest_then_search_prints_rank_score_source_page_and_snippet()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "physics", "optics.pdf"), ["Photons are quanta of light."], ["Lenses bend light by refraction."]);
        PdfFixtures.WriteTruncatedPdf(folder.Combine("pdfs", "broken.pdf"), ["x"]);
        var index = folder.Combine("index");

        var ingest = Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--shards", "2");
        Assert.Equal(0, ingest.ExitCode);
        Assert.Contains("[2] physics/optics.pdf", ingest.Output);
        Assert.Contains("Indexed 2 chunks from 2 pages of 2 files into 2 shard(s)", ingest.Output);
        Assert.Contains("skipped: broken.pdf: not a readable PDF", ingest.Error);

        var again = Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("into 2 shard(s) in", again.Output);
        Assert.Contains("; 2 chunks in the index", again.Output);
        var conflicting = Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--shards", "3");
        Assert.Equal(1, conflicting.ExitCode);
        Assert.Contains("shards=2", conflicting.Error);

        var search = Cli.Run("corpus", "search", "refracting lenses", "--index", index, "-k", "5");
        Assert.Equal(0, search.ExitCode);
        var lines = search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s+1\s+\d+\.\d{4}\s+physics/optics\.pdf\s+page 1\s+start 0$", lines[0]);
        Assert.Equal("Lenses bend light by refraction.", lines[1].Trim());
    }

    [Fact]
    public void Search_without_an_index_fails_with_a_hint()
    {
        using var folder = new TempDir();
        var result = Cli.Run("corpus", "search", "x", "--index", folder.Combine("none"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No course index in", result.Error);
        Assert.Contains("corpus ingest", result.Error);
    }

    [Fact]
    public void Eval_retrieval_prints_the_three_metrics_for_each_setup()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "a.pdf"), ["Photons are quanta of light."], ["Hash tables store keys in buckets."]);
        var index = folder.Combine("index");
        Assert.Equal(0, Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index).ExitCode);
        File.WriteAllLines(folder.Combine("q.jsonl"),
        [
            """{"question": "Where are keys stored?", "options": {"A": "buckets", "B": "wood", "C": "sand", "D": "iron"}, "answer": "A", "source": "a.pdf", "page": 1}""",
        ]);

        var result = Cli.Run("eval", "retrieval", folder.Combine("q.jsonl"), "--index", index);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"bm25 \(lemmas\)\s+1\.000\s+1\.000\s+1\.000", result.Output);
        Assert.Contains("bm25 (no lemmas)", result.Output);
        Assert.Contains("re-rank (lemmas)", result.Output);
        Assert.Matches(@"(?m)^eval: bm25 \(lemmas\) done, 1 questions, \d+\.\d s in$", result.Error);   // progress, a line per setup as it is done
        Assert.Matches(@"(?m)^eval: bm25 \(no lemmas\) done", result.Error);
    }

    [Fact]
    public void Eval_retrieval_names_the_bad_row_and_field()
    {
        using var folder = new TempDir();
        File.WriteAllLines(folder.Combine("q.jsonl"), ["""{"question": "Q", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer": "A", "source": "s"}"""]);
        var result = Cli.Run("eval", "retrieval", folder.Combine("q.jsonl"), "--index", folder.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("q.jsonl row 1: field 'page'", result.Error);
    }
}
