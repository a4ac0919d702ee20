// all-MiniLM-L6-v2's pipeline as sentence-transformers runs it (modules.json: Transformer → Pooling → Normalize):
// WordPiece with [CLS] … [SEP], truncated at max_seq_length 256; BertModel; the mean of the token embeddings weighted
// by the attention mask (Pooling, pooling_mode_mean_tokens); L2 normalisation. Vectors are unit length, so cosine
// and dot product agree, as Chroma's default MiniLM function assumes (shared/specs/rag.md §6).
using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Bert;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Tokenization;
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

    readonly BertModel _model;
    readonly BertTokenizer _tokenizer;

    public BertSentenceEncoder(BertModel model, BertTokenizer tokenizer, int maxSeqLength = DefaultMaxSeqLength, string name = "bert")
    {
        if (maxSeqLength < 2 || maxSeqLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLength), maxSeqLength,
                $"max_seq_length is {maxSeqLength}. It must be between 2 ([CLS] and [SEP]) and max_position_embeddings {model.Config.MaxPositionEmbeddings}.");
        _model = model;
        _tokenizer = tokenizer;
        MaxSeqLength = maxSeqLength;
        Name = name;
    }

    /// <summary>Names the weights (all-MiniLM-L6-v2 for the built-in one, the folder's name otherwise): stored vectors carry it.</summary>
    public string Name { get; }

    public int Dimension => _model.Config.HiddenSize;

    public int MaxSeqLength { get; }

    /// <summary>Loads config.json, model.safetensors and vocab.txt from <paramref name="folder"/>; max_seq_length comes from
    /// sentence_bert_config.json when present (256 otherwise), do_lower_case from tokenizer_config.json (true otherwise).</summary>
    public static BertSentenceEncoder Load(string folder)
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
                Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));
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

    /// <summary>The unit vectors of <paramref name="texts"/>, in order. A single text (a query) runs on <see cref="SerialTorchThread"/>,
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

    /// <summary>Unit vectors for token-id rows, right-padded with [PAD] and masked in one batch.</summary>
    public float[][] EncodeIds(IReadOnlyList<int[]> rows)
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
        var hidden = _model.forward(inputIds, attentionMask);                    // [B, T, E]
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

    public void Dispose() => _model.Dispose();
}
