// The Lucene side of WordNetMorphy, shaped like Lucene's KStemFilter: attributes taken once, the term buffer
// rewritten in place, no string allocated for a token whose lemma is already cached.
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;

namespace Pastanoodles.Retrieval.Analysis;

/// <summary>Replaces each term by its WordNet lemma (<see cref="WordNetMorphy.Lemmatize(string)"/>).
/// All terms must already be lowercased. Terms marked as keywords are left alone.</summary>
public sealed class LemmaFilter : TokenFilter
{
    /// <summary>Longer terms are left as they are: no WordNet lemma reaches this length, and it bounds the work
    /// spent on junk tokens.</summary>
    public const int MaxTermLength = 64;

    private const int MaxCacheEntries = 100_000;

    private readonly ICharTermAttribute _termAtt;
    private readonly IKeywordAttribute _keywordAtt;
    private readonly WordNetMorphy _morphy;
    private readonly Dictionary<string, string> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public LemmaFilter(TokenStream input, WordNetMorphy morphy) : base(input)
    {
        _termAtt = AddAttribute<ICharTermAttribute>();
        _keywordAtt = AddAttribute<IKeywordAttribute>();
        _morphy = morphy;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public override bool IncrementToken()
    {
        if (!m_input.IncrementToken())
            return false;
        var length = _termAtt.Length;
        if (_keywordAtt.IsKeyword || length > MaxTermLength)
            return true;

        var term = _termAtt.Buffer.AsSpan(0, length);
        if (!_lookup.TryGetValue(term, out var lemma))
        {
            var word = term.ToString();
            lemma = _morphy.Lemmatize(word);
            if (_cache.Count >= MaxCacheEntries)
                _cache.Clear();
            _cache[word] = lemma;
        }
        if (!term.SequenceEqual(lemma))
            _termAtt.SetEmpty().Append(lemma);
        return true;
    }
}
