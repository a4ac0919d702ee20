using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>The cluster's training queue in the shared in-process cluster (cpu + 2 gpu silos, one device each): a run waits in it
/// while every device is busy, shows its place, and a cancel takes it out before it ever trains.</summary>
[Collection(ClusterCollection.Name)]
public class TrainingQueueTests(ClusterFixture fixture)
{
    IClusterClient Client => fixture.Client;
    ITrainingQueueGrain Queue => Client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key);

    [Fact]
    public async Task A_run_waits_in_the_queue_while_every_device_is_busy_and_a_cancel_takes_it_out_before_it_trains()
    {
        var busy = Enumerable.Range(0, 2).Select(_ => Experiments.NewRunId("busy")).ToList();
        foreach (var id in busy)
            await Client.SubmitAsync(id, new CountingConfig(Steps: 4, HoldAtStep: 1));
        foreach (var id in busy)
            await fixture.Journal.WaitForHoldAsync(id).Within($"runner of {id} holds a device at step 1");
        var (cancelled, next) = (Experiments.NewRunId("queued-cancel"), Experiments.NewRunId("queued-next"));
        await Client.SubmitAsync(cancelled, new CountingConfig(Steps: 4));
        await Client.SubmitAsync(next, new CountingConfig(Steps: 4));

        Assert.Equal([cancelled, next], await Queue.GetWaitingAsync());   // first submitted, first in line
        var waiting = await Client.StatusAsync(cancelled);
        Assert.Equal((RunState.Queued, 0, "waiting in the cluster's training queue for a free device on any gpu silo"), (waiting.State, waiting.Attempts, waiting.Error));
        var status = await Cli.RunAsync(Client, "experiment", "status", next, "--no-follow");
        Assert.Contains(status.Output.Split('\n'), line => line.StartsWith("queue position", StringComparison.Ordinal) && line.Contains("2 of 2 in the cluster's training queue"));
        var list = await Cli.RunAsync(Client, "experiment", "list");
        Assert.Contains(list.Output.Split('\n'), line => line.Contains(cancelled) && line.Contains("queued #1 of 2"));
        Assert.Equal(RunState.Cancelled, (await Client.GetGrain<IExperimentGrain>(cancelled).CancelAsync()).State);
        Assert.Equal([next], await Queue.GetWaitingAsync());

        foreach (var id in busy)
            fixture.Journal.Release(id);
        var done = await Client.WaitForStateAsync(next, RunState.Completed, "the next queued run completes once a device is free");
        foreach (var id in busy)
            await Client.WaitForStateAsync(id, RunState.Completed, "the released runs complete");

        Assert.Empty(fixture.Journal.AttemptsOf(cancelled));
        Assert.Equal(RunState.Cancelled, (await Client.StatusAsync(cancelled)).State);
        var span = Assert.Single(done.Timeline!);
        Assert.Equal((1, done.Silo, "cpu"), (span.Attempt, span.Silo, span.Device));
        Assert.True(busy.Select(id => fixture.Journal.AttemptsOf(id).Single()).Any(a => a.Silo == fixture.Cluster.NameOf(done.Silo!) && a.End <= span.Start),
            "the next run started before a run on its silo gave the device back");
        Assert.Empty(await Queue.GetWaitingAsync());
    }
}

/// <summary>The queue grain alone, on a cluster with no gpu silo (so no dispatcher takes anything): order, takes, returns.</summary>
public sealed class TrainingQueueGrainTests : IAsyncLifetime
{
    readonly TempDir _data = new();
    Orleans.TestingHost.InProcessTestCluster _cluster = null!;

    ITrainingQueueGrain Queue => _cluster.Client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key);

    public async Task InitializeAsync() => _cluster = await RealSilos.StartAsync(_data.Path, silos: 1, allCpu: true);

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Runs_are_served_by_submit_time_each_to_one_taker_and_a_dead_takers_run_goes_back_to_its_place()
    {
        var t0 = DateTimeOffset.UtcNow;
        Assert.Equal(1, await Queue.EnqueueAsync(new QueuedRun("b", 1, t0.AddSeconds(2))));
        Assert.Equal(1, await Queue.EnqueueAsync(new QueuedRun("a", 1, t0.AddSeconds(1))));
        Assert.Equal(3, await Queue.EnqueueAsync(new QueuedRun("c", 1, t0.AddSeconds(3))));
        Assert.Equal(1, await Queue.EnqueueAsync(new QueuedRun("a", 1, t0.AddSeconds(1))));   // again: unchanged
        Assert.Equal(["a", "b", "c"], await Queue.GetWaitingAsync());

        var silo = _cluster.Silos[0].SiloAddress.ToString();
        var taken = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Queue.TakeAsync(silo)));
        Assert.Equal(["a", "b", "c"], taken.OfType<QueuedRun>().Select(r => r.RunId).Order());   // each run to exactly one taker
        Assert.Equal(5, taken.Count(r => r is null));
        Assert.Equal(0, await Queue.EnqueueAsync(new QueuedRun("b", 1, t0.AddSeconds(2))));   // taken, not confirmed: stays taken
        await Queue.ConfirmAsync("a", 1);
        await Queue.RemoveAsync("c");

        // Taken by a silo that is not in the cluster (it died before it confirmed): back at its place on the next take.
        Assert.Equal(1, await Queue.EnqueueAsync(new QueuedRun("d", 2, t0.AddSeconds(4))));
        Assert.Equal("d", (await Queue.TakeAsync("S127.0.0.1:1:1"))!.RunId);
        Assert.Equal(1, await Queue.EnqueueAsync(new QueuedRun("e", 1, t0.AddSeconds(5))));
        Assert.Equal(new QueuedRun("d", 2, t0.AddSeconds(4)), await Queue.TakeAsync(silo));
        Assert.Equal(["e"], await Queue.GetWaitingAsync());
    }
}
