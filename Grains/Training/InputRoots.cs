namespace Pastanoodles.Training;

/// <summary>The folders a silo reads an experiment's inputs from (<c>Silo:InputRoots</c>): every path in <see cref="TrainingConfig.InputPathKeys"/>
/// must lie under one of them once its symlinks and <c>..</c> are resolved, as the kernel resolves them.</summary>
/// <remarks>A path outside is refused with one message, whether or not it exists, and nothing is read from it: a client learns
/// neither which files exist nor what they hold. The accepted path is replaced by its resolved form, so what is opened later is
/// what was checked. The experiment grain checks at submit, before anything is stored; the trainer checks again before it starts.</remarks>
public sealed class InputRoots
{
    const int MaxLinks = 40;   // Linux's MAXSYMLINKS
    readonly IReadOnlyList<string> _roots;

    public InputRoots(IEnumerable<string> roots) =>
        _roots = [.. roots.Select(r => Resolve(Path.GetFullPath(r)) ?? Path.GetFullPath(r))];

    /// <summary>The roots, resolved.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary><paramref name="config"/> with every input path (<see cref="TrainingConfig.InputPathKeys"/>) resolved; built-in model
    /// names are not paths.</summary>
    /// <exception cref="InvalidDataException">A path lies outside the roots (one line naming the key and the path as given).</exception>
    public TrainingConfig Confine(TrainingConfig config, string origin) =>
        config.MapPaths(TrainingConfig.InputPathKeys, (key, path) => Confine(path, key, origin));

    /// <summary><paramref name="path"/> resolved, if it lies under a root.</summary>
    /// <exception cref="InvalidDataException">It does not, or it is not absolute.</exception>
    public string Confine(string path, string key, string origin)
    {
        var resolved = Path.IsPathFullyQualified(path) ? Resolve(path) : null;
        if (resolved is null || !_roots.Any(root => IsUnder(resolved, root)))
            throw new InvalidDataException($"{origin}: {key} '{path}' is not under the folders this silo reads (Silo:InputRoots: " +
                $"{string.Join(", ", _roots)}). Put the file in the shared data or artifacts folder and name it there.");
        return resolved;
    }

    static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>An absolute path with every symlink and <c>.</c>/<c>..</c> resolved component by component (a <c>..</c> after a link
    /// goes up from the link's target, as in the kernel); parts that do not exist are kept as they are. Null after too many links.</summary>
    static string? Resolve(string path, int links = 0)
    {
        var current = Path.GetPathRoot(path)!;
        foreach (var part in path[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
                return null;
            var resolved = Resolve(Path.IsPathRooted(target) ? target : Path.Combine(current, target), links);
            if (resolved is null)
                return null;
            current = resolved;
        }
        return current;
    }
}
