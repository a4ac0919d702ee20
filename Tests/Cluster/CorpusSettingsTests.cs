using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>The cluster corpus keeps its settings in the corpus grain and hands them to shards and answers: a corpus ingested with
/// other chunking and no lemmas ranks exactly like a local index built with the same settings, and mixing settings is refused.</summary>
public sealed class CorpusSettingsTests : IDisposable
{
    readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_corpus_ingested_with_other_settings_is_searched_with_them_and_refuses_others()
    {
        var settings = new CorpusOptions { Shards = 2, ChunkSize = 300, ChunkOverlap = 60, Lemmatize = false };
        var cluster = await RealSilos.StartAsync(_data.Path).Within("start a cluster");
        try
        {
            // The answer grain activates before any ingest: it must not fix the defaults.
            Assert.Empty((await cluster.Client.GetGrain<IAnswerGrain>(0).SearchAsync("hash table", 3)).Hits);
            var report = await ClusterIngest.IngestDirectoryAsync(cluster.Client, CorpusClusterFixture.Corpus, settings).Within("ingest with 300/60, no lemmas");
            using var local = CorpusEngine.Open(_data["local"], settings);
            local.IngestDirectory(CorpusClusterFixture.Corpus, fitLsa: false, collection: CorpusClusterFixture.Collection);

            Assert.Equal(local.Count, report.Chunks);
            Assert.True(report.Chunks > 24, $"{report.Chunks} chunks: 300-character chunks should cut the 12 pages finer than the default");
            Assert.Equal(settings, await cluster.Client.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync());
            foreach (var query in new[] { "What do the collided keys do in a hash table bucket?", "electrons emitted by photons hitting metals" })
            {
                var hits = (await cluster.Client.GetGrain<IAnswerGrain>(0).SearchAsync(query, 5)).Hits;
                Assert.Equal(local.Search(query, 5).Select(h => (h.ChunkId, h.Score)), hits.Select(h => (h.ChunkId, h.Score)));
            }

            var again = await ClusterIngest.IngestDirectoryAsync(cluster.Client, CorpusClusterFixture.Corpus, replace: true).Within("ingest again with the stored settings");
            Assert.Equal(report.Chunks, again.Chunks);
            var mixed = await Assert.ThrowsAsync<ArgumentException>(() =>
                ClusterIngest.IngestDirectoryAsync(cluster.Client, CorpusClusterFixture.Corpus, settings with { ChunkSize = 1000 }));
            Assert.Contains("was built with shards=2, chunk_size=300, chunk_overlap=60, lemmatize=False", mixed.Message);
            Assert.Contains("but shards=2, chunk_size=1000,", mixed.Message);
        }
        finally
        {
            await cluster.StopAsync();
        }
    }
}
