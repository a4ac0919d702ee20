using Microsoft.Extensions.Configuration;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;

namespace Pastanoodles.Tests.Cluster;

public class SiloOptionsTests
{
    static SiloOptions Bind(params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(args, SiloOptions.SwitchMappings).Build();
        return configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
    }

    static IEnumerable<string> Failures(SiloOptions options) => new SiloOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Defaults_are_valid_and_match_the_docs()
    {
        var options = new SiloOptions();

        Assert.Empty(Failures(options));
        Assert.Equal((11111, 30000, "http://127.0.0.1:8080", "localhost", (string?)null), (options.SiloPort, options.GatewayPort, options.DashboardUrl, options.Cluster, options.Role));
        Assert.EndsWith(Path.Combine(".local", "share", "pastanoodles"), options.DataDirectory);
    }

    [Fact]
    public void Short_switches_set_the_silo_section()
    {
        var options = Bind("--role", "cpu", "--data", "/tmp/pn", "--port", "11112", "--gateway", "30001", "--dashboard", "http://localhost:8081");

        Assert.Equal(("cpu", "/tmp/pn", 11112, 30001, "http://localhost:8081"), (options.Role, options.DataDirectory, options.SiloPort, options.GatewayPort, options.DashboardUrl));
        Assert.Empty(Failures(options));
    }

