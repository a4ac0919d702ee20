using System.Globalization;

namespace Pastanoodles.Training.Data;

/// <summary>How much of a source to take: all of it, a fraction of its rows, or a number of rows.</summary>
public sealed record SourceSpec(string Path, double? Fraction = null, int? Count = null)
{
    /// <summary>A column map for this source (<c>--map</c>), or null to detect each row's layout.</summary>
    public PreferenceLayout? Columns { get; init; }

    /// <summary>Parses <c>path</c>, <c>path:0.6</c> (a fraction, has a '.') or <c>path:5000</c> (a row count).</summary>
    public static SourceSpec Parse(string spec)
    {
        var colon = spec.LastIndexOf(':');
        if (colon > 0 && colon < spec.Length - 1)
        {
            var amount = spec[(colon + 1)..];
            var path = spec[..colon];
            if (amount.Contains('.') && double.TryParse(amount, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction))
            {
                if (fraction is <= 0 or > 1)
                    throw new ArgumentException($"--source '{spec}' asks for fraction {amount}. A fraction must be in (0, 1]; use a whole number for a row count.");
                return new(path, Fraction: fraction);
            }
            if (int.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                if (count <= 0)
                    throw new ArgumentException($"--source '{spec}' asks for {count} rows. A row count must be greater than 0.");
                return new(path, Count: count);
            }
            if (!File.Exists(spec))
                throw new ArgumentException($"--source '{spec}': '{amount}' after the last ':' is neither a fraction like 0.6 nor a row count like 5000.");
        }
        return new(spec);
    }

    /// <summary>Attaches each <c>--map FILE:role=column,...</c> to the sources read from FILE.</summary>
    public static IReadOnlyList<SourceSpec> WithColumnMaps(IReadOnlyList<SourceSpec> sources, IEnumerable<string> maps)
    {
        var layouts = new Dictionary<string, PreferenceLayout>(StringComparer.Ordinal);
        foreach (var map in maps)
        {
            var (path, layout) = PreferenceLayout.ParseMap(map);
            if (sources.All(s => s.Path != path))
                throw new ArgumentException($"--map '{map}' names '{path}', which is not a --source. Sources: {string.Join(", ", sources.Select(s => s.Path).Distinct())}.");
            if (!layouts.TryAdd(path, layout))
                throw new ArgumentException($"--map names '{path}' twice. Give one --map per file, with all its roles.");
        }
        return sources.Select(s => layouts.TryGetValue(s.Path, out var layout) ? s with { Columns = layout } : s).ToList();
    }

    public override string ToString() =>
        Fraction is { } f ? $"{Path}:{f.ToString(CultureInfo.InvariantCulture)}"
        : Count is { } n ? $"{Path}:{n}"
        : Path;
}

/// <summary>Takes each source whole, by fraction or by row count, with a seeded draw that keeps file order.</summary>
public static class SourceMix
{
    /// <summary>The rows a <paramref name="spec"/> asks for, drawn without replacement and kept in file order.</summary>
    /// <remarks>A fraction takes round(f·n) rows (halves away from zero). A count larger than the source is an error,
    /// not a silent "all of it".</remarks>
    public static IReadOnlyList<T> Take<T>(SourceSpec spec, IReadOnlyList<T> rows, Random random)
    {
        var want = spec switch
        {
            { Fraction: { } f } => (int)Math.Round(f * rows.Count, MidpointRounding.AwayFromZero),
            { Count: { } n } => n,
            _ => rows.Count,
        };
        if (want > rows.Count)
            throw new ArgumentException(
                $"--source '{spec}' asks for {want} rows but '{spec.Path}' has only {rows.Count} usable rows. ---> HINT: ask for at most {rows.Count}, or give a fraction.");
        if (want == rows.Count)
            return rows;
        var indices = Enumerable.Range(0, rows.Count).ToArray();
        Seeded.Shuffle(indices, random);
        var taken = indices.AsSpan(0, want).ToArray();
        Array.Sort(taken);
        return taken.Select(i => rows[i]).ToList();
    }
}
