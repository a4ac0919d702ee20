namespace Pastanoodles.Training.Data;

/// <summary>Seeded randomness for data preparation: the same seed gives the same rows in the same order, on any machine.</summary>
/// <remarks>
/// <see cref="Random(int)"/> with a seed uses .NET's fixed legacy algorithm, so its sequence does not change
/// between runtime versions. The shuffle is written out (Fisher–Yates) rather than <c>Random.Shuffle</c>, whose
/// exact draw order is not documented.
/// </remarks>
public static class Seeded
{
    /// <summary>An independent stream for one purpose (a source, a row) from the run's seed.</summary>
    public static Random For(int seed, int stream) => new(unchecked(seed * 1_000_003 + stream * 7_919 + 17) & int.MaxValue);

    public static void Shuffle<T>(IList<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
