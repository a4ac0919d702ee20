using Microsoft.ML.Tokenizers;

namespace Pastanoodles.Training.Data;

/// <summary>What truncation did to one row.</summary>
public readonly record struct Truncation(PreferenceRow Row, bool PromptCut, bool CompletionCut)
{
    public bool Any => PromptCut || CompletionCut;
}

/// <summary>Fits a preference row into a token budget the way TRL's DPO tokenization does.</summary>
/// <remarks>
/// The sequences the trainer forwards are prompt+chosen+EOS and prompt+rejected+EOS, so a row fits when
/// <c>tokens(prompt) + max(tokens(chosen), tokens(rejected)) + 1 ≤ MaxTokens</c>. When it does not
/// (TRL <c>tokenize_row</c>, <c>truncation_mode="keep_end"</c>):
/// 1. the prompt is cut to its last <see cref="MaxPromptTokens"/> tokens (keeps the end, where the question is);
/// 2. if it still does not fit, each completion is cut to its first <c>MaxTokens − tokens(prompt) − 1</c> tokens.
/// Prompt and completions are counted separately, as TRL0 tokenizes them (ml.md §6.4). Any
/// <see cref="Tokenizer"/> plugs in; Phi-2's is GPT-2 BPE (<c>TiktokenTokenizer.CreateForEncoding("r50k_base")</c>).
/// Text is cut at token boundaries through the tokenizer's own index search, so no character is split.
/// </remarks>
public sealed class TokenBudget
{
    /// <summary>The EOS the trainer appends to each completion (TRL0 <c>tokenize_row</c>).</summary>
    public const int EosTokens = 1;

    readonly Tokenizer _tokenizer;

    public TokenBudget(Tokenizer tokenizer, int maxTokens = 2048, int? maxPromptTokens = null)
    {
        if (maxTokens < 4)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"--max-tokens is {maxTokens}. It must be at least 4.");
        var prompt = maxPromptTokens ?? maxTokens / 2;
        if (prompt < 1 || prompt > maxTokens - EosTokens - 1)
            throw new ArgumentOutOfRangeException(nameof(maxPromptTokens), prompt,
                $"--max-prompt-tokens is {prompt}. It must be between 1 and --max-tokens − 2 = {maxTokens - EosTokens - 1}, to leave room for a completion and EOS.");
        _tokenizer = tokenizer;
        MaxTokens = maxTokens;
        MaxPromptTokens = prompt;
    }

    public int MaxTokens { get; }

    /// <summary>The prompt's share when a row is too long; TRL0's default ratio, max_prompt_length 512 of max_length 1024.</summary>
    public int MaxPromptTokens { get; }

    public int Count(string text) => _tokenizer.CountTokens(text);

    /// <summary>The longer of prompt+chosen and prompt+rejected, EOS included.</summary>
    public int Length(PreferenceRow row) => Count(row.Prompt) + Math.Max(Count(row.Chosen), Count(row.Rejected)) + EosTokens;

    public Truncation Apply(PreferenceRow row)
    {
        var prompt = Count(row.Prompt);
        var completion = Math.Max(Count(row.Chosen), Count(row.Rejected));
        if (prompt + completion + EosTokens <= MaxTokens)
            return new(row, false, false);

        var promptCut = prompt > MaxPromptTokens;
        if (promptCut)
        {
            row = row with { Prompt = KeepEnd(row.Prompt, MaxPromptTokens) };
            prompt = Count(row.Prompt);
        }
        var room = MaxTokens - prompt - EosTokens;
        if (completion <= room)
            return new(row, promptCut, false);
        row = row with { Chosen = KeepStart(row.Chosen, room), Rejected = KeepStart(row.Rejected, room) };
        return new(row, promptCut, true);
    }

    /// <summary>The longest suffix of at most <paramref name="tokens"/> tokens (counted again on its own).</summary>
    public string KeepEnd(string text, int tokens)
    {
        for (var limit = tokens; limit > 0; limit--)
        {
            var index = _tokenizer.GetIndexByTokenCountFromEnd(text, limit, out var normalized, out _);
            var kept = (normalized ?? text)[index..];
            if (Count(kept) <= tokens)
                return kept;
        }
        return "";
    }

    /// <summary>The longest prefix of at most <paramref name="tokens"/> tokens.</summary>
    public string KeepStart(string text, int tokens)
    {
        if (Count(text) <= tokens)
            return text;
        for (var limit = tokens; limit > 0; limit--)
        {
            var index = _tokenizer.GetIndexByTokenCount(text, limit, out var normalized, out _);
            var kept = (normalized ?? text)[..index];
            if (Count(kept) <= tokens)
                return kept;
        }
        return "";
    }
}
