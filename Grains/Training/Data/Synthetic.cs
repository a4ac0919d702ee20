namespace Pastanoodles.Training.Data;

/// <summary>Seeded synthetic preference and MCQA data whose signal a 2-layer model can learn in well under a minute of CPU.</summary>
/// <remarks>
/// Preference rows. The prompt names a topic (an animal or a fruit):
/// <c>"Topic: dog.\nWrite one big sentence about the dog for Tom.\nAnswer:"</c> (adjective and name only vary the
/// prompt: 3,360 distinct prompts, so the per-prompt cap of <c>data prepare</c> keeps thousands of rows). Chosen and rejected use the same frame and the
/// same adjective and differ only in the noun: chosen names the prompt's topic (<c>" The dog is big and the dog is
/// here."</c>), rejected names a household object that is never a topic (<c>" The lamp is big and the lamp is
/// here."</c>). So two cues separate them, both consistent over every row: the chosen noun is copied from the
/// prompt, and the rejected noun comes from a disjoint word set. The second is a unigram preference, which a tiny
/// model picks up in a few steps; the first needs attention to the prompt. Completions are 10–14 GPT-2 tokens,
/// prompts 19–21. <see cref="FollowsRule"/> is the checker.
///
/// MCQA rows. <c>"Which of these is a fruit?"</c> with four options, one from each category. The right option is
/// the one in the asked category, and each category's answer always sits at the same letter (fruit A, animal B,
/// color C, tool D; <see cref="SyntheticWords.Categories"/>), so the answer letter follows from the question's
/// category word alone. The other options are shuffled into the remaining letters.
///
/// The same seed gives the same rows, on any machine (<see cref="Seeded"/>).
/// </remarks>
public static class Synthetic
{
    public const string Source = "synthetic";

    public static IReadOnlyList<PreferenceRow> Preferences(int rows, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var random = new Random(seed);
        var result = new List<PreferenceRow>(rows);
        for (var i = 0; i < rows; i++)
        {
            var topic = Pick(SyntheticWords.Topics, random);
            var other = Pick(SyntheticWords.Distractors, random);
            var adjective = Pick(SyntheticWords.Adjectives, random);
            var name = Pick(SyntheticWords.Names, random);
            var frame = Pick(SyntheticWords.Frames, random).Replace("{a}", adjective);
            result.Add(new(Prompt(topic, adjective, name), frame.Replace("{x}", topic), frame.Replace("{x}", other), Source, i + 1));
        }
        return result;
    }

    public static string Prompt(string topic, string adjective, string name) =>
        $"Topic: {topic}.\nWrite one {adjective} sentence about the {topic} for {name}.\nAnswer:";

    /// <summary>The rule chosen completions keep and rejected ones break: the completion names the prompt's topic.</summary>
    public static bool FollowsRule(string prompt, string completion)
    {
        const string head = "Topic: ";
        if (!prompt.StartsWith(head, StringComparison.Ordinal) || prompt.IndexOf('.') is var dot && dot < head.Length)
            return false;
        var topic = prompt[head.Length..dot];
        return completion.Split([' ', '.', ','], StringSplitOptions.RemoveEmptyEntries).Contains(topic);
    }

    public static IReadOnlyList<McqaRow> Mcqa(int rows, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var random = new Random(seed);
        var categories = SyntheticWords.Categories;
        var result = new List<McqaRow>(rows);
        for (var i = 0; i < rows; i++)
        {
            var asked = random.Next(categories.Length);
            var answer = categories[asked].Letter - 'A';
            var others = Enumerable.Range(0, categories.Length).Where(c => c != asked).ToArray();
            Seeded.Shuffle(others, random);
            var choices = new string[categories.Length];
            choices[answer] = Pick(categories[asked].Members, random);
            var next = 0;
            for (var slot = 0; slot < choices.Length; slot++)
                if (slot != answer)
                    choices[slot] = Pick(categories[others[next++]].Members, random);
            result.Add(new($"Which of these is a {categories[asked].Category}?", choices, answer, Source, i + 1, "synthetic"));
        }
        return result;
    }

    static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];
}
