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

    static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Ends the process at once with <paramref name="code"/>: libc's <c>_exit</c>, which runs no handlers (Environment.Exit would
    /// wait for the host's stop); elsewhere a fail-fast.</summary>
    static void ExitNow(int code)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            LibcExit(code);
        Environment.FailFast($"exiting with code {code}: the membership row is gone");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    static extern void LibcExit(int code);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StartedAsync(lifetime, stoppingToken))
            return;
        var period = options.Value.TableRefreshTimeout;
        // The host reports started only after Orleans' silo start has written this silo's row as Active, so from here on a missing
        // row means it was lost (waiting to see it once first let a silo whose store emptied before its first read fail its
        // watchdog instead, and then hang over a minute in a graceful stop against the empty table).
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
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The provider refuses a table whose version row is gone (a store restarted empty) rather than returning it empty.
                logger.LogDebug(ex, "Reading the membership table failed");
                present = false;
            }
            if (present)
                continue;
            var why = $"This silo's membership row ({local.SiloAddress}) is gone from {RedisEndpoint.Redact(options.Value.Cluster)}: the store restarted empty or " +
                "was flushed, so clients and other silos no longer see this silo, and its grain state is gone too. Exiting with code " +
                $"{ExitCode} so that the supervisor restarts it and it registers again.";
            logger.LogCritical("{Why}", why);
            await Console.Error.WriteLineAsync($"error: {why}");
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
            // Orleans' graceful stop keeps retrying to write this silo's status into the table it has lost, for a minute or more: give it
            // a few seconds (a trainer may checkpoint), then leave without running shutdown handlers, which would wait for that stop.
            await Task.Delay(GracePeriod, CancellationToken.None);
            await Console.Error.FlushAsync(CancellationToken.None);
            ExitNow(ExitCode);
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
