using Pastanoodles.Cluster;

namespace Pastanoodles.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public class PlacementTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Trainers_land_only_on_gpu_silos()
    {
        var gpuSilos = fixture.Cluster.SilosWithRole(SiloRoles.Gpu);
        Assert.Equal((2, 1), (gpuSilos.Count, fixture.Cluster.SilosWithRole(SiloRoles.Cpu).Count));

        var placed = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            fixture.Client.GetGrain<ITrainerGrain>($"placement-{i}").GetStatusAsync().AsTask()));

        var offGpu = placed.Where(s => !gpuSilos.Contains(s.Silo)).Select(s => fixture.Cluster.NameOf(s.Silo)).ToList();
        Assert.True(offGpu.Count == 0, $"{offGpu.Count} of 40 trainers were placed on non-gpu silos: {string.Join(", ", offGpu.Distinct())}");
        Assert.All(placed, s => Assert.Equal(TrainerPhase.Idle, s.Phase));
    }

    [Fact]
    public async Task Cluster_info_lists_each_silo_with_its_role_and_trainers()
    {
        await fixture.Client.GetGrain<ITrainerGrain>("info-probe").GetStatusAsync();

        var silos = await fixture.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();

        var active = silos.Where(s => s.Status == "Active").ToList();
        Assert.Equal(fixture.Cluster.Cluster.Silos.Select(s => (s.SiloAddress.ToString(), TestCluster.RoleOf(s.Name))).Order(),
            active.Select(s => (s.Address, s.Role)).Order());
        Assert.All(active, s => Assert.True(s.Activations >= s.Trainers, $"{s.Name} reports {s.Trainers} trainers among {s.Activations} activations"));
        Assert.Equal(0, active.Single(s => s.Role == SiloRoles.Cpu).Trainers);
        Assert.True(active.Sum(s => s.Trainers) >= 1, "no silo reports a trainer activation");
    }
}
