namespace Pastanoodles.Cluster;

/// <summary>What a finished training run leaves behind.</summary>
/// <param name="BestCheckpoint">The checkpoint with the best eval score (DPO: <c>rewards/accuracies</c>; MCQA: letter accuracy), or null if none was written.</param>
/// <param name="TestRewardAccuracy">The best checkpoint's score on the test split (DPO: <c>rewards/accuracies</c>; MCQA: letter accuracy), or null if there is no test split.</param>
/// <param name="FinalAdapter">The adapter folder (PEFT layout) to answer with: the best checkpoint's adapter.</param>
/// <param name="Checkpoints">Every checkpoint written, oldest first.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.RunOutcome")]
public sealed record RunOutcome(
    [property: Id(0)] string? BestCheckpoint,
    [property: Id(1)] double? TestRewardAccuracy,
    [property: Id(2)] string? FinalAdapter,
    [property: Id(3)] IReadOnlyList<CheckpointInfo> Checkpoints);
