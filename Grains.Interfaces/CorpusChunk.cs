namespace Pastanoodles;

/// <summary>One indexed chunk: its id (<c>source#page#ordinal</c>), where it came from (<c>source</c> path, 0-based
/// <c>page</c>, start in code points) and its text, with the dense vector computed at ingest and the name of the encoder
/// that computed it when there is one. The retrieval engine indexes it; shard grains keep it as their state.</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.CorpusChunk")]
public sealed record CorpusChunk(
    [property: Id(0)] string Id,
    [property: Id(1)] string Source,
    [property: Id(2)] int Page,
    [property: Id(3)] int Start,
    [property: Id(4)] string Text,
    [property: Id(5)] float[]? Vector = null,
    [property: Id(6)] string? Encoder = null)
{
    /// <summary>The id of the <paramref name="ordinal"/>-th chunk of a page; stable across runs, so the shard is too.</summary>
    public static string MakeId(string source, int page, int ordinal) => $"{source}#{page}#{ordinal}";
}
