using System.Diagnostics;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Analysis;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Retrieval.Splitting;
using Pastanoodles.Tests.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>Real silo processes over Redis (3 cpu silos) holding the sample corpus in 4 shards: SIGKILL the silo with the most
/// shards, and they re-activate on the survivors from their state in Redis, with every chunk exactly once and the same search
/// results (the in-process <see cref="ShardFailoverTests"/> over real processes).</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class ShardFailoverProcessTests(ITestOutputHelper output)
{
    const int Shards = 4;
    const int CorpusChunks = 24;   // samples/corpus: 6 PDFs
    const int EveryChunk = 1000;

    static readonly string[] Queries =
    [
        "How does a hash table resolve collisions between keys?",
        "What does the photoelectric effect show about light and electrons?",
        "How does TCP detect lost segments and retransmit them?",
    ];

    [Fact]
    public async Task Shards_of_a_killed_silo_process_reactivate_on_the_survivors_with_every_chunk_once_and_the_same_results()
    {
        await RedisCluster.RunAsync([SiloRoles.Cpu, SiloRoles.Cpu, SiloRoles.Cpu], output, KillAndCompareAsync);
    }

    async Task KillAndCompareAsync(RedisCluster cluster)
    {
        var (expected, everything) = ExpectedChunks();
        Assert.Equal(CorpusChunks, expected.Count);

        // Before the kill, calls may take as long as a loaded machine makes them (the default response timeout; under a load average
        // of 90 one first ReplaceSourceAsync took over 5 s). After it, a 5 s timeout makes a call routed to the dead silo fail fast,
        // and the phase tries again. The client knows every silo's gateway from Redis, so the kill costs it one gateway of three.
        await using var setup = await cluster.ConnectAsync();
        await using var connection = await cluster.ConnectAsync(responseTimeout: TimeSpan.FromSeconds(5));
        var client = connection.Client;
        // Each file ingested is progress; the corpus is 6 files.
        var ingested = 0;
        var report = await ClusterIngest.IngestDirectoryAsync(setup.Client, CorpusClusterFixture.Corpus, new CorpusOptions { Shards = Shards }, new SyncProgress<IngestProgress>(p => ingested = p.FilesDone))
            .Within("ingest the sample corpus into 4 shards", () => $"{ingested} files ingested");
        Assert.Equal(CorpusChunks, report.Chunks);
        var before = await ClusterIngest.StatsAsync(setup.Client).Within("shard stats before the kill");
        var answersBefore = setup.Client.GetGrain<IAnswerGrain>(0);
        var hitsBefore = new List<SearchResult>();
        foreach (var query in Queries)
            hitsBefore.Add(await answersBefore.SearchAsync(query, 10).Within($"search '{query}' before the kill"));
        var allBefore = await answersBefore.SearchAsync(everything, EveryChunk).Within("search for every chunk before the kill");
        var answers = client.GetGrain<IAnswerGrain>(0);
        AssertEveryChunkOnce(expected, allBefore, "before the kill");

        // The silo with the most shards (random placement over 3 silos: at least 2 of the 4).
        var victimAddress = before.GroupBy(s => s.Silo).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var victim = cluster.SiloAt(victimAddress);
        var moved = before.Where(s => s.Silo == victimAddress).Select(s => s.Shard).ToList();
        output.WriteLine("before: " + Describe(before));
        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();
        output.WriteLine($"killed silo :{victim.SiloPort} (pid {victim.ProcessId}), which held shards {string.Join(", ", moved)}");

        await RedisCluster.WaitUntilDeadAsync(client, victimAddress);
        var declaredDead = sinceKill.Elapsed;

        // Until the survivors' directories have dropped the dead silo's activations, a call may still go to it and time out: retry.
        var after = await Phase.Until("every shard answers its stats from a live silo", () => ClusterIngest.StatsAsync(client),
            stats => stats.Count == Shards && stats.All(s => s.Silo != victimAddress), $"{Shards} shards, none on {victimAddress}", describe: Describe);
        var searches = await Phase.Until("every search answers from every shard", () => Task.WhenAll([answers.SearchAsync(everything, EveryChunk), .. Queries.Select(q => answers.SearchAsync(q, 10))]),
            results => results.All(r => r.FailedShards.Count == 0), "no failed shards",
            describe: results => string.Join("; ", results.Select(r => $"failed shards [{string.Join(", ", r.FailedShards)}]")));
        var recovered = sinceKill.Elapsed;
        var (allAfter, hitsAfter) = (searches[0], searches[1..]);
        output.WriteLine("after: " + Describe(after));
        output.WriteLine($"declared dead {declaredDead.TotalSeconds:0.0} s after the kill; every shard served from a survivor {recovered.TotalSeconds:0.0} s after the kill");

        // The same chunks, shard by shard, each exactly once.
        Assert.Equal(before.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))), after.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))));
        Assert.Equal(CorpusChunks, after.Sum(s => s.Chunks));
        AssertEveryChunkOnce(expected, allAfter, "after the kill");

        // Every shard on a survivor; the moved ones rebuilt their index from state there. A survivor's own shard is not pinned to
        // its silo: one early run saw one re-activate after the kill (on the same silo, its index reused from disk).
        var survivors = cluster.Silos.Where(s => s != victim).ToList();
        Assert.All(survivors, s => Assert.False(s.HasExited, $"silo :{s.SiloPort} exited:\n{s.Log}"));
        Assert.All(after, s => Assert.Contains(cluster.SiloAt(s.Silo), survivors));
        Assert.All(after.Where(s => moved.Contains(s.Shard)), s =>
            Assert.True(s.Rebuilt, $"shard {s.Shard} on its new silo {s.Silo} should have rebuilt its index from state"));

        // The same results: ids, order and scores.
        for (var i = 0; i < Queries.Length; i++)
        {
            Assert.Empty(hitsBefore[i].FailedShards);
            Assert.Empty(hitsAfter[i].FailedShards);
            Assert.NotEmpty(hitsBefore[i].Hits);
            Assert.Equal(hitsBefore[i].Hits.Select(h => (h.ChunkId, h.Score, h.Shard)), hitsAfter[i].Hits.Select(h => (h.ChunkId, h.Score, h.Shard)));
        }
        Assert.Equal(allBefore.Hits.Select(h => (h.ChunkId, h.Score)), allAfter.Hits.Select(h => (h.ChunkId, h.Score)));
    }

    /// <summary>The hits of the every-chunk query are the corpus's chunks, each once, each from the shard the router sends it to.</summary>
    static void AssertEveryChunkOnce(IReadOnlyDictionary<string, int> expected, SearchResult result, string when)
    {
        Assert.Empty(result.FailedShards);
        var duplicated = result.Hits.GroupBy(h => h.ChunkId).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToList();
        Assert.True(duplicated.Count == 0, $"{when}: chunks found more than once: {string.Join(", ", duplicated)}");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), result.Hits.Select(h => KeyValuePair.Create(h.ChunkId, h.Shard)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    /// <summary>The corpus's chunk ids with the shard each is routed to, split here as <see cref="ClusterIngest"/> splits them, and a
    /// query that matches every one of them (the first analyzed terms of each chunk).</summary>
    static (IReadOnlyDictionary<string, int> Chunks, string Query) ExpectedChunks()
    {
        var options = new CorpusOptions();
        var splitter = new RecursiveCharacterTextSplitter(options.ChunkSize, options.ChunkOverlap);
        var router = new ShardRouter(Shards);
        var analyzer = new CourseAnalyzer(lemmatize: true);
        var chunks = new PdfPageReader().ReadDirectory(CorpusClusterFixture.Corpus)
            .SelectMany(file => CorpusIngest.Split(CorpusIngest.SourceName(Path.GetFileName(CorpusClusterFixture.Corpus), file.Source), file.Pages, splitter))
            .ToList();   // cluster sources are namespaced by the folder's name
        var terms = chunks.SelectMany(c => analyzer.Terms(c.Text, ShardIndex.TextField).Distinct().Take(3)).Distinct();
        return (chunks.ToDictionary(c => c.Id, c => router.ShardOf(c.Id)), string.Join(" ", terms));
    }

    static string Describe(IReadOnlyList<ShardStats> stats) =>
        string.Join("; ", stats.Select(s => $"shard {s.Shard}: {s.Chunks} chunks on {s.Silo}{(s.Rebuilt ? " (rebuilt)" : "")}"));
}
