using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>The cluster's training queue over real silo processes and Redis: 6 runs on 1 gpu silo, then a second gpu silo joins and
/// takes the queued runs at once; every run trains once, first submitted first served on each silo, and never two on one device
/// (from the runs' recorded attempt timelines).</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class TrainingQueueTests(ITestOutputHelper output)
{
    [Fact]
    public Task Queued_runs_move_to_a_gpu_silo_that_joins_and_never_share_a_device() =>
        RedisCluster.RunAsync([SiloRoles.Gpu], output, async cluster =>
        {
            await using var connection = await cluster.ConnectAsync();
            var client = connection.Client;
            var runIds = Enumerable.Range(1, 6).Select(i => $"queued-{i}").ToList();
            foreach (var runId in runIds)
                await client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, TrainingWorkerTests.Config()));
            Task<ExperimentStatus[]> StatusesAsync() => Task.WhenAll(runIds.Select(async id => (await client.GetGrain<IExperimentGrain>(id).GetStatusAsync())!));
            string Describe(ExperimentStatus[] all) => string.Join("; ", all.Select(RedisCluster.Progress));

            // The first silo trains queued-1; its worker is stopped, so its one device stays busy until the second silo has taken work.
            var first = cluster.Silos[0];
            var started = await Phase.Until("queued-1 trains on the first gpu silo", StatusesAsync, all => all[0].Step >= 1 || all[0].State.IsFinal(),
                "queued-1 at step 1", RedisCluster.TrainingStall, describe: Describe);
            var worker = Assert.Single(ProcessTable.ChildrenOf(first.ProcessId));
            ProcessTable.Signal(worker, "STOP");
            Assert.Equal(runIds[1..], await client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key).GetWaitingAsync());
            Assert.All(started[1..], s => Assert.Equal((RunState.Queued, 0), (s.State, s.Attempts)));

            var second = await cluster.AddSiloAsync(SiloRoles.Gpu);
            var up = DateTimeOffset.UtcNow;
            var moved = await Phase.Until("queued-2 moves to the second gpu silo", StatusesAsync, all => all[1].Timeline is [_, ..],
                "queued-2 holding a device", RedisCluster.TrainingStall, describe: Describe);
            ProcessTable.Signal(worker, "CONT");
            var done = await Phase.Until("every run completes", StatusesAsync, all => all.All(s => s.State.IsFinal()), "6 final runs",
                RedisCluster.TrainingStall, describe: Describe);

            foreach (var s in done)
                output.WriteLine($"{s.RunId}: waited {(s.Timeline![0].Start - s.SubmittedAt).TotalSeconds:0.0} s in the queue, trained on " +
                    $"{(cluster.SiloAt(s.Silo!) == first ? "the first" : "the second")} silo from {s.Timeline[0].Start:HH:mm:ss.fff} to {s.Timeline[0].End:HH:mm:ss.fff}");
            output.WriteLine($"the second silo was up {(up - started[0].SubmittedAt).TotalSeconds:0.0} s after the first submit and took queued-2 " +
                $"{(moved[1].Timeline![0].Start - up).TotalSeconds:0.0} s after it was up");

            Assert.All(done, s => Assert.True(s is { State: RunState.Completed, Attempts: 1, Timeline.Count: 1 }, RedisCluster.Progress(s)));
            Assert.Equal(second, cluster.SiloAt(done[1].Silo!));   // the head of the queue went to the silo that joined, at once:
            Assert.True(done[1].Timeline![0].Start < done[0].Timeline![0].End, "queued-2 started only after queued-1 freed the first silo");
            AssertFirstInFirstOutAndOneRunPerDevice(done);
            Assert.Equal(2, done.Select(s => s.Silo).Distinct().Count());
            Assert.Empty(await client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key).GetWaitingAsync());
        }, TrainingWorkerTests.OneThread, ["--Silo:WorkerHeartbeatTimeout=00:30:00"]);

    /// <summary>Every silo takes the queue's head, so on each device runs start in submit order (run ids sort as submitted), and a device
    /// trains one run at a time, from the runs' recorded attempt timelines.</summary>
    internal static void AssertFirstInFirstOutAndOneRunPerDevice(IEnumerable<ExperimentStatus> runs)
    {
        var spans = runs.SelectMany(s => s.Timeline!.Select(t => (s.RunId, Span: t))).ToList();
        foreach (var device in spans.GroupBy(x => (x.Span.Silo, x.Span.Device)))
        {
            var onDevice = device.OrderBy(x => x.Span.Start).ToList();
            Assert.Equal(onDevice.Select(x => x.RunId).Order(StringComparer.Ordinal), onDevice.Select(x => x.RunId));
            foreach (var (before, after) in onDevice.Zip(onDevice.Skip(1)))
                Assert.True(before.Span.End <= after.Span.Start,
                    $"{before.RunId} ({before.Span.Start:HH:mm:ss.fff}-{before.Span.End:HH:mm:ss.fff}) and {after.RunId} (from {after.Span.Start:HH:mm:ss.fff}) overlap on {device.Key}");
        }
    }
}

/// <summary>How long runs wait in the cluster's queue with 1 and with 2 gpu silos: the same 6 tiny runs submitted at once, every run
/// trained once, first in first out, one per device. Prints each run's wait (README "Many experiments, one cluster" quotes them).
/// Not under the Redis trait: the queue is the subject here, not the store, so .ci/run does not repeat it over redis-server.</summary>
[Collection(RedisProcessCollection.Name)]
public sealed class QueueWaitTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public Task Six_runs_submitted_at_once_wait_their_turn_on_each_gpu_silo(int gpuSilos) =>
        RedisCluster.RunAsync(Enumerable.Repeat(SiloRoles.Gpu, gpuSilos), output, async cluster =>
        {
            await using var connection = await cluster.ConnectAsync();
            var runIds = Enumerable.Range(1, 6).Select(i => $"wait-{i}").ToList();
            foreach (var runId in runIds)
                await connection.Client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, TrainingWorkerTests.Config()));

            var done = await Phase.Until("every run completes", () => Task.WhenAll(runIds.Select(async id => (await connection.Client.GetGrain<IExperimentGrain>(id).GetStatusAsync())!)),
                all => all.All(s => s.State.IsFinal()), "6 final runs", RedisCluster.TrainingStall, describe: all => string.Join("; ", all.Select(RedisCluster.Progress)));

            Assert.All(done, s => Assert.True(s is { State: RunState.Completed, Attempts: 1, Timeline.Count: 1 }, RedisCluster.Progress(s)));
            TrainingQueueTests.AssertFirstInFirstOutAndOneRunPerDevice(done);
            Assert.Equal(gpuSilos, done.Select(s => s.Silo).Distinct().Count());   // every silo took work
            var waits = done.Select(s => (s.Timeline![0].Start - s.SubmittedAt).TotalSeconds).ToList();
            var makespan = (done.Max(s => s.Timeline![0].End)!.Value - done.Min(s => s.SubmittedAt)).TotalSeconds;
            output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{gpuSilos} gpu silo(s): queue waits {string.Join(", ", waits.Select(w => $"{w:0.0}"))} s (mean {waits.Average():0.0} s); " +
                $"all 6 done {makespan:0.0} s after the first submit; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        }, TrainingWorkerTests.OneThread);
}
