using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Commands;

/// <summary>The cluster forms of `corpus ingest|stats|search`, `ask`, `eval mcqa` and `eval retrieval` (no --index): the same output as
/// the local forms, with the work done by shard and answer grains.</summary>
static class ClusterRetrievalCommands
{
    /// <summary><see cref="ClusterCommandSupport.WithClusterAsync"/> for a body that writes to the invocation's output.</summary>
    public static Task<int> RunAsync(ParseResult parse, ClusterConnection.Connector connect, Option<int> gateway, CancellationToken ct,
        Func<IClusterClient, TextWriter, Task> run) =>
        ClusterCommandSupport.WithClusterAsync(parse, connect, gateway, ct, async (client, _) =>
        {
            await run(client, parse.InvocationConfiguration.Output);
            return 0;
        });

    /// <summary>Throws when an option of the local form was given in cluster mode.</summary>
    public static void RejectLocalOptions(ParseResult parse, params Option[] options)
    {
        foreach (var option in options)
            if (parse.GetResult(option) is { Implicit: false })
                throw new ArgumentException($"{option.Name} applies to a local index (--index DIR); the cluster corpus and its silos' models have their own settings. " +
                                            "HINT: leave it out, or add --index DIR to work locally.");
    }

    public static async Task IngestAsync(IClusterClient client, TextWriter output, TextWriter error, string folder, CorpusOptions? settings,
        Retrieval.Rerank.BertSentenceEncoder? encoder = null, string? collection = null, bool replace = false)
    {
        using var _ = encoder;
        var watch = Stopwatch.StartNew();
        var report = await ClusterIngest.IngestDirectoryAsync(client, folder, settings, new Progress(p =>
            output.WriteLine($"  [{p.FilesDone}] {p.CurrentFile}  ({p.Chunks} chunks so far)")), encoder: encoder, collection: collection, replace: replace);
        foreach (var failure in report.Failures)
            await error.WriteLineAsync($"skipped: {failure}");
        var stats = await ClusterIngest.StatsAsync(client);
        await output.WriteLineAsync($"Indexed {report.Chunks} chunks from {report.Pages} pages of {report.Files} files into {stats.Count} cluster shard(s) " +
                                    $"in {watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s; {stats.Sum(s => s.Chunks)} chunks in the cluster corpus; {report.Failures.Count} skipped.");
    }

    public static async Task StatsAsync(IClusterClient client, TextWriter output)
    {
        var stats = await ClusterIngest.StatsAsync(client);
        if (stats.Count == 0)
        {
            await output.WriteLineAsync("The cluster corpus is empty. HINT: pastanoodles corpus ingest DIR");
            return;
        }
        await output.WriteLineAsync($"{"shard",5}  {"chunks",7}  {"sources",7}  silo");
        foreach (var s in stats)
            await output.WriteLineAsync($"{s.Shard,5}  {s.Chunks,7}  {s.Sources.Count,7}  {s.Silo}");
        await output.WriteLineAsync($"{stats.Count} shards, {stats.Sum(s => s.Chunks)} chunks, {stats.SelectMany(s => s.Sources).Distinct().Count()} sources");
    }

