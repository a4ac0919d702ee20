using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pastanoodles.Training.Data;

/// <summary>Reads preference pairs from JSONL or Parquet, in the flat or the conversational form.</summary>
/// <remarks>
/// Flat: <c>prompt</c>, <c>chosen</c>, <c>rejected</c> are strings. Conversational: <c>chosen</c> and
/// <c>rejected</c> are lists of <c>{role, content}</c> messages; the prompt is the leading messages they share
/// (TRL's <c>extract_prompt</c>), or else the <c>prompt</c> field (a string, read as one user turn, or a message
/// list). When shared messages exist they win over a <c>prompt</c> field, which in binarized sets repeats the user
/// turn. A bad row throws <see cref="BadRowException"/>, or is skipped and returned in
/// <see cref="SourceRows{T}.Skipped"/> when <c>skipBadRows</c> is set.
/// </remarks>
public sealed class PreferenceReader(PromptTemplate template, bool skipBadRows = false)
{
    public async Task<SourceRows<PreferenceRow>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var records = await DataRecords.ReadAsync(path, cancellationToken);
        return DataRecords.Parse(records, path, skipBadRows, fields => Parse(fields, path));
    }

    public PreferenceRow Parse(RowFields fields, string source)
    {
        var chosen = fields.Require("chosen");
        var rejected = fields.Require("rejected");
        if (chosen is JsonArray chosenList)
        {
            if (rejected is not JsonArray rejectedList)
                throw fields.Bad("rejected", $"is a {DataRecords.Describe(rejected)} but 'chosen' is a list of messages; both must have the same form");
            return ParseConversation(fields, source, fields.Messages(chosenList, "chosen"), fields.Messages(rejectedList, "rejected"));
        }
        var chosenText = fields.Text(chosen, "chosen");
        if (rejected is JsonArray)
            throw fields.Bad("rejected", "is a list of messages but 'chosen' is a string; both must have the same form");
        var rejectedText = fields.Text(rejected, "rejected");
        var prompt = fields.Require("prompt");
        if (prompt is JsonArray promptList)
            return new(template.RenderPrompt(fields.Messages(promptList, "prompt")),
                template.RenderCompletion([new("assistant", chosenText)]),
                template.RenderCompletion([new("assistant", rejectedText)]), source, fields.Row);
        var promptText = fields.Text(prompt, "prompt");
        return template.ApplyToFlat
            ? new(template.RenderPrompt([new("user", promptText)]),
                template.RenderCompletion([new("assistant", chosenText)]),
                template.RenderCompletion([new("assistant", rejectedText)]), source, fields.Row)
            : new(promptText, chosenText, rejectedText, source, fields.Row);
    }

    PreferenceRow ParseConversation(RowFields fields, string source, IReadOnlyList<ChatMessage> chosen, IReadOnlyList<ChatMessage> rejected)
    {
        var shared = 0;
        while (shared < chosen.Count && shared < rejected.Count && chosen[shared] == rejected[shared])
            shared++;
        if (shared == chosen.Count && shared == rejected.Count)
            throw fields.Bad("rejected", "is identical to 'chosen'");
        if (shared == chosen.Count)
            throw fields.Bad("chosen", "has no messages after the ones it shares with 'rejected'");
        if (shared == rejected.Count)
            throw fields.Bad("rejected", "has no messages after the ones it shares with 'chosen'");

        IReadOnlyList<ChatMessage> promptTurns;
        if (shared > 0)
            promptTurns = chosen.Take(shared).ToList();
        else if (!fields.Has("prompt"))
            throw fields.Bad("prompt", "is missing, and 'chosen' and 'rejected' share no leading messages to take it from");
        else if (fields.Require("prompt") is JsonArray promptList)
            promptTurns = fields.Messages(promptList, "prompt");
        else
            promptTurns = [new("user", fields.RequireText("prompt"))];

        return new(template.RenderPrompt(promptTurns),
            template.RenderCompletion(chosen.Skip(shared).ToList()),
            template.RenderCompletion(rejected.Skip(shared).ToList()), source, fields.Row);
    }
}
