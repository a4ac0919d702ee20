using System.Text.Json.Serialization;

namespace Pastanoodles.Adapters;

/// <summary>LoRA/DoRA adapter settings, with PEFT's <c>LoraConfig</c> JSON keys.</summary>
/// <remarks>Defaults are the seed's QDoRA: r 16, alpha 16, dropout 0.05, DoRA on q_proj, k_proj, v_proj, dense.</remarks>
public sealed record LoraConfig
{
    [JsonPropertyName("peft_type")] public string PeftType { get; init; } = "LORA";
    [JsonPropertyName("task_type")] public string TaskType { get; init; } = "CAUSAL_LM";
    [JsonPropertyName("r")] public int R { get; init; } = 16;
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 16;
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; } = 0.05;
    [JsonPropertyName("target_modules")] public string[] TargetModules { get; init; } = ["q_proj", "k_proj", "v_proj", "dense"];
    [JsonPropertyName("use_dora")] public bool UseDora { get; init; } = true;
    [JsonPropertyName("use_rslora")] public bool UseRslora { get; init; }
    [JsonPropertyName("bias")] public string Bias { get; init; } = "none";
    [JsonPropertyName("fan_in_fan_out")] public bool FanInFanOut { get; init; }
    [JsonPropertyName("init_lora_weights")] public bool InitLoraWeights { get; init; } = true;
    [JsonPropertyName("lora_bias")] public bool LoraBias { get; init; }
    [JsonPropertyName("inference_mode")] public bool InferenceMode { get; init; }
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }
    [JsonPropertyName("revision")] public string? Revision { get; init; }
    [JsonPropertyName("modules_to_save")] public string[]? ModulesToSave { get; init; }
    [JsonPropertyName("layers_to_transform")] public int[]? LayersToTransform { get; init; }
    [JsonPropertyName("layers_pattern")] public string? LayersPattern { get; init; }
    [JsonPropertyName("rank_pattern")] public Dictionary<string, int> RankPattern { get; init; } = new();
    [JsonPropertyName("alpha_pattern")] public Dictionary<string, double> AlphaPattern { get; init; } = new();

    /// <summary>PEFT's <c>scaling</c>: alpha / r, or alpha / √r with rsLoRA.</summary>
    [JsonIgnore] public double Scaling => UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R;

    /// <summary>PEFT's matching rule: a module is targeted when its name equals an entry or ends with "." + entry.</summary>
    public bool Targets(string modulePath) =>
        TargetModules.Any(t => modulePath == t || modulePath.EndsWith("." + t, StringComparison.Ordinal));

    public void Validate()
    {
        if (R <= 0)
            throw new ArgumentException($"r is set to {R}. r must be greater than 0.");
        if (LoraDropout is < 0 or >= 1)
            throw new ArgumentException($"lora_dropout is set to {LoraDropout}. lora_dropout must be in [0, 1).");
        if (TargetModules.Length == 0)
            throw new ArgumentException("target_modules is empty. Name at least one of q_proj, k_proj, v_proj, dense, fc1, fc2.");
        if (PeftType != "LORA")
            throw new ArgumentException($"peft_type is '{PeftType}'. Only LORA (with use_dora for DoRA) is supported.");
        if (Bias != "none" || LoraBias || FanInFanOut)
            throw new ArgumentException("bias other than 'none', lora_bias and fan_in_fan_out are not supported.");
        if (RankPattern.Count > 0 || AlphaPattern.Count > 0 || LayersToTransform is { Length: > 0 } || ModulesToSave is { Length: > 0 })
            throw new ArgumentException("rank_pattern, alpha_pattern, layers_to_transform and modules_to_save are not supported; leave them empty.");
    }
}
