// The one analysis chain of the course index, used for indexing and for queries (EnglishAnalyzer.CreateComponents
// shape): standard tokenizer → lower case → stop words → WordNet lemmas. Not a stemmer: see WordNetMorphy.
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;

namespace Pastanoodles.Retrieval.Analysis;

/// <summary>Tokenizes, lower-cases, drops <see cref="CourseStopWords"/> and lemmatizes with WordNet (unless
/// <c>lemmatize</c> is false, kept for comparison runs).</summary>
public sealed class CourseAnalyzer : Analyzer
{
    private readonly WordNetMorphy? _morphy;

    public CourseAnalyzer(bool lemmatize = true, WordNetMorphy? morphy = null)
    {
        Lemmatize = lemmatize;
        _morphy = lemmatize ? morphy ?? new WordNetMorphy() : null;
    }

    public bool Lemmatize { get; }

    protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
    {
        var source = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
        TokenStream sink = new LowerCaseFilter(LuceneVersion.LUCENE_48, source);
        sink = new StopFilter(LuceneVersion.LUCENE_48, sink, CourseStopWords.Set);
        if (_morphy is not null)
            sink = new LemmaFilter(sink, _morphy);
        return new TokenStreamComponents(source, sink);
    }

    /// <summary>The terms this analyzer makes of <paramref name="text"/>, in order.</summary>
    public List<string> Terms(string text, string field = "text")
    {
        var terms = new List<string>();
        using var stream = GetTokenStream(field, new StringReader(text));
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
            terms.Add(term.ToString());
        stream.End();
        return terms;
    }
}
