using Pastanoodles.Retrieval;
using Orleans.TestingHost;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>A silo holding shards is killed: its shards re-activate on the survivors from their durable state, with every chunk.</summary>
public sealed class ShardFailoverTests : IAsyncLifetime
{
    const int Shards = 8;   // at random placement over 3 silos, all 8 land on the primary once in 6561 runs
    readonly TempDir _data = new();
    InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RealSilos.StartAsync(_data.Path, silos: 3, allCpu: true);

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Shards_of_a_killed_silo_reactivate_elsewhere_with_every_chunk_and_the_same_results()
    {
        var client = _cluster.Client;
        await ClusterIngest.IngestDirectoryAsync(client, CorpusClusterFixture.Corpus, new CorpusOptions { Shards = Shards }).Within("ingest the sample corpus");
        var before = await ClusterIngest.StatsAsync(client);
        const string query = "How does a hash table resolve collisions between keys?";
        var hitsBefore = await client.GetGrain<IAnswerGrain>(0).SearchAsync(query, 10);

        var primary = _cluster.Silos.Single(s => s.Name == "Silo_0").SiloAddress.ToString();
        var victimAddress = before.Where(s => s.Silo != primary).GroupBy(s => s.Silo).OrderByDescending(g => g.Count()).First().Key;
        var victim = _cluster.Silos.Single(s => s.SiloAddress.ToString() == victimAddress);
        var moved = before.Where(s => s.Silo == victimAddress).Select(s => s.Shard).ToList();
        await _cluster.KillSiloAsync(victim).Within($"kill {victim.Name}, which holds shards {string.Join(", ", moved)}");

        var after = await ClusterIngest.StatsAsync(client).Within("shard stats after the kill");
        var hitsAfter = await client.GetGrain<IAnswerGrain>(0).SearchAsync(query, 10).Within("search after the kill");

        Assert.Equal(before.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))), after.Select(s => (s.Shard, s.Chunks, string.Join("|", s.Sources))));
        Assert.All(after.Where(s => moved.Contains(s.Shard)), s =>
        {
            Assert.NotEqual(victimAddress, s.Silo);
            Assert.True(s.Rebuilt, $"shard {s.Shard} on its new silo should have rebuilt its index from state");
        });
        Assert.Empty(hitsAfter.FailedShards);
        Assert.NotEmpty(hitsBefore.Hits);
        Assert.Equal(hitsBefore.Hits.Select(h => (h.ChunkId, h.Score)), hitsAfter.Hits.Select(h => (h.ChunkId, h.Score)));
    }
}
