namespace Pastanoodles.Cluster;

/// <summary>A call named a run id that was never submitted.</summary>
[GenerateSerializer, Alias("pastanoodles.ExperimentNotFoundException")]
public sealed class ExperimentNotFoundException(string runId)
    : Exception($"No experiment has run id '{runId}'. List them with `pastanoodles experiment list`.")
{
    [Id(0)] public string RunId { get; } = runId;
}

/// <summary>A submit reused a run id that already names a different experiment.</summary>
[GenerateSerializer, Alias("pastanoodles.ExperimentConflictException")]
public sealed class ExperimentConflictException(string runId)
    : Exception($"Run id '{runId}' is already taken by an experiment with a different kind, config or output directory. Submit under another run id.")
{
    [Id(0)] public string RunId { get; } = runId;
}
