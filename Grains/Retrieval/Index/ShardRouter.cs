// Stable routing: string.GetHashCode is randomized per process in .NET, so it would send a chunk to a different
// shard after a restart. FNV-1a (64 bit) over UTF-8 is fixed by its definition.
using System.Text;

namespace Pastanoodles.Retrieval.Index;

/// <summary>Maps a chunk id to a shard with a hash that is the same in every process and on every machine.</summary>
public sealed class ShardRouter
{
    public ShardRouter(int shardCount)
    {
        if (shardCount < 1)
            throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, $"shardCount is {shardCount}. It must be 1 or more.");
        ShardCount = shardCount;
    }

    public int ShardCount { get; }

    public int ShardOf(string chunkId) => (int)(Fnv1a64(chunkId) % (ulong)ShardCount);

    /// <summary>FNV-1a 64 of the UTF-8 bytes (offset basis 14695981039346656037, prime 1099511628211).</summary>
    public static ulong Fnv1a64(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
