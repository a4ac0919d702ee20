using System.Text.Json.Nodes;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>A silo touches only its own folders: inputs out of its roots are refused at submit with nothing stored; each run writes
/// only under <c>runs/RUN_ID</c> of the artifacts.</summary>
[Collection(ClusterCollection.Name)]
public class InputRootsClusterTests(ClusterFixture fixture)
{
    IClusterClient Client => fixture.Client;

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/etc/no-such-file")]
    [InlineData("/etc/shadow")]
    public async Task An_input_out_of_the_roots_is_refused_at_submit_and_nothing_is_stored(string path)
    {
        var runId = Experiments.NewRunId("outside");
        var config = JsonNode.Parse(new CountingConfig(Steps: 1).ToJson())!.AsObject();
        config["train_file"] = path;
        var grain = Client.GetGrain<IExperimentGrain>(runId);

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => grain.SubmitAsync(new ExperimentSpec(runId, ExperimentKinds.Dpo, config.ToJsonString())));

        Assert.Equal($"experiment '{runId}': train_file '{path}' is not under the folders this silo reads (Silo:InputRoots: " +
            $"{fixture.Cluster.DataDirectory}, {fixture.Cluster.DataDirectory}). Put the file in the shared data or artifacts folder and name it there.", refused.Message);
        Assert.Null(await grain.GetStatusAsync());
    }

    [Fact]
    public async Task Two_runs_never_share_a_folder()
    {
        string[] runIds = [Experiments.NewRunId("own-a"), Experiments.NewRunId("own-b")];
        foreach (var runId in runIds)
            await Client.SubmitAsync(runId, new CountingConfig(Steps: 2, CheckpointEvery: 1));

        var runs = Path.Combine(fixture.Cluster.DataDirectory, "runs");
        foreach (var runId in runIds)
        {
            var done = await Client.WaitForStateAsync(runId, RunState.Completed, $"{runId} completes");
            Assert.Equal(2, done.Checkpoints.Count);
            Assert.All(done.Checkpoints, c => Assert.StartsWith(Path.Combine(runs, runId, "attempt-1") + "/", c.Path));
        }
    }
}
