using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Modeling.Bert;

/// <summary>BERT architecture hyper-parameters, read from and written to an HF <c>config.json</c>.</summary>
/// <remarks>
/// Keys are HF's (<c>BertConfig</c>). Defaults are sentence-transformers/all-MiniLM-L6-v2's: 6 layers, hidden 384,
/// 12 heads, intermediate 1536, vocab 30,522, exact-erf GELU, layer_norm_eps 1e-12 (shared/specs/rag.md §6).
/// Only what a sentence encoder needs is supported: absolute positions, "gelu", no decoder or cross-attention.
/// </remarks>
public sealed record BertConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["BertModel"];
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 384;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 6;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 1536;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";
    [JsonPropertyName("is_decoder")] public bool IsDecoder { get; init; }

    /// <summary>Keys we do not model but keep, so a config round-trips.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    public static BertConfig FromJson(string json, string origin)
    {
        BertConfig config;
        try
        {
            config = JsonSerializer.Deserialize<BertConfig>(json)
                ?? throw new InvalidDataException($"{origin} is empty: expected an HF config.json object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin} is not a valid config.json: {e.Message}", e);
        }
        config.Validate(origin);
        return config;
    }

    public static BertConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    void Validate(string origin)
    {
        if (ModelType != "bert")
            throw new InvalidDataException($"{origin}: model_type is '{ModelType}'. Only 'bert' (BertModel, as all-MiniLM-L6-v2) is supported.");
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{origin}: hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}.");
        if (HiddenAct != "gelu")
            throw new InvalidDataException($"{origin}: hidden_act '{HiddenAct}' is not supported. Valid choices: gelu (exact erf form).");
        if (PositionEmbeddingType != "absolute")
            throw new InvalidDataException($"{origin}: position_embedding_type '{PositionEmbeddingType}' is not supported. Valid choices: absolute.");
        if (IsDecoder)
            throw new InvalidDataException($"{origin}: is_decoder true is not supported; a sentence encoder is a bidirectional BertModel.");
        if (NumHiddenLayers <= 0 || VocabSize <= 0 || MaxPositionEmbeddings <= 0 || TypeVocabSize <= 0)
            throw new InvalidDataException($"{origin}: num_hidden_layers, vocab_size, max_position_embeddings and type_vocab_size must be positive.");
    }
}
