using Microsoft.Extensions.DependencyInjection;
using Pastanoodles.Retrieval;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Tests.Retrieval.Rerank;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Shard grains hold the sample corpus; a search through the answer grain ranks exactly like one local index.</summary>
public sealed class ShardGrainTests(CorpusClusterFixture fixture) : IClassFixture<CorpusClusterFixture>
{
    IAnswerGrain Answers => fixture.Client.GetGrain<IAnswerGrain>(0);

    [Fact]
    public async Task Cluster_search_over_three_shards_equals_the_local_one_shard_index_ids_order_and_scores()
    {
        var queries = RetrievalQuestionReader.Read(CorpusClusterFixture.Questions).Select(q => q.QueryWithOptions).Take(12).ToList();
        queries.Add("entropy of an ideal gas");
        foreach (var query in queries)
        {
            var local = fixture.Local.Search(query, 10);
            var cluster = await Answers.SearchAsync(query, 10);

            Assert.Empty(cluster.FailedShards);
            Assert.NotEmpty(local);
            Assert.Equal(local.Select(h => (h.ChunkId, h.Source, h.Page, h.Start, h.Score, h.Text)),
                         cluster.Hits.Select(h => (h.ChunkId, h.Source, h.Page, h.Start, h.Score, h.Text)));
        }
    }

    int Refreshes => fixture.Cluster.Silos.Sum(s => fixture.Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<ShardStatsCache>().Refreshes);

    [Fact]
    public async Task Statistics_are_cached_per_corpus_version_so_a_repeated_query_is_one_round_trip_per_shard()
    {
        const string query = "entropy of an ideal gas and the photoelectric effect";
        var local = fixture.Local.Search(query, 10).Select(h => (h.ChunkId, h.Score)).ToList();
        async Task SearchAsync(int times)
        {
            for (var i = 0; i < times; i++)
                Assert.Equal(local, (await Answers.SearchAsync(query, 10)).Hits.Select(h => (h.ChunkId, h.Score)));
        }
        // The client spreads calls over both silos' gateways, and each silo has its own cache: after a few searches both are warm.
        await SearchAsync(6);
        var warm = Refreshes;
        await SearchAsync(6);
        Assert.Equal(warm, Refreshes);   // no statistics phase: the search alone, one call per shard

        // An ingest changes a shard's version: a search notices, gathers the statistics again, and still ranks exactly as one index.
        await fixture.Client.GetGrain<IShardGrain>(0).ReplaceSourceAsync("nothing.pdf", []);
        await SearchAsync(6);
        var refreshed = Refreshes;
        Assert.InRange(refreshed, warm + 1, warm + fixture.Cluster.Silos.Count);
        await SearchAsync(6);
        Assert.Equal(refreshed, Refreshes);
    }

    [Fact]
    public async Task Every_chunk_is_stored_once_in_the_shard_its_id_routes_to()
    {
        var stats = await ClusterIngest.StatsAsync(fixture.Client);

        Assert.Equal(CorpusClusterFixture.Shards, stats.Count);
        Assert.Equal(fixture.Local.Count, fixture.Ingest.Chunks);
        Assert.Equal(fixture.Local.Count, stats.Sum(s => s.Chunks));
        Assert.All(stats, s => Assert.True(s.Chunks > 0, $"shard {s.Shard} is empty"));
        Assert.Equal(fixture.Local.AllChunks().Select(c => c.Source).Distinct().Order(), stats.SelectMany(s => s.Sources).Distinct().Order());
        var corpus = fixture.Client.GetGrain<ICorpusGrain>(ICorpusGrain.Key);
        Assert.Equal(new CorpusOptions { Shards = CorpusClusterFixture.Shards }, await corpus.EnsureSettingsAsync(null));
        var change = await Assert.ThrowsAsync<ArgumentException>(() => corpus.EnsureSettingsAsync(new CorpusOptions { Shards = 5 }));
        Assert.StartsWith("The cluster corpus was built with shards=3, chunk_size=1000, chunk_overlap=200, lemmatize=True, k1=1.2, b=0.75, " +
                          "but shards=5, chunk_size=1000, chunk_overlap=200, lemmatize=True, k1=1.2, b=0.75 was asked for. HINT:", change.Message);
    }

