using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Retrieval.Splitting;

namespace Pastanoodles.Retrieval;

/// <summary>The ingest loop, shared by the local index (<see cref="CorpusEngine.IngestDirectory"/>) and the cluster's shard grains:
/// every PDF under a folder → pages → chunks with the corpus' chunk size and overlap (→ their vectors, given an encoder) → the caller's
/// "replace this source's chunks".</summary>
/// <remarks>A file that cannot be opened keeps the chunks it had (its source is not replaced); a file removed from the folder keeps
/// its chunks too (sources are paths relative to the folder, so several folders can share one corpus).</remarks>
public static class CorpusIngest
{
    /// <param name="replaceSource">Replaces every chunk of a source with the given ones (all of them; routing to shards is the caller's).</param>
    /// <param name="encoder">When given, each source's chunks go to <paramref name="replaceSource"/> with their vectors from it
    /// (chunks of other sources keep theirs).</param>
    /// <param name="collection">Prefixes every source name (<see cref="SourceName"/>); null: sources are paths relative to the folder.</param>
    public static async Task<IngestReport> IngestDirectoryAsync(string folder, CorpusOptions options,
        Func<string, IReadOnlyList<CorpusChunk>, Task> replaceSource, IProgress<IngestProgress>? progress = null,
        CancellationToken cancellationToken = default, IDenseEncoder? encoder = null, string? collection = null)
    {
        var splitter = new RecursiveCharacterTextSplitter(options.ChunkSize, options.ChunkOverlap);
        var failures = new List<PdfReadFailure>();
        int files = 0, pages = 0, chunks = 0;
        foreach (var file in new PdfPageReader().ReadDirectory(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            failures.AddRange(file.Failures);
            files++;
            if (file.Pages.Count > 0 || file.Failures.Count == 0)
            {
                var source = SourceName(collection, file.Source);
                var split = Split(source, file.Pages, splitter);
                if (encoder is not null)
                    split = Embed(split, encoder);
                await replaceSource(source, split);
                pages += file.Pages.Count;
                chunks += split.Count;
            }
            progress?.Report(new IngestProgress(files, file.Source, chunks));
        }
        return new IngestReport(files, pages, chunks, failures);
    }

    /// <summary>A file's source name: <c>COLLECTION/RELATIVE/PATH.pdf</c>, or the relative path alone without a collection.</summary>
    public static string SourceName(string? collection, string relativePath) => collection is null ? relativePath : $"{collection}/{relativePath}";

    /// <summary>The chunks of a source's pages, ids numbered per page: what ingest indexes, locally or through the cluster.</summary>
    public static List<CorpusChunk> Split(string source, IEnumerable<PageDocument> pages, RecursiveCharacterTextSplitter splitter)
    {
        var chunks = new List<CorpusChunk>();
        foreach (var page in pages)
        {
            var ordinal = 0;
            foreach (var piece in splitter.SplitWithStartIndex(page.Text))
                chunks.Add(new CorpusChunk(CorpusChunk.MakeId(source, page.Page, ordinal++), source, page.Page, piece.StartIndex, piece.Text));
        }
        return chunks;
    }

    /// <summary>The chunks with their vectors from <paramref name="encoder"/> and its name.</summary>
    public static List<CorpusChunk> Embed(IReadOnlyList<CorpusChunk> chunks, IDenseEncoder encoder)
    {
        var vectors = encoder.Encode([.. chunks.Select(c => c.Text)]);
        return [.. chunks.Select((c, i) => c with { Vector = vectors[i], Encoder = encoder.Name })];
    }
}
