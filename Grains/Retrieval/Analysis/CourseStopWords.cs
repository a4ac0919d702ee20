// Data table: the stop words CourseAnalyzer removes. Logic lives in CourseAnalyzer.cs.
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Util;

namespace Pastanoodles.Retrieval.Analysis;

/// <summary>Lucene's 33 English stop words plus function words the noun-first lemmatizer would otherwise turn into
/// nouns (has → ha, does → doe, us → u) or that are missing from Lucene's list.</summary>
public static class CourseStopWords
{
    /// <summary>Words added to <see cref="EnglishAnalyzer.DefaultStopSet"/>.</summary>
    public static readonly IReadOnlyList<string> Additions =
    [
        "has", "have", "had", "does", "do", "did", "were", "been", "being", "which", "can", "its", "us", "we",
        "our", "from", "than", "also",
    ];

    /// <summary>The full set, lower case, read-only.</summary>
    public static readonly CharArraySet Set = Build();

    private static CharArraySet Build()
    {
        var set = new CharArraySet(LuceneVersion.LUCENE_48, EnglishAnalyzer.DefaultStopSet, ignoreCase: false);
        foreach (var word in Additions)
            set.Add(word);
        return set.AsReadOnly();
    }
}
