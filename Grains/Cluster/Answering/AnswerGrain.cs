using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Pastanoodles.Answering;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Analysis;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Cluster;

/// <summary>Answers on any silo: fans the question out to every shard, merges, fills the seed's prompt and scores the option
/// letters with the silo's shared base plus the chosen experiment's final adapter, attached for this answer only (<see cref="SiloModels"/>).</summary>
[StatelessWorker]
public sealed class AnswerGrain(SiloModels models, SiloEncoder encoder, ShardStatsCache statsCache, IOptions<AnswerOptions> options,
    IOptions<ExperimentOptions> experiments, ILocalSiloDetails silo,
    ILogger<AnswerGrain> logger)
    : Grain, IAnswerGrain
{
    // The analyzer the shard grains index with, from the corpus' stored settings (which never change once set); thread-safe.
    (int Shards, CourseAnalyzer Analyzer)? _corpus;

    public Task<SearchResult> SearchAsync(string query, int k) => SearchAsync(new SearchRequest(query, k));

    /// <summary>As <see cref="CorpusEngine.Search"/> and <see cref="CorpusEngine.DenseSearch"/> do locally: the dense retriever asks every shard
    /// to score its stored vectors; BM25 with a re-rank fetches the top <see cref="SearchRequest.RerankDepth"/> (with their stored vectors)
    /// and re-orders them here. Either way a shard is called once and only the query is encoded.</summary>
    public async Task<SearchResult> SearchAsync(SearchRequest request)
    {
        request.Validate();
        if (_corpus is not { } corpus)
        {
            if (await GrainFactory.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync() is not { } settings)
                return new SearchResult([], []);   // nothing ingested yet
            _corpus = corpus = (settings.Shards, new CourseAnalyzer(settings.Lemmatize));
        }
        if (request.Retriever == Retriever.Dense)
        {
            var vector = await encoder.EncodeQueryAsync(request.Query);
            return await ShardFanOut.DenseSearchAsync(GrainFactory, vector, encoder.Name, request.Metric, corpus.Shards, request.K, logger);
        }
        if (request.Rerank is not { } mode)
            return await ShardFanOut.SearchAsync(GrainFactory, corpus.Analyzer, request.Query, corpus.Shards, request.K, logger, statsCache);
        var encoding = encoder.EncodeQueryAsync(request.Query);   // the query is encoded while the shards search
        var candidates = await ShardFanOut.SearchAsync(GrainFactory, corpus.Analyzer, request.Query, corpus.Shards, Math.Max(request.K, request.RerankDepth), logger, statsCache);
        var queryVector = await encoding;
        var reranked = await Task.Run(() => new Reranker(encoder, request.Metric, mode, request.Bm25Weight).Rerank(request.Query, candidates.Hits, queryVector));
        return candidates with { Hits = [.. reranked.Take(request.K)] };
    }

    public async Task<AnswerResult> AskAsync(AnswerRequest request)
    {
        SearchRequest.CheckLength(request.Question, nameof(request.Question));
        SearchRequest.CheckCount(request.TopK, nameof(request.TopK), AnswerPipeline.MaxK);
        var retrieval = (request.Retrieval ?? new SearchRequest("", 1)) with { Query = "", K = Math.Max(request.TopK, options.Value.ShardDepth) };
        retrieval.Validate();   // before the question is parsed or a model named: its query and k are the answer's own
        var question = McqaQuestion.Parse(request.Question);
        using var answering = models.Answering();
        var (model, adapter) = await ModelForAsync(request.ExperimentId);

        var watch = Stopwatch.StartNew();
        var search = request.UseRetrieval
            ? await SearchAsync(retrieval with { Query = question.Text })
            : new SearchResult([], []);
        var sources = search.Hits.Take(request.TopK).ToList();
        var retrievalMs = watch.Elapsed.TotalMilliseconds;

        var nf4 = options.Value.Nf4;
        var loaded = await models.GetAsync(model, nf4);   // a first load quantizes on every core
        var answer = await models.ForwardAsync(loaded, () => AnswerPipeline.Answer(loaded, adapter, question, sources, retrievalMs));
        return ToResult(answer, loaded.Describe(adapter), search.FailedShards, silo.SiloAddress.ToString());
    }

    /// <summary>The wire form of an engine's answer: what answered, the shards that did not, and where.</summary>
    public static AnswerResult ToResult(RagAnswer answer, string model, IReadOnlyList<int> failedShards, string silo) =>
        new(answer.Letter, answer.LogLikelihoods, answer.Sources, failedShards, model, answer.PromptTokens,
            answer.RetrievalMs, answer.ModelMs, silo, answer.Truncated);

    /// <summary>The base model and adapter for <paramref name="runId"/>: its final adapter on the base the adapter names; or the configured base.</summary>
    async Task<(string Model, string? Adapter)> ModelForAsync(string? runId)
    {
        if (runId is null)
            return (options.Value.BaseModel, null);
        var status = await GrainFactory.GetGrain<IExperimentGrain>(runId).GetStatusAsync() ?? throw new ExperimentNotFoundException(runId);
        if (status.State != RunState.Completed || status.FinalAdapter is null)
            throw new ExperimentNotCompletedException(runId, status.State.ToString().ToLowerInvariant());
        // The outcome is whatever the run's current attempt reported: read nothing outside that run's folder, and load no base model
        // from outside the silo's input folders, as a trainer would not (a client can call the experiment grain directly).
        var o = experiments.Value;
        var origin = $"Experiment '{runId}'";
        var adapter = new Training.InputRoots([Path.Combine(o.ArtifactsDirectory, runId)]).Confine(status.FinalAdapter, "final adapter", origin);
        var baseModel = await Task.Run(() => Adapters.PeftAdapterFolder.ReadConfig(adapter).BaseModelNameOrPath);
        if (string.IsNullOrEmpty(baseModel))
            return (options.Value.BaseModel, adapter);
        return (Modeling.PhiSource.IsBuiltIn(baseModel) ? baseModel : new Training.InputRoots(o.InputRoots).Confine(baseModel, "base_model_name_or_path", origin), adapter);
    }
}
