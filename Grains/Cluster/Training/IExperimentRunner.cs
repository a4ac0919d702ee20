namespace Pastanoodles.Cluster;

/// <summary>The training engine a <see cref="TrainerGrain"/> runs: DPO or MCQA fine-tuning, knowing nothing of Orleans.</summary>
/// <remarks>
/// <para>One instance per silo (a DI singleton, registered in <see cref="GrainsServiceCollectionExtensions.AddPastanoodlesGrains"/>);
/// several runs may call it at once when the silo has several training devices, each with its own device.</para>
/// <para>The contract:</para>
/// <list type="number">
/// <item><see cref="RunAsync"/> is called on a dedicated thread, off the Orleans scheduler; it may block that thread for hours.</item>
/// <item>It parses <see cref="ExperimentSpec.ConfigJson"/> for <see cref="ExperimentSpec.Kind"/>; a bad config throws at once
/// (an <see cref="ArgumentException"/> or <see cref="InvalidDataException"/> naming the key, its value and the rule), and the run fails with that message.</item>
/// <item>It trains on <see cref="RunRequest.Device"/> and writes everything under <see cref="RunRequest.RunDirectory"/>.</item>
/// <item>It calls <see cref="IRunProgress.ReportStep"/> after each optimizer step, <see cref="IRunProgress.ReportMetrics"/> at log,
/// eval and test time, and <see cref="IRunProgress.ReportCheckpoint"/> once a checkpoint is completely on disk (write to a temp
/// folder, then rename), because a resume may start from any checkpoint it reported.</item>
/// <item>With <see cref="RunRequest.ResumeFrom"/> set, it restores everything from that checkpoint (adapter and optimizer state, LR schedule,
/// data order and RNG) and continues at step <c>ResumeFrom.Step + 1</c>, so the resumed run ends as the uninterrupted one would.</item>
/// <item>It checks the cancellation token at least once per step and then throws <see cref="OperationCanceledException"/>; cancellation
/// means either a user's cancel or a silo shutting down, and the run may be resumed later from its last checkpoint.</item>
/// <item>Any other exception fails the run; its type and message are what the user sees.</item>
/// <item>On success it returns the <see cref="RunOutcome"/>: best checkpoint, its test reward accuracy, the adapter to answer with, all checkpoints.</item>
/// </list>
/// </remarks>
public interface IExperimentRunner
{
    Task<RunOutcome> RunAsync(RunRequest request, IRunProgress progress, CancellationToken cancellationToken);
}

/// <summary>One attempt at a run, as the trainer hands it to the engine.</summary>
/// <param name="Spec">The run: id, kind, config JSON.</param>
/// <param name="RunDirectory">The folder for checkpoints, adapters, metrics logs and plots; it exists.</param>
/// <param name="ResumeFrom">The last checkpoint the run reported, or null to start at step 0.</param>
/// <param name="Device">The TorchSharp device to train on: <c>cpu</c> or <c>cuda:N</c>.</param>
public sealed record RunRequest(ExperimentSpec Spec, string RunDirectory, CheckpointInfo? ResumeFrom, string Device);

/// <summary>Where an engine reports a run's progress. Every method is thread-safe, cheap and never blocks.</summary>
public interface IRunProgress
{
    /// <summary>After each optimizer step: steps done and steps the run will do in all.</summary>
    void ReportStep(int step, int totalSteps);

    /// <summary>Metrics for one split at one step (TRL's metric names).</summary>
    void ReportMetrics(MetricPoint point);

    /// <summary>A checkpoint now completely on disk; the run may later resume from it.</summary>
    void ReportCheckpoint(CheckpointInfo checkpoint);
}
