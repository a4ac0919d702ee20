using System.Text.Json;
using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>Reads and writes HF model folders: config.json plus model.safetensors or shards with model.safetensors.index.json.</summary>
/// <remarks>
/// Loading streams one tensor at a time into the built model (quantizing 4-bit layers as it goes), so Phi-2 in
/// NF4 never needs the whole fp32, or even fp16, model in memory. Strict: a missing, unexpected or mis-shaped
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
        var targets = CheckpointMap.For(model);
        var files = ShardFiles(folder);
        var readers = files.Select(f => new SafeTensorsReader(f.Path)).ToList();
        try
        {
            var located = new Dictionary<string, SafeTensorsReader>(StringComparer.Ordinal);
            foreach (var reader in readers)
                foreach (var key in reader.Entries.Keys)
                {
                    if (!targets.ContainsKey(key))
                        throw new InvalidDataException($"{reader.Path} has tensor '{key}', which the model does not have (unexpected key). ---> HINT: is this a Phi checkpoint for this config.json?");
                    located[key] = reader;
                }
            var missing = targets.Keys.Where(k => !located.ContainsKey(k)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"{folder} is missing tensor '{missing[0]}' of shape [{string.Join(", ", targets[missing[0]].Shape)}]" +
                    (missing.Count > 1 ? $" and {missing.Count - 1} more" : "") + ".");
            foreach (var (key, reader) in located)
            {
                var entry = reader.Entries[key];
                var expected = targets[key].Shape;
                if (!entry.Shape.SequenceEqual(expected))
                    throw new InvalidDataException($"{reader.Path}: tensor '{key}' should be of size [{string.Join(", ", expected)}], but is [{string.Join(", ", entry.Shape)}].");
            }

            int done = 0;
            foreach (var (key, reader) in located.OrderBy(kv => kv.Value.Path).ThenBy(kv => kv.Value.Entries[kv.Key].Begin))
            {
                using (var tensor = reader.Read(key))
                    targets[key].Load(tensor);
                progress?.Report((++done, located.Count, key));
            }
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>Checks the folder's safetensors headers (no weights read) against the model a config builds; returns a one-line summary.</summary>
    public static string CheckHeaders(string folder, PhiConfig config)
    {
        using var model = new PhiForCausalLM(config, new PhiBuildOptions { Device = META });
        var targets = CheckpointMap.For(model);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var dtypes = new SortedSet<string>();
        long bytes = 0;
        var files = ShardFiles(folder);
        foreach (var (path, _) in files)
        {
            using var reader = new SafeTensorsReader(path);
            foreach (var entry in reader.Entries.Values)
            {
                if (!targets.TryGetValue(entry.Name, out var target))
                    throw new InvalidDataException($"{path} has tensor '{entry.Name}', which the model does not have (unexpected key).");
                if (!entry.Shape.SequenceEqual(target.Shape))
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' should be of size [{string.Join(", ", target.Shape)}], but is [{string.Join(", ", entry.Shape)}].");
                seen[entry.Name] = path;
                dtypes.Add(entry.DType);
                bytes += entry.End - entry.Begin;
            }
        }
        var missing = targets.Keys.FirstOrDefault(k => !seen.ContainsKey(k));
        if (missing is not null)
            throw new InvalidDataException($"{folder} is missing tensor '{missing}' of shape [{string.Join(", ", targets[missing].Shape)}].");
        return $"{seen.Count} tensors in {files.Count} file(s), {string.Join("/", dtypes)}, {bytes} bytes, every key and shape as expected";
    }

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
