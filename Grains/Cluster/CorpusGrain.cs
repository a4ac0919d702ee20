namespace Pastanoodles.Cluster;

/// <summary>Remembers the cluster corpus' shard count, which routes every chunk (<see cref="Retrieval.Index.ShardRouter"/>).</summary>
public sealed class CorpusGrain([PersistentState("corpus", "store")] IPersistentState<CorpusState> state) : Grain, ICorpusGrain
{
    public ValueTask<int> GetShardsAsync() => ValueTask.FromResult(state.State.Shards);

    public async Task<int> EnsureShardsAsync(int? shards)
    {
        if (shards is < 1)
            throw new ArgumentException($"shards is set to {shards}. shards must be 1 or more.", nameof(shards));
        if (state.State.Shards == 0)
        {
            state.State.Shards = shards ?? ICorpusGrain.DefaultShards;
            await state.WriteStateAsync();
        }
        else if (shards is { } asked && asked != state.State.Shards)
            throw new ArgumentException(
                $"The cluster corpus has {state.State.Shards} shards, but {asked} were asked for. Chunks are routed by the shard count, so it cannot change. " +
                $"HINT: leave out --shards, or use a new silo data folder for a corpus with {asked} shards.", nameof(shards));
        return state.State.Shards;
    }
}