    [Fact]
    public async Task Ingesting_a_file_again_replaces_its_chunks_without_duplicates()
    {
        using var dir = new TempDir();
        var collection = Path.GetFileName(dir.Path);
        var extra = dir["extra.pdf"];
        var before = (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks);
        try
        {
            PdfFixtures.WriteTextPdf(extra, ["Quarks bind into hadrons by the strong force."], ["Gluons carry the colour charge between quarks."]);
            var first = await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir.Path);
            var refused = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterIngest.IngestDirectoryAsync(fixture.Client, dir.Path));
            Assert.Equal($"Source '{collection}/extra.pdf' is already in the cluster corpus; nothing was ingested. " +
                "Re-ingest with --replace to replace it, or give another --collection.", refused.Message);
            var encoder = new StoredVectorsTests.CountingEncoder("counting-v1");
            var again = await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir.Path, encoder: encoder, replace: true);
            Assert.Equal((1, 2, 2), (again.Files, again.Pages, again.Chunks));
            Assert.Equal(before + 2, (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks));
            // With an encoder, each chunk reaches its shard with its vector, and the vector comes back with the hit.
            Assert.Equal(2, encoder.Texts);
            var embedded = (await Answers.SearchAsync("quark gluon colour charge hadron", 10)).Hits.Where(h => h.Source == $"{collection}/extra.pdf").ToList();
            Assert.Equal(2, embedded.Count);
            Assert.All(embedded, h => Assert.Equal(("counting-v1", 3), (h.Encoder, h.Vector!.Length)));

            PdfFixtures.WriteTextPdf(extra, ["Quarks bind into hadrons by the strong force."]);
            await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir.Path, replace: true);
            Assert.Equal(before + 1, (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks));
            var hits = (await Answers.SearchAsync("quark gluon colour charge hadron", 10)).Hits.Where(h => h.Source == $"{collection}/extra.pdf").ToList();
            Assert.Equal([$"{collection}/extra.pdf#0#0"], hits.Select(h => h.ChunkId));
            Assert.Equal(2, first.Chunks);
        }
        finally
        {
            // Leave the corpus as the other tests expect it: remove the extra source from every shard.
            await Task.WhenAll(Enumerable.Range(0, CorpusClusterFixture.Shards)
                .Select(s => fixture.Client.GetGrain<IShardGrain>(s).ReplaceSourceAsync($"{collection}/extra.pdf", [])));
        }
        Assert.Equal(before, (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks));
    }

    [Fact]
    public async Task Two_folders_with_the_same_file_name_keep_both_sources()
    {
        using var dir = new TempDir();
        PdfFixtures.WriteTextPdf(dir["physics/notes.pdf"], ["Muons decay into electrons and neutrinos."]);
        PdfFixtures.WriteTextPdf(dir["chemistry/notes.pdf"], ["Catalysts lower the activation energy of reactions."]);
        var before = (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks);
        try
        {
            await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir["physics"]);
            await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir["chemistry"]);
            var named = await ClusterIngest.IngestDirectoryAsync(fixture.Client, dir["chemistry"], collection: "chem-2");

            var sources = (await ClusterIngest.StatsAsync(fixture.Client)).SelectMany(s => s.Sources).ToHashSet();
            Assert.Superset(new HashSet<string> { "physics/notes.pdf", "chemistry/notes.pdf", "chem-2/notes.pdf" }, sources);
            Assert.Equal(before + 3, (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks));
            Assert.Equal(1, named.Chunks);
        }
        finally
        {
            foreach (var source in new[] { "physics/notes.pdf", "chemistry/notes.pdf", "chem-2/notes.pdf" })
                await Task.WhenAll(Enumerable.Range(0, CorpusClusterFixture.Shards)
                    .Select(s => fixture.Client.GetGrain<IShardGrain>(s).ReplaceSourceAsync(source, [])));
        }
        Assert.Equal(before, (await ClusterIngest.StatsAsync(fixture.Client)).Sum(s => s.Chunks));
    }
}
