// all-MiniLM-L6-v2's pipeline as sentence-transformers runs it (modules.json: Transformer → Pooling → Normalize):
// WordPiece with [CLS] … [SEP], truncated at max_seq_length 256; BertModel; the mean of the token embeddings weighted
// by the attention mask (Pooling, pooling_mode_mean_tokens); L2 normalisation. Vectors are unit length, so cosine
// and dot product agree, as Chroma's default MiniLM function assumes (shared/specs/rag.md §6).
// A query (EncodeQuery, sentence-transformers' encode_query) runs by default in bf16 on CPUs that multiply bf16 natively, in a
// copy of the model cast as HF's model.to(torch.bfloat16) does; texts to store (Encode, encode_document) stay fp32 and HF-exact.
using System.Collections.Concurrent;
using BitFaster.Caching.Lru;
using Pastanoodles.Modeling;
using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Bert;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Pastanoodles.Retrieval.Rerank;

/// <summary>A BERT sentence encoder (all-MiniLM-L6-v2's architecture) loaded from an HF folder, as an <see cref="IDenseEncoder"/>.</summary>
/// <remarks>
/// Named after sentence-transformers' role rather than <c>BertEncoder</c>, which is HF's name for the layer stack
/// (<see cref="Modeling.Bert.BertEncoder"/>). Thread-safe: a forward only reads the weights, and TorchSharp's no-grad
/// mode and dispose scopes are per thread.
/// </remarks>
public sealed class BertSentenceEncoder : IDenseEncoder, IDisposable
{
    /// <summary>sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (sentence_bert_config.json).</summary>
    public const int DefaultMaxSeqLength = 256;
    const int BatchSize = 32;

    /// <summary>Query vectors <see cref="EncodeQuery"/> keeps, the least recently used dropped beyond: 4,096 × 384 floats ≈ 6 MB, keyed by
    /// the query's token ids (at most max_seq_length of them, so however long the texts a client sends, the keys stay small).</summary>
    public const int QueryCacheSize = 4096;

    readonly BertModel _model;
    readonly Lazy<BertModel> _queryModel;
    readonly BertTokenizer _tokenizer;
    readonly ConcurrentLru<string, float[]> _queries = new(QueryCacheSize);          // by QueryKey
    readonly ConcurrentDictionary<string, Lazy<Task<float[]>>> _encoding = new();   // queries on their way to _queries, by QueryKey
    long _queryForwards;

