using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Retrieval.Splitting;

namespace Pastanoodles.Client;

/// <summary>Ingest through the cluster: this process reads and splits the PDFs with the local engine's code (same reader, splitter
/// and <see cref="CorpusOptions"/> defaults), routes each file's chunks by <see cref="ShardRouter"/>, and replaces the file's chunks
/// in every shard grain in parallel (shards that get none of them drop the file's old chunks).</summary>
public static class ClusterIngest
{
    /// <summary>Ingests every PDF under <paramref name="folder"/>; a file that cannot be read keeps the chunks it had.</summary>
    /// <param name="encoder">When given, each chunk goes to its shard with its vector (chunks of other sources keep theirs).</param>
    /// <param name="shards">The shard count to set on a new cluster corpus; null keeps the cluster's (or <see cref="ICorpusGrain.DefaultShards"/>).</param>
    public static async Task<IngestReport> IngestDirectoryAsync(IGrainFactory grains, string folder, int? shards = null,
        IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default, Retrieval.Rerank.IDenseEncoder? encoder = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Folder '{folder}' does not exist. HINT: give a folder of *.pdf files, e.g. samples/corpus.");
        var count = await grains.GetGrain<ICorpusGrain>(ICorpusGrain.Key).EnsureShardsAsync(shards);
        var router = new ShardRouter(count);
        var options = new CorpusOptions();
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
                var split = CorpusEngine.Split(file.Source, file.Pages, splitter);
                if (encoder is not null)
                    split = CorpusEngine.Embed(split, encoder);   // stored in the shards' state with each chunk
                var byShard = split.ToLookup(c => router.ShardOf(c.Id));
                await Task.WhenAll(Enumerable.Range(0, count).Select(shard =>
                    grains.GetGrain<IShardGrain>(shard).ReplaceSourceAsync(file.Source, [.. byShard[shard]])));
                pages += file.Pages.Count;
                chunks += split.Count;
            }
            progress?.Report(new IngestProgress(files, file.Source, chunks));
        }
        return new IngestReport(files, pages, chunks, failures);
    }

    /// <summary>Every shard's counts, shard by shard.</summary>
    public static async Task<IReadOnlyList<ShardStats>> StatsAsync(IGrainFactory grains)
    {
        var count = await grains.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetShardsAsync();
        return await Task.WhenAll(Enumerable.Range(0, count).Select(s => grains.GetGrain<IShardGrain>(s).GetStatsAsync().AsTask()));
    }
}
