namespace Pastanoodles.Cluster;

/// <summary>What the cluster looks like from inside: every silo with its role, status and what it hosts. A stateless worker (key 0).</summary>
[Alias("pastanoodles.IClusterInfoGrain")]
public interface IClusterInfoGrain : IGrainWithIntegerKey
{
    /// <summary>Every silo the membership table knows, active ones first.</summary>
    [Alias("GetSilos")]
    Task<IReadOnlyList<SiloInfo>> GetSilosAsync();
}

/// <summary>One silo as the cluster sees it.</summary>
/// <param name="Address">Its silo address (<c>ip:port@generation</c>).</param>
/// <param name="Name">Its configured name.</param>
/// <param name="Host">The machine it runs on.</param>
/// <param name="Role"><c>gpu</c>, <c>cpu</c>, or empty when its metadata is unknown (a dead silo).</param>
/// <param name="Status">Orleans membership status: Active, ShuttingDown, Dead, ...</param>
/// <param name="Activations">Grain activations it hosts, all types together; 0 when it did not answer.</param>
/// <param name="Trainers">Trainer grain activations it hosts.</param>
/// <param name="StartedAt">When it started.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.SiloInfo")]
public sealed record SiloInfo(
    [property: Id(0)] string Address,
    [property: Id(1)] string Name,
    [property: Id(2)] string Host,
    [property: Id(3)] string Role,
    [property: Id(4)] string Status,
    [property: Id(5)] int Activations,
    [property: Id(6)] int Trainers,
    [property: Id(7)] DateTimeOffset StartedAt);
