using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Messaging;
using Pastanoodles.Cluster;

namespace Pastanoodles.Client;

/// <summary>When the Orleans client could not connect, asks a gateway directly whether TLS was the reason, because Orleans reports a
/// refused handshake only as a closed connection. Probes with the client's own certificate, as Orleans would have.</summary>
static class GatewayTls
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>One line saying how TLS refused this client, or null when TLS is not the reason (or no gateway answered at all).</summary>
    public static async Task<string?> ExplainRefusalAsync(IServiceProvider services, ClusterAddress address, ClusterTls? tls)
    {
        foreach (var gateway in await GatewaysAsync(services, address))
        {
            if (await ProbeAsync(gateway, tls) is { } refusal)
                return refusal;
        }
        return null;
    }

    static async Task<IReadOnlyList<IPEndPoint>> GatewaysAsync(IServiceProvider services, ClusterAddress address)
    {
        if (address.Cluster == "localhost")
            return [new IPEndPoint(IPAddress.Loopback, address.GatewayPort)];
        try
        {
            var provider = services.GetRequiredService<IGatewayListProvider>();
            await provider.InitializeGatewayListProvider().WaitAsync(Timeout);
            var gateways = await provider.GetGateways().WaitAsync(Timeout);
            return [.. gateways.Take(3).Where(g => IPAddress.TryParse(g.Host, out _)).Select(g => new IPEndPoint(IPAddress.Parse(g.Host), g.Port))];
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return [];   // Redis itself is unreachable: not a TLS question
        }
    }

    static async Task<string?> ProbeAsync(IPEndPoint gateway, ClusterTls? tls)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(gateway).WaitAsync(Timeout);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return null;   // nobody listens there
        }
        var sawServerCertificate = false;
        var serverSigned = true;
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            sawServerCertificate = certificate is not null;
            serverSigned = tls is null || certificate is not null && tls.IsSignedByCluster(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            return serverSigned;
        });
        try
        {
            var options = new SslClientAuthenticationOptions { TargetHost = gateway.Address.ToString() };
            if (tls is not null)
                options.ClientCertificates = [tls.Certificate];
            using var timeout = new CancellationTokenSource(Timeout);
            await ssl.AuthenticateAsClientAsync(options, timeout.Token);
            // TLS 1.3 sends the server's verdict on a client certificate after the client's side of the handshake: read for it.
            var buffer = new byte[1];
            using var verdict = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var read = await ssl.ReadAsync(buffer, verdict.Token);
            return read == 0 ? Refused(gateway, tls) : null;
        }
        catch (OperationCanceledException)
        {
            return null;   // the gateway took us in and waits for Orleans' greeting: TLS is not the reason
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            if (!sawServerCertificate)
                return tls is null ? null : $"the gateway at {gateway} does not speak TLS, but this client was given a certificate ({ClusterAddress.TlsCertificateVariable}). " +
                    "---> HINT: start the silos with --tls-cert and --tls-ca, or unset the client's certificate settings for a plain loopback silo.";
            if (!serverSigned)
                return $"the gateway at {gateway} presented a certificate that the cluster CA in {ClusterAddress.TlsAuthorityVariable} did not sign; this client refused it. " +
                    "---> HINT: use the ca.crt of the cluster the silos' certificates came from.";
            return Refused(gateway, tls);
        }
    }

    static string Refused(IPEndPoint gateway, ClusterTls? tls) => tls is null
        ? $"the gateway at {gateway} refused the TLS handshake: it requires a client certificate signed by the cluster CA, and this client has none. " +
          $"---> HINT: set {ClusterAddress.TlsCertificateVariable}=DIR/client.pfx and {ClusterAddress.TlsAuthorityVariable}=DIR/ca.crt (from `pastanoodles cluster certs --out DIR`)."
        : $"the gateway at {gateway} refused the TLS handshake: this client's certificate ({tls.Certificate.Subject}) is not signed by the cluster CA. " +
          $"---> HINT: use a client .pfx made with the cluster's own CA (`pastanoodles cluster certs --out DIR --client NAME` in the folder holding its ca.key).";
}
