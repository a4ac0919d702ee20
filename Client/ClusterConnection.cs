using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pastanoodles.Client;

/// <summary>Where the console finds the cluster. Defaults match the silo's (<c>Silo/appsettings.json</c>).</summary>
/// <param name="GatewayPort">A silo's gateway port on this machine. Default: 30000.</param>
/// <param name="ClusterId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
/// <param name="ServiceId">Must match the silos'. Default: <c>pastanoodles</c>.</param>
public sealed record ClusterAddress(int GatewayPort = 30000, string ClusterId = "pastanoodles", string ServiceId = "pastanoodles")
{
    public override string ToString() => $"127.0.0.1:{GatewayPort} (cluster '{ClusterId}')";
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

    /// <summary>Connects through a silo gateway on localhost, or throws <see cref="ClusterUnreachableException"/> after a few quick tries.</summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(address.GatewayPort, address.ServiceId, address.ClusterId);
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
    : Exception($"no silo reachable at {address} — start one with `dotnet run --project Silo`, or point --gateway at a running silo's gateway port. ({inner.GetType().Name}: {inner.Message})", inner)
{
    public ClusterAddress Address { get; } = address;
}
