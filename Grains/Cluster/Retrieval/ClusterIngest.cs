using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Retrieval.Pdf;

namespace Pastanoodles.Cluster;

/// <summary>Ingest into the cluster's shard grains: the shared ingest loop (<see cref="CorpusIngest"/>) with the settings the corpus
/// grain keeps, each file's chunks routed by <see cref="ShardRouter"/> and replaced in every shard grain in parallel (shards that get
/// none of them drop the file's old chunks).</summary>
public static class ClusterIngest
{
    /// <summary>Ingests every PDF under <paramref name="folder"/> as sources <c>COLLECTION/RELATIVE/PATH.pdf</c>; a file that cannot
    /// be read keeps the chunks it had.</summary>
    /// <param name="settings">The settings to set on a new cluster corpus, which an existing one must already have; null keeps the
    /// cluster's (or <see cref="ICorpusGrain.Defaults"/> for a new one).</param>
    /// <param name="encoder">When given, each chunk goes to its shard with its vector, stored in the shard's state (chunks of other
    /// sources keep theirs).</param>
    /// <param name="collection">The sources' namespace, so two folders that both hold <c>notes.pdf</c> keep both. Default: the folder's name.</param>
    /// <param name="replace">Whether a source already in the corpus may be replaced; without it, such an ingest is refused before anything is stored.</param>
    public static async Task<IngestReport> IngestDirectoryAsync(IGrainFactory grains, string folder, CorpusOptions? settings = null,
        IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default, IDenseEncoder? encoder = null,
        string? collection = null, bool replace = false)
    {
        collection ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        if (collection.Length == 0 || collection.Contains('/') || collection.StartsWith('.'))
            throw new ArgumentException($"Collection is '{collection}'. It must be a non-empty name without '/' that does not start with '.'.", nameof(collection));
        var options = await grains.GetGrain<ICorpusGrain>(ICorpusGrain.Key).EnsureSettingsAsync(settings);
        if (!replace)
        {
            var stored = (await StatsAsync(grains)).SelectMany(s => s.Sources).ToHashSet(StringComparer.Ordinal);
            if (PdfPageReader.ListDirectory(folder).Select(f => CorpusIngest.SourceName(collection, f.Source)).FirstOrDefault(stored.Contains) is { } clash)
                throw new InvalidDataException($"Source '{clash}' is already in the cluster corpus; nothing was ingested. " +
                    "Re-ingest with --replace to replace it, or give another --collection.");
        }
        var router = new ShardRouter(options.Shards);
        return await CorpusIngest.IngestDirectoryAsync(folder, options, async (source, chunks) =>
        {
            var byShard = chunks.ToLookup(c => router.ShardOf(c.Id));
            await Task.WhenAll(Enumerable.Range(0, options.Shards).Select(shard =>
                grains.GetGrain<IShardGrain>(shard).ReplaceSourceAsync(source, [.. byShard[shard]])));
        }, progress, cancellationToken, encoder, collection);
    }

    /// <summary>Every shard's counts, shard by shard.</summary>
    public static async Task<IReadOnlyList<ShardStats>> StatsAsync(IGrainFactory grains)
    {
        var settings = await grains.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync();
        return await Task.WhenAll(Enumerable.Range(0, settings?.Shards ?? 0).Select(s => grains.GetGrain<IShardGrain>(s).GetStatsAsync().AsTask()));
    }
}
