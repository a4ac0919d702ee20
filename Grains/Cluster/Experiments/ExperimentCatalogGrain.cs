namespace Pastanoodles.Cluster;

/// <summary>The durable list of run ids, and which of them are unfinished.</summary>
public sealed class ExperimentCatalogGrain(
    [PersistentState("catalog", "store")] IPersistentState<ExperimentCatalogState> state) : Grain, IExperimentCatalogGrain
{
    public async Task AddAsync(string runId)
    {
        if (state.State.RunIds.Contains(runId))
            return;
        state.State.RunIds.Add(runId);
        await state.WriteStateAsync();
    }

    public async Task MarkFinishedAsync(string runId)
    {
        if (state.State.Finished.Add(runId))
            await state.WriteStateAsync();
    }

    public ValueTask<IReadOnlyList<string>> ListAsync() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.RunIds]);

    public ValueTask<IReadOnlyList<string>> ListUnfinishedAsync() =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.RunIds.Where(id => !state.State.Finished.Contains(id))]);
}

/// <summary>The catalog's durable state: run ids in submit order, and the finished ones.</summary>
[GenerateSerializer, Alias("pastanoodles.ExperimentCatalogState")]
public sealed class ExperimentCatalogState
{
    [Id(0)] public List<string> RunIds { get; set; } = [];
    [Id(1)] public HashSet<string> Finished { get; set; } = [];
}
