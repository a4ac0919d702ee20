namespace Pastanoodles.Cluster;

/// <summary>The roles a silo can have, published as silo metadata under <see cref="MetadataKey"/>.</summary>
public static class SiloRoles
{
    /// <summary>The silo metadata key that holds the role.</summary>
    public const string MetadataKey = "role";

    /// <summary>Hosts trainers (on CUDA when the machine has it, on the CPU otherwise) as well as every other grain.</summary>
    public const string Gpu = "gpu";

    /// <summary>Hosts every grain except trainers.</summary>
    public const string Cpu = "cpu";

    public static IReadOnlyList<string> All { get; } = [Gpu, Cpu];
}
