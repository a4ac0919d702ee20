using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Pastanoodles.Tests.Processes;

/// <summary>deploy/ cannot run here (no Docker engine, no Kubernetes, no systemd), so this checks what it can: every file parses, every
/// setting it passes is one <see cref="SiloOptions"/> or <see cref="TelemetryOptions"/> binds and accepts, the optional collector is wired to
/// them, and real silos start over Redis with the compose and Kubernetes gpu silos' settings.</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed partial class DeployFilesTests(ITestOutputHelper output)
{
    static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    [Fact]
    public void Every_yaml_file_parses_and_every_silo_setting_is_a_silo_option_that_validates()
    {
        var yamlFiles = Directory.GetFiles(Deploy, "*.yaml", SearchOption.AllDirectories);
        Assert.True(yamlFiles.Length >= 6, $"expected compose.yaml and the k8s manifests, found {string.Join(", ", yamlFiles)}");
        var settings = new List<(string Where, IReadOnlyDictionary<string, string> Environment)>
        {
            ("compose silo-cpu", ComposeEnvironment("silo-cpu")),
            ("compose silo-gpu", ComposeEnvironment("silo-gpu")),
            ("k8s silo-cpu", KubernetesEnvironment("silo-cpu.yaml")),
            ("k8s silo-gpu", KubernetesEnvironment("silo-gpu.yaml")),
            ("systemd silo.env", EnvFile(Path.Combine(Deploy, "systemd", "silo.env"))),
        };
        foreach (var dockerfile in Directory.GetFiles(Path.Combine(Deploy, "docker"), "silo-*.Dockerfile"))
            settings.Add(($"{Path.GetFileName(dockerfile)} ENV", DockerfileEnvironment(dockerfile)));

        foreach (var (where, environment) in settings)
        {
            var siloKeys = environment.Keys.Where(k => k.StartsWith("Silo__", StringComparison.Ordinal)).ToList();
            Assert.True(siloKeys.Count > 0, $"{where} sets no Silo__ setting");
            foreach (var key in siloKeys)
                Assert.True(typeof(SiloOptions).GetProperty(key["Silo__".Length..].Split("__")[0]) is not null,
                    $"{where} sets {key}, which is no SiloOptions property ({string.Join(", ", typeof(SiloOptions).GetProperties().Select(p => p.Name))})");
            var options = Bind(environment);
            Assert.Empty(new SiloOptionsValidator().Validate(null, options).Failures ?? []);
            foreach (var key in environment.Keys.Where(k => k.StartsWith("Telemetry__", StringComparison.Ordinal)))
                Assert.True(typeof(TelemetryOptions).GetProperty(key["Telemetry__".Length..]) is not null,
                    $"{where} sets {key}, which is no TelemetryOptions property ({string.Join(", ", typeof(TelemetryOptions).GetProperties().Select(p => p.Name))})");
            Assert.Empty(new TelemetryOptionsValidator().Validate(null, BindTelemetry(environment)).Failures ?? []);
            if (where != "silo-cpu.Dockerfile ENV" && where != "silo-gpu.Dockerfile ENV")
                Assert.NotNull(options.Redis);   // every cluster file runs in cluster mode
        }
    }

    [Fact]
    public void The_systemd_unit_parses_and_passes_only_switches_the_silo_knows()
    {
        var sections = new Dictionary<string, Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var (line, number) in File.ReadAllLines(Path.Combine(Deploy, "systemd", "pastanoodles-silo.service")).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (SectionLine().Match(line) is { Success: true } section)
                sections[section.Groups[1].Value] = current = [];
            else if (KeyLine().Match(line) is { Success: true } pair && current is not null)
                current[pair.Groups[1].Value] = pair.Groups[2].Value;
            else
                Assert.Fail($"pastanoodles-silo.service line {number} is neither [Section] nor Key=Value inside a section: '{line}'");
        }

        Assert.Equal(["Install", "Service", "Unit"], sections.Keys.Order());
        var exec = sections["Service"]["ExecStart"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("Pastanoodles.Silo.dll", exec[1]);
        Assert.All(exec.Where(a => a.StartsWith("--")), s => Assert.Contains(s, SiloOptions.SwitchMappings.Keys));
        Assert.Equal("/etc/pastanoodles/silo.env", sections["Service"]["EnvironmentFile"]);
    }

    [Fact]
    public async Task Silos_start_over_a_locked_redis_with_the_compose_and_kubernetes_gpu_silo_settings_and_talk_TLS()
    {
        using var duration = new TestDuration(output);
        await using var redis = await RedisServer.StartAsync(locked: true);
        using var data = new TempDir();
        var certificates = data["certs"];
        Assert.Equal(0, Cli.Run("cluster", "certs", "--out", certificates).ExitCode);
        // What a real host would differ in: the Redis address, the volumes, the mounted secrets and (Kubernetes) the pod IP.
        Dictionary<string, string> Here(IReadOnlyDictionary<string, string> environment, string name)
        {
            var here = new Dictionary<string, string>(environment)
            {
                ["Silo__Cluster"] = redis.Url,
                ["Silo__DataDirectory"] = data[name],
                ["Silo__ArtifactsDirectory"] = data["artifacts"],
                ["Silo__AdvertisedAddress"] = "127.0.0.1",
                ["Silo__TlsCertificate"] = Path.Combine(certificates, "silo.pfx"),
                ["Silo__TlsCertificateAuthority"] = Path.Combine(certificates, "ca.crt"),
            };
            if (here.ContainsKey("Silo__RedisPasswordFile"))
                here["Silo__RedisPasswordFile"] = redis.PasswordFile;   // compose: the secret file
            else
                here["Silo__RedisPassword"] = RedisServer.Password;      // Kubernetes: the Secret, as an environment variable
            return here;
        }
        var composeGpu = Here(ComposeEnvironment("silo-gpu"), "compose");
        var kubernetesGpu = Here(KubernetesEnvironment("silo-gpu.yaml"), "k8s");
        Assert.Contains("Silo__RedisPasswordFile", composeGpu.Keys);
        Assert.DoesNotContain("Silo__RedisPasswordFile", kubernetesGpu.Keys);

        // Only the ports come from the command line (free loopback ports, so the two silos can share this machine).
        await using var first = await SiloProcess.StartAsync(data["compose"], ["--Silo:DashboardUrl="], composeGpu);
        await using var second = await SiloProcess.StartAsync(data["k8s"], ["--Silo:DashboardUrl="], kubernetesGpu);
        var client = new Dictionary<string, string>
        {
            [ClusterAddress.RedisPasswordFileVariable] = redis.PasswordFile,
            [ClusterAddress.TlsCertificateVariable] = Path.Combine(certificates, "client.pfx"),
            [ClusterAddress.TlsAuthorityVariable] = Path.Combine(certificates, "ca.crt"),
        };
        var address = new ClusterAddress(Cluster: redis.Url, RedisPasswordFile: redis.PasswordFile, TlsCertificate: client[ClusterAddress.TlsCertificateVariable],
            TlsAuthority: client[ClusterAddress.TlsAuthorityVariable]);
        await Phase.Until("both silos are listed active", async () =>
            {
                await using var connection = await ClusterConnection.ConnectAsync(address, CancellationToken.None);
                return await connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();
            }, silos => silos.Count(s => s.Status == "Active" && s.Role == "gpu") == 2, "2 active gpu silos", TimeSpan.FromSeconds(90),
            silos => string.Join(", ", silos.Select(s => $"{s.Role} {s.Status}")));
        // The real console, with the compose client's settings: password file and certificates from its environment.
        var listed = await ClientProcess.RunAsync(client, "cluster", "--cluster", redis.Url);
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Equal(2, Regex.Matches(listed.Output, @"gpu\s*│\s*S127\.0\.0\.1:\d+:\d+\s*│\s*Active").Count);
        Assert.Contains($"127.0.0.1:{first.SiloPort}:", listed.Output);
        Assert.Contains($"127.0.0.1:{second.SiloPort}:", listed.Output);
        // Without a certificate, the gateways found in Redis refuse it at the handshake.
        var refused = await ClientProcess.RunAsync(new Dictionary<string, string> { [ClusterAddress.RedisPasswordFileVariable] = redis.PasswordFile }, "cluster", "--cluster", redis.Url);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused the TLS handshake: it requires a client certificate signed by the cluster CA, and this client has none.", refused.Error);
        Assert.Contains("TLS on (client certificates required)", first.Log);
    }

    [Fact]
    public void Every_redis_the_deploy_files_and_README_start_is_locked_and_persistent()
    {
        var compose = File.ReadAllText(Path.Combine(Deploy, "compose.yaml"));
        var kubernetes = File.ReadAllText(Path.Combine(Deploy, "k8s", "redis.yaml"));
        foreach (var (where, text) in new[] { ("compose.yaml", compose), ("k8s/redis.yaml", kubernetes) })
        {
            foreach (var (setting, pattern) in new[] { ("requirepass", @"--requirepass"), ("protected mode", @"--protected-mode[\s"",]+yes"), ("appendonly yes", @"--appendonly[\s"",]+yes") })
                Assert.True(Regex.IsMatch(text, pattern), $"{where} starts Redis without {setting}");
        }
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        foreach (var (where, text) in new[] { ("compose.yaml", compose), ("k8s/redis.yaml", kubernetes), ("README.md", readme) })
            Assert.False(Regex.IsMatch(text, @"protected-mode[\s""',]+no"), $"{where} turns Redis's protected mode off");
        Assert.Matches(@"redis-server[^\n]*--requirepass", readme);
        Assert.Equal("pastanoodles-redis", Regex.Match(kubernetes, @"secretKeyRef: \{ name: ([\w-]+)").Groups[1].Value);
    }

    [Fact]
    public void The_optional_collector_receives_the_silos_otlp_and_runs_only_when_asked_for()
    {
        var compose = (YamlMappingNode)LoadYaml(Path.Combine(Deploy, "compose.yaml")).Single()["services"];
        var collector = (YamlMappingNode)compose["otel-collector"];
        Assert.Equal(["monitoring"], ((YamlSequenceNode)collector["profiles"]).Select(p => ((YamlScalarNode)p).Value));
        Assert.Contains("./otel-collector.yaml:/etc/otelcol/config.yaml:ro", ((YamlSequenceNode)collector["volumes"]).Select(v => ((YamlScalarNode)v).Value));

        // One collector config: the Kubernetes ConfigMap carries the same text as deploy/otel-collector.yaml.
        var text = File.ReadAllText(Path.Combine(Deploy, "otel-collector.yaml"));
        var configMap = LoadYaml(Path.Combine(Deploy, "k8s", "otel-collector.yaml")).Single(d => ((YamlScalarNode)d["kind"]).Value == "ConfigMap");
        Assert.Equal(text, ((YamlScalarNode)((YamlMappingNode)configMap["data"])["config.yaml"]).Value);
        var config = LoadYaml(Path.Combine(Deploy, "otel-collector.yaml")).Single();
        var grpc = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)config["receivers"])["otlp"])["protocols"])["grpc"];
        Assert.Equal("0.0.0.0:4317", ((YamlScalarNode)grpc["endpoint"]).Value);
        var pipeline = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)config["service"])["pipelines"])["metrics"];
        Assert.Equal(["otlp"], ((YamlSequenceNode)pipeline["receivers"]).Select(r => ((YamlScalarNode)r).Value));

        // Off by default; with the endpoint the compose header names, every silo exports to the collector's gRPC port.
        foreach (var silo in new[] { "silo-cpu", "silo-gpu" })
        {
            Assert.False(BindTelemetry(ComposeEnvironment(silo)).Enabled, $"compose {silo} exports metrics without PASTANOODLES_OTLP_ENDPOINT");
            var on = BindTelemetry(ComposeEnvironment(silo, new() { ["PASTANOODLES_OTLP_ENDPOINT"] = "http://otel-collector:4317" }));
            Assert.Equal("http://otel-collector:4317", on.OtlpEndpoint);
            Assert.Empty(new TelemetryOptionsValidator().Validate(null, on).Failures ?? []);
        }
        Assert.False(BindTelemetry(KubernetesEnvironment("silo-gpu.yaml")).Enabled);
    }

    static SiloOptions Bind(IReadOnlyDictionary<string, string> environment) =>
        Configuration(environment).GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();

    static TelemetryOptions BindTelemetry(IReadOnlyDictionary<string, string> environment) =>
        Configuration(environment).GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    static IConfiguration Configuration(IReadOnlyDictionary<string, string> environment) =>
        new ConfigurationBuilder().AddInMemoryCollection(environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":"), (string?)kv.Value))).Build();

    /// <summary>A compose service's environment, with <c>${NAME:-default}</c> interpolated as compose does from <paramref name="variables"/>.</summary>
    static IReadOnlyDictionary<string, string> ComposeEnvironment(string service, Dictionary<string, string>? variables = null)
    {
        var root = LoadYaml(Path.Combine(Deploy, "compose.yaml")).Single();
        var environment = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["services"])[service])["environment"];
        return environment.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ComposeVariable().Replace(((YamlScalarNode)kv.Value).Value ?? "",
            m => variables?.GetValueOrDefault(m.Groups[1].Value) is { Length: > 0 } value ? value : m.Groups[2].Value));
    }

    /// <summary>The silo container's environment: the shared ConfigMap, then its own env (field references left as placeholders).</summary>
    static IReadOnlyDictionary<string, string> KubernetesEnvironment(string manifest)
    {
        var config = LoadYaml(Path.Combine(Deploy, "k8s", "config.yaml")).Single();
        Assert.Equal("ConfigMap", ((YamlScalarNode)config["kind"]).Value);
        var environment = ((YamlMappingNode)config["data"]).ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "");
        var workload = LoadYaml(Path.Combine(Deploy, "k8s", manifest)).Single(d => ((YamlScalarNode)d["kind"]).Value is "Deployment" or "StatefulSet");
        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)workload["spec"])["template"])["spec"])["containers"])[0];
        Assert.Equal("pastanoodles", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)container["envFrom"])[0])["configMapRef"])["name"]).Value);
        foreach (YamlMappingNode variable in (YamlSequenceNode)container["env"])
            environment[((YamlScalarNode)variable["name"]).Value!] = variable.Children.TryGetValue("value", out var value) ? ((YamlScalarNode)value).Value ?? "" : "10.1.2.3";
        if (manifest == "silo-gpu.yaml")
            Assert.Equal("1", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)container["resources"])["limits"])["nvidia.com/gpu"]).Value);
        return environment;
    }

    static Dictionary<string, string> EnvFile(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : throw new InvalidDataException($"{path}: '{p[0]}' has no '='"));

    static Dictionary<string, string> DockerfileEnvironment(string path)
    {
        var text = File.ReadAllText(path).Replace("\\\n", " ");
        return text.Split('\n').Where(l => l.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(l => l[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
    }

    static List<YamlMappingNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Pastanoodles.sln")))
                return folder.FullName;
        }
        throw new DirectoryNotFoundException($"No Pastanoodles.sln above {AppContext.BaseDirectory}; the deploy tests read deploy/ from the repository.");
    }

    [GeneratedRegex(@"\$\{(\w+):-([^}]*)\}")]
    private static partial Regex ComposeVariable();

    [GeneratedRegex(@"^\[(\w+)\]$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^(\w+)=(.*)$")]
    private static partial Regex KeyLine();
}
