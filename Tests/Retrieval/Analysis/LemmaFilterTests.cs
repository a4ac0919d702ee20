using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Util;
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Tests.Retrieval.Analysis;

public class LemmaFilterTests
{
    private static readonly WordNetMorphy Morphy = new();

    private static List<string> Run(string text, CharArraySet? keywords = null)
    {
        var tokenizer = new WhitespaceTokenizer(LuceneVersion.LUCENE_48, new StringReader(text));
        TokenStream stream = keywords is null ? tokenizer : new SetKeywordMarkerFilter(tokenizer, keywords);
        using var filter = new LemmaFilter(stream, Morphy);
        var term = filter.AddAttribute<ICharTermAttribute>();
        var terms = new List<string>();
        filter.Reset();
        while (filter.IncrementToken())
            terms.Add(term.ToString());
        filter.End();
        return terms;
    }

    [Fact]
    public void Each_term_becomes_its_lemma_and_repeats_come_from_the_cache()
    {
        Assert.Equal(["mouse", "run", "mouse", "study", "mouse"], Run("mice ran mice studies mouse"));
    }

    [Fact]
    public void Keyword_terms_are_left_alone()
    {
        var keywords = new CharArraySet(LuceneVersion.LUCENE_48, ["mice"], false);
        Assert.Equal(["mice", "run"], Run("mice ran", keywords));
    }

    [Fact]
    public void Terms_longer_than_the_limit_are_left_alone()
    {
        var longWord = new string('s', LemmaFilter.MaxTermLength) + "es";
        Assert.Equal([longWord], Run(longWord));
    }

    [Fact]
    public void Upper_case_terms_are_not_lemmatized_because_the_contract_is_lower_case_input()
    {
        Assert.Equal(["Mice"], Run("Mice"));
    }
}
