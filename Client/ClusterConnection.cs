using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Pastanoodles.Cluster;

namespace Pastanoodles.Client;

/// <summary>Where the console finds the cluster, and what it proves itself with. Defaults match the silo's (<c>Silo/appsettings.json</c>).</summary>
/// <param name="GatewayPort">With <c>localhost</c>, a silo's gateway port on this machine. Default: 30000.</param>
/// <param name="ClusterId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
/// <param name="ServiceId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
/// <param name="Cluster"><c>localhost</c>, or <c>redis://[user:password@]host:port</c> (<c>rediss://</c> for TLS): the gateways are every live
/// silo in that Redis's membership table, and the client moves to another one when its gateway dies. Default: <c>localhost</c>.</param>
/// <param name="ResponseTimeout">How long a call waits for its answer before failing with a <c>TimeoutException</c>, so a call whose
/// silo died fails clearly instead of hanging. Default (null): 30 s, Orleans' default.</param>
/// <param name="TlsCertificate">This client's certificate (a .pfx from <c>pastanoodles cluster certs</c>) for silos that use TLS; with
/// <paramref name="TlsAuthority"/>, the cluster CA. Both or neither. Default: none (plain TCP, for loopback silos without TLS).</param>
/// <param name="RedisPassword">The Redis password when the URL has none; <paramref name="RedisPasswordFile"/> names a file holding it instead.</param>
/// <param name="RedisAuthority">For <c>rediss://</c>, the PEM file of the CA that signed Redis's certificate. Default: the system's trust store.</param>
public sealed record ClusterAddress(int GatewayPort = 30000, string ClusterId = "pastanoodles", string ServiceId = "pastanoodles",
    string Cluster = "localhost", TimeSpan? ResponseTimeout = null, string? TlsCertificate = null, string? TlsAuthority = null,
    string? RedisPassword = null, string? RedisPasswordFile = null, string? RedisAuthority = null)
{
    /// <summary>The environment variable that sets <see cref="Cluster"/> when <c>--cluster</c> is not given.</summary>
    public const string ClusterVariable = "PASTANOODLES_CLUSTER";

    /// <summary>The environment variable that sets <see cref="ResponseTimeout"/>, in seconds.</summary>
    public const string ResponseTimeoutVariable = "PASTANOODLES_RESPONSE_TIMEOUT";

    public const string TlsCertificateVariable = "PASTANOODLES_TLS_CERTIFICATE";
    public const string TlsAuthorityVariable = "PASTANOODLES_TLS_CA";
    public const string RedisPasswordVariable = "PASTANOODLES_REDIS_PASSWORD";
    public const string RedisPasswordFileVariable = "PASTANOODLES_REDIS_PASSWORD_FILE";
    public const string RedisAuthorityVariable = "PASTANOODLES_REDIS_CA";

    /// <summary>This address with the certificate and Redis secret settings taken from the environment (variables above).</summary>
    public ClusterAddress WithEnvironment()
    {
        static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        return this with
        {
            TlsCertificate = TlsCertificate ?? Variable(TlsCertificateVariable),
            TlsAuthority = TlsAuthority ?? Variable(TlsAuthorityVariable),
            RedisPassword = RedisPassword ?? Variable(RedisPasswordVariable),
            RedisPasswordFile = RedisPasswordFile ?? Variable(RedisPasswordFileVariable),
            RedisAuthority = RedisAuthority ?? Variable(RedisAuthorityVariable),
        };
    }

    /// <summary>The Redis of <see cref="Cluster"/> with its password and CA, or null for <c>localhost</c>.</summary>
    public RedisEndpoint? Redis => RedisEndpoint.Parse(Cluster, $"--cluster (or {ClusterVariable})")
        ?.WithSecrets(RedisPassword, RedisPasswordFile, RedisAuthority, (RedisPasswordVariable, RedisPasswordFileVariable, RedisAuthorityVariable));

    /// <summary>The loaded certificates, or null without TLS.</summary>
    public ClusterTls? Tls => (TlsCertificate, TlsAuthority) switch
    {
        (null, null) => null,
        ({ } certificate, { } authority) => ClusterTls.Load(certificate, authority, (TlsCertificateVariable, TlsAuthorityVariable)),
        _ => throw new ArgumentException($"Only one of {TlsCertificateVariable} and {TlsAuthorityVariable} is set. Set both (the client's .pfx and the cluster's ca.crt) or neither."),
    };

    public override string ToString() => Cluster == "localhost" ? $"127.0.0.1:{GatewayPort} (cluster '{ClusterId}')" : $"{RedisEndpoint.Redact(Cluster)} (cluster '{ClusterId}')";
}

/// <summary>An Orleans client connected to the cluster, for the cluster commands; dispose to disconnect.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    readonly IHost? _host;

    ClusterConnection(IHost? host, IClusterClient client) => (_host, Client) = (host, client);

    public IClusterClient Client { get; }

    /// <summary>Signature of <see cref="ConnectAsync"/>; tests pass one that hands out their test cluster's client.</summary>
    public delegate Task<ClusterConnection> Connector(ClusterAddress address, CancellationToken cancellationToken);

    /// <summary>A connection over a client someone else owns (a test cluster's); disposing it leaves the client alone.</summary>
    public static ClusterConnection Borrow(IClusterClient client) => new(null, client);

    /// <summary>Connects through a silo gateway on localhost or from Redis's membership table, or throws
    /// <see cref="ClusterUnreachableException"/> after a few quick tries.</summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, CancellationToken cancellationToken)
    {
        // A malformed URL, a missing file or a refused password throws here, before Orleans starts retrying.
        var (redis, tls) = (address.Redis, address.Tls);
        if (redis is not null)
            await redis.ProbeAsync(cancellationToken);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            if (redis is not null)
            {
                client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (address.ClusterId, address.ServiceId));
                client.UseRedisClustering(o =>
                {
                    o.ConfigurationOptions = redis.ToConfigurationOptions();
                    o.ConfigurationOptions.ConnectTimeout = 3000;
                });
                // Re-read the live gateways often, so a dead one is dropped and a new silo is used within seconds (Orleans: 1 min).
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            }
            else
                client.UseLocalhostClustering(address.GatewayPort, address.ServiceId, address.ClusterId);
            if (tls is not null)
                client.UseTls(tls.Certificate, tls.Configure);
            if (address.ResponseTimeout is { } timeout)
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = timeout);
            var attempts = 0;
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (++attempts >= 3)
                    return false;
                await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return new ClusterConnection(host, host.Services.GetRequiredService<IClusterClient>());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var refusal = await GatewayTls.ExplainRefusalAsync(host.Services, address, tls);
            host.Dispose();
            throw refusal is null ? new ClusterUnreachableException(address, ex) : new ClusterRefusedException(refusal, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is null)
            return;
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }
}

/// <summary>No silo answered at the configured gateway.</summary>
public sealed class ClusterUnreachableException(ClusterAddress address, Exception inner)
    : Exception($"no silo reachable at {address} — start one with `dotnet run --project Silo`, or point --gateway at a running silo's gateway port" +
        $" (--cluster redis://host:port or {ClusterAddress.ClusterVariable} for a Redis cluster). ({inner.GetType().Name}: {inner.Message})", inner)
{
    public ClusterAddress Address { get; } = address;
}

/// <summary>A gateway refused this client at the TLS handshake (no certificate, or one the cluster CA did not sign).</summary>
public sealed class ClusterRefusedException(string message, Exception inner) : Exception(message, inner);
