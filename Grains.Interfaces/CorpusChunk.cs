namespace Pastanoodles;

/// <summary>One indexed chunk: its id (<c>source#page#ordinal</c>), where it came from (<c>source</c> path, 0-based
/// <c>page</c>, start in code points) and its text. The retrieval engine indexes it; shard grains keep it as their state.</summary>
[GenerateSerializer, Immutable, Alias("Pastanoodles.CorpusChunk")]
public sealed record CorpusChunk(
    [property: Id(0)] string Id,
    [property: Id(1)] string Source,
    [property: Id(2)] int Page,
    [property: Id(3)] int Start,
    [property: Id(4)] string Text)
{
    /// <summary>The id of the <paramref name="ordinal"/>-th chunk of a page; stable across runs, so the shard is too.</summary>
    public static string MakeId(string source, int page, int ordinal) => $"{source}#{page}#{ordinal}";
}
