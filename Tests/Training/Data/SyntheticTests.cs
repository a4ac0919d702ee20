using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class SyntheticTests
{
    [Fact]
    public void Every_word_is_one_gpt2_token()
    {
        var words = SyntheticWords.Topics.Concat(SyntheticWords.Distractors).Concat(SyntheticWords.Adjectives).Concat(SyntheticWords.Names)
            .Concat(SyntheticWords.Categories.SelectMany(c => c.Members.Append(c.Category)));

        var multi = words.Where(w => DataFiles.R50k.CountTokens(" " + w) != 1).ToList();

        Assert.True(multi.Count == 0, $"not one token: {string.Join(", ", multi)}");
    }

    [Fact]
    public void Topics_and_distractors_are_disjoint()
    {
        Assert.Empty(SyntheticWords.Topics.Intersect(SyntheticWords.Distractors));
    }

    [Fact]
    public void The_same_seed_gives_the_same_rows_and_another_seed_other_rows()
    {
        Assert.Equal(Synthetic.Preferences(50, 3), Synthetic.Preferences(50, 3));
        Assert.NotEqual(Synthetic.Preferences(50, 3), Synthetic.Preferences(50, 4));
        Assert.Equal(Synthetic.Mcqa(50, 3).Select(Key), Synthetic.Mcqa(50, 3).Select(Key));
        Assert.NotEqual(Synthetic.Mcqa(50, 3).Select(Key), Synthetic.Mcqa(50, 4).Select(Key));
    }

    static string Key(McqaRow row) => $"{row.Question}|{string.Join(",", row.Choices)}|{row.Answer}";

    [Fact]
    public void A_rule_checker_separates_chosen_from_rejected_on_every_row()
    {
        var rows = Synthetic.Preferences(500, 1);

        Assert.All(rows, r => Assert.True(Synthetic.FollowsRule(r.Prompt, r.Chosen), r.Chosen));
        Assert.All(rows, r => Assert.False(Synthetic.FollowsRule(r.Prompt, r.Rejected), r.Rejected));
    }

    [Fact]
    public void Chosen_and_rejected_differ_only_in_the_noun()
    {
        Assert.All(Synthetic.Preferences(200, 2), r =>
        {
            var chosen = r.Chosen.Split(' ');
            var rejected = r.Rejected.Split(' ');
            Assert.Equal(chosen.Length, rejected.Length);
            var differing = chosen.Zip(rejected).Where(p => p.First != p.Second).Select(p => p.First.TrimEnd('.', ',')).Distinct();
            Assert.Equal(r.Prompt.Split(' ', '.')[1], Assert.Single(differing));
        });
    }

    [Fact]
    public void Prompts_vary_enough_that_the_default_cap_drops_nothing_from_a_thousand_rows()
    {
        Assert.Empty(PromptCap.Apply(Synthetic.Preferences(1000, 42), maxPerPrompt: 6).Dropped);
    }

    [Fact]
    public void Texts_are_short()
    {
        Assert.All(Synthetic.Preferences(200, 5), r =>
        {
            Assert.InRange(DataFiles.R50k.CountTokens(r.Prompt), 10, 30);
            Assert.InRange(DataFiles.R50k.CountTokens(r.Chosen), 10, 30);
            Assert.InRange(DataFiles.R50k.CountTokens(r.Rejected), 10, 30);
        });
    }

    [Fact]
    public void The_mcqa_answer_letter_follows_from_the_question_and_the_right_option_is_in_the_asked_category()
    {
        var rows = Synthetic.Mcqa(400, 9);
        var letterByQuestion = rows.Take(200).GroupBy(r => r.Question).ToDictionary(g => g.Key, g => g.Select(r => r.AnswerLetter).Distinct().Single());

        Assert.All(rows.Skip(200), r => Assert.Equal(letterByQuestion[r.Question], r.AnswerLetter));
        Assert.All(rows, r =>
        {
            var category = SyntheticWords.Categories.Single(c => r.Question.Contains($" {c.Category}?"));
            Assert.Equal([r.Answer], r.Choices.Select((c, i) => (c, i)).Where(x => category.Members.Contains(x.c)).Select(x => x.i));
        });
        Assert.Equal(4, rows.Select(r => r.AnswerLetter).Distinct().Count());
    }

    [Fact]
    public async Task Synthetic_rows_survive_a_write_and_read_through_the_readers()
    {
        using var files = new DataFiles();
        var dpo = files.Path("dpo.jsonl");
        var mcqa = files.Path("mcqa.jsonl");

        await DatasetWriter.WriteJsonLinesAsync(dpo, Synthetic.Preferences(20, 1));
        await DatasetWriter.WriteJsonLinesAsync(mcqa, Synthetic.Mcqa(20, 1));

        var preferences = (await new PreferenceReader(PromptTemplate.Phi).ReadAsync(dpo)).Rows;
        var questions = (await new McqaReader().ReadAsync(mcqa)).Rows;
        Assert.Equal(Synthetic.Preferences(20, 1).Select(r => (r.Prompt, r.Chosen, r.Rejected)), preferences.Select(r => (r.Prompt, r.Chosen, r.Rejected)));
        Assert.Equal(Synthetic.Mcqa(20, 1).Select(Key), questions.Select(Key));
    }
}
