using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Processes;

/// <summary>Mutual TLS between real silo and client processes, with certificates from <c>pastanoodles cluster certs</c>: the holder of a
/// client certificate signed by the cluster CA gets in; no certificate, or one from another CA, is refused at the handshake with one line.</summary>
[Collection(RedisProcessCollection.Name)]
public sealed class TlsProcessTests : IDisposable
{
    readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    string Certificates(string name, params string[] clients)
    {
        var (exitCode, output, error) = Cli.Run(["cluster", "certs", "--out", _root[name], .. clients.SelectMany(c => new[] { "--client", c })]);
        Assert.True(exitCode == 0, error);
        Assert.Contains("created", output);
        return _root[name];
    }

    static string[] TlsArguments(string certificates) =>
        ["--tls-cert", Path.Combine(certificates, "silo.pfx"), "--tls-ca", Path.Combine(certificates, "ca.crt")];

    static Dictionary<string, string> ClientEnvironment(string certificates, string client, string authorityFolder) => new()
    {
        [ClusterAddress.TlsCertificateVariable] = Path.Combine(certificates, $"{client}.pfx"),
        [ClusterAddress.TlsAuthorityVariable] = Path.Combine(authorityFolder, "ca.crt"),
    };

    [Fact]
    public async Task Two_silos_join_over_TLS_and_only_a_client_with_a_certificate_of_the_cluster_CA_gets_in()
    {
        var cluster = Certificates("cluster", "alice");
        var other = Certificates("other", "mallory");
        await using var primary = await SiloProcess.StartAsync(_root["silo-a"], TlsArguments(cluster));
        await using var secondary = await SiloProcess.StartAsync(_root["silo-b"], [.. TlsArguments(cluster), "--primary-port", $"{primary.SiloPort}"]);
        Assert.Contains("TLS on (client certificates required)", primary.Log);

        // A good certificate: both silos (so the silo-to-silo link works over TLS too) are listed active, first in-process (a new
        // process per probe is slow on a loaded machine), then through a real client process.
        var address = new ClusterAddress(primary.GatewayPort, TlsCertificate: Path.Combine(cluster, "alice.pfx"), TlsAuthority: Path.Combine(cluster, "ca.crt"));
        await Phase.Until("both TLS silos are listed active", async () =>
            {
                await using var connection = await ClusterConnection.ConnectAsync(address, CancellationToken.None);
                return await connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();
            }, silos => silos.Count(s => s.Status == "Active") == 2, "2 active silos", TimeSpan.FromSeconds(90), silos => string.Join(", ", silos.Select(s => s.Status)));
        var listed = await ClientProcess.RunAsync(ClientEnvironment(cluster, "alice", cluster), "cluster", "--gateway", $"{primary.GatewayPort}");
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Contains($"127.0.0.1:{primary.SiloPort}:", listed.Output);
        Assert.Contains($"127.0.0.1:{secondary.SiloPort}:", listed.Output);

        // No certificate at all.
        var none = await ClientProcess.RunAsync(new Dictionary<string, string>(), "cluster", "--gateway", $"{primary.GatewayPort}");
        Assert.Equal(1, none.ExitCode);
        Assert.Equal($"error: the gateway at 127.0.0.1:{primary.GatewayPort} refused the TLS handshake: it requires a client certificate signed by the cluster CA, " +
            "and this client has none.", OneLine(none.Error).Split(" ---> HINT")[0]);

        // A certificate from another CA: the console will not even offer it with the cluster's CA ...
        var foreign = await ClientProcess.RunAsync(ClientEnvironment(other, "mallory", cluster), "cluster", "--gateway", $"{primary.GatewayPort}");
        Assert.Equal(1, foreign.ExitCode);
        Assert.StartsWith($"error: {ClusterAddress.TlsCertificateVariable} is '{Path.Combine(other, "mallory.pfx")}' (CN=mallory, O=Pastanoodles), which is not signed by the CA in " +
            ClusterAddress.TlsAuthorityVariable, OneLine(foreign.Error));
        // ... and the silo refuses it at the handshake from a client that skips every check of its own.
        Assert.True(await SiloRefusesAsync(primary.GatewayPort, Path.Combine(other, "mallory.pfx")), "the gateway accepted a certificate from another CA");
        Assert.True(await SiloRefusesAsync(primary.SiloPort, Path.Combine(other, "mallory.pfx")), "the silo port accepted a certificate from another CA");
        Assert.False(await SiloRefusesAsync(primary.GatewayPort, Path.Combine(cluster, "alice.pfx")), "the gateway refused the cluster's own client certificate");

        // ... and one trusting its own CA, which the silo's certificate does not chain to.
        var foreignCa = await ClientProcess.RunAsync(ClientEnvironment(other, "mallory", other), "cluster", "--gateway", $"{primary.GatewayPort}");
        Assert.Equal(1, foreignCa.ExitCode);
        Assert.StartsWith($"error: the gateway at 127.0.0.1:{primary.GatewayPort} presented a certificate that the cluster CA in PASTANOODLES_TLS_CA did not sign", OneLine(foreignCa.Error));
    }

