namespace Pastanoodles.Cluster;

/// <summary>What a finished training run leaves behind.</summary>
/// <param name="BestCheckpoint">The checkpoint with the best test score (<see cref="ExperimentKinds.AccuracyKey"/>: DPO <c>rewards/accuracies</c>, MCQA letter <c>accuracy</c>), or null if none was written.</param>
/// <param name="TestAccuracy">The best checkpoint's <see cref="ExperimentKinds.AccuracyKey"/> on the test split, or null if there is no test split.</param>
/// <param name="FinalAdapter">The adapter folder (PEFT layout) to answer with: the best checkpoint's adapter.</param>
/// <param name="Checkpoints">Every checkpoint written, oldest first.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.RunOutcome")]
public sealed record RunOutcome(
    [property: Id(0)] string? BestCheckpoint,
    [property: Id(1)] double? TestAccuracy,
    [property: Id(2)] string? FinalAdapter,
    [property: Id(3)] IReadOnlyList<CheckpointInfo> Checkpoints);
