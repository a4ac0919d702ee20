using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>Fenced attempts: the experiment takes reports, checkpoints and ends only from its current attempt.</summary>
[Collection(ClusterCollection.Name)]
public class AttemptFencingTests(ClusterFixture fixture)
{
    IClusterClient Client => fixture.Client;

    /// <summary>A counting run of 20 steps held by its runner at step 3, once step 2 and its checkpoint have been reported.</summary>
    async Task<(string RunId, IExperimentGrain Grain, ExperimentStatus Before)> HeldAtStep3Async(string prefix)
    {
        var runId = Experiments.NewRunId(prefix);
        await Client.SubmitAsync(runId, new CountingConfig(Steps: 20, HoldAtStep: 3, CheckpointEvery: 2));
        await fixture.Journal.WaitForHoldAsync(runId).Within($"runner of {runId} reaches its hold at step 3");
        var grain = Client.GetGrain<IExperimentGrain>(runId);
        var before = await Phase.Until("step 2 reported", () => Client.StatusAsync(runId), s => s.Step == 2 && s.Checkpoints.Count == 1, "step 2, 1 checkpoint");
        return (runId, grain, before);
    }

    [Fact]
    public async Task Reports_checkpoints_and_ends_of_any_attempt_but_the_current_one_are_ignored()
    {
        var (runId, grain, before) = await HeldAtStep3Async("fenced");

        foreach (var stale in new[] { 0, 2 })   // an older attempt (a zombie) and one never issued
        {
            var late = new MetricPoint(10, Splits.Train, new Dictionary<string, double> { ["loss"] = 9 }, DateTimeOffset.UtcNow);
            var checkpoint = new CheckpointInfo(10, Path.Combine(fixture.Cluster.DataDirectory, "zombie", "checkpoint-10"), DateTimeOffset.UtcNow);
            await grain.ReportProgressAsync(new ProgressReport("zombie", RunState.Running, 10, 20, [late], [checkpoint], StartedAtStep: 0, Attempt: stale));
            await grain.ReportEndAsync(new RunEnd(RunState.Completed, new RunOutcome(checkpoint.Path, 1, checkpoint.Path, [checkpoint]), null, "zombie", stale));
        }

        var after = await Client.StatusAsync(runId);
        Assert.Equal((RunState.Running, 2, 1), (after.State, after.Step, after.Attempts));
        Assert.Equal(before.Checkpoints, after.Checkpoints);
        Assert.DoesNotContain(await grain.GetMetricsAsync(0), m => m.Step == 10);
        Assert.Equal(RunState.Cancelled, (await grain.CancelAsync()).State);
    }

    [Fact]
    public async Task A_report_sent_again_after_a_failed_delivery_is_taken_once()
    {
        var (runId, grain, before) = await HeldAtStep3Async("resent");

        // What the current attempt's trainer resends when its first delivery failed after the grain applied it: the same points,
        // the same checkpoint, and (for an attempt's first report) the same start.
        var point = new MetricPoint(3, Splits.Train, new Dictionary<string, double> { ["loss"] = 0.5 }, DateTimeOffset.UtcNow);
        var checkpoint = new CheckpointInfo(3, Path.Combine(Path.GetDirectoryName(before.Checkpoints[0].Path)!, "checkpoint-3"), DateTimeOffset.UtcNow);
        var report = new ProgressReport(before.Silo!, RunState.Running, 3, 20, [point], [checkpoint], Attempt: 1);
        await grain.ReportProgressAsync(report);
        await grain.ReportProgressAsync(report);
        await grain.ReportProgressAsync(report with { Metrics = [], Checkpoints = [], StartedAtStep = 0 });   // attempt 1's start, again

        var after = await Client.StatusAsync(runId);
        Assert.True((3, before.Attempts) == (after.Step, after.Attempts), $"before {before.Attempts} {string.Join(",", before.Timeline!)}; after {after.Attempts} {string.Join(",", after.Timeline!)}");
        Assert.Equal([.. before.Checkpoints, checkpoint], after.Checkpoints);
        Assert.Equal([1, 2, 3], (await grain.GetMetricsAsync(0)).Where(m => m.Split == Splits.Train).Select(m => m.Step));
        Assert.Equal(RunState.Cancelled, (await grain.CancelAsync()).State);
    }

    [Fact]
    public async Task An_outcome_naming_a_folder_outside_the_runs_own_is_never_read_by_an_answer()
    {
        var (runId, grain, before) = await HeldAtStep3Async("outside");
        try
        {
            // The current attempt's token is easy to guess: a client can report an end whose adapter is any folder.
            await grain.ReportEndAsync(new RunEnd(RunState.Completed, new RunOutcome(null, 1, "/etc", []), null, before.Silo!, 1));
            Assert.Equal(RunState.Completed, (await Client.StatusAsync(runId)).State);

            var refused = await Assert.ThrowsAsync<InvalidDataException>(() => Client.GetGrain<IAnswerGrain>(0).AskAsync(
                new AnswerRequest("What is a hash collision?\nA. Two keys in one bucket\nB. A resize", runId, UseRetrieval: false)));

            Assert.StartsWith($"Experiment '{runId}': final adapter '/etc' is not under the folders this silo reads", refused.Message);
        }
        finally
        {
            fixture.Journal.Release(runId);
        }
    }
}
