namespace Pastanoodles.Cluster;

/// <summary>What a <see cref="ShardGrain"/> keeps durable: its chunks, and a version that names them for the index cache.</summary>
/// <remarks>The version is <c>{Epoch}:{Revision}</c>: the epoch is drawn when the state is first written, so a cache left over from
/// an older, wiped state never passes for current.</remarks>
[GenerateSerializer, Alias("pastanoodles.ShardState")]
public sealed class ShardState
{
    [Id(0)] public List<CorpusChunk> Chunks { get; set; } = [];
    [Id(1)] public string Epoch { get; set; } = "";
    [Id(2)] public long Revision { get; set; }

    public string Version => $"{Epoch}:{Revision}";
}
