// Page-level evaluation of an index on question rows: recall@1, recall@5 and MRR@10, with and without re-ranking,
// and on a copy of the chunks indexed without lemmatization for comparison.
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
        Reranker? reranker = null, int rerankDepth = CorpusEngine.DefaultRerankDepth, bool withOptions = true)
    {
        var ranks = new List<int?>(questions.Count);
        var times = new List<double>(questions.Count);
        foreach (var q in questions)
        {
            var start = Stopwatch.GetTimestamp();
            var hits = engine.Search(withOptions ? q.QueryWithOptions : q.Question, Depth, reranker, rerankDepth);
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

    /// <summary>BM25 and BM25 + dense re-rank on <paramref name="engine"/>, then both again on a temporary copy of its chunks
    /// indexed with lemmatization switched the other way.</summary>
    /// <param name="dense">The re-ranking encoder and its name in the setup column; null is each index's own LSA basis.</param>
    public static IReadOnlyList<RetrievalScores> Compare(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        DenseMetric metric = DenseMetric.Cosine, int rerankDepth = CorpusEngine.DefaultRerankDepth, bool withOptions = true, (string Name, IDenseEncoder Encoder)? dense = null,
        double bm25Weight = Reranker.DefaultBm25Weight)
    {
        var results = new List<RetrievalScores>();
        results.AddRange(ScoreBoth(engine, questions, metric, rerankDepth, withOptions, dense, bm25Weight));
        var copyFolder = Path.Combine(Path.GetTempPath(), $"pastanoodles-eval-{Guid.NewGuid():N}");
        try
        {
            using var copy = CorpusEngine.Open(copyFolder, engine.Options with { Lemmatize = !engine.Options.Lemmatize });
            copy.AddChunks(engine.AllChunks().ToList());
            copy.Commit();
            results.AddRange(ScoreBoth(copy, questions, metric, rerankDepth, withOptions, dense, bm25Weight));
        }
        finally
        {
            if (Directory.Exists(copyFolder))
                Directory.Delete(copyFolder, recursive: true);
        }
        return results;
    }

    private static IEnumerable<RetrievalScores> ScoreBoth(CorpusEngine engine, IReadOnlyList<RetrievalQuestion> questions,
        DenseMetric metric, int rerankDepth, bool withOptions, (string Name, IDenseEncoder Encoder)? dense, double bm25Weight)
    {
        var lemmas = engine.Options.Lemmatize ? "lemmas" : "no lemmas";
        var (name, encoder) = dense ?? ("lsa", engine.Lsa ?? engine.FitLsa());
        var similarity = metric.ToString().ToLowerInvariant();
        yield return Score($"bm25 ({lemmas})", engine, questions, withOptions: withOptions);
        yield return Score($"bm25 + {name} {similarity} re-rank ({lemmas})", engine, questions,
            new Reranker(encoder, metric), rerankDepth, withOptions);
        yield return Score($"bm25 + {name} {similarity} rrf ({lemmas})", engine, questions,
            new Reranker(encoder, metric, RerankMode.Fusion), rerankDepth, withOptions);
        yield return Score($"bm25 + {name} {similarity} weighted {bm25Weight:F1} ({lemmas})", engine, questions,
            new Reranker(encoder, metric, RerankMode.Weighted, bm25Weight), rerankDepth, withOptions);
    }
}
