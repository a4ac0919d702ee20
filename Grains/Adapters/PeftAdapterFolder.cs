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
        var config = ReadConfig(folder);
        var adapters = AdapterInjector.Inject(model, config with { InferenceMode = false });
        var expected = adapters.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder} has no {WeightsFile}.", path);
        using var reader = new SafeTensorsReader(path);
        var seen = new HashSet<string>();
        foreach (var (fileKey, entry) in reader.Entries)
        {
            var key = fileKey.EndsWith(".lora_magnitude_vector.weight") ? fileKey[..^".weight".Length] : fileKey;
            if (!expected.TryGetValue(key, out var parameter))
                throw new InvalidDataException($"{path} has tensor '{fileKey}', which this model's adapter does not have (unexpected key). ---> HINT: does adapter_config.json's target_modules match the file?");
            if (!entry.Shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"{path}: tensor '{fileKey}' should be of size [{string.Join(", ", parameter.shape)}], but is [{string.Join(", ", entry.Shape)}].");
            using var value = reader.Read(fileKey);
            using (no_grad()) parameter.copy_(value);
            seen.Add(key);
        }
        var missing = expected.Keys.FirstOrDefault(k => !seen.Contains(k));
        if (missing is not null)
            throw new InvalidDataException($"{path} is missing tensor '{missing}' of shape [{string.Join(", ", expected[missing].shape)}].");
        return adapters;
    }
}
