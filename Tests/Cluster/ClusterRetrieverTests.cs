using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Dense re-ranking and the dense retriever through real silos, over vectors the shards stored at ingest: the same hits and scores
/// as the local index, with only the query encoded.</summary>
public sealed class ClusterRetrieverTests(CorpusClusterFixture fixture) : IClassFixture<CorpusClusterFixture>
{
    /// <summary>all-MiniLM-L6-v2 under its own name, remembering every vector, so the cluster and the local index store the very same floats.</summary>
    sealed class RememberingEncoder(IDenseEncoder inner) : IDenseEncoder
    {
        readonly ConcurrentDictionary<string, float[]> _vectors = new();
        public string Name => inner.Name;
        public int Dimension => inner.Dimension;
        public int Computed => _vectors.Count;
        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts)
        {
            var missing = texts.Where(t => !_vectors.ContainsKey(t)).Distinct().ToList();
            if (missing.Count > 0)
                foreach (var (text, vector) in missing.Zip(inner.Encode(missing)))
                    _vectors[text] = vector;
            return [.. texts.Select(t => _vectors[t])];
        }
    }

    long SiloForwards => fixture.Cluster.Silos.Sum(s => fixture.Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<SiloEncoder>().QueryForwards);

    long SiloTexts => fixture.Cluster.Silos.Sum(s => fixture.Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<SiloEncoder>().Texts);

    [Fact]
    public async Task With_stored_vectors_cluster_rerank_and_dense_search_equal_the_local_index_and_encode_only_the_query()
    {
        using var miniLm = MiniLmPackage.Load();
        var remembering = new RememberingEncoder(miniLm);
        await ClusterIngest.IngestDirectoryAsync(fixture.Client, CorpusClusterFixture.Corpus, encoder: remembering, replace: true);
        fixture.Local.StoreVectors(remembering);
        Assert.Equal(fixture.Local.Count, remembering.Computed);   // every chunk's text encoded once, for both
        var answers = fixture.Client.GetGrain<IAnswerGrain>(0);
        var queries = RetrievalQuestionReader.Read(CorpusClusterFixture.Questions).Select(q => q.QueryWithOptions).Take(4).ToList();

        var searches = 0;
        foreach (var query in queries)
        {
            foreach (var mode in new[] { RerankMode.Replace, RerankMode.Fusion, RerankMode.Weighted })
            {
                var local = fixture.Local.Search(query, 5, new Reranker(miniLm, DenseMetric.Cosine, mode, 0.3));
                var cluster = await answers.SearchAsync(new SearchRequest(query, 5, Rerank: mode, Bm25Weight: 0.3));
                Assert.Empty(cluster.FailedShards);
                Assert.Equal(local.Select(h => (h.ChunkId, h.Score)), cluster.Hits.Select(h => (h.ChunkId, h.Score)));
                searches++;
            }
            foreach (var metric in new[] { DenseMetric.Cosine, DenseMetric.Euclidean })
            {
                var local = fixture.Local.DenseSearch(query, 5, miniLm, metric);
                var cluster = await answers.SearchAsync(new SearchRequest(query, 5, Retriever.Dense, metric));
                Assert.Equal(local.Select(h => (h.ChunkId, h.Score)), cluster.Hits.Select(h => (h.ChunkId, h.Score)));
                searches++;
            }
        }
        Assert.Equal(searches, SiloTexts);   // one text per search: the query; every candidate's vector came from its shard

        // `eval retrieval` through the cluster: every setup, each with the local index's scores for the same retriever.
        var questions = RetrievalQuestionReader.Read(CorpusClusterFixture.Questions);
        var forwards = SiloForwards;
        var eval = await Cli.RunAsync(fixture.Client, "eval", "retrieval", CorpusClusterFixture.Questions);
        // Five setups encode each question's query; each silo's cache runs one forward per query at most (120 without it).
        var distinct = questions.Select(q => q.QueryWithOptions).Distinct().Count();
        Assert.InRange(SiloForwards - forwards, distinct - queries.Count, distinct * fixture.Cluster.Silos.Count);   // the first 4 were asked above
        Assert.Equal(0, eval.ExitCode);
        RetrievalScores Dense(DenseMetric metric) =>
            RetrievalEvaluation.Score("", q => fixture.Local.DenseSearch(q, RetrievalEvaluation.Depth, miniLm, metric), questions);
        RetrievalScores Reranked(RerankMode mode) =>
            RetrievalEvaluation.Score("", fixture.Local, questions, new Reranker(miniLm, DenseMetric.Cosine, mode, SearchRequest.DefaultBm25Weight));
        foreach (var (setup, scores) in new[]
        {
            ("bm25 (lemmas, cluster)", RetrievalEvaluation.Score("", fixture.Local, questions)),
            ("dense bert cosine (cluster)", Dense(DenseMetric.Cosine)),
            ("dense bert euclidean (cluster)", Dense(DenseMetric.Euclidean)),
            ("hybrid: bm25 0.5 + bert cosine (cluster)", Reranked(RerankMode.Weighted)),
            ("bm25 + bert cosine re-rank (cluster)", Reranked(RerankMode.Replace)),
            ("bm25 + bert cosine rrf (cluster)", Reranked(RerankMode.Fusion)),
        })
        {
            Assert.Matches(string.Create(CultureInfo.InvariantCulture,
                $@"(?m)^{Regex.Escape(setup)}\s+{scores.RecallAt1:F3}\s+{scores.RecallAt5:F3}\s+{scores.MrrAt10:F3}\s+\d+\.\d$"), eval.Output);
            Assert.Matches($@"(?m)^eval: {Regex.Escape(setup)} done, {questions.Count} questions, \d+\.\d s in$", eval.Error);   // progress, as each is done
        }
        Assert.Equal(6, eval.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("so the p50s after the first dense setup have none in them", eval.Output);

        // A client calling a shard itself with other encoder names and lengths, turn about, gets no hits and makes it build nothing:
        // the searches above built its one matrix for MiniLM's vectors at this corpus version.
        var shard = fixture.Client.GetGrain<IShardGrain>(0);
        var built = await shard.GetStatsAsync();
        var vector = miniLm.EncodeQuery(queries[0]);
        for (var turn = 0; turn < 3; turn++)
        {
            Assert.NotEmpty((await shard.DenseSearchAsync(vector, miniLm.Name, DenseMetric.Cosine, 5)).Hits);
            foreach (var (name, length) in new[] { ("not-an-encoder", vector.Length), (miniLm.Name, 100) })
            {
                var other = await shard.DenseSearchAsync(vector[..length], name, DenseMetric.Cosine, 5);
                Assert.Equal((0, built.Chunks), (other.Hits.Count, other.Unscored));
            }
        }
        Assert.Equal((true, built.DenseBuilds), (built.DenseBuilds >= 1, (await shard.GetStatsAsync()).DenseBuilds));
    }
}
