using Pastanoodles.Retrieval.Index;

namespace Pastanoodles.Tests.Retrieval.Index;

public class ShardRouterTests
{
    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Hash_is_fnv1a_64_of_the_utf8_bytes(string value, ulong expected) =>
        Assert.Equal(expected, ShardRouter.Fnv1a64(value));

    [Fact]
    public void Chunk_ids_spread_evenly_over_shards()
    {
        var router = new ShardRouter(4);
        var counts = new int[4];
        for (var i = 0; i < 4000; i++)
            counts[router.ShardOf(CorpusChunk.MakeId($"doc{i / 50}.pdf", i % 50, i % 3))]++;
        Assert.All(counts, c => Assert.InRange(c, 900, 1100));
    }

    [Fact]
    public void The_same_id_always_goes_to_the_same_shard()
    {
        // Fixed by the hash definition, so it holds in every process: a regression here would move chunks on restart.
        Assert.Equal(ShardRouter.Fnv1a64("physics/waves.pdf#3#0") % 4, (ulong)new ShardRouter(4).ShardOf("physics/waves.pdf#3#0"));
        Assert.Equal(0, new ShardRouter(1).ShardOf("anything"));
    }

    [Fact]
    public void Zero_shards_is_refused_with_the_value()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardRouter(0));
        Assert.Contains("shardCount is 0", error.Message);
    }
}
