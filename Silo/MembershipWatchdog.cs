using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Pastanoodles.Cluster;
using StackExchange.Redis;

namespace Pastanoodles.Silo;

/// <summary>In cluster mode, ends the silo when its own row has gone from the membership table, as it does when Redis restarts empty
/// (no persistence, or a FLUSHALL). Orleans skips a missing row and carries on unseen by clients and other silos; exiting non-zero
/// instead lets the supervisor (systemd, Kubernetes, compose) restart the silo, which then registers again.</summary>
public sealed class MembershipWatchdog(IMembershipTable table, ILocalSiloDetails local, IOptions<SiloOptions> options, IHostApplicationLifetime lifetime,
    ILogger<MembershipWatchdog> logger) : BackgroundService
{
    /// <summary>The process exit code when the row is gone.</summary>
    public const int ExitCode = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StartedAsync(lifetime, stoppingToken))
            return;
        var period = options.Value.TableRefreshTimeout;
        var seen = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(period, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            bool present;
            try
            {
                var rows = await table.ReadAllAsync(stoppingToken).WaitAsync(period * 2, stoppingToken);
                present = rows.Members.Any(row => row.Item1.SiloAddress.Equals(local.SiloAddress));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                continue;   // Redis is down or restarting: Orleans waits for it, and so do we
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && seen)
            {
                // The provider refuses a table whose version row is gone (a store restarted empty) rather than returning it empty.
                logger.LogDebug(ex, "Reading the membership table failed");
                present = false;
            }
            if (present)
            {
                seen = true;
                continue;
            }
            if (!seen)
                continue;
            logger.LogCritical("This silo's membership row ({Silo}) is gone from {Cluster}: the store restarted empty or was flushed, so clients and other " +
                "silos no longer see this silo and its grain state is gone too. Exiting with code {Code} so that the supervisor restarts it and it registers again.",
                local.SiloAddress, RedisEndpoint.Redact(options.Value.Cluster), ExitCode);
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
            return;
        }
    }

    static async Task<bool> StartedAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var _ = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return started.Task.IsCompletedSuccessfully;
    }
}
