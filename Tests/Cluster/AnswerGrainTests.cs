using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Pastanoodles.Tests.Training;

namespace Pastanoodles.Tests.Cluster;

/// <summary>The answer grain over the sample corpus: retrieval through the shards, the base model or a completed run's adapter, loaded once per silo.</summary>
public sealed class AnswerGrainTests(CorpusClusterFixture fixture) : IClassFixture<CorpusClusterFixture>
{
    const string Question = "What is it called when two different keys are placed in the same bucket of a hash table?\nA. A rehash\nB. A collision\nC. A probe\nD. A digest";

    IAnswerGrain Answers => fixture.Client.GetGrain<IAnswerGrain>(0);

    [Fact]
    public async Task Answers_with_the_base_model_from_the_top_chunks_of_every_shard()
    {
        var answer = await Answers.AskAsync(new AnswerRequest(Question, TopK: 3)).Within("answer with the base model");
        var search = await Answers.SearchAsync(Question, 3);

        Assert.Contains(answer.Letter, "ABCD");
        Assert.Equal("ABCD", string.Concat(answer.LogLikelihoods.Keys.Order()));
        Assert.Equal(answer.LogLikelihoods.MaxBy(p => p.Value).Key, answer.Letter);
        Assert.Equal(search.Hits.Select(h => h.ChunkId), answer.Sources.Select(h => h.ChunkId));
        Assert.Equal("corpus/cs/hash-tables.pdf", answer.Sources[0].Source);
        Assert.Empty(answer.FailedShards);
        Assert.Matches(@"^tiny \(nf4, (cpu|cuda(:\d+)?)\)$", answer.Model);
        Assert.True(answer.PromptTokens > 100, $"prompt of {answer.PromptTokens} tokens should hold 3 chunks");
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(16, true)]   // 16 chunks of ~1000 characters overflow tiny's 2048-token context: the beginning is cut
    public async Task A_cluster_answer_equals_the_local_pipelines_answer_on_the_same_corpus_and_model(int k, bool truncated)
    {
        var cluster = await Answers.AskAsync(new AnswerRequest(Question, TopK: k)).Within($"cluster answer with k={k}");
        using var model = LoadedModel.Load("tiny", adapter: null, nf4: true);
        var local = new AnswerPipeline(fixture.Local, model, k).Answer(Question);

        Assert.Equal(local.Sources.Select(h => (h.ChunkId, h.Score)), cluster.Sources.Select(h => (h.ChunkId, h.Score)));
        Assert.Equal(local.PromptTokens, cluster.PromptTokens);
        Assert.Equal(truncated, local.Truncated);
        Assert.Equal(local.Truncated, cluster.Truncated);
        Assert.Equal(local.Letter, cluster.Letter);
        Assert.Equal(local.LogLikelihoods.OrderBy(p => p.Key), cluster.LogLikelihoods.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("top-k", "TopK is 100000. TopK must be 1 to 32.")]
    [InlineData("k", "K is 100000. K must be 1 to 1000.")]
    [InlineData("depth", "RerankDepth is 0. RerankDepth must be 1 to 100.")]
    [InlineData("dense-rerank", "A re-rank re-orders BM25's candidates; the dense retriever has none to re-order. HINT: leave one of them out.")]
    [InlineData("weight", "Bm25Weight is 2. It must be between 0 (dense only) and 1 (BM25 only).")]
    [InlineData("query", "Query is 20001 characters. Query must be at most 20000.")]
    [InlineData("question", "Question is 20001 characters. Question must be at most 20000.")]
    public async Task A_request_out_of_range_is_refused_with_one_line(string what, string error)
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => what switch
        {
            "top-k" => Answers.AskAsync(new AnswerRequest(Question, TopK: 100_000)),
            "k" => Answers.SearchAsync(new SearchRequest(Question, 100_000)),
            "depth" => Answers.SearchAsync(new SearchRequest(Question, 3, Rerank: RerankMode.Fusion, RerankDepth: 0)),
            "query" => Answers.SearchAsync(new SearchRequest(new string('x', SearchRequest.MaxTextLength + 1), 3)),
            "question" => Answers.AskAsync(new AnswerRequest(new string('x', SearchRequest.MaxTextLength + 1))),
            "dense-rerank" => Answers.AskAsync(new AnswerRequest(Question, Retrieval: new SearchRequest("", 1, Retriever.Dense, Rerank: RerankMode.Fusion))),
            _ => Answers.AskAsync(new AnswerRequest(Question, Retrieval: new SearchRequest("", 1, Rerank: RerankMode.Weighted, Bm25Weight: 2))),
        });

        Assert.Equal(error, refused.Message);
    }

    [Fact]
    public async Task The_model_is_loaded_once_per_silo_across_many_concurrent_asks()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Answers.AskAsync(new AnswerRequest(Question, UseRetrieval: false))))
            .Within("12 concurrent asks");

        Assert.Single(answers.Select(a => a.Letter).Distinct());
        var loads = fixture.Models.ToDictionary(p => p.Key, p => p.Value.LoadsOf("tiny"));
        Assert.All(loads.Values, n => Assert.InRange(n, 0, 1));
        Assert.All(answers.Select(a => a.Silo).Distinct(), silo => Assert.Equal(1, loads[silo]));
    }

    [Fact]
    public async Task A_completed_runs_final_adapter_answers_and_an_unfinished_run_is_a_clear_error()
    {
        var cancelledId = Experiments.NewRunId("answer-cancelled");
        var config = DpoTrainerTests.Learnable("ignored") with { SyntheticRows = 48, EvalSteps = 3, SaveSteps = 3 };
        var cancelled = fixture.Client.GetGrain<IExperimentGrain>(cancelledId);
        await cancelled.SubmitAsync(new ExperimentSpec(cancelledId, ExperimentKinds.Dpo, (config with { SyntheticRows = 4000 }).ToJson()));
        await cancelled.CancelAsync();
        var notDone = await Assert.ThrowsAsync<ExperimentNotCompletedException>(() => Answers.AskAsync(new AnswerRequest(Question, cancelledId)));
        Assert.Contains($"Experiment '{cancelledId}' is cancelled; only a completed run has a final adapter", notDone.Message);
        await Assert.ThrowsAsync<ExperimentNotFoundException>(() => Answers.AskAsync(new AnswerRequest(Question, "no-such-run")));

        var runId = Experiments.NewRunId("answer-dpo");
        var run = fixture.Client.GetGrain<IExperimentGrain>(runId);
        await run.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson()));
        var done = await Phase.Until("short tiny DPO run to its end", async () => (await run.GetStatusAsync())!,
            s => s.State.IsFinal(), $"experiment {runId} completed", TimeSpan.FromSeconds(300));   // 300 s without a step, as for every run (README "Tests")
        Assert.True(done.State == RunState.Completed, $"{done.State}: {done.Error}");

        var adapted = await Answers.AskAsync(new AnswerRequest(Question, runId)).Within("answer with the run's adapter");
        var plain = await Answers.AskAsync(new AnswerRequest(Question)).Within("answer with the base model");

        Assert.EndsWith($"+ adapter {done.FinalAdapter}", adapted.Model);
        Assert.Equal(plain.Sources.Select(h => h.ChunkId), adapted.Sources.Select(h => h.ChunkId));
        Assert.NotEqual(plain.LogLikelihoods['A'], adapted.LogLikelihoods['A']);
        Assert.Equal(1, fixture.Models.Values.Sum(m => m.LoadsOf("tiny", done.FinalAdapter)));
    }
}
