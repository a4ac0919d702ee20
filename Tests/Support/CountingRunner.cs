using System.Text.Json;
using Pastanoodles.Cluster;

namespace Pastanoodles.Tests.Support;

/// <summary>A test runner, not the trainer: it "trains" by counting steps, sleeping between them, and writes real checkpoints
/// (<c>checkpoint-{step}/count.json</c>, atomically) that a resumed run reads its count back from. The real trainer replaces it in
/// the end-to-end test. Every attempt is written to a shared <see cref="RunJournal"/>, which tests wait on and assert against.</summary>
/// <remarks>Config JSON keys: <c>steps</c> (10), <c>step_ms</c> (10), <c>checkpoint_every</c> (5), <c>fail_at_step</c>,
/// <c>hold_at_step</c> (wait there until <see cref="RunJournal.Release"/>). Unknown keys are errors, as in the real configs.</remarks>
public sealed class CountingRunner(RunJournal journal, string silo) : IExperimentRunner
{
    public async Task<RunOutcome> RunAsync(RunRequest request, IRunProgress progress, CancellationToken cancellationToken)
    {
        var config = CountingConfig.Parse(request.Spec.ConfigJson);
        var runId = request.Spec.RunId;
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

/// <summary>The counting runner's experiment config.</summary>
public sealed record CountingConfig(int Steps = 10, int StepMs = 10, int CheckpointEvery = 5, int? FailAtStep = null, int? HoldAtStep = null)
{
    static readonly string[] Keys = ["steps", "step_ms", "checkpoint_every", "fail_at_step", "hold_at_step"];

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, int?>
    {
        ["steps"] = Steps, ["step_ms"] = StepMs, ["checkpoint_every"] = CheckpointEvery, ["fail_at_step"] = FailAtStep, ["hold_at_step"] = HoldAtStep,
    });

    public static CountingConfig Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        foreach (var property in root.EnumerateObject())
        {
            if (!Keys.Contains(property.Name))
                throw new ArgumentException($"Unknown config key '{property.Name}'. Valid keys: {string.Join(", ", Keys)}.");
        }
        int? Get(string key) => root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
        return new CountingConfig(Get("steps") ?? 10, Get("step_ms") ?? 10, Get("checkpoint_every") ?? 5, Get("fail_at_step"), Get("hold_at_step"));
    }
}
