using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pastanoodles.Training.Data;

/// <summary>Typed access to the fields of one <see cref="DataRecord"/>; every failure is a <see cref="BadRowException"/>.</summary>
public readonly struct RowFields(string file, int row, JsonObject fields)
{
    public int Row => row;

    public BadRowException Bad(string field, string problem) => new(file, row, field, problem);

    /// <summary>The first of <paramref name="names"/> present in the row (datasets spell some columns two ways).</summary>
    public (string Name, JsonNode? Node)? Find(params string[] names)
    {
        foreach (var name in names)
            if (fields.TryGetPropertyValue(name, out var node))
                return (name, node);
        return null;
    }

    public bool Has(string name) => fields.ContainsKey(name);

    /// <summary>The row's column names, in file order.</summary>
    public IEnumerable<string> Names => fields.Select(p => p.Key);

    public JsonNode Require(string name)
    {
        if (!fields.TryGetPropertyValue(name, out var node))
            throw Bad(name, "is missing");
        return node ?? throw Bad(name, "is null");
    }

    public string RequireText(string name) => Text(Require(name), name);

    /// <summary>A non-empty string, else the reason it is not one.</summary>
    public string Text(JsonNode? node, string path)
    {
        if (node is null)
            throw Bad(path, "is null");
        if (node.GetValueKind() != JsonValueKind.String)
            throw Bad(path, $"is a {DataRecords.Describe(node)}, expected a string");
        var text = node.GetValue<string>();
        if (string.IsNullOrWhiteSpace(text))
            throw Bad(path, "is empty");
        return text;
    }

    /// <summary>A list of <c>{role, content}</c> messages. Empty system messages carry nothing and are left out.</summary>
    public IReadOnlyList<ChatMessage> Messages(JsonArray array, string path)
    {
        var messages = new List<ChatMessage>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (array[i] is not JsonObject message)
                throw Bad(at, $"is a {DataRecords.Describe(array[i])}, expected a {{role, content}} message");
            if (!message.TryGetPropertyValue("role", out var roleNode))
                throw Bad($"{at}.role", "is missing");
            var role = Text(roleNode, $"{at}.role");
            if (!message.TryGetPropertyValue("content", out var contentNode))
                throw Bad($"{at}.content", "is missing");
            if (role == "system" && contentNode?.GetValueKind() == JsonValueKind.String
                && string.IsNullOrWhiteSpace(contentNode.GetValue<string>()))
                continue;
            messages.Add(new(role, Text(contentNode, $"{at}.content")));
        }
        if (messages.Count == 0)
            throw Bad(path, "is an empty list of messages");
        return messages;
    }
}
