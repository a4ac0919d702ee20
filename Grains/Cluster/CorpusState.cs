namespace Pastanoodles.Cluster;

/// <summary>What the <see cref="CorpusGrain"/> keeps durable.</summary>
[GenerateSerializer, Alias("pastanoodles.CorpusState")]
public sealed class CorpusState
{
    /// <summary>0 until the first ingest.</summary>
    [Id(0)] public int Shards { get; set; }
}
