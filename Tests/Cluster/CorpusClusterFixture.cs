using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Tests.Answering;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>A cpu + gpu in-process cluster wired like the real silo (real trainer, file state), with the sample corpus ingested
/// through the cluster into <see cref="Shards"/> shards, and the same corpus in a local one-shard <see cref="CorpusEngine"/> to compare with.</summary>
public sealed class CorpusClusterFixture : IAsyncLifetime
{
    public const int Shards = 3;

    readonly TempDir _data = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    public CorpusEngine Local { get; private set; } = null!;
    public IngestReport Ingest { get; private set; } = null!;
    public static string Corpus => Path.Combine(SampleCorpusFixture.Samples, "corpus");
    /// <summary>The collection a cluster ingest of <see cref="Corpus"/> puts its sources in: the folder's name.</summary>
    public const string Collection = "corpus";
    public static string Questions => Path.Combine(SampleCorpusFixture.Samples, "questions.jsonl");

    public async Task InitializeAsync()
    {
        Cluster = await RealSilos.StartAsync(_data.Path);
        Ingest = await ClusterIngest.IngestDirectoryAsync(Client, Corpus, new CorpusOptions { Shards = Shards });
        Local = CorpusEngine.Open(_data["local-index"], new CorpusOptions { Shards = 1 });
        Local.IngestDirectory(Corpus, fitLsa: false, collection: Collection);   // named as the cluster names them
    }

    /// <summary>The <see cref="SiloModels"/> of every live silo, by silo address.</summary>
    public IReadOnlyDictionary<string, SiloModels> Models =>
        Cluster.Silos.ToDictionary(s => s.SiloAddress.ToString(), s => Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<SiloModels>());

    public async Task DisposeAsync()
    {
        Local.Dispose();
        await Cluster.StopAsync();
        _data.Dispose();
    }
}
