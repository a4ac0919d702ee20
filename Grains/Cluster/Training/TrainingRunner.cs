using Pastanoodles.Training;
using static TorchSharp.torch;

namespace Pastanoodles.Cluster;

/// <summary>The real <see cref="IExperimentRunner"/>: DPO or MCQA training with <see cref="Trainer"/>, reporting to the trainer grain.</summary>
/// <remarks>
/// The config arrives as a <see cref="TrainingConfig"/>'s JSON, parsed and checked by the experiment grain at submit; its paths are
/// absolute (the console resolved them) and confined to the silo's input roots, and its <c>output_dir</c> is replaced by the run
/// folder the trainer grain chose. Plots are drawn into <c>plots/</c> of the run folder when the run ends.
/// </remarks>
public sealed class TrainingRunner : IExperimentRunner
{
    public Task<RunOutcome> RunAsync(RunRequest request, IRunProgress progress, CancellationToken cancellationToken)
    {
        var config = TrainingConfig.Parse(request.Spec.ConfigJson, $"experiment '{request.Spec.RunId}'") with { OutputDir = request.RunDirectory };
        var checkpoints = new List<CheckpointInfo>();
        var reporter = new Reporter(progress, checkpoints);
        var result = Trainer.Train(config, reporter, ct: cancellationToken, resumeFrom: request.ResumeFrom?.Path, device: new Device(request.Device));
        TrainingPlots.Write(MetricsLog.ReadAll(result.MetricsFile), Path.Combine(request.RunDirectory, "plots"), config.Task);
        var all = result.Checkpoints.Select(path => checkpoints.FirstOrDefault(c => c.Path == path) ?? new CheckpointInfo(StepOf(path), path, DateTimeOffset.UtcNow)).ToList();
        return Task.FromResult(new RunOutcome(result.BestCheckpoint, result.BestTestAccuracy, result.BestCheckpoint ?? result.FinalAdapter, all));
    }

    static int StepOf(string checkpoint) => int.TryParse(Path.GetFileName(checkpoint)["checkpoint-".Length..], out var step) ? step : 0;

    sealed class Reporter(IRunProgress progress, List<CheckpointInfo> checkpoints) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Record is { } record)
            {
                if (record.Split == Splits.Train)
                    progress.ReportStep((int)record.Step, (int)value.TotalSteps);
                progress.ReportMetrics(new MetricPoint((int)record.Step, record.Split, record.Values, DateTimeOffset.UtcNow));
            }
            if (value.Checkpoint is { } path)
            {
                var info = new CheckpointInfo((int)value.Step, path, DateTimeOffset.UtcNow);
                checkpoints.Add(info);
                progress.ReportCheckpoint(info);
            }
        }
    }
}
