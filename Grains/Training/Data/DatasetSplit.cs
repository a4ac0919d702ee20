using System.Globalization;

namespace Pastanoodles.Training.Data;

/// <summary>Train/eval/test fractions, the seed's 0.75/0.125/0.125 by default.</summary>
public sealed record SplitFractions(double Train = 0.75, double Eval = 0.125, double Test = 0.125)
{
    /// <summary>Parses "0.75,0.125,0.125": three fractions ≥ 0 that sum to 1.</summary>
    public static SplitFractions Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || values[i] < 0)
                throw new ArgumentException($"--split is '{text}'. '{parts[i]}' is not a fraction ≥ 0; give three, e.g. 0.75,0.125,0.125.");
        if (values.Length != 3)
            throw new ArgumentException($"--split is '{text}', {values.Length} values. It must be three fractions train,eval,test, e.g. 0.75,0.125,0.125.");
        var split = new SplitFractions(values[0], values[1], values[2]);
        split.Validate(text);
        return split;
    }

    public void Validate(string? asGiven = null)
    {
        var sum = Train + Eval + Test;
        if (Math.Abs(sum - 1) > 1e-6)
            throw new ArgumentException(
                $"--split is '{asGiven ?? ToString()}', which sums to {Math.Round(sum, 6).ToString(CultureInfo.InvariantCulture)}. The three fractions must sum to 1.");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Train},{Eval},{Test}");
}

/// <summary>Shuffled rows cut into train, eval and test.</summary>
public sealed record DatasetSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Eval, IReadOnlyList<T> Test)
{
    /// <summary>Sizes that sum to <paramref name="total"/>: floors first, then the leftover rows go to the largest
    /// remainders (ties to the earlier part), so 100 rows at 0.75/0.125/0.125 give 75/13/12.</summary>
    public static (int Train, int Eval, int Test) Sizes(int total, SplitFractions fractions)
    {
        double[] exact = [total * fractions.Train, total * fractions.Eval, total * fractions.Test];
        var sizes = exact.Select(x => (int)Math.Floor(x + 1e-9)).ToArray();
        var order = Enumerable.Range(0, 3).OrderByDescending(i => exact[i] - sizes[i]).ThenBy(i => i).ToArray();
        for (var k = 0; sizes.Sum() < total; k++)
            sizes[order[k % 3]]++;
        return (sizes[0], sizes[1], sizes[2]);
    }

    /// <summary>Shuffles a copy of <paramref name="rows"/> with <paramref name="seed"/> and cuts it in order train, eval, test.</summary>
    public static DatasetSplit<T> Create(IEnumerable<T> rows, SplitFractions fractions, int seed)
    {
        fractions.Validate();
        var shuffled = rows.ToList();
        Seeded.Shuffle(shuffled, new Random(seed));
        var (train, eval, _) = Sizes(shuffled.Count, fractions);
        return new(shuffled[..train], shuffled[train..(train + eval)], shuffled[(train + eval)..]);
    }
}
