// Page-level retrieval metrics: a hit is relevant when both its source and its page match the question's.
namespace Pastanoodles.Retrieval;

/// <summary>recall@k and MRR@k over ranked hit lists, at page level (source and page both match).</summary>
public static class RetrievalMetrics
{
    /// <summary>1-based rank of the first hit on the expected page, or null if none of the hits is.</summary>
    public static int? FirstRelevantRank(IReadOnlyList<SearchHit> hits, string source, int page)
    {
        for (var i = 0; i < hits.Count; i++)
            if (hits[i].Page == page && string.Equals(hits[i].Source, source, StringComparison.Ordinal))
                return i + 1;
        return null;
    }

    /// <summary>Share of questions whose page appears in the top <paramref name="k"/>.</summary>
    public static double RecallAt(IReadOnlyList<int?> firstRanks, int k) =>
        firstRanks.Count == 0 ? 0 : firstRanks.Count(r => r <= k) / (double)firstRanks.Count;

    /// <summary>Mean of 1/rank of the first relevant hit within the top <paramref name="k"/> (0 when not there).</summary>
    public static double MrrAt(IReadOnlyList<int?> firstRanks, int k) =>
        firstRanks.Count == 0 ? 0 : firstRanks.Sum(r => r is { } rank && rank <= k ? 1.0 / rank : 0) / firstRanks.Count;
}
