namespace Pastanoodles.Cluster;

/// <summary>The durable list of every run id, so runs can be listed and unfinished ones resumed after a restart.</summary>
/// <remarks>One instance, key <see cref="Key"/>. Experiments add themselves on submit and mark themselves finished.</remarks>
[Alias("pastanoodles.IExperimentCatalogGrain")]
public interface IExperimentCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>The one catalog's key.</summary>
    const long Key = 0;

    [Alias("Add")]
    Task AddAsync(string runId);

    [Alias("MarkFinished")]
    Task MarkFinishedAsync(string runId);

    /// <summary>Every run id, in submit order.</summary>
    [Alias("List")]
    ValueTask<IReadOnlyList<string>> ListAsync();

    /// <summary>Run ids not yet final, in submit order.</summary>
    [Alias("ListUnfinished")]
    ValueTask<IReadOnlyList<string>> ListUnfinishedAsync();
}
