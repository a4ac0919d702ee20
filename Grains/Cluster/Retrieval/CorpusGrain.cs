using Pastanoodles.Retrieval;

namespace Pastanoodles.Cluster;

/// <summary>Keeps the cluster corpus' settings (<see cref="CorpusOptions"/>), which route every chunk (<see cref="Retrieval.Index.ShardRouter"/>)
/// and decide how shards index and answers query; refuses to mix settings, as a local index's <c>corpus.json</c> does.</summary>
public sealed class CorpusGrain([PersistentState("corpus", "store")] IPersistentState<CorpusState> state) : Grain, ICorpusGrain
{
    public ValueTask<CorpusOptions?> GetSettingsAsync() => ValueTask.FromResult(state.State.Settings);

    public async Task<CorpusOptions> EnsureSettingsAsync(CorpusOptions? asked)
    {
        var settings = CorpusOptions.Settle(state.State.Settings, asked, ICorpusGrain.Defaults, "The cluster corpus",
            "leave out the options that differ, or use a new silo data folder (a new cluster) for a corpus with other settings.");
        if (state.State.Settings is null)
        {
            state.State.Settings = settings;
            await state.WriteStateAsync();
        }
        return settings;
    }
}
