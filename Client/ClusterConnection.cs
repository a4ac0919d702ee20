using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Pastanoodles.Client;

/// <summary>Where the console finds the cluster. Defaults match the silo's (<c>Silo/appsettings.json</c>).</summary>
/// <param name="GatewayPort">With <c>localhost</c>, a silo's gateway port on this machine. Default: 30000.</param>
/// <param name="ClusterId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
/// <param name="ServiceId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
/// <param name="Cluster"><c>localhost</c>, or <c>redis://host:port</c>: the gateways are every live silo in that Redis's membership table,
/// and the client moves to another one when its gateway dies. Default: <c>localhost</c>.</param>
/// <param name="ResponseTimeout">How long a call waits for its answer before failing with a <c>TimeoutException</c>, so a call whose
/// silo died fails clearly instead of hanging. Default (null): 30 s, Orleans' default.</param>
public sealed record ClusterAddress(int GatewayPort = 30000, string ClusterId = "pastanoodles", string ServiceId = "pastanoodles",
    string Cluster = "localhost", TimeSpan? ResponseTimeout = null)
{
    /// <summary>The environment variable that sets <see cref="Cluster"/> when <c>--cluster</c> is not given.</summary>
    public const string ClusterVariable = "PASTANOODLES_CLUSTER";

    /// <summary>The environment variable that sets <see cref="ResponseTimeout"/>, in seconds.</summary>
    public const string ResponseTimeoutVariable = "PASTANOODLES_RESPONSE_TIMEOUT";

    /// <summary>Host, port and password of <see cref="Cluster"/>, or null for <c>localhost</c>.</summary>
    public (string Host, int Port, string? Password)? Redis
    {
        get
        {
            if (Cluster == "localhost")
                return null;
            if (!Cluster.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || !Uri.TryCreate(Cluster, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
                throw new ArgumentException($"--cluster is '{Cluster}'. It must be 'localhost' or a Redis URL 'redis://host:port' (also read from {ClusterVariable}).");
            return (uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port, uri.UserInfo.Length == 0 ? null : Uri.UnescapeDataString(uri.UserInfo.TrimStart(':')));
        }
    }

    public override string ToString() => Redis is { } r ? $"redis://{r.Host}:{r.Port} (cluster '{ClusterId}')" : $"127.0.0.1:{GatewayPort} (cluster '{ClusterId}')";
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
        var redis = address.Redis;   // a malformed URL throws here, before any connecting
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            if (redis is var (host, port, password))
            {
                client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (address.ClusterId, address.ServiceId));
                client.UseRedisClustering(o =>
                {
                    o.ConfigurationOptions = new ConfigurationOptions { AbortOnConnectFail = false, Password = password, ConnectTimeout = 3000 };
                    o.ConfigurationOptions.EndPoints.Add(host, port);
                });
                // Re-read the live gateways often, so a dead one is dropped and a new silo is used within seconds (Orleans: 1 min).
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            }
            else
                client.UseLocalhostClustering(address.GatewayPort, address.ServiceId, address.ClusterId);
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
            host.Dispose();
            throw new ClusterUnreachableException(address, ex);
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
