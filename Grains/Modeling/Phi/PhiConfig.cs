using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Modeling.Phi;

/// <summary>Phi architecture hyper-parameters, read from and written to an HF <c>config.json</c>.</summary>
/// <remarks>
/// Keys are HF's. Defaults are microsoft/phi-2's (not <c>PhiConfig</c>'s class defaults, which are phi-1's).
/// Built-in configs: <see cref="Phi2"/> (microsoft/phi-2) and <see cref="Tiny"/> (same architecture, 2 layers,
/// hidden 64, for tests and demos), <see cref="Mid"/> (about 250M parameters, for benchmarks).
/// </remarks>
public sealed record PhiConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "phi";
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["PhiForCausalLM"];
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 51200;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 2560;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 10240;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 32;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; init; } = 32;
    [JsonPropertyName("partial_rotary_factor")] public double PartialRotaryFactor { get; init; } = 0.4;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu_new";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;
    [JsonPropertyName("qk_layernorm")] public bool QkLayerNorm { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    [JsonPropertyName("resid_pdrop")] public double ResidPdrop { get; init; } = 0.1;
    [JsonPropertyName("embd_pdrop")] public double EmbdPdrop { get; init; }
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 50256;
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 50256;
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; } = "float16";
    [JsonPropertyName("use_cache")] public bool UseCache { get; init; } = true;
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; } = "4.37.0";

    /// <summary>Keys we do not model but keep, so a config round-trips.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;
    [JsonIgnore] public int RotaryDim => (int)(HeadDim * PartialRotaryFactor);

    public static PhiConfig Phi2 { get; } = FromResource("phi-2");
    public static PhiConfig Tiny { get; } = FromResource("tiny");
    public static PhiConfig Mid { get; } = FromResource("mid");

    /// <summary>A built-in config by name: phi-2, tiny or mid.</summary>
    public static PhiConfig BuiltIn(string name) => name switch
    {
        "phi-2" => Phi2,
        "tiny" => Tiny,
        "mid" => Mid,
        _ => throw new ArgumentException($"Config '{name}' is not built in. Valid choices: phi-2, tiny, mid (or a model folder with config.json).", nameof(name)),
    };

    public static PhiConfig FromJson(string json, string origin)
    {
        PhiConfig config;
        try
        {
            config = JsonSerializer.Deserialize<PhiConfig>(json)
                ?? throw new InvalidDataException($"{origin} is empty: expected an HF config.json object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin} is not a valid config.json: {e.Message}", e);
        }
        config.Validate(origin);
        return config;
    }

    public static PhiConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    void Validate(string origin)
    {
        if (ModelType != "phi")
            throw new InvalidDataException($"{origin}: model_type is '{ModelType}'. Only 'phi' (PhiForCausalLM) is supported.");
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{origin}: hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}.");
        if ((NumKeyValueHeads ?? NumAttentionHeads) != NumAttentionHeads)
            throw new InvalidDataException($"{origin}: num_key_value_heads {NumKeyValueHeads} differs from num_attention_heads {NumAttentionHeads}; grouped-query attention is not supported.");
        if (RotaryDim % 2 != 0)
            throw new InvalidDataException($"{origin}: head_dim {HeadDim} × partial_rotary_factor {PartialRotaryFactor} = {RotaryDim} rotary dims; it must be even.");
        if (QkLayerNorm)
            throw new InvalidDataException($"{origin}: qk_layernorm true is not supported (phi-2 has it false).");
        if (HiddenAct != "gelu_new")
            throw new InvalidDataException($"{origin}: hidden_act '{HiddenAct}' is not supported. Valid choices: gelu_new.");
        if (RopeScaling is { ValueKind: not JsonValueKind.Null })
            throw new InvalidDataException($"{origin}: rope_scaling is set; only plain RoPE (null) is supported.");
    }

    static PhiConfig FromResource(string name)
    {
        var resource = $"Pastanoodles.Modeling.Phi.{name}.json";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource {resource} is missing from the build.");
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd(), $"built-in config '{name}'");
    }
}
