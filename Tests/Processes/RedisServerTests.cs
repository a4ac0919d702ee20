using StackExchange.Redis;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>The tests' Redis (embedded Garnet, or the redis-server <see cref="RedisServer.Variable"/> names) does what Orleans' Redis
/// providers ask of it: Lua scripts, and what was written survives a restart of the store.</summary>
[Collection(RedisProcessCollection.Name), Trait(RedisProcessCollection.Store, RedisProcessCollection.Redis)]
public sealed class RedisServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_tests_redis_runs_lua_scripts_and_keeps_what_was_written_across_a_restart()
    {
        using var duration = new TestDuration(output);
        await using var redis = await RedisServer.StartAsync();
        output.WriteLine($"store: {redis.Kind} on port {redis.Port}");
        using (var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}"))
        {
            var db = connection.GetDatabase();
            await db.StringSetAsync("membership-version", "41");
            await db.HashSetAsync("grain-state", "etag", 7);
            // A conditional update as Orleans' providers write them: a script that checks and changes in one step.
            var updated = await db.ScriptEvaluateAsync(
                "if redis.call('HGET', KEYS[1], 'etag') == ARGV[1] then return redis.call('HINCRBY', KEYS[1], 'etag', 5) else return -1 end",
                ["grain-state"], ["7"]);
            Assert.Equal(12, (long)updated);
        }

        await redis.RestartAsync();

        using var again = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var after = again.GetDatabase();
        Assert.Equal("41", (string?)await after.StringGetAsync("membership-version"));
        Assert.Equal(12, (long)await after.HashGetAsync("grain-state", "etag"));
    }
}
