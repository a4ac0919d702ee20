namespace Pastanoodles.Cluster;

/// <summary>What a client submits: one training run, its engine and its configuration.</summary>
/// <param name="RunId">The run's id, also the key of its <see cref="IExperimentGrain"/>. Letters, digits, '-', '_' and '.'.</param>
/// <param name="Kind">Which trainer runs it: <see cref="ExperimentKinds.Dpo"/> or <see cref="ExperimentKinds.Mcqa"/>.</param>
/// <param name="ConfigJson">The experiment config file's text, passed to the trainer unchanged; the trainer parses and validates it.</param>
/// <remarks>Checkpoints, adapters and plots always go to the silo's artifacts, <c>runs/{RunId}</c>: a client names no output path.
/// (Id 3 was an output directory; it is not reused.)</remarks>
[GenerateSerializer, Immutable, Alias("pastanoodles.ExperimentSpec")]
public sealed record ExperimentSpec(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Kind,
    [property: Id(2)] string ConfigJson);
