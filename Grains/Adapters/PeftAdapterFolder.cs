using System.Text.Json;
using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>PEFT's adapter folder: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, readable by <c>PeftModel.from_pretrained</c>.</summary>
/// <remarks>
/// The config is written with sorted keys and 2-space indent (PEFT's <c>to_json_file</c>), inference_mode true.
/// Tensor names drop the adapter name "default", and the DoRA magnitude loses ".weight", as PEFT saves them;
/// a file written by PEFT with ".weight" on the magnitude is accepted too.
/// </remarks>
public static class PeftAdapterFolder
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    public static void Save(AdapterSet adapters, string folder, string? baseModel = null)
    {
        Directory.CreateDirectory(folder);
        var config = adapters.Config with { InferenceMode = true, BaseModelNameOrPath = baseModel ?? adapters.Config.BaseModelNameOrPath };
        var node = JsonSerializer.SerializeToNode(config)!.AsObject();
        var sorted = new JsonObject(node.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));
        var temp = Path.Combine(folder, ConfigFile + ".tmp");
        File.WriteAllText(temp, sorted.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        SafeTensorsWriter.Write(Path.Combine(folder, WeightsFile), adapters.NamedParameters().Select(p => (p.Name, (Tensor)p.Value)));
        File.Move(temp, Path.Combine(folder, ConfigFile), overwrite: true);
    }

    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder} has no {ConfigFile}; a PEFT adapter folder needs {ConfigFile} and {WeightsFile}.", path);
        try
        {
            // PEFT drops keys it does not know with a warning; so do we (they are other methods' options).
            return JsonSerializer.Deserialize<LoraConfig>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid adapter config: {e.Message}", e);
        }
    }

    /// <summary>Injects the folder's adapter into <paramref name="model"/> and loads its weights, strictly.</summary>
    public static AdapterSet Load(PhiForCausalLM model, string folder)
    {
        var (config, tensors) = Read(model, folder);
        try
        {
            var adapters = AdapterInjector.Inject(model, config);
            foreach (var (name, parameter) in adapters.NamedParameters())
                using (no_grad()) parameter.copy_(tensors[name]);
            return adapters;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The folder's config and its tensors by PEFT name (the magnitude without ".weight"), every name and shape checked
    /// against what the config targets in <paramref name="model"/>, before anything touches the model. The caller disposes them.</summary>
    public static (LoraConfig Config, Dictionary<string, Tensor> Tensors) Read(PhiForCausalLM model, string folder)
    {
        var config = ReadConfig(folder) with { InferenceMode = false };
        config.Validate();
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder} has no {WeightsFile}.", path);
        using var reader = new SafeTensorsReader(path);
        var expected = ExpectedShapes(model, config);
        var keys = StrictCheckpoint.Match(path, StrictCheckpoint.Tensors([reader]), expected,
            "does adapter_config.json's target_modules match the file?",
            fileKey => fileKey.EndsWith(".lora_magnitude_vector.weight") ? fileKey[..^".weight".Length] : fileKey);
        return (config, expected.Keys.ToDictionary(name => name, name => reader.Read(keys[name].FileKey)));
    }

    /// <summary>PEFT's tensor names and shapes for the layers <paramref name="config"/> targets in <paramref name="model"/>.</summary>
    static Dictionary<string, long[]> ExpectedShapes(PhiForCausalLM model, LoraConfig config)
    {
        var shapes = new Dictionary<string, long[]>();
        foreach (var (path, owner, slot) in model.LinearSlots().Where(s => config.Targets(s.Path)))
        {
            var layer = AdapterInjector.Unwrap(owner.GetLinear(slot));
            var weight = Quantization.BaseLayers.Of(layer)
                ?? throw new InvalidDataException($"{path} is a {layer.GetType().Name}; it already has an adapter or cannot take one.");
            var (inFeatures, outFeatures) = (weight.in_features, weight.out_features);
            var prefix = $"base_model.model.{path}";
            shapes[$"{prefix}.lora_A.weight"] = [config.R, inFeatures];
            shapes[$"{prefix}.lora_B.weight"] = [outFeatures, config.R];
            if (config.UseDora) shapes[$"{prefix}.lora_magnitude_vector"] = [outFeatures];
        }
        if (shapes.Count == 0)
            throw new InvalidDataException($"adapter_config.json's target_modules [{string.Join(", ", config.TargetModules)}] match no layer of this model.");
        return shapes;
    }
}
