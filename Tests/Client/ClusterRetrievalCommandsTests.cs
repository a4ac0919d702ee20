using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Pastanoodles.Client;
using Pastanoodles.Client.Commands;
using Pastanoodles.Tests.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>`corpus`, `ask` and `eval` without --index, against an in-process cluster holding the sample corpus.</summary>
public sealed class ClusterRetrievalCommandsTests(CorpusClusterFixture fixture) : IClassFixture<CorpusClusterFixture>, IDisposable
{
    const string Question = "What is it called when two different keys are placed in the same bucket of a hash table? A. A rehash B. A collision C. A probe D. A digest";
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => Cli.RunAsync(fixture.Client, args);

    [Fact]
    public async Task Corpus_stats_and_search_show_the_cluster_shards()
    {
        var stats = await RunAsync("corpus", "stats");
        var search = await RunAsync("corpus", "search", "hash table collision bucket", "-k", "3");

        Assert.Equal((0, "", 0, ""), (stats.ExitCode, stats.Error, search.ExitCode, search.Error));
        Assert.Matches($@"3 shards, {fixture.Local.Count} chunks, 6 sources", stats.Output);
        Assert.Equal(3, search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Matches(@"^  1\s+\d+\.\d{4}  corpus/cs/hash-tables\.pdf  page \d+  start \d+  shard [0-2]", search.Output);
    }

    [Fact]
    public async Task Ask_prints_the_letter_sources_model_and_timings()
    {
        var ask = await RunAsync("ask", Question, "-k", "2");

        Assert.Equal((0, ""), (ask.ExitCode, ask.Error));
        Assert.Matches(@"^answer: [ABCD]\n", ask.Output.ReplaceLineEndings("\n"));
        Assert.Matches(@"log-likelihoods: A -\d+\.\d{4}  B -\d+\.\d{4}  C -\d+\.\d{4}  D -\d+\.\d{4}", ask.Output);
        Assert.Matches(@"  1\s+\d+\.\d{4}  corpus/cs/hash-tables\.pdf  page \d+  start \d+", ask.Output);
        Assert.Matches(@"model: tiny \(nf4, (cpu|cuda(:\d+)?)\); prompt \d+ tokens; retrieval \d+ ms, model \d+ ms; silo ", ask.Output);
    }

    [Fact]
    public async Task Ask_with_an_unknown_experiment_or_a_local_option_is_one_error_line()
    {
        var unknown = await RunAsync("ask", Question, "--experiment", "no-such-run");
        var local = await RunAsync("ask", Question, "--adapter", "some/folder");

        Assert.Equal((1, ""), (unknown.ExitCode, unknown.Output));
        Assert.Equal("error: No experiment has run id 'no-such-run'. List them with `pastanoodles experiment list`.", unknown.Error.Trim());
        Assert.Equal(1, local.ExitCode);
        Assert.StartsWith("error: --adapter applies to a local index (--index DIR)", local.Error);
        // The silos encode queries in their own Answer:QueryDtype: the console's choice would be silently ignored.
        foreach (var command in new[] { "ask", "corpus search" })
        {
            var dtype = await RunAsync([.. command.Split(' '), Question, "--query-dtype", "float32"]);
            Assert.Equal((1, "error: --query-dtype applies to a local index (--index DIR); the cluster corpus and its silos' models have their own settings. " +
                "HINT: leave it out, or add --index DIR to work locally."), (dtype.ExitCode, dtype.Error.Trim()));
        }
    }

    [Fact]
    public async Task Eval_retrieval_and_eval_mcqa_run_through_the_cluster()
    {
        var mcqa = _dir["q.jsonl"];
        File.WriteAllLines(mcqa, [
            """{"question": "What is it called when two different keys are placed in the same bucket of a hash table?", "choices": ["A rehash", "A collision", "A probe", "A digest"], "answer": 1}""",
            """{"question": "Which quantity is conserved in an elastic collision?", "choices": ["Kinetic energy", "Temperature"], "answer": 0}""",
        ]);

        var retrieval = await RunAsync("eval", "retrieval", CorpusClusterFixture.Questions);
        var rag = await RunAsync("eval", "mcqa", mcqa, "--rag", "--out", _dir["p.jsonl"]);

        Assert.Equal((0, 0, ""), (retrieval.ExitCode, rag.ExitCode, rag.Error));
        Assert.Matches(@"^eval: bm25 \(lemmas, cluster\) done, 24 questions, \d+\.\d s in$", retrieval.Error.Trim());   // progress; the dense setups are left out below
        Assert.Contains($"24 questions, {fixture.Local.Count} chunks in 3 cluster shards", retrieval.Output);
        Assert.Matches(@"bm25 \(lemmas, cluster\)\s+[01]\.\d{3}\s+[01]\.\d{3}\s+[01]\.\d{3}\s+\d+\.\d", retrieval.Output);
        // Ingested without vectors: the dense setups are named as left out, and why (ClusterRetrieverTests runs them over stored vectors).
        Assert.Contains("The dense setups are left out: No chunk in the cluster corpus has a vector from encoder", retrieval.Output);
        Assert.Matches(@"accuracy: (0|0\.5|1)\.?\d*\nquestions: 2\n", rag.Output.ReplaceLineEndings("\n"));
        Assert.Equal(2, File.ReadAllLines(_dir["p.jsonl"]).Length);
    }

    [Fact]
    public async Task With_no_silo_reachable_a_cluster_command_is_one_error_line()
    {
        var port = FreePorts.Next();

        var result = await Cli.RunAsync(ClusterConnection.ConnectAsync, "corpus", "stats", "--gateway", port.ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: no silo reachable at 127.0.0.1:{port}", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }
}
