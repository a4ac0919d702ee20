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

/// <summary>A silo refused an answer because <c>Answer:MaxWaitingAnswers</c> answers already wait for its forward threads: a caller
/// gets this at once instead of a time-out after its turn never came (what a model server's "overloaded" reply is).</summary>
[GenerateSerializer, Alias("pastanoodles.SiloBusyException")]
public sealed class SiloBusyException(string silo, int waiting)
    : Exception($"Silo {silo} is busy: {waiting} answers are waiting for its forward threads (Answer:MaxWaitingAnswers). " +
                "HINT: ask again in a moment, add a silo, or raise Answer:MaxWaitingAnswers.")
{
    [Id(0)] public string Silo { get; } = silo;
    [Id(1)] public int Waiting { get; } = waiting;
}
