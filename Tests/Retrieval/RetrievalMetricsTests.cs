using Pastanoodles.Retrieval;

namespace Pastanoodles.Tests.Retrieval;

public class RetrievalMetricsTests
{
    private static SearchHit Hit(string source, int page) => new($"{source}#{page}#0", source, page, 0, 1f, "");

    [Fact]
    public void First_relevant_rank_needs_source_and_page_to_match()
    {
        var hits = new[] { Hit("a.pdf", 1), Hit("b.pdf", 2), Hit("a.pdf", 2) };
        Assert.Equal(3, RetrievalMetrics.FirstRelevantRank(hits, "a.pdf", 2));
        Assert.Equal(1, RetrievalMetrics.FirstRelevantRank(hits, "a.pdf", 1));
        Assert.Null(RetrievalMetrics.FirstRelevantRank(hits, "c.pdf", 1));
    }

    [Fact]
    public void Recall_and_mrr_match_hand_computed_values()
    {
        int?[] ranks = [1, 3, null, 12];
        Assert.Equal(0.25, RetrievalMetrics.RecallAt(ranks, 1));
        Assert.Equal(0.5, RetrievalMetrics.RecallAt(ranks, 5));
        Assert.Equal((1 + 1 / 3.0) / 4, RetrievalMetrics.MrrAt(ranks, 10), 12);
        Assert.Equal(0, RetrievalMetrics.MrrAt([], 10));
    }
}
