using System.Text.RegularExpressions;
using Pastanoodles.Adapters;
using Pastanoodles.Answering;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Answering;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Client;

public class AskCommandsTests
{
    const string Question = "Why does resizing a hash table keep insertion cheap on average? A. The resize cost is amortized over all insertions B. Resizing never moves keys C. Keys are sorted during resizing";

    static string Index(TempDir folder)
    {
        var index = folder.Combine("index");
        Assert.Equal(0, Cli.Run("corpus", "ingest", Path.Combine(SampleCorpusFixture.Samples, "corpus"), "--index", index).ExitCode);
        return index;
    }

    /// <summary>A DoRA adapter on the tiny base with a non-zero lora_B, so it changes the scores.</summary>
    static string Adapter(TempDir folder)
    {
        using var model = TinyModels.Build(PhiConfig.Tiny, nf4: true);   // the tiny base's shapes (LoadedModel's base serves adapters per call)
        var adapters = AdapterInjector.Inject(model, new LoraConfig { R = 4, LoraAlpha = 8 }, seed: 2);
        using (no_grad())
            foreach (var (name, p) in adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")))
                p.normal_(0, 0.5);
        var dir = folder.Combine("adapter");
        PeftAdapterFolder.Save(adapters, dir, "tiny");
        return dir;
    }

    [Fact]
    public void Ask_prints_the_letter_and_the_sources_used()
    {
        using var folder = new TempDir();
        var result = Cli.Run("ask", Question, "--index", Index(folder), "-k", "2");
        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^answer: [ABC]$", lines[0]);
        Assert.Matches(@"^log-likelihoods: A -?\d+\.\d{4}  B -?\d+\.\d{4}  C -?\d+\.\d{4}$", lines[1]);
        Assert.Equal("sources:", lines[2]);
        Assert.Matches(@"^\s+1\s+\d+\.\d{4}\s+cs/hash-tables\.pdf\s+page \d+\s+start \d+$", lines[3]);
        Assert.Matches(@"^\s+2\s+\d+\.\d{4}\s+\S+\.pdf\s+page \d+\s+start \d+$", lines[4]);
        Assert.Matches(@"^model: tiny \(nf4, (cpu|cuda(:\d+)?)\); prompt ", lines[5]);   // the model, its weights and its device
        Assert.Contains("retrieval ", lines[5]);
    }

    [Fact]
    public void Ask_with_the_dense_retriever_prompts_with_the_dense_top_k_over_every_stored_vector()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("pdfs", "a.pdf"), ["The energy of a wave."], ["A heap is a tree."], ["The speed of light."]);
        var index = folder.Combine("index");
        var bert = TinyBert.Write(Directory.CreateDirectory(folder.Combine("bert")).FullName);
        Assert.Equal(0, Cli.Run("corpus", "ingest", folder.Combine("pdfs"), "--index", index, "--encoder", "bert", "--bert", bert).ExitCode);
        const string question = "How fast is light? A. Very fast B. Slow";
        static List<string> Ranks(string output) =>
            [.. output.Split('\n').Select(l => Regex.Match(l, @"^\s+\d+\s+(-?\d+\.\d{4})\s+(a\.pdf\s+page \d+\s+start \d+)$")).Where(m => m.Success)
                .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")];

        var ask = Cli.Run("ask", question, "--index", index, "-k", "3", "--retriever", "dense", "--bert", bert);
        var search = Cli.Run("corpus", "search", question, "--index", index, "-k", "3", "--retriever", "dense", "--bert", bert);
        var bm25 = Cli.Run("ask", question, "--index", index, "-k", "3");

        Assert.True(ask.ExitCode == 0, ask.Error);
        Assert.Equal(3, Ranks(ask.Output).Count);   // every chunk is scored, including those sharing no word with the question
        Assert.Equal(Ranks(search.Output), Ranks(ask.Output));   // the prompt's sources are the dense retriever's top 3, in its order
        Assert.True(Ranks(bm25.Output).Count < 3, bm25.Output);   // BM25 finds only the chunks with the question's words
        var both = Cli.Run("ask", question, "--index", index, "--retriever", "dense", "--rerank", "rrf", "--bert", bert);
        Assert.Equal((1, "error: --rerank re-orders BM25's candidates; --retriever dense has none to re-order. HINT: leave one of them out."), (both.ExitCode, both.Error.Trim()));
    }

