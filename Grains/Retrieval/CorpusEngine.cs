// The retrieval engine, plain and Orleans-free: ingest (folder → pages → chunks → shards) and search (every shard
// with collection-wide BM25 statistics → merge → optional dense re-rank). ShardGrain will wrap one ShardIndex each;
// this class runs them all in one process for the local commands, the evaluation and the benchmark.
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Pastanoodles.Retrieval.Analysis;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Retrieval.Splitting;

namespace Pastanoodles.Retrieval;

/// <summary>Progress of an ingest: files read so far out of those found, and chunks written.</summary>
public sealed record IngestProgress(int FilesDone, string CurrentFile, int Chunks);

/// <summary>What an ingest did: files, pages and chunks indexed, and every file or page skipped with its reason.</summary>
public sealed record IngestReport(int Files, int Pages, int Chunks, IReadOnlyList<PdfReadFailure> Failures);

/// <summary>Ingests PDFs into sharded Lucene indexes and searches them as one collection.</summary>
public sealed class CorpusEngine : IDisposable
{
    public const string LsaFileName = "lsa.bin";

    /// <inheritdoc cref="SearchRequest.DefaultRerankDepth"/>
    public const int DefaultRerankDepth = SearchRequest.DefaultRerankDepth;

    private readonly ShardIndex[] _shards;
    private readonly ShardRouter _router;
    private readonly RecursiveCharacterTextSplitter _splitter;
    private LsaEncoder? _lsa;
    private readonly Dictionary<(string Encoder, int Dimension), DenseIndex[]> _dense = [];   // per shard; dropped on every change

    private CorpusEngine(string root, CorpusOptions options)
    {
        Root = root;
        Options = options;
        Analyzer = new CourseAnalyzer(options.Lemmatize);
        var similarity = new BM25Similarity(options.K1, options.B);
        _router = new ShardRouter(options.Shards);
        _splitter = new RecursiveCharacterTextSplitter(options.ChunkSize, options.ChunkOverlap);
        _shards = new ShardIndex[options.Shards];
        try
        {
            for (var i = 0; i < _shards.Length; i++)
                _shards[i] = new ShardIndex(Path.Combine(root, $"shard-{i:D2}"), Analyzer, similarity);
        }
        catch
        {
            foreach (var shard in _shards.Where(s => s is not null))
                shard.Dispose();
            throw;
        }
        var lsaPath = Path.Combine(root, LsaFileName);
        if (File.Exists(lsaPath))
            _lsa = LsaEncoder.Load(lsaPath, Analyzer);
    }

    public string Root { get; }
    public CorpusOptions Options { get; }
    public CourseAnalyzer Analyzer { get; }
    public IReadOnlyList<ShardIndex> Shards => _shards;

    /// <summary>The LSA encoder fitted at the last <see cref="FitLsa"/>, or null before any.</summary>
    public LsaEncoder? Lsa => _lsa;

    /// <summary>Opens the index in <paramref name="root"/>, creating it with <paramref name="create"/> (or the defaults)
    /// when the folder holds none. An existing index keeps the options it was built with; asking for other ones is an error.</summary>
    public static CorpusEngine Open(string root, CorpusOptions? create = null)
    {
        var manifest = Path.Combine(root, CorpusOptions.FileName);
        var existing = File.Exists(manifest) ? CorpusOptions.Load(manifest) : null;
        var options = CorpusOptions.Settle(existing, create, new CorpusOptions(), $"Index '{root}'", "use the same settings, or a new --index folder.");
        if (existing is null)
        {
            Directory.CreateDirectory(root);
            options.Save(manifest);
        }
        return new CorpusEngine(root, options);
    }

    /// <summary>Opens an index that must already exist.</summary>
    public static CorpusEngine OpenExisting(string root)
    {
        if (!File.Exists(Path.Combine(root, CorpusOptions.FileName)))
            throw new DirectoryNotFoundException(
                $"No course index in '{root}' (no {CorpusOptions.FileName}). HINT: run `pastanoodles corpus ingest DIR --index {root}` first.");
        return Open(root);
    }

    /// <summary>Reads every PDF under <paramref name="folder"/>, replaces each file's chunks, commits and refits LSA.
    /// A file that cannot be opened keeps the chunks it had; a file removed from the folder keeps its chunks too
    /// (sources are paths relative to the folder, so several folders can share one index).</summary>
    /// <param name="encoder">When given, every chunk is stored with its vector from this encoder: the new ones as they are
    /// indexed, and then every older chunk whose vector is missing or from another encoder (<see cref="StoreVectors"/>).</param>
    public IngestReport IngestDirectory(string folder, IProgress<IngestProgress>? progress = null, bool fitLsa = true, IDenseEncoder? encoder = null,
        string? collection = null)
    {
        var report = CorpusIngest.IngestDirectoryAsync(folder, Options, (source, chunks) =>
        {
            ReplaceChunks(source, chunks);
            return Task.CompletedTask;
        }, progress, encoder: encoder, collection: collection).GetAwaiter().GetResult();   // the sink is synchronous, so this never blocks on a pending task
        if (encoder is not null)
            StoreVectors(encoder);
        Commit();
        if (fitLsa && report.Chunks > 0)
            FitLsa();
        return report;
    }

