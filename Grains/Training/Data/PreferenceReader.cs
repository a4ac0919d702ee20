using System.Text.Json.Nodes;

namespace Pastanoodles.Training.Data;

/// <summary>The rows read from one preference file, with the layouts they were read in and the columns left unread.</summary>
/// <param name="Layouts">Rows read per layout name (<c>trl-standard</c>, <c>system-question</c>, <c>map(...)</c>, ...).</param>
/// <param name="IgnoredColumns">For each column no layout reads (ratings, metadata, ids), the number of rows that have it.</param>
public sealed record PreferenceSource(
    IReadOnlyList<PreferenceRow> Rows,
    IReadOnlyList<BadRowException> Skipped,
    IReadOnlyDictionary<string, int> Layouts,
    IReadOnlyDictionary<string, int> IgnoredColumns);

/// <summary>Reads preference pairs from JSONL or Parquet in any <see cref="PreferenceLayout"/>, flat or conversational.</summary>
/// <remarks>
/// Each row's layout is told by its columns (<see cref="PreferenceLayout.Detect"/>) unless the source has a column map.
/// Flat: prompt, chosen and rejected are strings. Conversational: chosen and rejected are lists of <c>{role, content}</c>
/// messages; the prompt is the leading messages they share (TRL's <c>extract_prompt</c>), or else the prompt column (a
/// string, read as one user turn, or a message list). When shared messages exist they win over a prompt column, which in
/// binarized sets repeats the user turn. A system column adds a system turn before the prompt; an empty or null one adds
/// nothing (as an empty system message in a list adds nothing). An input column is appended to the prompt after a blank
/// line (Alpaca's instruction + input). A bad row throws <see cref="BadRowException"/>, or is skipped and returned in
/// <see cref="PreferenceSource.Skipped"/> when <c>skipBadRows</c> is set.
/// </remarks>
public sealed class PreferenceReader(PromptTemplate template, bool skipBadRows = false)
{
    public async Task<SourceRows<PreferenceRow>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var source = await ReadSourceAsync(path, null, cancellationToken);
        return new(source.Rows, source.Skipped);
    }

    /// <param name="layout">A column map for every row, or null to detect each row's layout from its columns.</param>
    public async Task<PreferenceSource> ReadSourceAsync(string path, PreferenceLayout? layout, CancellationToken cancellationToken = default)
    {
        var records = await DataRecords.ReadAsync(path, cancellationToken);
        layout?.RequireMappedColumns(path, records.Where(r => r.Fields is not null).SelectMany(r => r.Fields!.Select(p => p.Key)).ToHashSet());
        var read = DataRecords.Parse(records, path, skipBadRows, fields => Parse(fields, path, layout ?? PreferenceLayout.Detect(fields)));
        return new(
            read.Rows.Select(r => r.Row).ToList(),
            read.Skipped,
            read.Rows.CountBy(r => r.Layout).ToDictionary(),
            read.Rows.SelectMany(r => r.Ignored).CountBy(c => c).OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary());
    }

    public PreferenceRow Parse(RowFields fields, string source) => Parse(fields, source, PreferenceLayout.Detect(fields)).Row;

    (PreferenceRow Row, string Layout, IReadOnlyList<string> Ignored) Parse(RowFields fields, string source, PreferenceLayout layout)
    {
        var ignored = fields.Names.Except(layout.Columns).ToList();
        var chosen = Require(fields, layout, layout.Chosen);
        var rejected = Require(fields, layout, layout.Rejected);
        var system = OptionalText(fields, layout.System);
        if (chosen is JsonArray chosenList)
        {
            if (rejected is not JsonArray rejectedList)
                throw fields.Bad(layout.Rejected, $"is a {DataRecords.Describe(rejected)} but '{layout.Chosen}' is a list of messages; both must have the same form");
            var conversation = ParseConversation(fields, source, layout, system,
                fields.Messages(chosenList, layout.Chosen), fields.Messages(rejectedList, layout.Rejected));
            return (conversation, layout == PreferenceLayout.Trl ? "trl-conversational" : layout.Name, ignored);
        }
        var chosenText = fields.Text(chosen, layout.Chosen);
        if (rejected is JsonArray)
            throw fields.Bad(layout.Rejected, $"is a list of messages but '{layout.Chosen}' is a string; both must have the same form");
        var rejectedText = fields.Text(rejected, layout.Rejected);
        var name = layout == PreferenceLayout.Trl ? "trl-standard" : layout.Name;

        var prompt = Require(fields, layout, layout.Prompt);
        IReadOnlyList<ChatMessage> turns;
        if (prompt is JsonArray promptList)
            turns = fields.Messages(promptList, layout.Prompt);
        else
        {
            var promptText = fields.Text(prompt, layout.Prompt);
            if (OptionalText(fields, layout.Input) is { } input)
                promptText += "\n\n" + input;
            if (!layout.Rendered && !template.ApplyToFlat)
                return (new(promptText, chosenText, rejectedText, source, fields.Row), name, ignored);
            turns = [new("user", promptText)];
        }
        var row = new PreferenceRow(template.RenderPrompt(WithSystem(system, turns)),
            template.RenderCompletion([new("assistant", chosenText)]),
            template.RenderCompletion([new("assistant", rejectedText)]), source, fields.Row);
        return (row, name, ignored);
    }

    PreferenceRow ParseConversation(RowFields fields, string source, PreferenceLayout layout, string? system,
        IReadOnlyList<ChatMessage> chosen, IReadOnlyList<ChatMessage> rejected)
    {
        var shared = 0;
        while (shared < chosen.Count && shared < rejected.Count && chosen[shared] == rejected[shared])
            shared++;
        if (shared == chosen.Count && shared == rejected.Count)
            throw fields.Bad(layout.Rejected, $"is identical to '{layout.Chosen}'");
        if (shared == chosen.Count)
            throw fields.Bad(layout.Chosen, $"has no messages after the ones it shares with '{layout.Rejected}'");
        if (shared == rejected.Count)
            throw fields.Bad(layout.Rejected, $"has no messages after the ones it shares with '{layout.Chosen}'");

        IReadOnlyList<ChatMessage> promptTurns;
        if (shared > 0)
            promptTurns = chosen.Take(shared).ToList();
        else if (!fields.Has(layout.Prompt))
            throw fields.Bad(layout.Prompt, $"is missing, and '{layout.Chosen}' and '{layout.Rejected}' share no leading messages to take it from");
        else if (fields.Require(layout.Prompt) is JsonArray promptList)
            promptTurns = fields.Messages(promptList, layout.Prompt);
        else
            promptTurns = [new("user", fields.RequireText(layout.Prompt))];

        return new(template.RenderPrompt(WithSystem(system, promptTurns)),
            template.RenderCompletion(chosen.Skip(shared).ToList()),
            template.RenderCompletion(rejected.Skip(shared).ToList()), source, fields.Row);
    }

    static IReadOnlyList<ChatMessage> WithSystem(string? system, IReadOnlyList<ChatMessage> turns) =>
        system is null ? turns : [new("system", system), .. turns];

    /// <summary>A needed column; when it is missing, the error names the layout the row was read in and the columns it has.</summary>
    static JsonNode Require(RowFields fields, PreferenceLayout layout, string column)
    {
        if (fields.Has(column))
            return fields.Require(column);
        var columns = string.Join(", ", fields.Names);
        throw fields.Bad(column, layout == PreferenceLayout.Trl && !fields.Has(layout.Chosen) && !fields.Has(layout.Prompt)
            ? $"is missing (no known layout matches the row's columns: {columns}; name them with --map FILE:prompt=COLUMN,chosen=COLUMN,rejected=COLUMN)"
            : $"is missing (the row was read as layout {layout.Name}; its columns: {columns})");
    }

    /// <summary>An optional text column: null when the layout has none, or the row lacks it, holds null or holds only whitespace.</summary>
    static string? OptionalText(RowFields fields, string? column)
    {
        if (column is null || fields.Find(column) is not { Node: { } node })
            return null;
        if (node.GetValueKind() != System.Text.Json.JsonValueKind.String)
            throw fields.Bad(column, $"is a {DataRecords.Describe(node)}, expected a string");
        var text = node.GetValue<string>();
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }
}
