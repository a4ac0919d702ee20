using Pastanoodles.Retrieval;
using Orleans.TestingHost;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>A whole cluster stopped and started again on the same data folder: every shard's chunks come back from grain state.</summary>
public sealed class ShardRestartTests : IDisposable
{
    readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    Task<InProcessTestCluster> StartAsync() => RealSilos.StartAsync(_data.Path);

    [Fact]
    public async Task A_restarted_cluster_serves_every_chunk_and_the_same_results_even_without_its_index_cache()
    {
        const string query = "What happens to an electron when light above the threshold frequency hits a metal?";
        var first = await StartAsync().Within("start the first cluster");
        await ClusterIngest.IngestDirectoryAsync(first.Client, CorpusClusterFixture.Corpus, new CorpusOptions { Shards = 3 }).Within("ingest the sample corpus");
        var before = await ClusterIngest.StatsAsync(first.Client);
        var hitsBefore = await first.Client.GetGrain<IAnswerGrain>(0).SearchAsync(query, 10);
        await first.StopAsync();

        // Remove every on-disk Lucene index: only the durable grain state is left.
        var indexes = Directory.GetDirectories(_data.Path, "shard-*", SearchOption.AllDirectories);
        Assert.Equal(3, indexes.Length);
        foreach (var index in indexes)
            Directory.Delete(index, recursive: true);

        var second = await StartAsync().Within("start the cluster again on the same data folder");
        try
        {
            var after = await ClusterIngest.StatsAsync(second.Client).Within("shard stats after the restart");
            var hitsAfter = await second.Client.GetGrain<IAnswerGrain>(0).SearchAsync(query, 10).Within("search after the restart");

            Assert.Equal(24, before.Sum(s => s.Chunks));
            Assert.Equal(before.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))), after.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))));
            Assert.NotEmpty(hitsBefore.Hits);
            Assert.Equal(hitsBefore.Hits.Select(h => (h.ChunkId, h.Score)), hitsAfter.Hits.Select(h => (h.ChunkId, h.Score)));
        }
        finally
        {
            await second.StopAsync();
        }
    }
}
