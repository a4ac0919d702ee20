// The seed's plan analyses the chunks before embedding them: lower case, stop words, lemmas. This wraps any encoder so it
// embeds the index's own analysis of a text (CourseAnalyzer's terms joined by spaces) instead of the raw text, for chunks and
// queries alike. Sentence-transformers models are trained on raw text, so this is a switch to measure, not a default
// (README "Retrieval" has both ways).
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Retrieval.Rerank;

/// <summary>An encoder of analyzed text: <paramref name="inner"/> applied to the lower-cased, stop-word-free, lemmatized terms.</summary>
/// <remarks>Named <c>{inner}+analyzed</c>, so its vectors are never mistaken for the raw-text ones stored under the inner name.</remarks>
public sealed class AnalyzedTextEncoder(IDenseEncoder inner, CourseAnalyzer analyzer) : IDenseEncoder
{
    public const string Suffix = "+analyzed";

    public string Name => inner.Name + Suffix;

    public int Dimension => inner.Dimension;

    /// <summary>What the inner encoder sees for <paramref name="text"/>.</summary>
    public string Analyze(string text) => string.Join(' ', analyzer.Terms(text));   // thread-safe: Lucene keeps a token stream per thread

    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts) => inner.Encode([.. texts.Select(Analyze)]);

    public float[] EncodeQuery(string query) => inner.EncodeQuery(Analyze(query));

    public Task<float[]> EncodeQueryAsync(string query) => inner.EncodeQueryAsync(Analyze(query));
}