    public static async Task SearchAsync(IClusterClient client, TextWriter output, SearchRequest request)
    {
        var result = await client.GetGrain<IAnswerGrain>(0).SearchAsync(request);
        await AnswerOutput.WarnFailedAsync(output, result.FailedShards);
        if (result.Hits.Count == 0)
            await output.WriteLineAsync("No hits.");
        for (var i = 0; i < result.Hits.Count; i++)
        {
            var hit = result.Hits[i];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}  shard {hit.Shard}"));
        }
    }

    public static async Task AskAsync(IClusterClient client, TextWriter output, string question, string? experiment, int k, SearchRequest? retrieval = null)
    {
        McqaQuestion.Parse(question);   // a question without options fails here, before any grain call
        var answer = await client.GetGrain<IAnswerGrain>(0).AskAsync(new AnswerRequest(question, experiment, UseRetrieval: true, TopK: k, Retrieval: retrieval));
        await AnswerOutput.WriteAsync(output, answer);
    }

    public static async Task EvalMcqaAsync(IClusterClient client, TextWriter output, string file, bool rag, string? experiment, int k, string? predictionsFile)
    {
        var rows = await Evaluation.McqaQuestionsAsync(file);
        var answers = client.GetGrain<IAnswerGrain>(0);
        var results = new AnswerResult[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            results[i] = await answers.AskAsync(new AnswerRequest(RagEvaluation.QuestionText(rows[i]), experiment, rag, k)));
        var predictions = rows.Zip(results, (r, a) => new McqaPrediction(r, a.Letter, a.LogLikelihoods, rag ? a.Sources : null)).ToList();
        if (predictionsFile is not null)
            McqaPredictions.Write(predictionsFile, predictions);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"accuracy: {McqaPredictions.Accuracy(predictions):F4}"));
        await output.WriteLineAsync($"questions: {rows.Count}");
        await output.WriteLineAsync($"model: {results[0].Model}{(rag ? $"; {k} retrieved chunks per prompt" : "; no retrieval (empty context)")}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"mean retrieval {results.Average(r => r.RetrievalMs):F0} ms, mean model {results.Average(r => r.ModelMs):F0} ms"));
        if (predictionsFile is not null)
            await output.WriteLineAsync($"predictions: {predictionsFile}");
    }

    /// <summary>`eval retrieval` through the cluster: every setup the silos serve (BM25; the dense retriever by cosine and by Euclidean
    /// distance; the hybrid; BM25 + MiniLM re-rank and RRF), one question at a time so that each p50 is one query's latency.
    /// The dense setups need the vectors a `corpus ingest --encoder bert` stored; without them they are left out, with one line saying so.</summary>
    public static async Task EvalRetrievalAsync(IClusterClient client, TextWriter output, TextWriter error, string file, bool questionOnly, DenseMetric metric, double bm25Weight)
    {
        var progress = EvalCommands.Progress(error);
        var questions = RetrievalQuestionReader.Read(file, note => output.WriteLine(note));
        var answers = client.GetGrain<IAnswerGrain>(0);
        var stats = await ClusterIngest.StatsAsync(client);
        var lemmas = await client.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync() is { Lemmatize: false } ? "no lemmas" : "lemmas";
        await output.WriteLineAsync($"{questions.Count} questions, {stats.Sum(s => s.Chunks)} chunks in {stats.Count} cluster shards");
        var similarity = metric.ToString().ToLowerInvariant();
        var search = new SearchRequest("", RetrievalEvaluation.Depth, Metric: metric, Bm25Weight: bm25Weight);
        (string Setup, SearchRequest Request)[] setups =
        [
            ($"bm25 ({lemmas}, cluster)", search),
            ("dense bert cosine (cluster)", search with { Retriever = Retriever.Dense, Metric = DenseMetric.Cosine }),
            ("dense bert euclidean (cluster)", search with { Retriever = Retriever.Dense, Metric = DenseMetric.Euclidean }),
            (string.Create(CultureInfo.InvariantCulture, $"hybrid: bm25 {bm25Weight:F1} + bert {similarity} (cluster)"), search with { Rerank = RerankMode.Weighted }),
            ($"bm25 + bert {similarity} re-rank (cluster)", search with { Rerank = RerankMode.Replace }),
            ($"bm25 + bert {similarity} rrf (cluster)", search with { Rerank = RerankMode.Fusion }),
        ];
        var failed = new SortedSet<int>();
        var results = new List<RetrievalScores>();
        foreach (var (setup, request) in setups)
        {
            try
            {
                // One query at a time, as the local eval measures them; the console has no synchronization context to block.
                results.Add(RetrievalEvaluation.Score(setup, query =>
                {
                    var result = answers.SearchAsync(request with { Query = query }).GetAwaiter().GetResult();
                    failed.UnionWith(result.FailedShards);
                    return result.Hits;
                }, questions, withOptions: !questionOnly));
                progress(results[^1]);
            }
            catch (InvalidDataException ex) when (request.Retriever == Retriever.Dense)
            {
                // Without stored vectors every re-rank would encode its 20 candidates per query: leave all the dense setups out.
                await output.WriteLineAsync($"The dense setups are left out: {ex.Message}");
                break;
            }
        }
        await AnswerOutput.WarnFailedAsync(output, [.. failed]);
        EvalCommands.Print(output, results);
        if (results.Count > 1 && results.Any(r => r.Setup.Contains("bert")))
            await output.WriteLineAsync($"The silos keep the last {BertSentenceEncoder.QueryCacheSize} query vectors: a question asked before (in a setup above, or an earlier run) " +
                                        "runs no forward, so the p50s after the first dense setup have none in them.");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and can print out of order).</summary>
    sealed class Progress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }
}
