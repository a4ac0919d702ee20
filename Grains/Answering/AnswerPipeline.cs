// Retrieval-augmented answering, as an engine (no Orleans): question with options → top-k chunks from every shard
// (collection-wide BM25, merged, optionally re-ranked) → the seed's prompt → one forward of the 4-bit model →
// the option letter with the highest log-likelihood. The cluster's AnswerGrain does its own fan-out over shard grains
// and then calls the static Answer below, so the prompt, the truncation and the letter choice have one home.
using System.Diagnostics;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Answering;

/// <summary>An answer: the letter, every option letter's log-likelihood, the chunks the prompt used (best first) and timings.</summary>
/// <param name="Truncated">The prompt was longer than the model's context and its beginning was cut (lm-eval's left truncation).</param>
public sealed record RagAnswer(
    char Letter,
    IReadOnlyDictionary<char, double> LogLikelihoods,
    IReadOnlyList<SearchHit> Sources,
    double RetrievalMs,
    double ModelMs,
    int PromptTokens,
    bool Truncated);

/// <summary>Answers multiple-choice questions from the course index with the (4-bit, adapted) Phi model.</summary>
/// <remarks>
/// Thread-safe when its parts are: <see cref="CorpusEngine.Search"/> and <see cref="LoadedModel"/> both are, so one
/// pipeline can serve concurrent questions. The retrieval query is the whole question text, options included (as
/// `eval retrieval` measures by default). With no hit the context is empty and the model still answers.
/// </remarks>
public sealed class AnswerPipeline
{
    public const int DefaultK = 3;

    /// <summary>The most chunks a prompt takes: about 8 chunks of 1000 characters fill Phi-2's 2048 tokens, and the prompt is cut from
    /// the left past that, so more would only cost retrieval time.</summary>
    public const int MaxK = 32;

    readonly CorpusEngine _engine;
    readonly LoadedModel _model;
    readonly Reranker? _reranker;
    readonly int _rerankDepth;
    readonly DenseRetriever? _dense;

    /// <param name="dense">The seed's dense retriever instead of BM25 (and then no <paramref name="reranker"/>).</param>
    public AnswerPipeline(CorpusEngine engine, LoadedModel model, int k = DefaultK, Reranker? reranker = null, int rerankDepth = CorpusEngine.DefaultRerankDepth,
        DenseRetriever? dense = null)
    {
        _engine = engine;
        _model = model;
        K = SearchRequest.CheckCount(k, nameof(k), MaxK);
        _reranker = reranker;
        _rerankDepth = rerankDepth;
        _dense = dense;
    }

    /// <summary>Chunks put into the prompt.</summary>
    public int K { get; }

    public RagAnswer Answer(string questionWithOptions)
    {
        var question = McqaQuestion.Parse(questionWithOptions);
        var watch = Stopwatch.StartNew();
        var hits = _engine.Search(question.Text, K, _reranker, _rerankDepth, _dense);
        return Answer(_model, _model.Adapter?.Name, question, hits, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>The answer from chunks already retrieved (here, or by the cluster's fan-out over shard grains): the seed's
    /// prompt over <paramref name="sources"/>, cut from the left to the model's context, then the option letter scored by the
    /// shared base with <paramref name="adapter"/> (a PEFT folder, loaded on first use; null for the base alone).</summary>
    public static RagAnswer Answer(LoadedModel model, string? adapter, McqaQuestion question, IReadOnlyList<SearchHit> sources, double retrievalMs)
    {
        var watch = Stopwatch.StartNew();
        using var use = model.Use(adapter);
        var prompt = model.Tokenizer.Encode(RagPrompt.Render(sources.Select(h => h.Text), question.Text));
        var limit = model.Model.Config.MaxPositionEmbeddings;
        var truncated = prompt.Length > limit;
        if (truncated)
            prompt = prompt[^limit..]; // keep the end: the question, its options and the instruction
        var choice = LetterScorer.Choose(model.Model, model.Tokenizer, prompt, question.Letters);
        return new RagAnswer(choice.Letter, choice.LogLikelihoods, sources, retrievalMs, watch.Elapsed.TotalMilliseconds, prompt.Length, truncated);
    }
}
