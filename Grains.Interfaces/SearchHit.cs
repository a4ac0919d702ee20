namespace Pastanoodles;

/// <summary>One retrieved chunk: where it comes from (<c>source</c> path, 0-based <c>page</c>, chunk start in code
/// points), its score (BM25, or the dense similarity after re-ranking), its text, and the shard that holds it.
/// With the chunk's stored dense vector and its encoder's name when it has one, so a re-rank encodes only the query.
/// The retrieval engine returns it, and so do the shard and answer grains.</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.SearchHit")]
public sealed record SearchHit(
    [property: Id(0)] string ChunkId,
    [property: Id(1)] string Source,
    [property: Id(2)] int Page,
    [property: Id(3)] int Start,
    [property: Id(4)] float Score,
    [property: Id(5)] string Text,
    [property: Id(6)] int Shard = 0,
    [property: Id(7)] float[]? Vector = null,
    [property: Id(8)] string? Encoder = null)
{
    public static SearchHit From(CorpusChunk chunk, float score, int shard) =>
        new(chunk.Id, chunk.Source, chunk.Page, chunk.Start, score, chunk.Text, shard, chunk.Vector, chunk.Encoder);
}
