using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

public class FileGrainStorageTests : IDisposable
{
    readonly TempDir _dir = new();
    static readonly GrainId Grain = GrainId.Create("experiment", "run-1");

    public void Dispose() => _dir.Dispose();

    FileGrainStorage NewStorage() => new("store", new FileGrainStorageOptions { Directory = _dir.Path }, NullLogger<FileGrainStorage>.Instance);

    static ExperimentState Sample() => new()
    {
        Spec = new ExperimentSpec("run-1", ExperimentKinds.Dpo, """{"beta": 0.1}"""),
        State = RunState.Running,
        Step = 7,
        Metrics = [new MetricPoint(7, Splits.Train, new Dictionary<string, double> { ["loss"] = double.NaN, ["rewards/margins"] = 0.5 }, DateTimeOffset.UnixEpoch)],
        Checkpoints = [new CheckpointInfo(5, "/runs/run-1/checkpoint-5", DateTimeOffset.UnixEpoch)],
    };

    [Fact]
    public async Task A_new_storage_reads_back_what_another_wrote()
    {
        var written = new TestGrainState<ExperimentState> { State = Sample() };
        await NewStorage().WriteStateAsync("experiment", Grain, written);

        var read = new TestGrainState<ExperimentState>();
        await NewStorage().ReadStateAsync("experiment", Grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal((Sample().Spec, RunState.Running, 7), (read.State.Spec, read.State.State, read.State.Step));
        Assert.True(double.IsNaN(read.State.Metrics[0].Values["loss"]));
        Assert.Equal(0.5, read.State.Metrics[0].Values["rewards/margins"]);
        Assert.Equal(Sample().Checkpoints, read.State.Checkpoints);
        Assert.Equal(["run-1.json", "run-1.json.lock"], Directory.GetFiles(_dir["experiment/experiment"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_leaves_the_file_alone()
    {
        var storage = NewStorage();
        var first = new TestGrainState<ExperimentState> { State = Sample() };
        await storage.WriteStateAsync("experiment", Grain, first);
        var stale = new TestGrainState<ExperimentState> { State = new ExperimentState { Step = 99 }, ETag = "stale", RecordExists = true };
        var fileBefore = File.ReadAllText(storage.PathOf("experiment", Grain));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("experiment", Grain, stale));

        Assert.Contains($"has ETag '{first.ETag}', the grain read 'stale'", error.Message);
        Assert.Equal(fileBefore, File.ReadAllText(storage.PathOf("experiment", Grain)));
    }

    [Fact]
    public async Task A_missing_record_reads_as_absent_and_clear_removes_it()
    {
        var storage = NewStorage();
        var absent = new TestGrainState<ExperimentState>();
        await storage.ReadStateAsync("experiment", Grain, absent);
        var state = new TestGrainState<ExperimentState> { State = Sample() };
        await storage.WriteStateAsync("experiment", Grain, state);

        await storage.ClearStateAsync("experiment", Grain, state);

        Assert.Equal((false, (string?)null, 0), (absent.RecordExists, absent.ETag, absent.State.Step));
        Assert.Equal((false, (string?)null), (state.RecordExists, state.ETag));
        Assert.False(File.Exists(storage.PathOf("experiment", Grain)));
    }

    [Theory]
    [InlineData("../../escape", "%2E%2E%2F%2E%2E%2Fescape")]
    [InlineData("a/b\\c", "a%2Fb%5Cc")]
    [InlineData("run-1_x", "run-1_x")]
    public void Keys_cannot_leave_their_folder(string key, string expected)
    {
        var path = NewStorage().PathOf("experiment", GrainId.Create("experiment", key));

        Assert.Equal(Path.Combine(_dir.Path, "experiment", "experiment", expected + ".json"), path);
    }

    [Fact]
    public async Task Concurrent_writers_with_the_same_etag_let_exactly_one_through()
    {
        var storage = NewStorage();
        var initial = new TestGrainState<ExperimentState> { State = Sample() };
        await storage.WriteStateAsync("experiment", Grain, initial);

        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(() => NewStorage().WriteStateAsync("experiment", Grain,
            new TestGrainState<ExperimentState> { State = new ExperimentState { Step = i }, ETag = initial.ETag, RecordExists = true }))).ToList();
        var results = await Task.WhenAll(writers.Select(async w => { try { await w; return "ok"; } catch (InconsistentStateException) { return "refused"; } }));

        Assert.Equal(1, results.Count(r => r == "ok"));
        Assert.Empty(Directory.GetFiles(_dir["experiment/experiment"], "*.tmp"));
    }

    sealed class TestGrainState<T> : IGrainState<T> where T : new()
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = new();
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }
}
