using Pastanoodles.Modeling.Bert;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>Loads a BERT sentence-encoder folder (config.json + model.safetensors + vocab.txt) into a <see cref="BertModel"/>.</summary>
/// <remarks>
/// Key layout: sentence-transformers saves the bare BertModel (<c>embeddings.word_embeddings.weight</c>, ...), while
/// a checkpoint saved from a task head (BertForMaskedLM, ...) prefixes them with <c>bert.</c>. Both are accepted: a
/// leading <c>bert.</c> is dropped. Two keys are known and skipped: the pooler (<c>pooler.dense.*</c>, which mean
/// pooling never uses) and <c>embeddings.position_ids</c> (a buffer older transformers saved). Anything else is strict
/// (<see cref="StrictCheckpoint"/>): an unexpected, duplicate, missing or mis-shaped tensor is an error naming the key and both shapes.
/// </remarks>
public static class BertModelFolder
{
    public const string VocabFile = "vocab.txt";
    const string Prefix = "bert.";

    public static BertConfig ReadConfig(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"BERT folder '{folder}' does not exist. HINT: point --bert at a folder with {HfModelFolder.ConfigFile}, {HfModelFolder.SingleFile} and {VocabFile} (e.g. all-MiniLM-L6-v2).");
        var path = Path.Combine(folder, HfModelFolder.ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder} has no {HfModelFolder.ConfigFile}. A BERT folder needs {HfModelFolder.ConfigFile}, {HfModelFolder.SingleFile} and {VocabFile}.", path);
        return BertConfig.Load(path);
    }

    /// <summary>Builds the model from the folder's config.json and loads every tensor; returns it in eval mode.</summary>
    public static BertModel Load(string folder, Device? device = null)
    {
        var model = new BertModel(ReadConfig(folder), device);
        try
        {
            LoadInto(model, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>The model key a checkpoint key loads into, or null for the keys that are known and skipped.</summary>
    public static string? ModelKey(string fileKey)
    {
        var key = fileKey.StartsWith(Prefix, StringComparison.Ordinal) ? fileKey[Prefix.Length..] : fileKey;
        return key.StartsWith("pooler.", StringComparison.Ordinal) || key == "embeddings.position_ids" ? null : key;
    }

    public static void LoadInto(BertModel model, string folder)
    {
        StrictCheckpoint.Load(folder, HfModelFolder.ShardFiles(folder).Select(f => f.Path), CheckpointMap.For(model),
            "is this a BertModel checkpoint for this config.json?", ModelKey);
    }

    /// <summary>Builds a model of <paramref name="config"/> from an ONNX export's weights (<see cref="OnnxCheckpoint"/>), as strictly as
    /// <see cref="LoadInto"/> loads a folder; returns it in eval mode.</summary>
    public static BertModel LoadOnnx(byte[] onnx, string origin, BertConfig config)
    {
        var model = new BertModel(config);
        try
        {
            var targets = CheckpointMap.For(model);
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (fileKey, (shape, data)) in OnnxCheckpoint.ReadWeights(onnx, origin))
            {
                if (ModelKey(fileKey) is not { } key)
                    continue;
                if (!targets.TryGetValue(key, out var target))
                    throw new InvalidDataException($"{origin} has tensor '{fileKey}', which the model does not have (unexpected key).");
                if (!shape.SequenceEqual(target.Shape))
                    throw new InvalidDataException($"{origin}: tensor '{fileKey}' should be of size [{string.Join(", ", target.Shape)}], but is [{string.Join(", ", shape)}].");
                using var tensor = TorchSharp.torch.tensor(data, shape);
                target.Load(tensor);
                loaded.Add(key);
            }
            if (targets.Keys.FirstOrDefault(k => !loaded.Contains(k)) is { } missing)
                throw new InvalidDataException($"{origin} is missing tensor '{missing}' of shape [{string.Join(", ", targets[missing].Shape)}].");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>Writes config.json and model.safetensors (fp32, bare BertModel keys, or with <c>bert.</c> when asked).</summary>
    public static void Save(BertModel model, string folder, bool prefixed = false)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, HfModelFolder.ConfigFile), model.Config.ToJson());
        var tensors = CheckpointMap.For(model).Values.Select(t => ((prefixed ? Prefix : "") + t.Key, t.Read(ScalarType.Float32))).ToList();
        try
        {
            SafeTensorsWriter.Write(Path.Combine(folder, HfModelFolder.SingleFile), tensors);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }
}
