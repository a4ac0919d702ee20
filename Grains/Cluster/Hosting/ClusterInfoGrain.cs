using Orleans.Concurrency;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Pastanoodles.Cluster;

/// <summary>Joins the membership table, each silo's metadata (role) and activation counts, for <c>pastanoodles cluster</c>.</summary>
[StatelessWorker]
public sealed class ClusterInfoGrain(ISiloMetadataCache metadata) : Grain, IClusterInfoGrain
{
    public async Task<IReadOnlyList<SiloInfo>> GetSilosAsync()
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: false);
        var active = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloAddress).ToArray();
        var statistics = active.Length == 0 ? [] : await management.GetSimpleGrainStatistics(active);
        var trainerType = $"{typeof(TrainerGrain).FullName},{typeof(TrainerGrain).Assembly.GetName().Name}";   // as Orleans names it
        return [.. hosts
            .OrderBy(h => h.Status == SiloStatus.Active ? 0 : 1).ThenBy(h => h.SiloAddress.ToString())
            .Select(h => new SiloInfo(
                h.SiloAddress.ToString(), h.SiloName, h.HostName,
                metadata.GetSiloMetadata(h.SiloAddress).Metadata.GetValueOrDefault(SiloRoles.MetadataKey) ?? "",
                h.Status.ToString(),
                statistics.Where(s => s.SiloAddress.Equals(h.SiloAddress)).Sum(s => s.ActivationCount),
                statistics.Where(s => s.SiloAddress.Equals(h.SiloAddress) && s.GrainType == trainerType).Sum(s => s.ActivationCount),
                h.StartTime))];
    }
}