    [Theory]
    [InlineData("--role", "tpu", "Silo:Role is 'tpu'. It must be one of: gpu, cpu.")]
    [InlineData("--port", "0", "Silo:SiloPort is 0. It must be between 1 and 65535.")]
    [InlineData("--gateway", "11111", "Silo:SiloPort and Silo:GatewayPort are both 11111. They must differ.")]
    [InlineData("--dashboard", "http://0.0.0.0:8080", "Silo:DashboardUrl is 'http://0.0.0.0:8080'. It must be an http URL on a loopback address")]
    [InlineData("--cluster", "127.0.0.1:6379", "Silo:Cluster is '127.0.0.1:6379'. It must be 'localhost' or a Redis URL 'redis://[user:password@]host:port'")]
    [InlineData("--cluster", "http://:s3cret@10.0.0.5", "Silo:Cluster is 'http://:***@10.0.0.5'. It must be")]   // the password is never echoed
    [InlineData("--tls-cert", "/etc/pn/silo.pfx", "Silo:TlsCertificate is '/etc/pn/silo.pfx' and Silo:TlsCertificateAuthority is ''. Set both")]
    [InlineData("--Silo:NumMissedProbesLimit", "0", "Silo:NumMissedProbesLimit is 0. It must be at least 1.")]
    [InlineData("--Silo:ProbeTimeout", "00:00:00", "Silo:ProbeTimeout is 00:00:00. It must be greater than 0")]
    public void Bad_settings_are_named_with_their_value_and_rule(string option, string value, string expected)
    {
        var failures = Failures(Bind(option, value));

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Training_devices_must_be_cpu_or_cuda_n()
    {
        var failures = Failures(new SiloOptions { TrainingDevices = ["cuda:0", "gpu0"] });

        Assert.Equal(["Silo:TrainingDevices has 'gpu0'. Each device must be 'cpu' or 'cuda:N'."], failures);
    }

    [Theory]
    [InlineData(null, 0, "gpu", "cpu")]       // one machine without CUDA: the lone silo still trains, on the CPU
    [InlineData(null, 2, "gpu", "cuda:0,cuda:1")]
    [InlineData("cpu", 1, "cpu", "cuda:0")]
    public void Role_and_devices_default_from_the_hardware(string? role, int cudaDevices, string expectedRole, string expectedDevices)
    {
        var silo = ResolvedSilo.From(new SiloOptions { Role = role, DataDirectory = "/tmp/pn" }, new TrainingHardware(cudaDevices));

        Assert.Equal((expectedRole, expectedDevices), (silo.Role, string.Join(",", silo.TrainingDevices)));
        Assert.Equal(("/tmp/pn/state", "/tmp/pn", "/tmp/pn/runs"), (silo.StateDirectory, silo.ArtifactsDirectory, silo.RunsDirectory));
        Assert.Contains(silo.Role, SiloRoles.All);
    }

    [Theory]
    [InlineData("localhost", null)]
    [InlineData("redis://127.0.0.1:6390", "redis://127.0.0.1:6390 loopback")]
    [InlineData("redis://redis", "redis://redis:6379 remote")]
    [InlineData("redis://:s3cret@10.0.0.5:7000", "redis://10.0.0.5:7000 remote s3cret")]
    public void Cluster_mode_is_redis_url_or_localhost(string cluster, string? expected)
    {
        var silo = ResolvedSilo.From(new SiloOptions { Cluster = cluster, DataDirectory = "/tmp/pn", ArtifactsDirectory = "/shared/pn" }, TrainingHardware.None);

        Assert.Equal(expected, silo.Redis is { } r ? $"{r} {(r.IsLoopback ? "loopback" : "remote")}{(r.Password is { } p ? " " + p : "")}" : null);
        Assert.Equal(cluster == "localhost" ? SiloRoles.Gpu : SiloRoles.Cpu, silo.Role);   // no CUDA: only a lone silo trains by default
        Assert.Equal("/shared/pn/runs", silo.RunsDirectory);
    }

    [Fact]
    public void Input_roots_are_the_data_and_artifacts_folders_unless_configured()
    {
        var plain = ResolvedSilo.From(Bind("--data", "/tmp/pn", "--artifacts", "/shared/pn"), TrainingHardware.None);
        var configured = ResolvedSilo.From(Bind("--data", "/tmp/pn", "--Silo:InputRoots:0=/models", "--Silo:InputRoots:1=/srv/../srv/pn"), TrainingHardware.None);

        Assert.Equal(["/tmp/pn", "/shared/pn"], plain.InputRoots);
        Assert.Equal(["/models", "/srv/pn"], configured.InputRoots);
    }

    [Theory]
    [InlineData(new[] { "--cluster", "redis://10.0.0.10:6379", "--advertise", "10.0.0.21" }, "10.0.0.21")]
    [InlineData(new[] { "--cluster", "redis://127.0.0.1:6379", "--advertise", "192.0.2.10" }, "192.0.2.10")]
    public void A_silo_listening_beyond_loopback_needs_TLS_unless_insecure(string[] args, string advertised)
    {
        var plain = Failures(Bind(args));
        var insecure = Failures(Bind(SiloOptions.ExpandSwitches([.. args, "--insecure", "--role", "cpu"])));
        var tls = Failures(Bind([.. args, "--tls-cert", "/etc/pn/silo.pfx", "--tls-ca", "/etc/pn/ca.crt"]));

        Assert.Equal([$"Silo:AdvertisedAddress is '{advertised}', beyond loopback, and Silo:TlsCertificate is not set: anyone who reaches ports 11111 and 30000 " +
            "could call every grain. ---> HINT: `pastanoodles cluster certs --out DIR`, then --tls-cert DIR/silo.pfx --tls-ca DIR/ca.crt; or, on a network " +
            "nobody else reaches, --insecure."], plain);
        Assert.Empty(insecure);   // the bare switch, then the next switch still read as its own
        Assert.Equal("cpu", Bind(SiloOptions.ExpandSwitches([.. args, "--insecure", "--role", "cpu"])).Role);
        Assert.Empty(tls);
    }

    [Theory]
    [InlineData(new[] { "--port", "12201" }, 12201)]                              // a lone silo is its own primary
    [InlineData(new[] { "--port", "12202", "--primary-port", "12201" }, 12201)]
    public void The_primary_silo_port_defaults_to_the_silos_own(string[] args, int primary)
    {
        var options = Bind(args);

        Assert.Equal(primary, options.PrimarySiloPort ?? options.SiloPort);
        Assert.Empty(Failures(options));
    }

    [Theory]
    [InlineData("https://0.0.0.0:8080", true, true)]
    [InlineData("https://0.0.0.0:8080", false, false)]
    [InlineData("http://0.0.0.0:8080", true, false)]    // plain http beyond loopback: never, the certificate is what lets a browser in
    [InlineData("http://127.0.0.1:8080", false, true)]
    public void An_exposed_dashboard_needs_https_with_the_cluster_certificates(string url, bool tls, bool valid)
    {
        var options = new SiloOptions { DashboardUrl = url };
        if (tls)
            (options.TlsCertificate, options.TlsCertificateAuthority) = ("/etc/pn/silo.pfx", "/etc/pn/ca.crt");

        Assert.Equal(valid, !Failures(options).Any());
    }
}