    [Fact]
    public async Task A_client_with_a_certificate_calls_grains_in_process_too_and_only_it_opens_the_https_dashboard()
    {
        var cluster = Certificates("cluster", "alice");
        var other = Certificates("other", "mallory");
        var dashboardPort = FreePorts.Next();
        await using var silo = await SiloProcess.StartAsync(_root["silo"], [.. TlsArguments(cluster), "--dashboard", $"https://127.0.0.1:{dashboardPort}"]);
        var address = new ClusterAddress(silo.GatewayPort, TlsCertificate: Path.Combine(cluster, "alice.pfx"), TlsAuthority: Path.Combine(cluster, "ca.crt"));
        await using var connection = await ClusterConnection.ConnectAsync(address, CancellationToken.None).Within("client connects over TLS", stall: TimeSpan.FromSeconds(60));

        var silos = await connection.Client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();

        Assert.Equal([(SiloRoles.Gpu, "Active")], silos.Select(s => (s.Role, s.Status)));
        Assert.Equal(System.Net.HttpStatusCode.OK, await DashboardAsync(dashboardPort, Path.Combine(cluster, "alice.pfx")));
        await Assert.ThrowsAsync<HttpRequestException>(() => DashboardAsync(dashboardPort, null));
        await Assert.ThrowsAsync<HttpRequestException>(() => DashboardAsync(dashboardPort, Path.Combine(other, "mallory.pfx")));
    }

    /// <summary>GET / on the dashboard, presenting <paramref name="certificate"/> (or none) and trusting any server certificate.</summary>
    static async Task<System.Net.HttpStatusCode> DashboardAsync(int port, string? certificate)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true, ClientCertificateOptions = ClientCertificateOption.Manual };
        if (certificate is not null)
            handler.ClientCertificates.Add(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(certificate, null));
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync($"https://127.0.0.1:{port}/");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_silo_advertising_a_non_loopback_address_refuses_to_start_without_TLS()
    {
        // 192.0.2.10 (TEST-NET-1) is never this machine: the silo must refuse before it binds or dials anything.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SiloProcess.StartAsync(_root["silo"], ["--cluster", "redis://127.0.0.1:1", "--advertise", "192.0.2.10"]));

        Assert.Contains("silo exited with code 2 before it started", refused.Message);
        Assert.Contains("error: Silo:AdvertisedAddress is '192.0.2.10', beyond loopback, and Silo:TlsCertificate is not set", refused.Message);
        Assert.Contains("--insecure", refused.Message);
    }

    /// <summary>True when the silo ends a TLS handshake in which this side presents <paramref name="certificate"/> and trusts anything.</summary>
    static async Task<bool> SiloRefusesAsync(int port, string certificate)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        try
        {
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(certificate, null)],
            });
            // TLS 1.3 delivers the server's verdict on the client certificate after the handshake: an alert on the first read, or nothing.
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            return await ssl.ReadAsync(new byte[1], quiet.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;   // accepted: the silo waits for Orleans' greeting
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
        {
            return true;
        }
    }

    /// <summary>The one line a command wrote to stderr (and that there was only one).</summary>
    static string OneLine(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{error}");
        return lines[0].TrimEnd();
    }
}
