using System.Text.Json;
using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>Reads and writes HF model folders: config.json plus model.safetensors or shards with model.safetensors.index.json.</summary>
/// <remarks>
/// Loading streams one tensor at a time into the built model (quantizing 4-bit layers as it goes), so Phi-2 in
/// NF4 never needs the whole fp32, or even fp16, model in memory. Strict (<see cref="StrictCheckpoint"/>): a missing, unexpected, duplicate or mis-shaped
/// tensor is an error naming the key and both shapes.
/// </remarks>
public static class HfModelFolder
{
    public const string ConfigFile = "config.json";
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    public static PhiConfig ReadConfig(string folder)
    {
        var path = System.IO.Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder} has no {ConfigFile}. An HF model folder needs config.json and model.safetensors (or shards with {IndexFile}).", path);
        return PhiConfig.Load(path);
    }

    public static PhiForCausalLM Load(string folder, PhiBuildOptions? options = null, IProgress<(int Done, int Total, string Key)>? progress = null)
    {
        var config = ReadConfig(folder);
        CheckHeaders(folder, config);   // keys and shapes on the meta device, before a byte of weights is allocated
        var model = new PhiForCausalLM(config, options);
        try
        {
            LoadInto(model, folder, progress);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>Loads every tensor of the folder's checkpoint into <paramref name="model"/>.</summary>
    public static void LoadInto(nn.Module model, string folder, IProgress<(int Done, int Total, string Key)>? progress = null)
    {
        StrictCheckpoint.Load(folder, ShardFiles(folder).Select(f => f.Path), CheckpointMap.For(model), Hint, progress: progress);
    }

    /// <summary>Checks the folder's safetensors headers (no weights read) against the model a config builds; returns a one-line summary.</summary>
    public static string CheckHeaders(string folder, PhiConfig config)
    {
        using var model = new PhiForCausalLM(config, new PhiBuildOptions { Device = META });
        var targets = CheckpointMap.For(model);
        var files = ShardFiles(folder);
        var found = new List<CheckpointTensor>();
        foreach (var (path, _) in files)
        {
            using var reader = new SafeTensorsReader(path);
            found.AddRange(StrictCheckpoint.Tensors([reader]));
        }
        var seen = StrictCheckpoint.Match(folder, found, targets.ToDictionary(t => t.Key, t => t.Value.Shape), Hint);
        var dtypes = new SortedSet<string>(found.Select(t => t.Entry.DType));
        var bytes = found.Sum(t => t.Entry.End - t.Entry.Begin);
        return $"{seen.Count} tensors in {files.Count} file(s), {string.Join("/", dtypes)}, {bytes} bytes, every key and shape as expected";
    }

    const string Hint = "is this a Phi checkpoint for this config.json?";

    /// <summary>Writes config.json and the weights, in shards of at most <paramref name="maxShardBytes"/> when given.</summary>
    public static void Save(PhiForCausalLM model, string folder, ScalarType? dtype = null, long? maxShardBytes = null)
    {
        Directory.CreateDirectory(folder);
        var saveType = dtype ?? model.Options.DType;
        var config = model.Config with { TorchDtype = DtypeName(saveType) };
        File.WriteAllText(System.IO.Path.Combine(folder, ConfigFile), config.ToJson());

        var targets = CheckpointMap.For(model).Values.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        long Bytes(CheckpointTarget t) => t.Shape.Aggregate(1L, (a, b) => a * b) * (saveType == ScalarType.Float32 ? 4 : 2);
        var shards = new List<List<CheckpointTarget>> { new() };
        long current = 0;
        foreach (var target in targets)
        {
            if (maxShardBytes is { } max && current > 0 && current + Bytes(target) > max)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(target);
            current += Bytes(target);
        }

        foreach (var stale in Directory.EnumerateFiles(folder, "model*.safetensors*"))
            File.Delete(stale);
        if (shards.Count == 1)
        {
            WriteShard(System.IO.Path.Combine(folder, SingleFile), shards[0], saveType);
            return;
        }
        var weightMap = new JsonObject();
        for (int i = 0; i < shards.Count; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteShard(System.IO.Path.Combine(folder, name), shards[i], saveType);
            foreach (var target in shards[i]) weightMap[target.Key] = name;
        }
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = targets.Sum(Bytes) },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(System.IO.Path.Combine(folder, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static void WriteShard(string path, List<CheckpointTarget> targets, ScalarType dtype)
    {
        var tensors = targets.Select(t => (t.Key, t.Read(dtype))).ToList();
        try
        {
            SafeTensorsWriter.Write(path, tensors);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>The safetensors files of a folder: the single file, or the shards its index names.</summary>
    public static IReadOnlyList<(string Path, IReadOnlyList<string>? Keys)> ShardFiles(string folder)
    {
        var single = System.IO.Path.Combine(folder, SingleFile);
        var indexPath = System.IO.Path.Combine(folder, IndexFile);
        if (File.Exists(single))
            return [(single, null)];
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"{folder} has neither {SingleFile} nor {IndexFile}.", single);

        JsonObject weightMap;
        try
        {
            weightMap = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject
                ?? throw new InvalidDataException($"{indexPath} has no weight_map object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath} is not valid JSON: {e.Message}", e);
        }
        return weightMap
            .GroupBy(kv => kv.Value!.GetValue<string>(), kv => kv.Key)
            .Select(g =>
            {
                var path = System.IO.Path.Combine(folder, g.Key);
                if (!File.Exists(path))
                    throw new FileNotFoundException($"{indexPath} names shard {g.Key} (for '{g.First()}'), which is not in {folder}.", path);
                return (path, (IReadOnlyList<string>?)g.ToList());
            })
            .ToList();
    }

    static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new NotSupportedException($"Saving a model as {type} is not supported. Valid: Float32, Float16, BFloat16."),
    };
}
