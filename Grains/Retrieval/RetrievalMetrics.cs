// Page-level retrieval metrics: a hit is relevant when both its source and its page match the question's.
namespace Pastanoodles.Retrieval;

/// <summary>recall@k and MRR@k over ranked hit lists, at page level (source and page both match).</summary>
public static class RetrievalMetrics
{
    /// <summary>1-based rank of the first hit on the expected page, or null if none of the hits is.</summary>
    /// <remarks>A question's source may name a cluster source in full (<c>COLLECTION/cs/a.pdf</c>) or by its path in the folder
    /// (<c>cs/a.pdf</c>), which matches it in any collection.</remarks>
    public static int? FirstRelevantRank(IReadOnlyList<SearchHit> hits, string source, int page)
    {
        for (var i = 0; i < hits.Count; i++)
            if (hits[i].Page == page && IsSource(hits[i].Source, source))
                return i + 1;
        return null;
    }

    static bool IsSource(string hit, string expected) =>
        string.Equals(hit, expected, StringComparison.Ordinal) ||
        hit.Length > expected.Length && hit[^(expected.Length + 1)] == '/' && hit.EndsWith(expected, StringComparison.Ordinal);

    /// <summary>Share of questions whose page appears in the top <paramref name="k"/>.</summary>
    public static double RecallAt(IReadOnlyList<int?> firstRanks, int k) =>
        firstRanks.Count == 0 ? 0 : firstRanks.Count(r => r <= k) / (double)firstRanks.Count;

    /// <summary>Mean of 1/rank of the first relevant hit within the top <paramref name="k"/> (0 when not there).</summary>
    public static double MrrAt(IReadOnlyList<int?> firstRanks, int k) =>
        firstRanks.Count == 0 ? 0 : firstRanks.Sum(r => r is { } rank && rank <= k ? 1.0 / rank : 0) / firstRanks.Count;
}
