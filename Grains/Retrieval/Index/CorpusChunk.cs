namespace Pastanoodles.Retrieval.Index;

/// <summary>One indexed chunk: its id (<c>source#page#ordinal</c>), where it came from and its text.</summary>
public sealed record CorpusChunk(string Id, string Source, int Page, int Start, string Text)
{
    /// <summary>The id of the <paramref name="ordinal"/>-th chunk of a page; stable across runs, so the shard is too.</summary>
    public static string MakeId(string source, int page, int ordinal) => $"{source}#{page}#{ordinal}";
}
