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
}
