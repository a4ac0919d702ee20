using Pastanoodles.Retrieval;

namespace Pastanoodles.Cluster;

/// <summary>What the <see cref="CorpusGrain"/> keeps durable.</summary>
[GenerateSerializer, Alias("pastanoodles.CorpusState")]
public sealed class CorpusState
{
    /// <summary>Before the settings were stored, only the shard count was; a state with it reads as the defaults with that count.</summary>
    [Id(0)] public int Shards { get; set; }

    [Id(1)] public CorpusOptions? StoredSettings { get; set; }

    /// <summary>The settings; null until the first ingest.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public CorpusOptions? Settings
    {
        get => StoredSettings ?? (Shards > 0 ? new CorpusOptions { Shards = Shards } : null);
        set => (StoredSettings, Shards) = (value, value?.Shards ?? 0);
    }
}