    /// <param name="queryDtype">What <see cref="EncodeQuery"/> computes in: float32 or bfloat16 (default <see cref="DefaultQueryDtype"/>).</param>
    public BertSentenceEncoder(BertModel model, BertTokenizer tokenizer, int maxSeqLength = DefaultMaxSeqLength, string name = "bert", ScalarType? queryDtype = null)
    {
        if (maxSeqLength < 2 || maxSeqLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLength), maxSeqLength,
                $"max_seq_length is {maxSeqLength}. It must be between 2 ([CLS] and [SEP]) and max_position_embeddings {model.Config.MaxPositionEmbeddings}.");
        QueryDtype = queryDtype ?? DefaultQueryDtype;
        if (QueryDtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"The query dtype is {QueryDtype}. It must be float32 or bfloat16.");
        _model = model;
        _queryModel = new(() => QueryDtype == ScalarType.Float32 ? model : CastCopy(model, QueryDtype));
        _tokenizer = tokenizer;
        MaxSeqLength = maxSeqLength;
        Name = name;
    }

    /// <summary>bfloat16 where the CPU multiplies bf16 natively (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo): a query's forward then costs
    /// about half of fp32's on one core, with its vector at cosine ≥ 0.9999 to fp32's (README "Re-rank latency"). float32 elsewhere, where
    /// libtorch would emulate bf16 slower than fp32.</summary>
    public static ScalarType DefaultQueryDtype { get; } = CpuHasBf16() ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>What <see cref="EncodeQuery"/> computes in; <see cref="Encode"/> is always float32.</summary>
    public ScalarType QueryDtype { get; }

    /// <summary>float32 or bfloat16 (HF's torch_dtype spellings, any case), or a one-line error naming <paramref name="field"/>.</summary>
    public static ScalarType ParseDtype(string value, string field) => value.ToLowerInvariant() switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"{field} is '{value}'. It must be float32 or bfloat16."),
    };

    static bool CpuHasBf16()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo"))
            return false;
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        return flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");
    }

    /// <summary>A copy of <paramref name="model"/> with every parameter cast to <paramref name="dtype"/> (HF's <c>model.to(dtype)</c>), in eval mode.</summary>
    static BertModel CastCopy(BertModel model, ScalarType dtype)
    {
        var copy = new BertModel(model.Config);
        copy.load_state_dict(model.state_dict());
        copy.to(dtype).eval();
        return copy;
    }

    /// <summary>Names the weights (all-MiniLM-L6-v2 for the built-in one, the folder's name otherwise): stored vectors carry it.</summary>
    public string Name { get; }

    public int Dimension => _model.Config.HiddenSize;

    public int MaxSeqLength { get; }

    /// <summary>Loads config.json, model.safetensors and vocab.txt from <paramref name="folder"/>; max_seq_length comes from
    /// sentence_bert_config.json when present (256 otherwise), do_lower_case from tokenizer_config.json (true otherwise).</summary>
    public static BertSentenceEncoder Load(string folder, ScalarType? queryDtype = null)
    {
        var model = BertModelFolder.Load(folder);
        try
        {
            var vocab = Path.Combine(folder, BertModelFolder.VocabFile);
            if (!File.Exists(vocab))
                throw new FileNotFoundException($"{folder} has no {BertModelFolder.VocabFile} (the WordPiece vocabulary).", vocab);
            var lowerCase = ReadSetting(Path.Combine(folder, "tokenizer_config.json"), "do_lower_case")?.GetValue<bool>() ?? true;
            var maxSeqLength = ReadSetting(Path.Combine(folder, "sentence_bert_config.json"), "max_seq_length")?.GetValue<int>() ?? DefaultMaxSeqLength;
            var tokenizer = BertTokenizer.Load(vocab, lowerCase);
            return new BertSentenceEncoder(model, tokenizer, Math.Min(maxSeqLength, model.Config.MaxPositionEmbeddings),
                Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), queryDtype);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    static JsonNode? ReadSetting(string path, string key)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?[key];
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>[CLS] + the first max_seq_length − 2 WordPiece ids + [SEP] (HF truncation=True, one sequence).</summary>
    public int[] Tokenize(string text)
    {
        return _tokenizer.Encode(text, MaxSeqLength);
    }

    /// <summary>Whether <see cref="EncodeQuery"/> keeps the last <see cref="QueryCacheSize"/> query vectors, so a query asked again (a
    /// popular question, every setup after the first of a cluster evaluation, the sweep's weights) costs no forward. On by default;
    /// benchmarks and timed evaluations turn it off to time the forward.</summary>
    public bool CacheQueries { get; set; } = true;

    /// <summary>Query forwards run so far (a cached query runs none; tests count them).</summary>
    public long QueryForwards => Interlocked.Read(ref _queryForwards);

    /// <summary>A query's unit vector, computed in <see cref="QueryDtype"/> on <see cref="SerialTorchThread"/> (one intra-op thread), or the
    /// one computed for the same token ids before (<see cref="CacheQueries"/>). The array is the caller's own.</summary>
    public float[] EncodeQuery(string query)
    {
        var ids = Tokenize(query);
        if (!CacheQueries)
            return SerialTorchThread.Run(QueryForward(ids));
        var key = QueryKey(ids);
        if (!_queries.TryGet(key, out var vector))
            _queries.AddOrUpdate(key, vector = SerialTorchThread.Run(QueryForward(ids)));
        return (float[])vector.Clone();
    }

    /// <summary><see cref="EncodeQuery"/> queued on <see cref="SerialTorchThread"/> without blocking the caller meanwhile. A cached query
    /// completes at once; callers asking for the same query while it is encoded share its one forward.</summary>
    public async Task<float[]> EncodeQueryAsync(string query)
    {
        var ids = Tokenize(query);
        if (!CacheQueries)
            return await SerialTorchThread.RunAsync(QueryForward(ids));
        var key = QueryKey(ids);
        if (_queries.TryGet(key, out var kept))
            return (float[])kept.Clone();
        var shared = _encoding.GetOrAdd(key, k => new Lazy<Task<float[]>>(() => EncodeAndKeepAsync(k, ids))).Value;
        return (float[])(await shared).Clone();
    }

    async Task<float[]> EncodeAndKeepAsync(string key, int[] ids)
    {
        try
        {
            var vector = await SerialTorchThread.RunAsync(QueryForward(ids));
            _queries.AddOrUpdate(key, vector);
            return vector;
        }
        finally
        {
            _encoding.TryRemove(key, out _);   // kept (or failed): the next asker reads the cache (or tries again)
        }
    }

    /// <summary>What the cache knows a query by: its token ids (texts that tokenize alike, such as two casings, share a vector).</summary>
    static string QueryKey(int[] ids) => string.Join(' ', ids);

    /// <summary>One query's forward, to run on <see cref="SerialTorchThread"/> (counted now).</summary>
    Func<float[]> QueryForward(int[] ids)
    {
        Interlocked.Increment(ref _queryForwards);
        return () => EncodeIds([ids], _queryModel.Value)[0];
    }

    /// <summary>The fp32 unit vectors of <paramref name="texts"/>, in order. A single text runs on <see cref="SerialTorchThread"/>,
    /// with one intra-op thread; batches (ingest) use every thread.</summary>
    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts)
    {
        if (texts.Count == 1)
        {
            var ids = Tokenize(texts[0]);
            return SerialTorchThread.Run(() => EncodeIds([ids]));
        }
        var vectors = new float[texts.Count][];
        for (var start = 0; start < texts.Count; start += BatchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(BatchSize, texts.Count - start)).Select(i => Tokenize(texts[i])).ToList();
            var encoded = EncodeIds(batch);
            for (var i = 0; i < encoded.Length; i++)
                vectors[start + i] = encoded[i];
        }
        return vectors;
    }

    /// <summary>fp32 unit vectors for token-id rows, right-padded with [PAD] and masked in one batch.</summary>
    public float[][] EncodeIds(IReadOnlyList<int[]> rows) => EncodeIds(rows, _model);

    /// <summary>Unit vectors of <paramref name="model"/>'s last hidden state, pooled and normalised in fp32.</summary>
    float[][] EncodeIds(IReadOnlyList<int[]> rows, BertModel model)
    {
        if (rows.Count == 0)
            return [];
        var length = rows.Max(r => r.Length);
        var ids = new long[rows.Count * length];
        var mask = new long[rows.Count * length];
        Array.Fill(ids, _tokenizer.PadId);
        for (var b = 0; b < rows.Count; b++)
            for (var t = 0; t < rows[b].Length; t++)
            {
                ids[b * length + t] = rows[b][t];
                mask[b * length + t] = 1;
            }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var inputIds = tensor(ids, [rows.Count, length]);
        var attentionMask = tensor(mask, [rows.Count, length]);
        var hidden = model.forward(inputIds, attentionMask).to(ScalarType.Float32);  // [B, T, E]
        var pooled = MeanPooling(hidden, attentionMask);                          // [B, E]
        var unit = nn.functional.normalize(pooled, p: 2, dim: 1);                 // Normalize(): eps 1e-12
        var flat = unit.contiguous().data<float>().ToArray();
        var e = (int)unit.shape[1];
        return Enumerable.Range(0, rows.Count).Select(b => flat.AsSpan(b * e, e).ToArray()).ToArray();
    }

    /// <summary>sentence-transformers' Pooling (mean tokens): Σ_t h[b,t]·m[b,t] / max(Σ_t m[b,t], 1e-9).</summary>
    public static Tensor MeanPooling(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.unsqueeze(-1).to(hidden.dtype);                     // [B, T, 1]
        var sum = (hidden * m).sum(1);                                            // [B, E]
        var count = m.sum(1).clamp_min(1e-9);                                     // [B, 1]
        return (sum / count).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        if (_queryModel.IsValueCreated && _queryModel.Value != _model)
            _queryModel.Value.Dispose();
        _model.Dispose();
    }
}
