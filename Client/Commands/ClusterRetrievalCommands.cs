using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Commands;

/// <summary>The cluster forms of `corpus ingest|stats|search`, `ask`, `eval mcqa` and `eval retrieval` (no --index): the same output as
/// the local forms, with the work done by shard and answer grains.</summary>
static class ClusterRetrievalCommands
{
    /// <summary><see cref="ClusterCommandSupport.WithClusterAsync"/>, plus the retrieval errors a user can fix as one line on stderr.</summary>
    public static Task<int> RunAsync(ParseResult parse, ClusterConnection.Connector connect, Option<int> gateway, CancellationToken ct,
        Func<IClusterClient, TextWriter, Task> run) =>
        ClusterCommandSupport.WithClusterAsync(parse, connect, gateway, ct, async (client, _) =>
        {
            try
            {
                await run(client, parse.InvocationConfiguration.Output);
                return 0;
            }
            catch (Exception ex) when (ex is ExperimentNotCompletedException or DirectoryNotFoundException or BadRowException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });

    /// <summary>Throws when an option of the local form was given in cluster mode.</summary>
    public static void RejectLocalOptions(ParseResult parse, params Option[] options)
    {
        foreach (var option in options)
            if (parse.GetResult(option) is { Implicit: false })
                throw new ArgumentException($"{option.Name} applies to a local index (--index DIR); the cluster corpus and its silos' models have their own settings. " +
                                            "HINT: leave it out, or add --index DIR to work locally.");
    }

    public static async Task IngestAsync(IClusterClient client, TextWriter output, TextWriter error, string folder, int? shards,
        Retrieval.Rerank.BertSentenceEncoder? encoder = null)
    {
        using var _ = encoder;
        var watch = Stopwatch.StartNew();
        var report = await ClusterIngest.IngestDirectoryAsync(client, folder, shards, new Progress(p =>
            output.WriteLine($"  [{p.FilesDone}] {p.CurrentFile}  ({p.Chunks} chunks so far)")), encoder: encoder);
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

    public static async Task SearchAsync(IClusterClient client, TextWriter output, string text, int k)
    {
        var result = await client.GetGrain<IAnswerGrain>(0).SearchAsync(text, k);
        await WarnFailedAsync(output, result.FailedShards);
        if (result.Hits.Count == 0)
            await output.WriteLineAsync("No hits.");
        for (var i = 0; i < result.Hits.Count; i++)
        {
            var hit = result.Hits[i];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}  shard {hit.Shard}"));
        }
    }

    public static async Task AskAsync(IClusterClient client, TextWriter output, string question, string? experiment, int k)
    {
        McqaQuestion.Parse(question);   // a question without options fails here, before any grain call
        var answer = await client.GetGrain<IAnswerGrain>(0).AskAsync(new AnswerRequest(question, experiment, UseRetrieval: true, TopK: k));
        await output.WriteLineAsync($"answer: {answer.Letter}");
        await output.WriteLineAsync("log-likelihoods: " + string.Join("  ", answer.LogLikelihoods.OrderBy(p => p.Key).Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F4}"))));
        await WarnFailedAsync(output, answer.FailedShards);
        await output.WriteLineAsync(answer.Sources.Count == 0 ? "sources: none (no chunk matched; the model answered without context)" : "sources:");
        for (var i = 0; i < answer.Sources.Count; i++)
        {
            var hit = answer.Sources[i];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}"));
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"model: {answer.Model}; prompt {answer.PromptTokens} tokens; retrieval {answer.RetrievalMs:F0} ms, model {answer.ModelMs:F0} ms; silo {answer.Silo}"));
    }

    public static async Task EvalMcqaAsync(IClusterClient client, TextWriter output, string file, bool rag, string? experiment, int k, string? predictionsFile)
    {
        if (!File.Exists(file))
            throw new FileNotFoundException($"Data file {file} does not exist.", file);
        var rows = (await new McqaReader().ReadAsync(file)).Rows;
        var answers = client.GetGrain<IAnswerGrain>(0);
        var results = new AnswerResult[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            results[i] = await answers.AskAsync(new AnswerRequest(RagEvaluation.QuestionText(rows[i]), experiment, rag, k)));
        var correct = rows.Zip(results).Count(p => p.Second.Letter == p.First.AnswerLetter);
        if (predictionsFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(predictionsFile))!);
            await File.WriteAllLinesAsync(predictionsFile, rows.Zip(results).Select(p => JsonSerializer.Serialize(new
            {
                source = p.First.Source,
                row = p.First.Row,
                question = p.First.Question,
                answer = p.First.AnswerLetter.ToString(),
                predicted = p.Second.Letter.ToString(),
                correct = p.Second.Letter == p.First.AnswerLetter,
                letter_log_likelihoods = p.Second.LogLikelihoods.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                sources = p.Second.Sources.Select(h => new { source = h.Source, page = h.Page, start = h.Start, score = h.Score }),
            })));
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"accuracy: {(rows.Count == 0 ? double.NaN : correct / (double)rows.Count):F4}"));
        await output.WriteLineAsync($"questions: {rows.Count}");
        if (rows.Count > 0)
        {
            await output.WriteLineAsync($"model: {results[0].Model}{(rag ? $"; {k} retrieved chunks per prompt" : "; no retrieval (empty context)")}");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"mean retrieval {results.Average(r => r.RetrievalMs):F0} ms, mean model {results.Average(r => r.ModelMs):F0} ms"));
        }
        if (predictionsFile is not null)
            await output.WriteLineAsync($"predictions: {predictionsFile}");
    }

    public static async Task EvalRetrievalAsync(IClusterClient client, TextWriter output, string file, bool questionOnly)
    {
        var questions = RetrievalQuestionReader.Read(file, note => output.WriteLine(note));
        var answers = client.GetGrain<IAnswerGrain>(0);
        var results = await Task.WhenAll(questions.Select(q => answers.SearchAsync(questionOnly ? q.Question : q.QueryWithOptions, RetrievalEvaluation.Depth)));
        var failed = results.SelectMany(r => r.FailedShards).Distinct().Order().ToList();
        await WarnFailedAsync(output, failed);
        var ranks = questions.Zip(results).Select(p => RetrievalMetrics.FirstRelevantRank(p.Second.Hits, p.First.Source, p.First.Page)).ToList();
        var stats = await ClusterIngest.StatsAsync(client);
        await output.WriteLineAsync($"{questions.Count} questions, {stats.Sum(s => s.Chunks)} chunks in {stats.Count} cluster shards");
        await output.WriteLineAsync($"{"setup",-44} {"recall@1",9} {"recall@5",9} {"mrr@10",9}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{"bm25 (lemmas, cluster)",-44} {RetrievalMetrics.RecallAt(ranks, 1),9:F3} {RetrievalMetrics.RecallAt(ranks, 5),9:F3} {RetrievalMetrics.MrrAt(ranks, 10),9:F3}"));
    }

    static async Task WarnFailedAsync(TextWriter output, IReadOnlyList<int> failed)
    {
        if (failed.Count > 0)
            await output.WriteLineAsync($"warning: shard(s) {string.Join(", ", failed)} did not answer; their chunks are missing from the results");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and can print out of order).</summary>
    sealed class Progress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }
}