    /// <summary>Deletes every chunk of <paramref name="source"/> in every shard, then splits and adds its pages.
    /// Returns the number of chunks added. Not durable until <see cref="Commit"/>.</summary>
    public int ReplaceSource(string source, IEnumerable<PageDocument> pages)
    {
        var chunks = CorpusIngest.Split(source, pages, _splitter);
        ReplaceChunks(source, chunks);
        return chunks.Count;
    }

    /// <summary>Stores a vector from <paramref name="encoder"/> with every chunk that has none from it (none yet, or one from
    /// another encoder): what re-ingesting with another encoder rebuilds. Returns how many were encoded; commit to keep them.</summary>
    public int StoreVectors(IDenseEncoder encoder, int batch = 256)
    {
        var stale = AllChunks().Where(c => c.Encoder != encoder.Name || c.Vector?.Length != encoder.Dimension).ToList();
        for (var start = 0; start < stale.Count; start += batch)
            AddChunks(CorpusIngest.Embed(stale.GetRange(start, Math.Min(batch, stale.Count - start)), encoder));
        return stale.Count;
    }

    /// <summary>Deletes every chunk of <paramref name="source"/> in every shard, then adds <paramref name="chunks"/>.</summary>
    void ReplaceChunks(string source, IReadOnlyList<CorpusChunk> chunks)
    {
        try
        {
            foreach (var shard in _shards)
                shard.DeleteSource(source);
        }
        finally
        {
            ForgetDenseIndexes();
        }
        AddChunks(chunks);
    }

