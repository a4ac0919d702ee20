namespace Pastanoodles;

/// <summary>One retrieved chunk: where it comes from (<c>source</c> path, 0-based <c>page</c>, chunk start in code
/// points), its score (BM25, or the dense similarity after re-ranking) and its text.</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.SearchHit")]
public sealed record SearchHit(
    [property: Id(0)] string ChunkId,
    [property: Id(1)] string Source,
    [property: Id(2)] int Page,
    [property: Id(3)] int Start,
    [property: Id(4)] float Score,
    [property: Id(5)] string Text);
