using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Pastanoodles.Answering;
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Cluster;

/// <summary>Answers on any silo: fans the question out to every shard, merges, fills the seed's prompt and scores the option
/// letters with the base model plus the chosen experiment's final adapter (a <see cref="SiloModels"/> singleton).</summary>
[StatelessWorker]
public sealed class AnswerGrain(SiloModels models, ShardStatsCache statsCache, IOptions<AnswerOptions> options, ILocalSiloDetails silo, ILogger<AnswerGrain> logger)
    : Grain, IAnswerGrain
{
    // The analyzer the shard grains index with (CorpusOptions' defaults); thread-safe, one per activation.
    readonly CourseAnalyzer _analyzer = new(lemmatize: true);

    public async Task<SearchResult> SearchAsync(string query, int k)
    {
        var shards = statsCache.Shards;
        if (shards == 0)
            statsCache.Shards = shards = await GrainFactory.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetShardsAsync();
        return await ShardFanOut.SearchAsync(GrainFactory, _analyzer, query, shards, k, logger, statsCache);
    }

    public async Task<AnswerResult> AskAsync(AnswerRequest request)
    {
        if (request.TopK < 1)
            throw new ArgumentException($"TopK is {request.TopK}. TopK must be 1 or more.", nameof(request));
        var question = McqaQuestion.Parse(request.Question);
        var (model, adapter) = await ModelForAsync(request.ExperimentId);

        var watch = Stopwatch.StartNew();
        var search = request.UseRetrieval
            ? await SearchAsync(question.Text, Math.Max(request.TopK, options.Value.ShardDepth))
            : new SearchResult([], []);
        var sources = search.Hits.Take(request.TopK).ToList();
        var retrievalMs = watch.Elapsed.TotalMilliseconds;

        watch.Restart();
        var nf4 = options.Value.Nf4;
        var (choice, promptTokens, description) = await Task.Run(() =>
        {
            var loaded = models.Get(model, adapter, nf4);
            var prompt = loaded.Tokenizer.Encode(RagPrompt.Render(sources.Select(h => h.Text), question.Text));
            var limit = loaded.Model.Config.MaxPositionEmbeddings;
            if (prompt.Length > limit)
                prompt = prompt[^limit..];   // keep the end, as AnswerPipeline does: the question, its options and the instruction
            return (LetterScorer.Choose(loaded.Model, loaded.Tokenizer, prompt, question.Letters), prompt.Length, loaded.Description);
        });
        return new AnswerResult(choice.Letter, choice.LogLikelihoods, sources, search.FailedShards, description, promptTokens,
            retrievalMs, watch.Elapsed.TotalMilliseconds, silo.SiloAddress.ToString());
    }

    /// <summary>The base model and adapter for <paramref name="runId"/>: its final adapter on the base the adapter names; or the configured base.</summary>
    async Task<(string Model, string? Adapter)> ModelForAsync(string? runId)
    {
        if (runId is null)
            return (options.Value.BaseModel, null);
        var status = await GrainFactory.GetGrain<IExperimentGrain>(runId).GetStatusAsync() ?? throw new ExperimentNotFoundException(runId);
        if (status.State != RunState.Completed || status.FinalAdapter is null)
            throw new ExperimentNotCompletedException(runId, status.State.ToString().ToLowerInvariant());
        var adapter = status.FinalAdapter;
        var baseModel = await Task.Run(() => Adapters.PeftAdapterFolder.ReadConfig(adapter).BaseModelNameOrPath);
        return (string.IsNullOrEmpty(baseModel) ? options.Value.BaseModel : baseModel, adapter);
    }
}
