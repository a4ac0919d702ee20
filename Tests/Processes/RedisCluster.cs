using Xunit.Abstractions;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Processes;

/// <summary>A cluster of real silo processes over a throwaway Redis, on loopback: each silo has its own data folder, all share one
/// artifacts folder (as they would share a network volume), and silos can be added and SIGKILLed while it runs.</summary>
public sealed class RedisCluster : IAsyncDisposable
{
    readonly TempDir _root = new();
    readonly List<SiloProcess> _silos = [];
    readonly IReadOnlyList<string> _extraArguments;
    readonly IReadOnlyDictionary<string, string>? _environment;

    RedisCluster(RedisServer redis, IReadOnlyList<string> extraArguments, IReadOnlyDictionary<string, string>? environment) =>
        (Redis, _extraArguments, _environment) = (redis, extraArguments, environment);

    public RedisServer Redis { get; }

    /// <summary>The artifacts folder every silo shares (runs/ under it).</summary>
    public string ArtifactsDirectory => _root["artifacts"];

    public IReadOnlyList<SiloProcess> Silos
    {
        get { lock (_silos) return [.. _silos]; }
    }

    /// <summary>How long a training run may go without a new step, checkpoint or state before a test fails. A step of the tests'
    /// tiny runs takes well under a second on an idle core; an evaluation with its checkpoint shows no step, and at a load average
    /// of 60-90 on 2 cores (Tests/Processes/under-load.sh beside other work) the one at step 10 took over 120 s.</summary>
    public static readonly TimeSpan TrainingStall = TimeSpan.FromSeconds(300);

    /// <summary>Starts a cluster, runs <paramref name="body"/> on it, writes how long that took (the figure to read under load), and
    /// on failure writes every process's log to the test output.</summary>
    public static async Task RunAsync(IEnumerable<string> roles, ITestOutputHelper output, Func<RedisCluster, Task> body,
        IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? extraArguments = null)
    {
        using var duration = new TestDuration(output);
        await using var cluster = await StartAsync(roles, extraArguments, environment);
        output.WriteLine($"cluster of {cluster.Silos.Count} silos over {cluster.Redis.Kind} started in {duration.Elapsed.TotalSeconds:0.0} s");
        try
        {
            await body(cluster);
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    /// <summary>Starts Redis, then the first silo (it creates the membership table), then the others at once.</summary>

    public static async Task<RedisCluster> StartAsync(IEnumerable<string> roles, IEnumerable<string>? extraArguments = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new RedisCluster(await RedisServer.StartAsync(), [.. extraArguments ?? []], environment);
        try
        {
            var all = roles.ToList();
            await cluster.AddSiloAsync(all[0]);
            await Task.WhenAll(all.Skip(1).Select(cluster.AddSiloAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo with <paramref name="role"/> and waits until it runs.</summary>
    public async Task<SiloProcess> AddSiloAsync(string role)
    {
        var data = _root[$"silo-{Guid.NewGuid():N}"[..13]];
        var silo = await SiloProcess.StartAsync(data,
        [
            "--cluster", Redis.Url, "--role", role, "--artifacts", ArtifactsDirectory,
            "--Silo:DashboardUrl=", .. _extraArguments,
        ], _environment);
        lock (_silos) _silos.Add(silo);
        return silo;
    }

    /// <summary>The silo process behind a silo address as grains report it (<c>S127.0.0.1:port:generation</c>).</summary>
    public SiloProcess SiloAt(string siloAddress) =>
        Silos.SingleOrDefault(s => siloAddress.Contains($"127.0.0.1:{s.SiloPort}:", StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"No silo process of this cluster has address {siloAddress}; ports: {string.Join(", ", Silos.Select(s => s.SiloPort))}.");

    /// <summary>The default cluster and service ids, as the console uses them: every cluster has a Redis of its own.</summary>
    public ClusterAddress Address(TimeSpan? responseTimeout = null) => new(Cluster: Redis.Url, ResponseTimeout: responseTimeout);

    /// <summary>A client that finds the gateways in Redis.</summary>
    public Task<ClusterConnection> ConnectAsync(TimeSpan? responseTimeout = null) =>
        ClusterConnection.ConnectAsync(Address(responseTimeout), CancellationToken.None).Within("client connects through Redis");

    /// <summary>Waits until the membership table marks <paramref name="siloAddress"/> Dead. Each new suspicion of it, and each status
    /// change, is progress: under load the probes and votes come slower, but they come.</summary>
    public static Task WaitUntilDeadAsync(IGrainFactory client, string siloAddress) =>
        Phase.Until($"the killed silo {siloAddress} is declared dead", () => client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false),
            hosts => hosts.Any(h => h.SiloAddress.ToString() == siloAddress && h.Status == SiloStatus.Dead), $"{siloAddress} Dead",
            describe: hosts => string.Join(", ", hosts.Select(h => $"{h.SiloAddress} {h.Status} suspected {h.SuspectTimes?.Count ?? 0}×")));

    /// <summary>A run's progress as the tests watch it: its state, step, checkpoints, attempt and silo.</summary>
    public static string Progress(ExperimentStatus? status) => status is null ? "no status" :
        $"{status.RunId} {status.State} step {status.Step}/{status.TotalSteps}, {status.Checkpoints.Count} checkpoints, attempt {status.Attempts} on {status.Silo} {status.Error}";

    /// <summary>Every silo's log, for a failure message.</summary>
    public string Logs() => string.Join("\n", Silos.Select(s => $"----- silo :{s.SiloPort} -----\n{s.Log}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
            await silo.DisposeAsync();
        await Redis.DisposeAsync();
        _root.Dispose();
    }
}
