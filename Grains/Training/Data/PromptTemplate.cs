using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Training.Data;

/// <summary>How conversational rows (lists of <c>{role, content}</c>) become one prompt string and two completion strings.</summary>
/// <remarks>
/// Each format holds <c>{content}</c> (and <c>{role}</c> for <see cref="Other"/>). The prompt is its turns rendered one
/// after the other, then <see cref="Generation"/> (the header that opens the answer, as <c>add_generation_prompt</c>
/// does in HF chat templates). A completion is its first message through <see cref="Completion"/>, then any
/// further messages as turns. Flat rows (plain strings) are used verbatim, as TRL does with non-conversational
/// rows, unless <see cref="ApplyToFlat"/> is set: then the flat prompt is rendered as one user turn.
/// </remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PromptTemplate
{
    [JsonPropertyName("system")] public string System { get; init; } = "{content}\n";

    [JsonPropertyName("user")] public string User { get; init; } = "Instruct: {content}\n";

    [JsonPropertyName("assistant")] public string Assistant { get; init; } = "Output: {content}\n";

    /// <summary>Any other role (tool, function, ...).</summary>
    [JsonPropertyName("other")] public string Other { get; init; } = "{role}: {content}\n";

    [JsonPropertyName("generation")] public string Generation { get; init; } = "Output:";

    [JsonPropertyName("completion")] public string Completion { get; init; } = " {content}";

    [JsonPropertyName("apply_to_flat")] public bool ApplyToFlat { get; init; }

    /// <summary>Phi-2's QA layout from its model card: "Instruct: ...\nOutput:". The default.</summary>
    public static PromptTemplate Phi { get; } = new();

    /// <summary>ChatML, as the OpenHermes-style binarized sets were written.</summary>
    public static PromptTemplate ChatMl { get; } = new()
    {
        System = "<|im_start|>system\n{content}<|im_end|>\n",
        User = "<|im_start|>user\n{content}<|im_end|>\n",
        Assistant = "<|im_start|>assistant\n{content}<|im_end|>\n",
        Other = "<|im_start|>{role}\n{content}<|im_end|>\n",
        Generation = "<|im_start|>assistant\n",
        Completion = "{content}<|im_end|>",
    };

    public static IReadOnlyList<string> PresetNames { get; } = ["phi", "chatml"];

    /// <summary>A preset name (<c>phi</c>, <c>chatml</c>) or the path of a JSON file with this record's keys.</summary>
    public static PromptTemplate Resolve(string nameOrPath)
    {
        switch (nameOrPath)
        {
            case "phi": return Phi;
            case "chatml": return ChatMl;
        }
        if (!File.Exists(nameOrPath))
            throw new ArgumentException(
                $"--template is '{nameOrPath}'. It must be one of {string.Join(", ", PresetNames)} or the path of a JSON file "
                + "with keys system, user, assistant, other, generation, completion, apply_to_flat.");
        try
        {
            return JsonSerializer.Deserialize<PromptTemplate>(File.ReadAllText(nameOrPath))
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"--template file '{nameOrPath}' is not a valid template: {ex.Message}", ex);
        }
    }

    public string RenderPrompt(IReadOnlyList<ChatMessage> turns)
    {
        var text = new StringBuilder();
        foreach (var turn in turns)
            text.Append(RenderTurn(turn));
        return text.Append(Generation).ToString();
    }

    public string RenderCompletion(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder(Completion.Replace("{content}", messages[0].Content));
        foreach (var message in messages.Skip(1))
            text.Append(RenderTurn(message));
        return text.ToString();
    }

    public string RenderTurn(ChatMessage turn)
    {
        var format = turn.Role switch
        {
            "system" => System,
            "user" => User,
            "assistant" => Assistant,
            _ => Other,
        };
        return format.Replace("{role}", turn.Role).Replace("{content}", turn.Content);
    }
}
