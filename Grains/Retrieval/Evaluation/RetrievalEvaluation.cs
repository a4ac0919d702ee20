// Page-level evaluation of an index on question rows: recall@1, recall@5 and MRR@10 of BM25, the dense retriever (raw and
// analyzed text, cosine and Euclidean), the hybrid and BM25 + re-rank, and BM25's setups again on a copy of the chunks indexed
// with lemmatization switched, for comparison.
using System.Diagnostics;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Retrieval.Evaluation;

/// <summary>recall@1, recall@5 and MRR@10 of one retrieval setup over <see cref="Questions"/> rows, and its median latency per query.</summary>
public sealed record RetrievalScores(string Setup, int Questions, double RecallAt1, double RecallAt5, double MrrAt10, double P50Ms = 0);

/// <summary>Runs questions against an engine and scores the rankings at page level.</summary>
public static class RetrievalEvaluation
{
    public const int Depth = 10;

    /// <param name="withOptions">Query with the question and its options (as the answer prompt has them), or the question alone.</param>
    public static RetrievalScores Score(string setup, CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        Reranker? reranker = null, int rerankDepth = CorpusEngine.DefaultRerankDepth, bool withOptions = true) =>
        Score(setup, query => engine.Search(query, Depth, reranker, rerankDepth), questions, withOptions);

    /// <summary>The scores of any retriever: <paramref name="search"/> returns the top <see cref="Depth"/> hits of a query.</summary>
    public static RetrievalScores Score(string setup, Func<string, IReadOnlyList<SearchHit>> search, IReadOnlyList<RetrievalQuestion> questions, bool withOptions = true)
    {
        var ranks = new List<int?>(questions.Count);
        var times = new List<double>(questions.Count);
        foreach (var q in questions)
        {
            var start = Stopwatch.GetTimestamp();
            var hits = search(withOptions ? q.QueryWithOptions : q.Question);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            ranks.Add(RetrievalMetrics.FirstRelevantRank(hits, q.Source, q.Page));
        }
        times.Sort();
        return new RetrievalScores(setup, questions.Count,
            RetrievalMetrics.RecallAt(ranks, 1), RetrievalMetrics.RecallAt(ranks, 5), RetrievalMetrics.MrrAt(ranks, 10), times[(times.Count - 1) / 2]);
    }

    /// <summary>Weighted fusion at BM25 weights 0, 0.1, …, 1 (0 is the dense order alone, 1 is BM25's), on <paramref name="engine"/> as it is.</summary>
    public static IReadOnlyList<(double Bm25Weight, RetrievalScores Scores)> Sweep(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        IDenseEncoder encoder, DenseMetric metric = DenseMetric.Cosine, int rerankDepth = CorpusEngine.DefaultRerankDepth, bool withOptions = true) =>
        [.. Enumerable.Range(0, 11).Select(i => i / 10.0).Select(w => (w, Score($"weighted w={w:F1}", engine, questions,
            new Reranker(encoder, metric, RerankMode.Weighted, w), rerankDepth, withOptions)))];

    /// <summary>The dense retriever over every chunk of <paramref name="engine"/> with <paramref name="encoder"/>'s vectors (the stored ones
    /// when that encoder made them, else encoded now): its raw text, and (<paramref name="analyzed"/>) its text after the seed's analysis
    /// (lower case, stop words, lemmas; <see cref="AnalyzedTextEncoder"/>), by cosine and by Euclidean distance.</summary>
    public static IEnumerable<RetrievalScores> Dense(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions, (string Name, IDenseEncoder Encoder) dense,
        bool withOptions = true, bool analyzed = true)
    {
        var chunks = engine.AllChunks().ToList();
        var variants = new List<(string Text, IDenseEncoder Encoder)> { ("raw text", dense.Encoder) };
        if (analyzed)
            variants.Add(("analyzed text", new AnalyzedTextEncoder(dense.Encoder, new Analysis.CourseAnalyzer(lemmatize: true))));
        foreach (var (text, encoder) in variants)
        {
            var index = Index.DenseIndex.Encode(chunks, encoder);
            foreach (var metric in new[] { DenseMetric.Cosine, DenseMetric.Euclidean })
                yield return Score($"dense {dense.Name} {metric.ToString().ToLowerInvariant()} ({text})", query =>
                    [.. index.Search(encoder.EncodeQuery(query), metric, Depth).Select(h => SearchHit.From(h.Chunk, h.Score, 0))], questions, withOptions);
        }
    }

    /// <summary>BM25 and BM25 + dense re-rank on <paramref name="engine"/>, then both again on a temporary copy of its chunks
    /// indexed with lemmatization switched the other way.</summary>
    /// <param name="dense">The re-ranking encoder and its name in the setup column; null is each index's own LSA basis.</param>
    /// <param name="done">Called as each setup's scores are ready (progress).</param>
    public static IReadOnlyList<RetrievalScores> Compare(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        DenseMetric metric = DenseMetric.Cosine, int rerankDepth = CorpusEngine.DefaultRerankDepth, bool withOptions = true, (string Name, IDenseEncoder Encoder)? dense = null,
        double bm25Weight = Reranker.DefaultBm25Weight, Action<RetrievalScores>? done = null)
    {
        var results = new List<RetrievalScores>();
        void Add(IEnumerable<RetrievalScores> setups)
        {
            foreach (var scores in setups)
            {
                results.Add(scores);
                done?.Invoke(scores);
            }
        }
        Add(ScoreBoth(engine, questions, metric, rerankDepth, withOptions, dense, bm25Weight, denseRetriever: true));
        var copyFolder = Path.Combine(Path.GetTempPath(), $"pastanoodles-eval-{Guid.NewGuid():N}");
        try
        {
            using var copy = CorpusEngine.Open(copyFolder, engine.Options with { Lemmatize = !engine.Options.Lemmatize });
            copy.AddChunks(engine.AllChunks().ToList());
            copy.Commit();
            Add(ScoreBoth(copy, questions, metric, rerankDepth, withOptions, dense, bm25Weight, denseRetriever: false));
        }
        finally
        {
            if (Directory.Exists(copyFolder))
                Directory.Delete(copyFolder, recursive: true);
        }
        return results;
    }

    private static IEnumerable<RetrievalScores> ScoreBoth(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        DenseMetric metric, int rerankDepth, bool withOptions, (string Name, IDenseEncoder Encoder)? dense, double bm25Weight, bool denseRetriever)
    {
        var lemmas = engine.Options.Lemmatize ? "lemmas" : "no lemmas";
        var (name, encoder) = dense ?? ("lsa", engine.Lsa ?? engine.FitLsa());
        var similarity = metric.ToString().ToLowerInvariant();
        yield return Score($"bm25 ({lemmas})", engine, questions, withOptions: withOptions);
        if (denseRetriever)   // the chunks' vectors do not depend on the index's lemmas: once is enough
            foreach (var row in Dense(engine, questions, (name, encoder), withOptions))
                yield return row;
        yield return Score($"hybrid: bm25 {bm25Weight:F1} + {name} {similarity} ({lemmas})", engine, questions,
            new Reranker(encoder, metric, RerankMode.Weighted, bm25Weight), rerankDepth, withOptions);
        yield return Score($"bm25 + {name} {similarity} re-rank ({lemmas})", engine, questions,
            new Reranker(encoder, metric), rerankDepth, withOptions);
        yield return Score($"bm25 + {name} {similarity} rrf ({lemmas})", engine, questions,
            new Reranker(encoder, metric, RerankMode.Fusion), rerankDepth, withOptions);
    }
}
