namespace Pastanoodles.Tests.Processes;

/// <summary>The tests that run clusters of real silo processes over Redis. They run one at a time, after every parallel test,
/// so that on a 2-core machine their silos do not fight the rest of the suite for the CPU (and their phase timeouts hold).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisProcessCollection
{
    public const string Name = "Redis cluster processes";

    /// <summary>The trait of every test that uses <see cref="RedisServer"/>: `dotnet test --filter Store=Redis` runs them (.ci/run
    /// runs them again over redis-server).</summary>
    public const string Store = "Store", Redis = "Redis";
}
