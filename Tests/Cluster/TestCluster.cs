using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>An in-process cluster wired like the real silo (<see cref="SiloHostingExtensions.AddPastanoodles"/>), with counting runners.</summary>
/// <remarks>Silo_0 is <c>cpu</c>; the rest are <c>gpu</c> with one training device each. State goes to files under <see cref="DataDirectory"/>,
/// so a second cluster on the same folder sees the first one's grains.</remarks>
public sealed class TestCluster : IAsyncDisposable
{
    TestCluster(InProcessTestCluster cluster, string dataDirectory, RunJournal journal) =>
        (Cluster, DataDirectory, Journal) = (cluster, dataDirectory, journal);

    public InProcessTestCluster Cluster { get; }
    public string DataDirectory { get; }
    public RunJournal Journal { get; }
    public IClusterClient Client => Cluster.Client;

    public static string RoleOf(string siloName) => siloName == "Silo_0" ? SiloRoles.Cpu : SiloRoles.Gpu;

    /// <summary>Silo addresses (as grains report them) by role.</summary>
    public IReadOnlyList<string> SilosWithRole(string role) =>
        [.. Cluster.Silos.Where(s => RoleOf(s.Name) == role).Select(s => s.SiloAddress.ToString())];

    /// <summary>The test name of the silo at <paramref name="address"/>.</summary>
    public string NameOf(string address) => Cluster.Silos.Single(s => s.SiloAddress.ToString() == address).Name;

    /// <param name="configure">Changes a silo's experiment options after the defaults here, by silo name (<c>Silo_0</c>, ...).</param>
    public static async Task<TestCluster> StartAsync(short silos, string dataDirectory, RunJournal journal, Action<string, ExperimentOptions>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((options, silo) =>
        {
            var resolved = new ResolvedSilo(RoleOf(options.SiloName), dataDirectory, dataDirectory, ["cpu"], CudaAvailable: false);
            silo.Services.AddSingleton<IExperimentRunner>(new CountingRunner(journal, options.SiloName));
            silo.AddPastanoodles(resolved, experiments =>
            {
                experiments.ReportInterval = TimeSpan.FromMilliseconds(50);
                experiments.WatchdogPeriod = TimeSpan.FromSeconds(1);
                experiments.QueuePollInterval = TimeSpan.FromMilliseconds(100);
                experiments.AdmissionControl = false;   // the counting runner's configs are not training configs
                experiments.MetricsPageSize = 3;        // every run seals pages, and a resumed one reopens them
                configure?.Invoke(options.SiloName, experiments);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TestCluster(cluster, dataDirectory, journal);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>One 3-silo cluster (cpu, gpu, gpu) shared by the cluster tests.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    readonly TempDir _data = new();

    public TestCluster Cluster { get; private set; } = null!;
    public RunJournal Journal { get; } = new();
    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(3, _data.Path, Journal);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _data.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Waits on experiments through the client, as a user would.</summary>
public static class Experiments
{
    static int _next;

    /// <summary>A run id unique in the test run, readable in failures.</summary>
    public static string NewRunId(string label) => $"{label}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid().ToString("N")[..6]}";

    public static Task<ExperimentStatus> SubmitAsync(this IClusterClient client, string runId, CountingConfig config) =>
        client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJson(runId)));

    public static async Task<ExperimentStatus> StatusAsync(this IClusterClient client, string runId) =>
        await client.GetGrain<IExperimentGrain>(runId).GetStatusAsync() ?? throw new InvalidOperationException($"experiment {runId} not found");

    /// <summary>Waits until the run is in <paramref name="state"/>; the timeout names the phase, the run, and its last status.</summary>
    public static Task<ExperimentStatus> WaitForStateAsync(this IClusterClient client, string runId, RunState state, string phase, TimeSpan? timeout = null) =>
        Phase.Until(phase, () => client.StatusAsync(runId), s => s.State == state, $"experiment {runId} {state}", timeout);
}
