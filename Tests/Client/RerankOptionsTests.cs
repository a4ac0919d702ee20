using System.Text.RegularExpressions;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>--rerank / --encoder / --bert on the retrieval commands, with a tiny BERT folder the test writes.</summary>
public class RerankOptionsTests
{
    static string Index(TempDir folder)
    {
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "a.pdf"), ["The energy of a wave."], ["A heap is a tree."], ["The speed of light."]);
        var index = folder.Combine("index");
        Assert.Equal(0, Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index).ExitCode);
        return index;
    }

    [Fact]
    public void Search_reranks_with_a_bert_folder()
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var bert = TinyBert.Write(Directory.CreateDirectory(folder.Combine("bert")).FullName);
        var result = Cli.Run("corpus", "search", "The energy of a wave.", "--index", index, "-k", "2",
            "--rerank", "dense", "--encoder", "bert", "--bert", bert);
        Assert.True(result.ExitCode == 0, result.Error);
        var first = result.Output.Split('\n')[0];
        // The identical text is cosine 1 under any weights.
        Assert.Matches(@"^\s+1\s+1\.0000\s+a\.pdf\s+page 0\s+start 0$", first);
        Assert.Contains("The energy of a wave.", result.Output.Split('\n')[1]);
    }

    [Fact]
    public void Search_with_the_dense_retriever_ranks_every_stored_vector_and_needs_them()
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var bert = TinyBert.Write(Directory.CreateDirectory(folder.Combine("bert")).FullName);
        var missing = Cli.Run("corpus", "search", "The speed of light.", "--index", index, "--retriever", "dense", "--bert", bert);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith($"error: Index '{index}' has no chunk with a vector from encoder 'bert' (3 chunks without). HINT: run `pastanoodles corpus ingest DIR --index {index} --encoder bert`", missing.Error);

        Assert.Equal(0, Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--encoder", "bert", "--bert", bert).ExitCode);
        var result = Cli.Run("corpus", "search", "The speed of light.", "--index", index, "-k", "3", "--retriever", "dense", "--bert", bert);
        Assert.True(result.ExitCode == 0, result.Error);
        // Every chunk is scored, even one sharing no word with the query (BM25 would not return it): 3 hits, the identical text first at cosine 1.
        var ranks = result.Output.Split('\n').Where(l => Regex.IsMatch(l, @"^\s+\d\s")).ToList();
        Assert.Equal(3, ranks.Count);
        Assert.Matches(@"^\s+1\s+1\.0000\s+a\.pdf\s+page 2\s+start 0$", ranks[0]);

        var both = Cli.Run("corpus", "search", "light", "--index", index, "--retriever", "dense", "--rerank", "rrf", "--bert", bert);
        Assert.Equal((1, "error: --rerank re-orders BM25's candidates; --retriever dense has none to re-order. HINT: leave one of them out."), (both.ExitCode, both.Error.Trim()));
    }

    [Fact]
    public void Eval_retrieval_names_the_bert_setups()
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var bert = TinyBert.Write(Directory.CreateDirectory(folder.Combine("bert")).FullName);
        File.WriteAllLines(folder.Combine("q.jsonl"),
        [
            """{"id": "q1", "question": "What is a heap?", "options": {"A": "a tree", "B": "a wave", "C": "light", "D": "mass"}, "answer": "A", "source": "a.pdf", "page": 1}""",
        ]);
        var result = Cli.Run("eval", "retrieval", folder.Combine("q.jsonl"), "--index", index, "--encoder", "bert", "--bert", bert);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("bm25 + bert cosine re-rank (lemmas)", result.Output);
        Assert.Contains("bm25 + bert cosine rrf (no lemmas)", result.Output);
        Assert.Contains("hybrid: bm25 0.5 + bert cosine (lemmas)", result.Output);
        foreach (var row in new[] { "dense bert cosine (raw text)", "dense bert euclidean (raw text)", "dense bert cosine (analyzed text)", "dense bert euclidean (analyzed text)" })
            Assert.Matches($@"{Regex.Escape(row)}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+\d+\.\d", result.Output);
        Assert.Contains("ignored 1 extra field(s)", result.Error);
    }

    [Fact]
    public void Search_reranks_with_the_built_in_minilm_without_a_folder()
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var result = Cli.Run("corpus", "search", "How fast does light travel?", "--index", index, "-k", "1", "--rerank", "dense", "--encoder", "bert");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("The speed of light.", result.Output);
    }

    [Fact]
    public void Ingest_stores_bert_vectors_and_refuses_a_bert_folder_without_the_encoder()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "a.pdf"), ["The energy of a wave."], ["A heap is a tree."]);
        var bert = TinyBert.Write(Directory.CreateDirectory(folder.Combine("bert")).FullName);
        var index = folder.Combine("index");
        var refused = Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--bert", bert);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--encoder is 'none'", refused.Error);
        var result = Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--encoder", "bert", "--bert", bert);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("vectors from bert stored with every chunk", result.Output);
        using var engine = Pastanoodles.Retrieval.CorpusEngine.OpenExisting(index);
        Assert.All(engine.AllChunks(), c => Assert.Equal(("bert", TinyBert.Config.HiddenSize), (c.Encoder, c.Vector!.Length)));
    }

    [Theory]
    [InlineData("--rerank dense --bert /nonexistent/bert", "--encoder is 'lsa'")]
    [InlineData("--rerank rrf --encoder bert --bert /nonexistent/bert", "BERT folder '/nonexistent/bert' does not exist")]
    [InlineData("--rerank lsa --encoder bert --bert /x", "use --rerank dense or rrf")]
    [InlineData("--rerank dense --query-dtype bfloat16", "--query-dtype is 'bfloat16' but --encoder is 'lsa'")]
    [InlineData("--rerank dense --encoder bert --query-dtype fp16", "--query-dtype is 'fp16'. It must be float32 or bfloat16.")]
    [InlineData("--rerank rrf --bm25-weight 0.3", "--bm25-weight is 0.3 but --rerank is 'rrf', which does not read it. HINT: add --rerank weighted")]
    [InlineData("--bm25-weight 0.3", "--bm25-weight is 0.3 but --rerank is 'none', which does not read it.")]
    [InlineData("--retriever dense --bm25-weight 0.3", "--bm25-weight is 0.3 but --retriever dense has no BM25 scores to weigh. HINT: leave --bm25-weight out")]
    public void Inconsistent_encoder_options_fail_with_one_line(string options, string expected)
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var args = new[] { "corpus", "search", "energy", "--index", index }.Concat(options.Split(' ')).ToArray();
        var result = Cli.Run(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
