using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Pastanoodles.Cluster;

/// <summary>Places a trainer on the silo its key names (<see cref="ITrainerGrain.KeyOf"/>): the gpu silo whose dispatcher took the attempt
/// from the training queue and holds a device for it. Never anywhere else: if that silo is not an active gpu silo, activation fails with
/// <see cref="TrainerSiloGoneException"/>, which tells the experiment its attempt is lost.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TrainerPlacementAttribute() : PlacementAttribute(TrainerPlacementStrategy.Instance);

/// <summary>The strategy behind <see cref="TrainerPlacementAttribute"/>.</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.TrainerPlacementStrategy")]
public sealed class TrainerPlacementStrategy : PlacementStrategy
{
    public static TrainerPlacementStrategy Instance { get; } = new();
}

/// <summary>Finds the key's silo among the compatible (active) silos and checks its role.</summary>
public sealed class TrainerPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (runId, attempt, named) = ITrainerGrain.ParseKey(target.GrainIdentity.Key.ToString()!);
        var silo = context.GetCompatibleSilos(target).FirstOrDefault(s => s.ToString() == named);
        if (silo is null || metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloRoles.MetadataKey) != SiloRoles.Gpu)
            throw new TrainerSiloGoneException($"The trainer of run '{runId}' attempt {attempt} belongs on silo {named}, which is not an active " +
                $"'{SiloRoles.Gpu}' silo (it died, or never was one), so the attempt is lost.");
        return Task.FromResult(silo);
    }
}
