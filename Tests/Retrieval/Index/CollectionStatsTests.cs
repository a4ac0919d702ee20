using Lucene.Net.Index;
using Lucene.Net.Search;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Index;

public class CollectionStatsTests
{
    [Fact]
    public void Four_shards_rank_and_score_exactly_like_one_index()
    {
        using var folder = new TempDir();
        var corpus = new SyntheticCorpus(vocabularySize: 3000);
        var chunks = corpus.Chunks(400, words: 60).ToList();
        using var one = CorpusEngine.Open(folder.Combine("one"), new CorpusOptions { Shards = 1 });
        using var four = CorpusEngine.Open(folder.Combine("four"), new CorpusOptions { Shards = 4 });
        one.AddChunks(chunks);
        four.AddChunks(chunks);
        Assert.All(four.Shards, s => Assert.InRange(s.Count, 60, 140));

        var compared = 0;
        foreach (var query in corpus.Queries(40))
        {
            var expected = one.Search(query, 10);
            var actual = four.Search(query, 10);
            Assert.Equal(expected.Select(h => (h.ChunkId, h.Score)), actual.Select(h => (h.ChunkId, h.Score)));
            compared += expected.Count;
        }
        Assert.True(compared > 300, $"only {compared} hits compared");
    }

    [Fact]
    public void Per_shard_statistics_would_score_differently()
    {
        using var folder = new TempDir();
        var corpus = new SyntheticCorpus(vocabularySize: 3000);
        using var four = CorpusEngine.Open(folder.Path, new CorpusOptions { Shards = 4 });
        four.AddChunks(corpus.Chunks(400, words: 60));
        var term = new Term(ShardIndex.TextField, "matrix");
        var query = new TermQuery(term);

        var readers = four.Shards.Select(s => s.Acquire()).ToList();
        try
        {
            var global = CollectionStats.Gather(readers.ToArray(), [term]);
            var differences = 0;
            for (var i = 0; i < readers.Count; i++)
            {
                var local = CollectionStats.Gather([readers[i]], [term]);
                var withGlobal = four.Shards[i].Search(query, readers[i], global, 5);
                var withLocal = four.Shards[i].Search(query, readers[i], local, 5);
                differences += withGlobal.Zip(withLocal).Count(p => p.First.Score != p.Second.Score);
            }
            Assert.True(differences > 0, "local and global statistics gave the same scores; the test corpus does not exercise them");
            Assert.Equal(400, global.Field(ShardIndex.TextField)!.MaxDoc);
        }
        finally
        {
            readers.ForEach(ShardIndex.Release);
        }
    }
}
