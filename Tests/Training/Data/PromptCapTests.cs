using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class PromptCapTests
{
    static PreferenceRow Row(string prompt, int row) => new(prompt, $"c{row}", $"r{row}", "a.jsonl", row);

    [Fact]
    public void At_most_n_rows_per_identical_prompt_are_kept_first_come_first_kept()
    {
        var rows = Enumerable.Range(1, 10).Select(i => Row("same", i)).Append(Row("other", 11)).ToList();

        var (kept, dropped) = PromptCap.Apply(rows, maxPerPrompt: 6);

        Assert.Equal([1, 2, 3, 4, 5, 6, 11], kept.Select(r => r.Row));
        Assert.Equal([7, 8, 9, 10], dropped.Select(r => r.Row));
    }

    [Fact]
    public void Prompts_compare_exactly()
    {
        var rows = new[] { Row("Hi", 1), Row("hi", 2), Row("Hi ", 3), Row("Hi", 4) };

        Assert.Equal([1, 2, 3], PromptCap.Apply(rows, maxPerPrompt: 1).Kept.Select(r => r.Row));
    }

    [Fact]
    public void A_cap_below_one_is_refused_with_the_option_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PromptCap.Apply([], 0));

        Assert.Contains("--max-per-prompt is 0", error.Message);
    }
}
