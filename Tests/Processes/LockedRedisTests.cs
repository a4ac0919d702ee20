using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using Pastanoodles.Client;
using Pastanoodles.Silo;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Processes;

/// <summary>Silos and clients against a Redis with <c>requirepass</c> and an ACL user: the right password (from a file or the environment)
/// works, a wrong one is reported as an authentication failure at once; and a silo whose membership row vanishes (Redis restarted
/// empty) exits so its supervisor can restart it.</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class LockedRedisTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    Task<SiloProcess> StartSiloAsync(RedisServer redis, string name) =>
        SiloProcess.StartAsync(_root[name], ["--cluster", redis.Url, "--role", "gpu", "--artifacts", _root["artifacts"], "--Silo:DashboardUrl="],
            new Dictionary<string, string> { ["Silo__RedisPasswordFile"] = redis.PasswordFile });

    static Dictionary<string, string> ClientWith(string variable, string value) => new() { [variable] = value };

    [Fact]
    public async Task The_right_password_from_a_file_the_environment_or_an_ACL_user_works_and_a_wrong_one_is_an_authentication_error()
    {
        await using var redis = await RedisServer.StartAsync(locked: true);
        await using var silo = await StartSiloAsync(redis, "silo");
        try
        {
            await Phase.Until("the silo is listed active", () => Task.FromResult(Cli.Run("cluster", "--cluster", $"redis://:{RedisServer.Password}@127.0.0.1:{redis.Port}")),
                r => r.ExitCode == 0 && r.Output.Contains("Active"), "exit 0 and an active silo", TimeSpan.FromSeconds(90), r => $"exit {r.ExitCode}: {r.Output}{r.Error}");
            var byEnvironment = await ClientProcess.RunAsync(ClientWith(ClusterAddress.RedisPasswordVariable, RedisServer.Password), "cluster", "--cluster", redis.Url);
            Assert.True(byEnvironment.ExitCode == 0, byEnvironment.Error);
            Assert.Contains($"127.0.0.1:{silo.SiloPort}:", byEnvironment.Output);

            var byFile = await ClientProcess.RunAsync(ClientWith(ClusterAddress.RedisPasswordFileVariable, redis.PasswordFile), "cluster", "--cluster", redis.Url);
            Assert.True(byFile.ExitCode == 0, byFile.Error);
            var byUser = Cli.Run("cluster", "--cluster", $"redis://{RedisServer.User}:{RedisServer.UserPassword}@127.0.0.1:{redis.Port}");
            Assert.True(byUser.ExitCode == 0, byUser.Error);
            Assert.Contains($"127.0.0.1:{silo.SiloPort}:", byUser.Output);

            foreach (var (url, reason) in new[]
                     {
                         ($"redis://:wrong@127.0.0.1:{redis.Port}", "WRONGPASS"),
                         ($"redis://{RedisServer.User}:wrong@127.0.0.1:{redis.Port}", "WRONGPASS"),
                         (redis.Url, "NOAUTH"),   // no password at all
                     })
            {
                var clock = Stopwatch.StartNew();
                var refused = Cli.Run("cluster", "--cluster", url);
                output.WriteLine($"{RedactedUrl(url)}: refused after {clock.Elapsed.TotalSeconds:F2} s");
                Assert.Equal(1, refused.ExitCode);
                var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith($"error: Redis at redis://{(url.Contains(RedisServer.User) ? RedisServer.User + "@" : "")}127.0.0.1:{redis.Port} refused authentication (", line);
                Assert.Contains(reason, line);
                Assert.DoesNotContain("wrong", line);   // the password itself is never echoed
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the refusal took {clock.Elapsed.TotalSeconds:F1} s; it must come within 5 s, not after Orleans' retries");
            }

            // A silo given a wrong password does not start; it says why in one line.
            var wrongSilo = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(_root["wrong"],
                ["--cluster", redis.Url, "--Silo:DashboardUrl="], new Dictionary<string, string> { ["Silo__RedisPassword"] = "wrong" }));
            Assert.Contains("silo exited with code 2 before it started", wrongSilo.Message);
            Assert.Contains($"error: Redis at redis://127.0.0.1:{redis.Port} refused authentication (WRONGPASS", wrongSilo.Message);
        }
        catch
        {
            output.WriteLine($"----- silo -----\n{silo.Log}\n----- redis -----\n{redis.Log}");
            throw;
        }
    }

    [Fact]
    public async Task Silos_whose_membership_rows_vanish_when_redis_restarts_empty_exit_non_zero_and_rejoin_when_restarted()
    {
        await using var redis = await RedisServer.StartAsync(locked: true);
        var silos = new List<SiloProcess> { await StartSiloAsync(redis, "a") };
        silos.Add(await StartSiloAsync(redis, "b"));
        try
        {
            // In-process (a new console process per probe is slow on a loaded machine); the password in the URL is fine in a test.
            var url = $"redis://:{RedisServer.Password}@127.0.0.1:{redis.Port}";
            await Phase.Until("both silos are listed active", () => Task.FromResult(Cli.Run("cluster", "--cluster", url)),
                r => Regex.Matches(r.Output, "Active").Count == 2, "2 active silos", TimeSpan.FromSeconds(90), r => r.Output + r.Error);

            await redis.RestartAsync(empty: true);
            var clock = Stopwatch.StartNew();
            // Each silo reads the table every 2 s (TableRefreshTimeout); allow for a slow machine, but not for a silo that never notices.
            await Phase.Until("both silos exit after their rows vanished", () => Task.FromResult(silos.Select(s => s.ExitCode).ToList()),
                codes => codes.All(c => c is not null), "both exited", TimeSpan.FromSeconds(90), codes => string.Join(", ", codes.Select(c => c?.ToString() ?? "running")));
            output.WriteLine($"both silos exited {clock.Elapsed.TotalSeconds:F1} s after Redis came back empty");
            Assert.All(silos, s => Assert.Equal(MembershipWatchdog.ExitCode, s.ExitCode));
            Assert.All(silos, s => Assert.Contains("membership row", s.Log));

            // What a supervisor does: start them again. They register anew.
            foreach (var silo in silos)
                await silo.DisposeAsync();
            silos = [await StartSiloAsync(redis, "a"), await StartSiloAsync(redis, "b")];
            await Phase.Until("both restarted silos are listed active", () => Task.FromResult(Cli.Run("cluster", "--cluster", url)),
                r => Regex.Matches(r.Output, "Active").Count == 2, "2 active silos", TimeSpan.FromSeconds(90), r => r.Output + r.Error);
        }
        catch
        {
            output.WriteLine(string.Join("\n", silos.Select(s => $"----- silo :{s.SiloPort} (exit {s.ExitCode}) -----\n{s.Log}")) + $"\n----- redis -----\n{redis.Log}");
            throw;
        }
        finally
        {
            foreach (var silo in silos)
                await silo.DisposeAsync();
        }
    }

    static string RedactedUrl(string url) => Pastanoodles.Cluster.RedisEndpoint.Redact(url);
}
