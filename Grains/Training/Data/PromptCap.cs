namespace Pastanoodles.Training.Data;

/// <summary>Keeps at most N rows per identical prompt, as the seed did for its M1 set (prompts repeated 12–17 times).</summary>
public static class PromptCap
{
    /// <summary>The first <paramref name="maxPerPrompt"/> rows of each prompt in input order, and the ones dropped.</summary>
    /// <remarks>Prompts compare as rendered strings, ordinal. The input order is the mix order (sources in the order
    /// given, rows in file order), so the result does not depend on the shuffle that comes later.</remarks>
    public static (IReadOnlyList<PreferenceRow> Kept, IReadOnlyList<PreferenceRow> Dropped) Apply(IReadOnlyList<PreferenceRow> rows, int maxPerPrompt)
    {
        var keep = Mask(rows, maxPerPrompt);
        return (rows.Where((_, i) => keep[i]).ToList(), rows.Where((_, i) => !keep[i]).ToList());
    }

    /// <summary>For each row, whether it is kept.</summary>
    public static bool[] Mask(IReadOnlyList<PreferenceRow> rows, int maxPerPrompt)
    {
        if (maxPerPrompt < 1)
            throw new ArgumentOutOfRangeException(nameof(maxPerPrompt), maxPerPrompt, $"--max-per-prompt is {maxPerPrompt}. It must be at least 1.");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var keep = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var count = seen.GetValueOrDefault(rows[i].Prompt) + 1;
            seen[rows[i].Prompt] = count;
            keep[i] = count <= maxPerPrompt;
        }
        return keep;
    }
}
