using System.Diagnostics;
using System.Text.Json;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>The real silo executable: its defaults, its state on disk across a killed process, and its dashboard in a browser.</summary>
public sealed class SiloProcessTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_killed_silo_process_restarts_with_every_experiment_as_it_was()
    {
        using var duration = new TestDuration(output);
        string before;
        await using (var silo = await SiloProcess.StartAsync(_data.Path))
        {
            await using var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None);
            var silos = await connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();
            Assert.Equal([(SiloRoles.Gpu, "Active")], silos.Select(s => (s.Role, s.Status)));

            var grain = connection.Client.GetGrain<IExperimentGrain>("process-restart");
            await grain.SubmitAsync(new ExperimentSpec("process-restart", ExperimentKinds.Dpo, """{"beta": 0.1, "synthetic_rows": 16, "max_length": 64}"""));
            await grain.CancelAsync();   // final whatever trainer the silo has, so the snapshot cannot move
            before = JsonSerializer.Serialize(await grain.GetStatusAsync());
        }   // SIGKILL

        await using var restarted = await SiloProcess.StartAsync(_data.Path);
        await using var again = await ClusterConnection.ConnectAsync(new ClusterAddress(restarted.GatewayPort), CancellationToken.None);
        var after = JsonSerializer.Serialize(await again.Client.GetGrain<IExperimentGrain>("process-restart").GetStatusAsync());

        Assert.Equal(before, after);
        Assert.True(JsonSerializer.Deserialize<ExperimentStatus>(after)!.State.IsFinal(), after);
        Assert.Equal(["process-restart"], await again.Client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ListAsync());
        Assert.True(File.Exists(Path.Combine(_data.Path, "state", "experiment", "experiment", "process-restart.json")));
    }

    [Fact]
    public async Task The_dashboard_renders_in_a_browser_and_lists_the_projects_grain_types()
    {
        using var duration = new TestDuration(output);
        await using var silo = await SiloProcess.StartAsync(_data.Path);
        await using (var connection = await ClusterConnection.ConnectAsync(new ClusterAddress(silo.GatewayPort), CancellationToken.None))
        {
            var grain = connection.Client.GetGrain<IExperimentGrain>("dashboard-probe");
            await grain.SubmitAsync(new ExperimentSpec("dashboard-probe", ExperimentKinds.Dpo, """{"synthetic_rows": 16, "max_length": 64}"""));
            await grain.CancelAsync();
        }

        var dom = await DumpDomAsync($"{silo.DashboardUrl}/#/grains");

        Assert.Contains("Orleans Dashboard", dom);
        Assert.Contains("ExperimentGrain", dom);
        Assert.Contains("ExperimentCatalogGrain", dom);
    }

    /// <summary>The page's DOM after its scripts ran, from headless Chromium (Debian's <c>chromium</c> package).</summary>
    static async Task<string> DumpDomAsync(string url)
    {
        var chromium = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':')
            .SelectMany(folder => new[] { Path.Combine(folder, "chromium"), Path.Combine(folder, "chromium-browser") }).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("Headless Chromium is not installed. ---> HINT: run the tests with ./test.sh, which installs Debian's chromium.");
        var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=6000", "--dump-dom", url })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var dom = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().Within("headless chromium renders the dashboard", stall: TimeSpan.FromSeconds(120));
        return await dom;
    }
}