    [Fact]
    public void Ask_with_an_adapter_loads_it_and_scores_differently()
    {
        using var folder = new TempDir();
        var index = Index(folder);
        var adapter = Adapter(folder);
        var plain = Cli.Run("ask", Question, "--index", index);
        var adapted = Cli.Run("ask", Question, "--index", index, "--adapter", adapter);
        Assert.True(adapted.ExitCode == 0, adapted.Error);
        Assert.Matches($@"model: tiny \(nf4, (cpu|cuda(:\d+)?)\) \+ adapter {Regex.Escape(adapter)}", adapted.Output);
        Assert.NotEqual(plain.Output.Split('\n')[1], adapted.Output.Split('\n')[1]);
    }

    [Theory]
    [InlineData("index", "No course index in")]
    [InlineData("adapter", "Adapter folder")]
    [InlineData("options", "has no options")]
    [InlineData("k", "error: -k is 100. -k must be 1 to 32.")]
    public void Errors_are_one_clear_line(string broken, string expected)
    {
        using var folder = new TempDir();
        var index = broken == "index" ? folder.Combine("missing-index") : Index(folder);
        var args = new List<string> { "ask", broken == "options" ? "Why is resizing cheap?" : Question, "--index", index };
        if (broken == "adapter")
            args.AddRange(["--adapter", folder.Combine("missing-adapter")]);
        if (broken == "k")
            args.AddRange(["-k", "100"]);
        var result = Cli.Run([.. args]);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
    }
}

public class EvalMcqaRagTests
{
    [Fact]
    public void Eval_mcqa_rag_answers_every_row_through_the_index()
    {
        using var folder = new TempDir();
        var index = folder.Combine("index");
        Assert.Equal(0, Cli.Run("corpus", "ingest", Path.Combine(SampleCorpusFixture.Samples, "corpus"), "--index", index).ExitCode);
        File.WriteAllLines(folder.Combine("q.jsonl"),
        [
            """{"question": "What is a hash collision?", "choices": ["Two keys in one bucket", "A resize", "A probe"], "answer": 0}""",
            """{"question": "What does TCP guarantee?", "choices": ["Ordered delivery", "Low latency", "Broadcast", "Encryption"], "answer": "A"}""",
        ]);
        var result = Cli.Run("eval", "mcqa", "--data", folder.Combine("q.jsonl"), "--rag", "--index", index, "--out", folder.Combine("p.jsonl"));
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Matches(@"accuracy: (0|0\.5|1)\.?\d*", result.Output);
        Assert.Contains("questions: 2", result.Output);
        var predictions = File.ReadAllLines(folder.Combine("p.jsonl"));
        Assert.Equal(2, predictions.Length);
        Assert.Contains("\"sources\":[{\"source\":\"cs/", predictions[0]);
        Assert.DoesNotContain("\"D\"", predictions[0]); // three options: D is never scored
    }

    [Fact]
    public void Eval_mcqa_rag_without_an_index_is_one_error_line()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("q.jsonl"), """{"question": "Q?", "choices": ["x", "y"], "answer": 0}""");
        var result = Cli.Run("eval", "mcqa", "--data", folder.Combine("q.jsonl"), "--rag");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --rag needs --index DIR, the course index to retrieve from.", result.Error.Trim());
    }

    [Fact]
    public void Eval_mcqa_on_a_file_without_questions_is_an_error_not_a_NaN_accuracy()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("empty.jsonl"), "");

        var result = Cli.Run("eval", "mcqa", "--data", folder.Combine("empty.jsonl"), "--model", "tiny");

        Assert.Equal((1, ""), (result.ExitCode, result.Output));
        Assert.Equal($"error: Data file {folder.Combine("empty.jsonl")} has no questions. eval mcqa needs at least one row with a question, its choices and the answer.", result.Error.Trim());
    }
}
