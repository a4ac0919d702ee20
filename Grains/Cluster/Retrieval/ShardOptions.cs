namespace Pastanoodles.Cluster;

/// <summary>Where this silo's shard grains keep their Lucene indexes, bound from the <c>Shards</c> section.</summary>
public sealed class ShardOptions
{
    public const string Section = "Shards";

    /// <summary>Folder of the index caches, one sub-folder per silo endpoint and shard; rebuilt from grain state when missing, so
    /// it need not be shared or backed up. Default (unset): <c>shards</c> beside the experiments' artifacts folder (so
    /// <c>{Silo:DataDirectory}/shards</c> with the silo's defaults).</summary>
    public string? IndexDirectory { get; set; }

    /// <summary>The folder to use: <see cref="IndexDirectory"/>, or the default next to <paramref name="artifactsDirectory"/>.</summary>
    public string ResolveIndexDirectory(string artifactsDirectory) =>
        Path.GetFullPath(IndexDirectory ?? Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(artifactsDirectory)))!, "shards"));
}
