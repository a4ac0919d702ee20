using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Pastanoodles.Tests.Processes;

/// <summary>deploy/ cannot run here (no Docker engine, no Kubernetes, no systemd), so this checks what it can: every file parses, every
/// setting it passes is one <see cref="SiloOptions"/> binds and accepts, and real silos start over Redis with the compose and
/// Kubernetes gpu silos' settings.</summary>
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
    public async Task Silos_start_over_redis_with_the_compose_and_kubernetes_gpu_silo_settings()
    {
        using var duration = new TestDuration(output);
        await using var redis = await RedisServer.StartAsync();
        using var data = new TempDir();
        // What a real host would differ in: the Redis address, the volumes, and (Kubernetes) the pod IP.
        Dictionary<string, string> Here(IReadOnlyDictionary<string, string> environment, string name) => new(environment)
        {
            ["Silo__Cluster"] = redis.Url,
            ["Silo__DataDirectory"] = data[name],
            ["Silo__ArtifactsDirectory"] = data["artifacts"],
            ["Silo__AdvertisedAddress"] = "127.0.0.1",
        };
        var composeGpu = Here(ComposeEnvironment("silo-gpu"), "compose");
        var kubernetesGpu = Here(KubernetesEnvironment("silo-gpu.yaml"), "k8s");

        // Only the ports come from the command line (free loopback ports, so the two silos can share this machine).
        await using var first = await SiloProcess.StartAsync(data["compose"], ["--Silo:DashboardUrl="], composeGpu);
        await using var second = await SiloProcess.StartAsync(data["k8s"], ["--Silo:DashboardUrl="], kubernetesGpu);
        var listed = await Phase.Until("both silos are listed active", () => Task.FromResult(Cli.Run("cluster", "--cluster", redis.Url)),
            r => Regex.Matches(r.Output, @"gpu\s*│\s*S127\.0\.0\.1:\d+:\d+\s*│\s*Active").Count == 2, "2 active gpu silos", describe: r => r.Output + r.Error);

        Assert.Contains($"127.0.0.1:{first.SiloPort}:", listed.Output);
        Assert.Contains($"127.0.0.1:{second.SiloPort}:", listed.Output);
    }

    static SiloOptions Bind(IReadOnlyDictionary<string, string> environment) =>
        new ConfigurationBuilder().AddInMemoryCollection(environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":"), (string?)kv.Value))).Build()
            .GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();

    static IReadOnlyDictionary<string, string> ComposeEnvironment(string service)
    {
        var root = LoadYaml(Path.Combine(Deploy, "compose.yaml")).Single();
        var environment = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["services"])[service])["environment"];
        return environment.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "");
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

    [GeneratedRegex(@"^\[(\w+)\]$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^(\w+)=(.*)$")]
    private static partial Regex KeyLine();
}
