namespace Pastanoodles.Training.Data;

/// <summary>One turn of a conversation as chat datasets store it: <c>{"role": ..., "content": ...}</c>.</summary>
public sealed record ChatMessage(string Role, string Content);
