namespace Pastanoodles.Training.Data;

/// <summary>Which columns of a preference row hold the prompt, the system text, the extra input and the two completions.</summary>
/// <remarks>
/// The known layouts are the ones the seed's sources ship in (README, "Preference data", says which were confirmed from the dataset cards and where):
/// <list type="bullet">
/// <item><see cref="Trl"/>: <c>prompt</c>, <c>chosen</c>, <c>rejected</c>, as strings (TRL's standard form) or message lists
/// (its conversational form). The seed's own M1 set.</item>
/// <item><see cref="SystemQuestion"/>: <c>system</c>, <c>question</c>, <c>chosen</c>, <c>rejected</c>. Intel/orca_dpo_pairs and
/// NeuralNovel/Neural-DPO, which is derived from it.</item>
/// <item><see cref="InstructionResponse"/>: <c>instruction</c> (+ optional <c>input</c>), <c>chosen_response</c>,
/// <c>rejected_response</c>. argilla/distilabel-math-preference-dpo.</item>
/// </list>
/// A layout is <see cref="Rendered"/> when its prompt is built from parts (a system turn, an input): then even a string
/// prompt goes through the <see cref="PromptTemplate"/> as a user turn. TRL's standard form is used verbatim, as TRL does.
/// </remarks>
public sealed record PreferenceLayout(string Name, string Prompt, string Chosen, string Rejected, string? System = null, string? Input = null)
{
    public static PreferenceLayout Trl { get; } = new("trl", "prompt", "chosen", "rejected");

    public static PreferenceLayout SystemQuestion { get; } = new("system-question", "question", "chosen", "rejected", System: "system");

    public static PreferenceLayout InstructionResponse { get; } = new("instruction-response", "instruction", "chosen_response", "rejected_response", Input: "input");

    /// <summary>The parts a column map may name, in the order they are listed in errors and help.</summary>
    public static IReadOnlyList<string> Roles { get; } = ["prompt", "system", "input", "chosen", "rejected"];

    /// <summary>The roles a <c>--map</c> named, with their columns; null for a known layout.</summary>
    public IReadOnlyDictionary<string, string>? Map { get; init; }

    public bool Rendered => System is not null || Input is not null;

    /// <summary>Every column this layout reads; any other column of a row is ignored (and counted).</summary>
    public IEnumerable<string> Columns => new[] { System, Prompt, Input, Chosen, Rejected }.OfType<string>();

    /// <summary>The known layout a row is in, told by its columns: <c>prompt</c> means TRL, whatever else the row has;
    /// otherwise <c>chosen_response</c>/<c>rejected_response</c> mean instruction-response and <c>question</c> means
    /// system-question. Anything else is read as TRL, so a row missing a needed field names it.</summary>
    public static PreferenceLayout Detect(RowFields fields)
    {
        if (fields.Has("prompt"))
            return Trl;
        if (fields.Has("chosen_response") || fields.Has("rejected_response"))
            return InstructionResponse;
        return fields.Has("question") ? SystemQuestion : Trl;
    }

    /// <summary>Parses a <c>--map</c> value, <c>FILE:role=column,role=column</c>, into the file and its layout.</summary>
    /// <remarks>Roles not named keep TRL's column names (<c>prompt</c>, <c>chosen</c>, <c>rejected</c>); <c>system</c> and
    /// <c>input</c> are read only when named.</remarks>
    public static (string Path, PreferenceLayout Layout) ParseMap(string spec)
    {
        var colon = spec.LastIndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1 || !spec[colon..].Contains('='))
            throw new ArgumentException($"--map '{spec}' must look like FILE:prompt=COLUMN,chosen=COLUMN (roles: {string.Join(", ", Roles)}).");
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in spec[(colon + 1)..].Split(','))
        {
            var equals = pair.IndexOf('=');
            var (role, column) = equals < 0 ? (pair.Trim(), "") : (pair[..equals].Trim(), pair[(equals + 1)..].Trim());
            if (!Roles.Contains(role))
                throw new ArgumentException($"--map '{spec}': '{role}' is not a role. Roles: {string.Join(", ", Roles)}.");
            if (column.Length == 0)
                throw new ArgumentException($"--map '{spec}': role '{role}' names no column. Write {role}=COLUMN.");
            if (!columns.TryAdd(role, column))
                throw new ArgumentException($"--map '{spec}': role '{role}' is mapped twice.");
        }
        var name = "map(" + string.Join(",", Roles.Where(columns.ContainsKey).Select(r => $"{r}={columns[r]}")) + ")";
        var layout = new PreferenceLayout(name, columns.GetValueOrDefault("prompt", "prompt"), columns.GetValueOrDefault("chosen", "chosen"),
            columns.GetValueOrDefault("rejected", "rejected"), columns.GetValueOrDefault("system"), columns.GetValueOrDefault("input"))
        {
            Map = columns,
        };
        return (spec[..colon], layout);
    }

    /// <summary>Checks, before any row is read, that every column the map names is in the file.</summary>
    /// <exception cref="InvalidDataException">A mapped column is in no row of the file; names the file and the column.</exception>
    public void RequireMappedColumns(string path, IReadOnlySet<string> fileColumns)
    {
        foreach (var role in Roles)
            if (Map?.GetValueOrDefault(role) is { } column && !fileColumns.Contains(column))
                throw new InvalidDataException(
                    $"{path}: --map {role}={column} names column '{column}', which the file does not have. Its columns: {string.Join(", ", fileColumns.Order(StringComparer.Ordinal))}.");
    }
}
