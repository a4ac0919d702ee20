using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public class ExperimentTests(ClusterFixture fixture)
{
    IClusterClient Client => fixture.Client;

    [Fact]
    public async Task A_submitted_experiment_runs_to_completion_with_metrics_checkpoints_and_best()
    {
        var runId = Experiments.NewRunId("complete");

        var submitted = await Client.SubmitAsync(runId, new CountingConfig(Steps: 10, CheckpointEvery: 4));
        var done = await Client.WaitForStateAsync(runId, RunState.Completed, "run of 10 steps completes");

        Assert.Equal(RunState.Queued, submitted.State);
        Assert.Equal((10, 10, 1, (string?)null), (done.Step, done.TotalSteps, done.Attempts, done.Error));
        Assert.Equal([4, 8, 10], done.Checkpoints.Select(c => c.Step));
        Assert.Equal(done.Checkpoints[^1].Path, done.BestCheckpoint);
        Assert.True(Directory.Exists(done.BestCheckpoint), $"best checkpoint {done.BestCheckpoint} is not on disk");
        Assert.Equal(0.75, done.TestAccuracy);
        Assert.Contains(done.Silo, fixture.Cluster.SilosWithRole(SiloRoles.Gpu));
        Assert.Equal([Splits.Train, Splits.Test], done.LatestMetrics.Select(m => m.Split));
        var metrics = await Client.GetGrain<IExperimentGrain>(runId).GetMetricsAsync(0);
        Assert.Equal(Enumerable.Range(1, 10), metrics.Where(m => m.Split == Splits.Train).Select(m => m.Step));
        Assert.Single(metrics, m => m.Split == Splits.Test);
        Assert.Contains(runId, await Client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ListAsync());
    }

    [Fact]
    public async Task Runs_on_one_gpu_silo_never_overlap_and_all_complete()
    {
        var runIds = Enumerable.Range(0, 4).Select(_ => Experiments.NewRunId("queue")).ToList();

        await Task.WhenAll(runIds.Select(id => Client.SubmitAsync(id, new CountingConfig(Steps: 6, StepMs: 25, CheckpointEvery: 3))));
        foreach (var id in runIds)
            await Client.WaitForStateAsync(id, RunState.Completed, "every queued run completes");

        var attempts = runIds.SelectMany(fixture.Journal.AttemptsOf).ToList();
        Assert.Equal(4, attempts.Count);
        foreach (var silo in attempts.GroupBy(a => a.Silo))
        {
            var ordered = silo.OrderBy(a => a.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
                Assert.True(ordered[i].Start >= ordered[i - 1].End,
                    $"on {silo.Key}, run {ordered[i].RunId} started at {ordered[i].Start:O} before {ordered[i - 1].RunId} ended at {ordered[i - 1].End:O}");
        }
        Assert.Contains(attempts.GroupBy(a => a.Silo), g => g.Count() >= 2);   // 4 runs on 2 gpu silos: some silo queued
        Assert.All(attempts, a => Assert.NotEqual("Silo_0", a.Silo));
    }

    [Fact]
    public async Task Cancel_stops_a_running_run_and_it_stays_cancelled()
    {
        var runId = Experiments.NewRunId("cancel");
        await Client.SubmitAsync(runId, new CountingConfig(Steps: 50, HoldAtStep: 3));
        await fixture.Journal.WaitForHoldAsync(runId).Within($"runner of {runId} reaches its hold at step 3");

        var cancelled = await Client.GetGrain<IExperimentGrain>(runId).CancelAsync();
        await fixture.Journal.WaitForEndAsync(runId).Within($"runner of {runId} stops after cancel",
            () => string.Join("; ", fixture.Journal.AttemptsOf(runId)));

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(("cancelled", 2), (fixture.Journal.AttemptsOf(runId).Single().Result, fixture.Journal.AttemptsOf(runId).Single().Count));
        Assert.Equal(RunState.Cancelled, (await Client.StatusAsync(runId)).State);
        Assert.Equal(RunState.Cancelled, (await Client.GetGrain<IExperimentGrain>(runId).CancelAsync()).State);
    }

    [Fact]
    public async Task A_failing_run_is_failed_with_the_engines_message()
    {
        var runId = Experiments.NewRunId("fail");

        await Client.SubmitAsync(runId, new CountingConfig(Steps: 10, FailAtStep: 4));
        var failed = await Client.WaitForStateAsync(runId, RunState.Failed, "run told to fail at step 4 fails");

        Assert.Equal("InvalidDataException: counting runner told to fail at step 4", failed.Error);
        Assert.Equal(3, failed.Step);
    }

    [Fact]
    public async Task A_bad_config_is_refused_at_submit_naming_the_key_and_nothing_is_stored()
    {
        var runId = Experiments.NewRunId("badconfig");
        var grain = Client.GetGrain<IExperimentGrain>(runId);

        var unknownKey = await Assert.ThrowsAsync<InvalidDataException>(() => grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, """{"stepz": 3}""")));
        var otherTask = await Assert.ThrowsAsync<ArgumentException>(() => grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Mcqa, new CountingConfig().ToJson())));

        Assert.StartsWith($"experiment '{runId}': The JSON property 'stepz' could not be mapped", unknownKey.Message);
        Assert.StartsWith("Kind is 'mcqa' but the config's task is 'dpo'. They must be equal.", otherTask.Message);
        Assert.Null(await grain.GetStatusAsync());
    }

    [Fact]
    public async Task Submit_is_idempotent_for_the_same_spec_and_rejects_a_different_one()
    {
        var runId = Experiments.NewRunId("idem");
        var grain = Client.GetGrain<IExperimentGrain>(runId);
        var spec = new ExperimentSpec(runId, ExperimentKinds.Dpo, new CountingConfig(Steps: 2).ToJson());

        await grain.SubmitAsync(spec);
        await grain.SubmitAsync(spec);
        var conflict = await Assert.ThrowsAsync<ExperimentConflictException>(() => grain.SubmitAsync(spec with { ConfigJson = new CountingConfig(Steps: 3).ToJson() }));
        var badKind = await Assert.ThrowsAsync<ArgumentException>(() =>
            Client.GetGrain<IExperimentGrain>(runId + "x").SubmitAsync(new ExperimentSpec(runId + "x", "ppo", "{}")));
        var unknown = await Assert.ThrowsAsync<ExperimentNotFoundException>(() => Client.GetGrain<IExperimentGrain>("never-submitted").CancelAsync());

        Assert.Contains($"Run id '{runId}' is already taken", conflict.Message);
        Assert.StartsWith("Kind is 'ppo'. It must be one of: dpo, mcqa.", badKind.Message);
        Assert.Equal("never-submitted", unknown.RunId);
        await Client.WaitForStateAsync(runId, RunState.Completed, "idempotent run completes once");
        Assert.Single(fixture.Journal.AttemptsOf(runId));
    }

    [Fact]
    public async Task A_save_holds_at_most_a_page_of_metrics_however_many_steps_the_run_has()
    {
        // The test cluster seals pages of 3 points: 31 points (30 steps and the test score) leave 1 in the state, and so do 301.
        var (shorter, longer) = (Experiments.NewRunId("pages-a"), Experiments.NewRunId("pages-b"));
        await Client.SubmitAsync(shorter, new CountingConfig(Steps: 30, StepMs: 0, CheckpointEvery: 1000));
        await Client.SubmitAsync(longer, new CountingConfig(Steps: 300, StepMs: 0, CheckpointEvery: 1000));
        await Client.WaitForStateAsync(shorter, RunState.Completed, "run of 30 steps completes");
        var done = await Client.WaitForStateAsync(longer, RunState.Completed, "run of 300 steps completes");

        var (small, large) = (StateBytes(shorter), StateBytes(longer));
        Assert.True(large - small < 100, $"the state of a 300-step run is {large} bytes, of a 30-step run {small}: saves grow with the history");
        var history = await Client.GetGrain<IExperimentGrain>(longer).GetMetricsAsync(0);
        Assert.Equal(Enumerable.Range(1, 300), history.Where(m => m.Split == Splits.Train).Select(m => m.Step));
        Assert.Equal((300, Splits.Test), (history[^1].Step, history[^1].Split));
        var tail = await Client.GetGrain<IExperimentGrain>(longer).GetMetricsAsync(295);
        Assert.Equal(history.Skip(295).Select(m => (m.Step, m.Split, m.Time)), tail.Select(m => (m.Step, m.Split, m.Time)));
        Assert.Equal([(300, Splits.Train), (300, Splits.Test)], done.LatestMetrics.Select(m => (m.Step, m.Split)));
    }

    /// <summary>Bytes of the experiment's own state file (its pages are states of their own, beside it).</summary>
    long StateBytes(string runId) =>
        new FileInfo(Directory.GetFiles(Path.Combine(fixture.Cluster.DataDirectory, "state", "experiment"), runId + ".json", SearchOption.AllDirectories).Single()).Length;
}
