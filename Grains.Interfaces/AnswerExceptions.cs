namespace Pastanoodles.Cluster;

/// <summary>An answer asked for a run's adapter before the run completed.</summary>
[GenerateSerializer, Alias("pastanoodles.ExperimentNotCompletedException")]
public sealed class ExperimentNotCompletedException(string runId, string state)
    : Exception($"Experiment '{runId}' is {state}; only a completed run has a final adapter to answer with. " +
                $"HINT: wait for it with `pastanoodles experiment status {runId}`, or leave out --experiment to answer with the base model.")
{
    [Id(0)] public string RunId { get; } = runId;
    [Id(1)] public string State { get; } = state;
}
