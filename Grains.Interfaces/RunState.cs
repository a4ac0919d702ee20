namespace Pastanoodles.Cluster;

/// <summary>Where a run is in its life. The last three are final: nothing moves a run out of them.</summary>
[GenerateSerializer, Alias("pastanoodles.RunState")]
public enum RunState
{
    /// <summary>Submitted, waiting for a trainer or for a free GPU on the trainer's silo.</summary>
    Queued = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Cancelled = 4,
}

/// <summary>Helpers on <see cref="RunState"/>.</summary>
public static class RunStates
{
    public static bool IsFinal(this RunState state) => state is RunState.Completed or RunState.Failed or RunState.Cancelled;
}
