using Pastanoodles.Cluster;

namespace Pastanoodles.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public class PlacementTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_trainer_lands_on_the_gpu_silo_its_key_names_and_nowhere_else()
    {
        var gpuSilos = fixture.Cluster.SilosWithRole(SiloRoles.Gpu);
        var cpuSilo = Assert.Single(fixture.Cluster.SilosWithRole(SiloRoles.Cpu));
        Assert.Equal(2, gpuSilos.Count);

        var placed = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            fixture.Client.GetGrain<ITrainerGrain>(ITrainerGrain.KeyOf($"placement-{i}", 1, gpuSilos[i % 2])).GetStatusAsync().AsTask()));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => gpuSilos[i % 2]), placed.Select(s => s.Silo));
        Assert.All(placed, s => Assert.Equal(TrainerPhase.Idle, s.Phase));
        foreach (var silo in new[] { cpuSilo, "S127.0.0.1:1:1" })   // a cpu silo, and one that is not in the cluster (or died)
        {
            var error = await Assert.ThrowsAsync<TrainerSiloGoneException>(() =>
                fixture.Client.GetGrain<ITrainerGrain>(ITrainerGrain.KeyOf("placement-gone", 1, silo)).GetStatusAsync().AsTask());
            Assert.Contains($"belongs on silo {silo}, which is not an active 'gpu' silo", error.Message);
        }
    }

    [Fact]
    public async Task Cluster_info_lists_each_silo_with_its_role_and_trainers()
    {
        var gpu = fixture.Cluster.SilosWithRole(SiloRoles.Gpu)[0];
        await fixture.Client.GetGrain<ITrainerGrain>(ITrainerGrain.KeyOf("info-probe", 1, gpu)).GetStatusAsync();

        var silos = await fixture.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();

        var active = silos.Where(s => s.Status == "Active").ToList();
        Assert.Equal(fixture.Cluster.Cluster.Silos.Select(s => (s.SiloAddress.ToString(), TestCluster.RoleOf(s.Name))).Order(),
            active.Select(s => (s.Address, s.Role)).Order());
        Assert.All(active, s => Assert.True(s.Activations >= s.Trainers, $"{s.Name} reports {s.Trainers} trainers among {s.Activations} activations"));
        Assert.Equal(0, active.Single(s => s.Role == SiloRoles.Cpu).Trainers);
        Assert.True(active.Sum(s => s.Trainers) >= 1, "no silo reports a trainer activation");
    }
}