    /// <summary>Adds (or replaces by id) ready-made chunks, each in the shard its id hashes to.</summary>
    public void AddChunks(IEnumerable<CorpusChunk> chunks)
    {
        try
        {
            Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                chunk => _shards[_router.ShardOf(chunk.Id)].Upsert(chunk));
        }
        finally
        {
            ForgetDenseIndexes();
        }
    }

    /// <summary>Drops the dense indexes after the chunks changed (not before: a search in between would rebuild them from the old chunks
    /// and keep them); the next dense search builds them again.</summary>
    void ForgetDenseIndexes()
    {
        lock (_dense)
            _dense.Clear();
    }

    public void Commit()
    {
        foreach (var shard in _shards)
            shard.Commit();
    }

    public int Count => _shards.Sum(s => s.Count);

    /// <summary>Every chunk in the index, shard by shard.</summary>
    public IEnumerable<CorpusChunk> AllChunks() => _shards.SelectMany(s => s.AllChunks());

    /// <summary>Fits the LSA re-ranking basis on every indexed chunk (one basis for all shards) and saves it.</summary>
    public LsaEncoder FitLsa(int rank = 128, int? sample = null)
    {
        var texts = AllChunks().Select(c => c.Text).ToList();
        if (sample is { } n && texts.Count > n)
            texts = texts.OrderBy(t => ShardRouter.Fnv1a64(t)).Take(n).ToList();
        _lsa = LsaEncoder.Fit(texts, Analyzer, rank);
        _lsa.Save(Path.Combine(Root, LsaFileName));
        return _lsa;
    }

    /// <summary>The top <paramref name="k"/> chunks for <paramref name="query"/> by BM25 over the whole collection; with a
    /// <paramref name="reranker"/>, the top <paramref name="rerankDepth"/> BM25 hits re-ordered by it, cut to k; with
    /// <paramref name="dense"/>, the dense retriever's (<see cref="DenseSearch"/>) instead of BM25's.</summary>
    public IReadOnlyList<SearchHit> Search(string query, int k, Reranker? reranker = null, int rerankDepth = DefaultRerankDepth, DenseRetriever? dense = null)
    {
        SearchRequest.CheckCount(k, nameof(k));
        if (dense is not null)
            return reranker is null ? DenseSearch(query, k, dense.Encoder, dense.Metric) : throw new ArgumentException(SearchRequest.DenseHasNothingToRerank);
        var depth = reranker is null ? k : Math.Max(k, rerankDepth);
        var terms = QueryTerms(Analyzer, query);
        if (terms.Count == 0)
            return [];
        var boolean = QueryOf(terms);
        // The query's vector needs no candidate: the encoder's thread computes it while this one searches (the latency is then the slower of the two).
        var queryVector = reranker?.Encoder.EncodeQueryAsync(query);

        var readers = _shards.Select(s => s.Acquire()).ToArray();
        IReadOnlyList<SearchHit> hits;
        try
        {
            var stats = CollectionStats.Gather(readers, terms);
            var perShard = new List<(CorpusChunk Chunk, float Score)>[_shards.Length];
            if (_shards.Length == 1)
                perShard[0] = _shards[0].Search(boolean, readers[0], stats, depth);
            else
                Parallel.For(0, _shards.Length, i => perShard[i] = _shards[i].Search(boolean, readers[i], stats, depth));
            hits = Merge(perShard, depth);
        }
        finally
        {
            foreach (var reader in readers)
                ShardIndex.Release(reader);
        }
        if (reranker is not null)
            hits = reranker.Rerank(query, hits, queryVector!.GetAwaiter().GetResult());
        return hits.Take(k).ToList();
    }

    /// <summary>The seed's retriever: the exact top <paramref name="k"/> chunks by <paramref name="metric"/> between the query's vector and
    /// every chunk's vector stored from <paramref name="encoder"/> (Chroma's flat index), each shard scored on its own and merged as BM25's are.
    /// Chunks without a vector from that encoder are left out; with none at all it is an error naming the index and the encoder.</summary>
    public IReadOnlyList<SearchHit> DenseSearch(string query, int k, IDenseEncoder encoder, DenseMetric metric = DenseMetric.Cosine)
    {
        SearchRequest.CheckCount(k, nameof(k));
        var indexes = DenseIndexes(encoder);
        var vector = encoder.EncodeQuery(query);
        return Merge(indexes.Select(index => index.Search(vector, metric, k)), k);
    }

    /// <summary>Each shard's <see cref="DenseIndex"/> of <paramref name="encoder"/>'s stored vectors, built on first use after a change.</summary>
    public IReadOnlyList<DenseIndex> DenseIndexes(IDenseEncoder encoder)
    {
        var key = (encoder.Name, encoder.Dimension);
        lock (_dense)
        {
            if (!_dense.TryGetValue(key, out var indexes))
            {
                indexes = [.. _shards.Select(s => DenseIndex.Of(s.AllChunks(), encoder.Name, encoder.Dimension))];
                if (indexes.Sum(i => i.Count) == 0 && indexes.Sum(i => i.Missing) > 0)
                    throw new InvalidDataException($"Index '{Root}' has no chunk with a vector from encoder '{encoder.Name}' ({indexes.Sum(i => i.Missing)} chunks without). " +
                        $"HINT: run `pastanoodles corpus ingest DIR --index {Root} --encoder bert` to store them.");
                _dense[key] = indexes;
            }
            return indexes;
        }
    }

    /// <summary>Merges per-shard hit lists by score, ties broken by chunk id (code point order, which is Lucene's UTF-8
    /// byte order), so the order does not depend on the sharding.</summary>
    public static IReadOnlyList<SearchHit> Merge(IEnumerable<IEnumerable<(CorpusChunk Chunk, float Score)>> perShard, int k) =>
        Merge(perShard.Select((hits, shard) => hits.Select(h => SearchHit.From(h.Chunk, h.Score, shard))), k);

    /// <summary>The same merge over hits that already carry their shard (from shard grains).</summary>
    public static IReadOnlyList<SearchHit> Merge(IEnumerable<IEnumerable<SearchHit>> perShard, int k) =>
        perShard.SelectMany(hits => hits)
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.ChunkId, CodePointOrder.Instance)
            .Take(k)
            .ToList();

    /// <summary>The distinct terms of <paramref name="query"/> after analysis, as Lucene terms of the text field (at most
    /// <see cref="BooleanQuery.MaxClauseCount"/>), in first-seen order: what <see cref="Search"/> scores.</summary>
    public static IReadOnlyList<Term> QueryTerms(CourseAnalyzer analyzer, string query) =>
        analyzer.Terms(query, ShardIndex.TextField).Distinct().Take(BooleanQuery.MaxClauseCount)
            .Select(t => new Term(ShardIndex.TextField, t)).ToList();

    /// <summary>The BM25 query <see cref="Search"/> runs: any of the terms (SHOULD clauses).</summary>
    public static BooleanQuery QueryOf(IEnumerable<Term> terms)
    {
        var boolean = new BooleanQuery();
        foreach (var term in terms)
            boolean.Add(new TermQuery(term), Occur.SHOULD);
        return boolean;
    }

    /// <summary>An LSA re-ranker over this index (fitting the basis first if there is none yet).</summary>
    public Reranker LsaReranker(DenseMetric metric = DenseMetric.Cosine, RerankMode mode = RerankMode.Replace) =>
        new(_lsa ?? FitLsa(), metric, mode);

    public void Dispose()
    {
        foreach (var shard in _shards)
            shard.Dispose();
    }
}
