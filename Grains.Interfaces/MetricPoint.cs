namespace Pastanoodles.Cluster;

/// <summary>Metrics logged at one step on one split, keyed by TRL's names (<c>loss</c>, <c>rewards/accuracies</c>, ...).</summary>
/// <param name="Step">The optimizer step the values belong to.</param>
/// <param name="Split"><see cref="Splits.Train"/>, <see cref="Splits.Eval"/> or <see cref="Splits.Test"/>.</param>
/// <param name="Values">Metric name to value.</param>
/// <param name="Time">When the values were measured.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.MetricPoint")]
public sealed record MetricPoint(
    [property: Id(0)] int Step,
    [property: Id(1)] string Split,
    [property: Id(2)] IReadOnlyDictionary<string, double> Values,
    [property: Id(3)] DateTimeOffset Time);


/// <summary>A checkpoint the trainer has finished writing: a run can resume from it.</summary>
/// <param name="Step">The optimizer steps done when it was written.</param>
/// <param name="Path">Its folder (or file), as the trainer's <c>resumeFrom</c> accepts it.</param>
/// <param name="Time">When it was written.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.CheckpointInfo")]
public sealed record CheckpointInfo(
    [property: Id(0)] int Step,
    [property: Id(1)] string Path,
    [property: Id(2)] DateTimeOffset Time);
