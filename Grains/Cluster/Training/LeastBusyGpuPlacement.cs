using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Pastanoodles.Cluster;

/// <summary>Places a trainer on the <c>gpu</c> silo that has the fewest trainers (running or queued), ties broken at random,
/// so that a sweep spreads over every gpu silo instead of queueing behind one.</summary>
/// <remarks>Orleans' default (resource-optimized) placement reads CPU and memory samples that lag a burst of submissions, and
/// random placement can put 6 of 8 runs on one silo while another idles; counting trainer activations is exact and cheap,
/// because trainers are placed once per run. On a silo with several devices, trainers beyond its device count queue there.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LeastBusyGpuPlacementAttribute() : PlacementAttribute(LeastBusyGpuPlacementStrategy.Instance);

/// <summary>The strategy behind <see cref="LeastBusyGpuPlacementAttribute"/>.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.LeastBusyGpuPlacementStrategy")]
public sealed class LeastBusyGpuPlacementStrategy : PlacementStrategy
{
    public static LeastBusyGpuPlacementStrategy Instance { get; } = new();
}

/// <summary>Counts each active gpu silo's trainer activations (<see cref="IManagementGrain.GetSimpleGrainStatistics(SiloAddress[])"/>)
/// and picks the least busy; if the count does not come back within 3 s, picks a gpu silo at random.</summary>
public sealed class LeastBusyGpuPlacementDirector(ISiloMetadataCache metadata, IGrainFactory grains, ILogger<LeastBusyGpuPlacementDirector> logger)
    : IPlacementDirector
{
    static readonly string TrainerType = $"{typeof(TrainerGrain).FullName},{typeof(TrainerGrain).Assembly.GetName().Name}";   // as Orleans names it

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var gpus = context.GetCompatibleSilos(target)
            .Where(silo => metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloRoles.MetadataKey) == SiloRoles.Gpu).ToArray();
        if (gpus.Length == 0)
            throw new NoGpuSiloException($"No active silo has role '{SiloRoles.Gpu}', so {target.GrainIdentity} cannot be placed. " +
                "---> HINT: start a silo with --role gpu; the run waits and is handed to it when it joins.");
        if (gpus.Length == 1)
            return gpus[0];
        try
        {
            var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics(gpus).WaitAsync(TimeSpan.FromSeconds(3));
            var trainers = gpus.ToDictionary(silo => silo, silo => statistics.Where(s => s.SiloAddress.Equals(silo) && s.GrainType == TrainerType).Sum(s => s.ActivationCount));
            var fewest = trainers.Values.Min();
            var candidates = trainers.Where(kv => kv.Value == fewest).Select(kv => kv.Key).ToArray();
            return candidates[Random.Shared.Next(candidates.Length)];
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            logger.LogWarning(ex, "Could not count the trainers of the gpu silos; placing {Grain} on a random one", target.GrainIdentity);
            return gpus[Random.Shared.Next(gpus.Length)];
        }
    }
}

/// <summary>No active silo has role <c>gpu</c>, so a trainer cannot be placed; an experiment waits for one to join.</summary>
[GenerateSerializer, Alias("pastanoodles.NoGpuSiloException")]
public sealed class NoGpuSiloException : OrleansException
{
    public NoGpuSiloException(string message) : base(message) { }
}
