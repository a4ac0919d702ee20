using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;

namespace Pastanoodles.Cluster;

/// <summary>One shard of the course index, keyed by shard number: its chunks are grain state; its Lucene index under this silo's
/// folder is a cache of them (<see cref="CachedShardIndex"/>), rebuilt on activation when missing or stale.</summary>
/// <remarks>Placed at random, so the shards spread over the silos (the default, resource-optimized placement tends to put
/// them all on one; orleans.md §3) and a search's fan-out runs on several machines.</remarks>
[RandomPlacement]
public sealed class ShardGrain(
    [PersistentState("shard", "store")] IPersistentState<ShardState> state,
    IOptions<ShardOptions> shardOptions,
    IOptions<ExperimentOptions> experimentOptions,
    ILocalSiloDetails silo,
    ILogger<ShardGrain> logger) : Grain, IShardGrain
{
    CachedShardIndex? _index;
    CorpusOptions? _settings;   // the corpus grain's; null while the corpus has none (nothing was ingested yet)
    string _folder = "";
    // Per corpus version: the (encoder, length) pairs the stored vectors have, and a matrix for each one a search has asked for. A search
    // naming any other pair gets no hits without a scan, so a caller alternating names or lengths cannot make the shard rebuild.
    (string Version, HashSet<(string Encoder, int Dimension)> Stored, Dictionary<(string, int), DenseIndex> Built)? _dense;
    int _denseBuilds;

    int Shard => (int)this.GetPrimaryKeyLong();
    ShardState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Epoch.Length == 0)
            S.Epoch = Guid.NewGuid().ToString("N");   // written with the first change; an empty shard needs no state yet
        _folder = Path.Combine(shardOptions.Value.ResolveIndexDirectory(experimentOptions.Value.ArtifactsDirectory),
            silo.SiloAddress.Endpoint.ToString().Replace(':', '_'), $"shard-{Shard:D2}");
        _settings = await GrainFactory.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync();
        await OpenIndexAsync(cancellationToken);
    }

    /// <summary>Opens the index cache with the corpus' settings (its analyzer and BM25), rebuilding it from the state when stale.</summary>
    async Task OpenIndexAsync(CancellationToken cancellationToken = default)
    {
        _index?.Dispose();
        var (folder, chunks, version, shard, settings) = (_folder, S.Chunks.ToList(), S.Version, Shard, _settings);
        _index = await Task.Run(() => OpenCache(folder, shard, chunks, version, settings), cancellationToken);
        logger.LogInformation("Shard {Shard}: {Chunks} chunks, index {How} in {Folder}", Shard, chunks.Count, _index.Rebuilt ? "rebuilt" : "reused", folder);
    }

    static CachedShardIndex OpenCache(string folder, int shard, IReadOnlyCollection<CorpusChunk> chunks, string version, CorpusOptions? settings)
    {
        try
        {
            return CachedShardIndex.Open(folder, shard, chunks, version, settings);
        }
        catch (IOException)
        {
            // Still locked by an activation this process never closed (a silo stopped ungracefully in-process): the index is only a cache,
            // so build a new one beside it.
            return CachedShardIndex.Open($"{folder}-{Guid.NewGuid():N}", shard, chunks, version, settings);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _index?.Dispose();
        _index = null;
        return Task.CompletedTask;
    }

    public async Task<int> ReplaceSourceAsync(string source, IReadOnlyList<CorpusChunk> chunks)
    {
        if (chunks.FirstOrDefault(c => c.Source != source) is { } stray)
            throw new ArgumentException($"Chunk '{stray.Id}' has source '{stray.Source}', but it was sent to replace source '{source}'. Every chunk must belong to that source.", nameof(chunks));
        if (_settings is null)
        {
            // Activated before the first ingest stored the settings: reopen with them before indexing anything.
            _settings = await GrainFactory.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync();
            if (_settings is not null && _settings != new CorpusOptions { Shards = _settings.Shards })
                await OpenIndexAsync();
        }
        S.Chunks.RemoveAll(c => c.Source == source);
        S.Chunks.AddRange(chunks.DistinctBy(c => c.Id));
        S.Revision++;
        await state.WriteStateAsync();   // the state is the truth; the index follows it (a crash in between is caught by the version check)
        var (index, version) = (_index!, S.Version);
        await Task.Run(() => index.ReplaceSource(source, chunks, version));
        return S.Chunks.Count;
    }

    public ValueTask<QueryStats> GetQueryStatsAsync(IReadOnlyList<string> terms) => ValueTask.FromResult(_index!.Stats(terms) with { Version = S.Version });

    public ValueTask<ShardHits> SearchAsync(IReadOnlyList<string> terms, QueryStats global, int k) =>
        ValueTask.FromResult(new ShardHits(_index!.Search(terms, global, k), S.Version));

    public async ValueTask<ShardHits> DenseSearchAsync(float[] query, string encoder, DenseMetric metric, int k)
    {
        SearchRequest.CheckCount(k, nameof(k));
        if (_dense is not { } dense || dense.Version != S.Version)
        {
            var stored = S.Chunks.Where(c => c.Vector is not null && c.Encoder is not null).Select(c => (c.Encoder!, c.Vector!.Length)).ToHashSet();
            _dense = dense = (S.Version, stored, []);
        }
        var key = (encoder, query.Length);
        if (!dense.Stored.Contains(key))
            return new ShardHits([], dense.Version, S.Chunks.Count);
        if (!dense.Built.TryGetValue(key, out var index))
        {
            var chunks = S.Chunks.ToList();   // a turn's copy: the index is built off the scheduler
            index = await Task.Run(() => DenseIndex.Of(chunks, encoder, query.Length));
            if (_dense is { } now && now.Version == dense.Version)
                now.Built[key] = index;
            _denseBuilds++;
        }
        var hits = await Task.Run(() => index.Search(query, metric, k));
        return new ShardHits([.. hits.Select(h => SearchHit.From(h.Chunk, h.Score, Shard))], dense.Version, index.Missing);
    }

    public ValueTask<ShardStats> GetStatsAsync() => ValueTask.FromResult(new ShardStats(
        Shard, S.Chunks.Count, [.. S.Chunks.Select(c => c.Source).Distinct().Order(CodePointOrder.Instance)],
        silo.SiloAddress.ToString(), _index!.Rebuilt, _denseBuilds));
}
