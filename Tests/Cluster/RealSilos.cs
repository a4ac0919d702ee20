using Orleans.TestingHost;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;

namespace Pastanoodles.Tests.Cluster;

/// <summary>An in-process cluster wired exactly like the real silo (real trainer, file state under one data folder).</summary>
public static class RealSilos
{
    /// <summary>Starts <paramref name="silos"/> silos; Silo_0 is <c>cpu</c> unless <paramref name="allCpu"/>, the rest <c>gpu</c>.</summary>
    public static async Task<InProcessTestCluster> StartAsync(string dataDirectory, short silos = 2, bool allCpu = false,
        Action<ExperimentOptions>? experiments = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((options, silo) =>
        {
            var role = allCpu || options.SiloName == "Silo_0" ? SiloRoles.Cpu : SiloRoles.Gpu;
            silo.AddPastanoodles(new ResolvedSilo(role, dataDirectory, dataDirectory, ["cpu"], CudaAvailable: false),
                experiments ?? (e => e.ReportInterval = TimeSpan.FromMilliseconds(100)));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task StopAsync(this InProcessTestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
