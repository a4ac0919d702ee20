using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class TokenBudgetTests
{
    static readonly string LongPrompt = string.Concat(Enumerable.Range(0, 200).Select(i => $"word{i} ")) + "QUESTION: what is the answer?";

    static PreferenceRow Row(string prompt, string chosen, string rejected) => new(prompt, chosen, rejected, "a.jsonl", 1);

    [Fact]
    public void A_row_within_the_budget_is_untouched()
    {
        var row = Row("Hello there.", " Hi!", " Go away.");

        var result = new TokenBudget(DataFiles.R50k, maxTokens: 2048).Apply(row);

        Assert.Equal(new Truncation(row, false, false), result);
    }

    [Fact]
    public void The_prompt_is_cut_first_and_keeps_its_end()
    {
        var budget = new TokenBudget(DataFiles.R50k, maxTokens: 64, maxPromptTokens: 32);

        var result = budget.Apply(Row(LongPrompt, " The answer is 42.", " No idea."));

        Assert.True(result.PromptCut);
        Assert.False(result.CompletionCut);
        Assert.EndsWith("QUESTION: what is the answer?", result.Row.Prompt);
        Assert.EndsWith(result.Row.Prompt, LongPrompt);
        Assert.InRange(budget.Count(result.Row.Prompt), 28, 32);
        Assert.Equal(" The answer is 42.", result.Row.Chosen);
    }

    [Fact]
    public void Completions_are_cut_after_the_prompt_keeping_their_start()
    {
        var budget = new TokenBudget(DataFiles.R50k, maxTokens: 48, maxPromptTokens: 16);
        var chosen = " Yes" + string.Concat(Enumerable.Repeat(" and more", 40));
        var rejected = " No" + string.Concat(Enumerable.Repeat(" or less", 40));

        var result = budget.Apply(Row(LongPrompt, chosen, rejected));

        Assert.True(result.PromptCut && result.CompletionCut);
        Assert.StartsWith(result.Row.Chosen, chosen);
        Assert.StartsWith(result.Row.Rejected, rejected);
        Assert.StartsWith(" Yes and more", result.Row.Chosen);
        Assert.InRange(budget.Length(result.Row), 40, 48);
    }

    [Fact]
    public void A_short_prompt_with_long_completions_keeps_the_whole_prompt()
    {
        var budget = new TokenBudget(DataFiles.R50k, maxTokens: 32);
        var chosen = string.Concat(Enumerable.Repeat(" yes", 100));

        var result = budget.Apply(Row("Say yes.", chosen, " no"));

        Assert.False(result.PromptCut);
        Assert.True(result.CompletionCut);
        Assert.Equal("Say yes.", result.Row.Prompt);
        Assert.Equal(" no", result.Row.Rejected);
        Assert.Equal(32, budget.Length(result.Row));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(100)]
    [InlineData(333)]
    public void Every_truncated_row_fits_the_budget(int maxTokens)
    {
        var budget = new TokenBudget(DataFiles.R50k, maxTokens);
        var text = string.Concat(Enumerable.Range(0, 400).Select(i => $"tok{i}é, "));

        var result = budget.Apply(Row(text, text, text[..50]));

        Assert.True(budget.Length(result.Row) <= maxTokens, $"{budget.Length(result.Row)} tokens > {maxTokens}");
    }

    [Fact]
    public void A_prompt_share_that_leaves_no_room_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBudget(DataFiles.R50k, 64, maxPromptTokens: 63));

        Assert.Contains("--max-prompt-tokens is 63", error.Message);
    }
}
