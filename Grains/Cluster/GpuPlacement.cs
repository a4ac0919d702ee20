using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Pastanoodles.Cluster;

/// <summary>Places a grain only on silos whose metadata role is <c>gpu</c>; with none in the cluster, activation fails.</summary>
/// <remarks>Orleans' built-in metadata filters compare candidates with the calling silo, and <c>SiloRoleBasedPlacement</c> takes the
/// role from the entry assembly, so neither fits (specs/orleans.md §4). The filter narrows the candidates; the default placement picks among them.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuOnlyAttribute() : PlacementFilterAttribute(new GpuOnlyFilterStrategy());

/// <summary>The strategy behind <see cref="GpuOnlyAttribute"/>.</summary>
public sealed class GpuOnlyFilterStrategy(int order) : PlacementFilterStrategy(order)
{
    public GpuOnlyFilterStrategy() : this(0) { }
}

/// <summary>Keeps the silos whose metadata says role <c>gpu</c>.</summary>
public sealed class GpuOnlyFilterDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
        silos.Where(silo => metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloRoles.MetadataKey) == SiloRoles.Gpu);
}
