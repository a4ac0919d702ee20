using System.Collections.Concurrent;
using System.Text.Json;
using Pastanoodles.Training;
using Pastanoodles.Cluster;

namespace Pastanoodles.Tests.Support;

/// <summary>A test runner, not the trainer: it "trains" by counting steps, sleeping between them, and writes real checkpoints
/// (<c>checkpoint-{step}/count.json</c>, atomically) that a resumed run reads its count back from. The real trainer replaces it in
/// the end-to-end test. Every attempt is written to a shared <see cref="RunJournal"/>, which tests wait on and assert against.</summary>
/// <remarks>The config is a real <see cref="TrainingConfig"/>, as the console sends it: it counts to <c>max_steps</c> and checkpoints every
/// <c>save_steps</c>. What a training config has no key for (pacing, a failure, a hold) comes from the <see cref="CountingConfig"/>
/// the test registered under the run id.</remarks>
public sealed class CountingRunner(RunJournal journal, string silo) : IExperimentRunner
{
    public async Task<RunOutcome> RunAsync(RunRequest request, IRunProgress progress, CancellationToken cancellationToken)
    {
        var runId = request.Spec.RunId;
        var config = CountingConfig.Of(runId, TrainingConfig.Parse(request.Spec.ConfigJson, $"experiment '{runId}'"));
        var count = request.ResumeFrom is { } from ? ReadCount(from.Path) : 0;
        var attempt = journal.Begin(runId, silo, request.Device, request.ResumeFrom?.Step, count);
        var checkpoints = new List<CheckpointInfo>();
        try
        {
            progress.ReportStep(count, config.Steps);
            while (count < config.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (count + 1 == config.HoldAtStep)
                    await journal.HoldAsync(runId, count + 1, cancellationToken);
                if (count + 1 == config.FailAtStep)
                    throw new InvalidDataException($"counting runner told to fail at step {config.FailAtStep}");
                Thread.Sleep(config.StepMs);   // the work: this thread is the trainer's own, off the Orleans scheduler
                count++;
                journal.Step(attempt, count);
                progress.ReportStep(count, config.Steps);
                progress.ReportMetrics(new MetricPoint(count, Splits.Train, new Dictionary<string, double> { ["loss"] = 1.0 / count }, DateTimeOffset.UtcNow));
                if (count % config.CheckpointEvery == 0 || count == config.Steps)
                {
                    var checkpoint = WriteCheckpoint(request.RunDirectory, count);
                    checkpoints.Add(checkpoint);
                    progress.ReportCheckpoint(checkpoint);
                }
            }
            progress.ReportMetrics(new MetricPoint(count, Splits.Test, new Dictionary<string, double> { ["rewards/accuracies"] = 0.75 }, DateTimeOffset.UtcNow));
            journal.End(attempt, "completed");
            var best = checkpoints.Count > 0 ? checkpoints[^1].Path : request.ResumeFrom?.Path;
            return new RunOutcome(best, 0.75, best, checkpoints);
        }
        catch (OperationCanceledException)
        {
            journal.End(attempt, "cancelled");
            throw;
        }
        catch (Exception ex)
        {
            journal.End(attempt, "failed: " + ex.Message);
            throw;
        }
    }

    static CheckpointInfo WriteCheckpoint(string runDirectory, int count)
    {
        var final = Path.Combine(runDirectory, $"checkpoint-{count}");
        var temp = final + ".tmp";
        Directory.CreateDirectory(temp);
        File.WriteAllText(Path.Combine(temp, "count.json"), JsonSerializer.Serialize(new { count }));
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        return new CheckpointInfo(count, final, DateTimeOffset.UtcNow);
    }

    static int ReadCount(string checkpoint)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "count.json")));
        return document.RootElement.GetProperty("count").GetInt32();
    }
}

/// <summary>The counting runner's experiment: <see cref="Steps"/> and <see cref="CheckpointEvery"/> travel as a training config's
/// <c>max_steps</c> and <c>save_steps</c>; the rest stays in this process, registered under the run id by <see cref="ToJson"/>.</summary>
/// <param name="StepMs">How long each step sleeps.</param>
/// <param name="FailAtStep">The step that throws, as an engine's bad input would.</param>
/// <param name="HoldAtStep">The step that waits until <see cref="RunJournal.Release"/>.</param>
public sealed record CountingConfig(int Steps = 10, int StepMs = 10, int CheckpointEvery = 5, int? FailAtStep = null, int? HoldAtStep = null)
{
    static readonly ConcurrentDictionary<string, CountingConfig> Registered = new();

    /// <summary>The training config's JSON that a client submits for this run; registers the rest under <paramref name="runId"/> when given.</summary>
    public string ToJson(string? runId = null)
    {
        if (runId is not null)
            Registered[runId] = this;
        return new TrainingConfig { MaxSteps = Steps, SaveSteps = CheckpointEvery, SyntheticRows = 1 }.ToJson();
    }

    /// <summary>What run <paramref name="runId"/> counts: the steps of its <paramref name="config"/>, the rest as registered (else the defaults).</summary>
    public static CountingConfig Of(string runId, TrainingConfig config) =>
        (Registered.GetValueOrDefault(runId) ?? new CountingConfig()) with { Steps = config.MaxSteps, CheckpointEvery = config.SaveSteps };
}
