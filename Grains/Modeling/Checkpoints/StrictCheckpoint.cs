namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>One tensor as a checkpoint file lists it: the file, the key in the file, and its header entry.</summary>
public sealed record CheckpointTensor(string File, string FileKey, SafeTensorEntry Entry);

/// <summary>Strict loading's one check and one report, for every folder we read (Phi, BERT, PEFT adapters), as HF's
/// <c>_load_state_dict_into_model</c> is one place with one error report.</summary>
/// <remarks>
/// Each file key is mapped to a model key (or skipped, for keys a format is known to carry and we never use). Then:
/// a key the model does not have, two file tensors for one model key, or a shape that differs is an error naming the
/// file, the key and both shapes; keys the model has and the files lack are reported together, with their count and
/// the first few with their shapes. Nothing is loaded here, so a bad checkpoint leaves the model as it was.
/// </remarks>
public static class StrictCheckpoint
{
    /// <summary>How many missing keys the report names before "and N more".</summary>
    public const int MissingShown = 3;

    /// <summary>Matches <paramref name="found"/> against <paramref name="expected"/> (model key → shape).</summary>
    /// <param name="what">The folder or file, for the missing-keys report.</param>
    /// <param name="modelKey">The model key a file key loads into; null skips the tensor. Default: the key itself.</param>
    /// <param name="hint">What to check when a key is unexpected.</param>
    /// <returns>Every expected model key with the file tensor that loads into it.</returns>
    public static Dictionary<string, CheckpointTensor> Match(string what, IEnumerable<CheckpointTensor> found,
        IReadOnlyDictionary<string, long[]> expected, string hint, Func<string, string?>? modelKey = null)
    {
        var located = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var tensor in found)
        {
            if ((modelKey is null ? tensor.FileKey : modelKey(tensor.FileKey)) is not { } key)
                continue;
            if (!expected.TryGetValue(key, out var shape))
                throw new InvalidDataException($"{tensor.File} has tensor '{tensor.FileKey}', which the model does not have (unexpected key). ---> HINT: {hint}");
            if (located.TryGetValue(key, out var other))
                throw new InvalidDataException($"{tensor.File} has tensor '{tensor.FileKey}' and {other.File} has '{other.FileKey}', which both load into '{key}' (duplicate key). " +
                                               "---> HINT: keep one of them; a checkpoint holds each tensor once.");
            if (!tensor.Entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{tensor.File}: tensor '{tensor.FileKey}' should be of size {Shape(shape)}, but is {Shape(tensor.Entry.Shape)}.");
            located[key] = tensor;
        }
        var missing = expected.Keys.Where(k => !located.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{what} is missing {missing.Count} tensor{(missing.Count == 1 ? "" : "s")}: " +
                string.Join(", ", missing.Take(MissingShown).Select(k => $"'{k}' of shape {Shape(expected[k])}")) +
                (missing.Count > MissingShown ? $" and {missing.Count - MissingShown} more" : "") + ".");
        return located;
    }

    /// <summary>Checks every tensor of <paramref name="files"/> against <paramref name="targets"/> (<see cref="Match"/>), then loads
    /// them one at a time in file order, so a large checkpoint never sits in memory whole.</summary>
    public static void Load(string what, IEnumerable<string> files, IReadOnlyDictionary<string, CheckpointTarget> targets, string hint,
        Func<string, string?>? modelKey = null, IProgress<(int Done, int Total, string Key)>? progress = null)
    {
        var readers = new List<SafeTensorsReader>();
        try
        {
            foreach (var file in files)
                readers.Add(new SafeTensorsReader(file));
            var located = Match(what, Tensors(readers), targets.ToDictionary(t => t.Key, t => t.Value.Shape), hint, modelKey);
            var byPath = readers.ToDictionary(r => r.Path);
            int done = 0;
            foreach (var (key, found) in located.OrderBy(kv => kv.Value.File, StringComparer.Ordinal).ThenBy(kv => kv.Value.Entry.Begin))
            {
                using (var tensor = byPath[found.File].Read(found.FileKey))
                    targets[key].Load(tensor);
                progress?.Report((++done, located.Count, key));
            }
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>Every tensor the open readers list, file by file.</summary>
    public static IEnumerable<CheckpointTensor> Tensors(IEnumerable<SafeTensorsReader> readers) =>
        readers.SelectMany(r => r.Entries.Select(e => new CheckpointTensor(r.Path, e.Key, e.Value)));

    static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";
}
