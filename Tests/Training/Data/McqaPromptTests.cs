using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class McqaPromptTests
{
    static readonly McqaRow Shot = new("  1+1? ", ["1", "2", "3", "4"], 1, "dev.jsonl", 1);
    static readonly McqaRow Test = new("2+2?\n", ["3", "4", "5", "6"], 1, "test.jsonl", 1, "high_school_mathematics");

    [Fact]
    public void Zero_shot_prompt_matches_lm_eval_mmlu()
    {
        Assert.Equal(
            "The following are multiple choice questions (with answers) about high school mathematics.\n\n"
            + "2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:",
            McqaPrompt.Render(Test));
    }

    [Fact]
    public void Few_shot_examples_end_with_their_letter_and_a_blank_line()
    {
        Assert.Equal(
            "The following are multiple choice questions (with answers) about high school mathematics.\n\n"
            + "1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n"
            + "2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:",
            McqaPrompt.Render(Test, [Shot]));
    }

    [Fact]
    public void Without_a_subject_there_is_no_description()
    {
        Assert.Equal("1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:", McqaPrompt.Render(Shot));
    }

    [Fact]
    public void Continuations_are_space_letter_and_one_phi_token_each()
    {
        var continuations = McqaPrompt.Continuations(4);

        Assert.Equal([" A", " B", " C", " D"], continuations);
        // ml.md §7: Phi-2's letters are the single tokens 317/347/327/360.
        Assert.Equal([317, 347, 327, 360], continuations.Select(c => Assert.Single(DataFiles.R50k.EncodeToIds(c))));
    }
}
