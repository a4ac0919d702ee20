using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Tests.Retrieval.Analysis;

/// <summary>NLTK doctests and the WordNet 3.0 vectors of shared/specs/rag.md §3.</summary>
public class WordNetMorphyTests
{
    private static readonly WordNetMorphy Morphy = new();

    [Theory]
    [InlineData("dogs", "dog")]
    [InlineData("churches", "church")]
    [InlineData("aardwolves", "aardwolf")]
    [InlineData("abaci", "abacus")]
    [InlineData("hardrock", "hardrock")]
    [InlineData("matrices", "matrix")]
    [InlineData("vertices", "vertex")]
    [InlineData("indices", "index")]
    [InlineData("analyses", "analysis")]
    [InlineData("criteria", "criterion")]
    [InlineData("data", "data")]
    [InlineData("axes", "ax")]
    [InlineData("bases", "base")]
    [InlineData("wolves", "wolf")]
    [InlineData("tokens", "token")]
    [InlineData("equations", "equation")]
    [InlineData("densities", "density")]
    [InlineData("studies", "study")]
    [InlineData("mice", "mouse")]
    [InlineData("inverted", "inverted")]
    [InlineData("was", "wa")]
    public void Nouns_lemmatize_like_nltk(string word, string lemma) => Assert.Equal(lemma, Morphy.Lemmatize(word, WordNetPos.Noun));

    [Theory]
    [InlineData("inverted", "invert")]
    [InlineData("factorizing", "factorize")]
    [InlineData("running", "run")]
    [InlineData("ran", "run")]
    [InlineData("is", "be")]
    [InlineData("parsed", "parse")]
    [InlineData("scaling", "scale")]
    [InlineData("recycled", "recycle")]
    public void Verbs_lemmatize_like_nltk(string word, string lemma) => Assert.Equal(lemma, Morphy.Lemmatize(word, WordNetPos.Verb));

    [Theory]
    [InlineData("better", "good")]
    [InlineData("largest", "large")]
    [InlineData("bigger", "big")]
    public void Adjectives_lemmatize_like_nltk(string word, string lemma) => Assert.Equal(lemma, Morphy.Lemmatize(word, WordNetPos.Adjective));

    [Fact]
    public void Adjective_analyses_keep_nltk_order()
    {
        Assert.Equal(["better", "good", "well"], Morphy.Morphy("better", WordNetPos.Adjective));
        Assert.Equal(["ax", "axis"], Morphy.Morphy("axes", WordNetPos.Noun));
    }

    [Theory]
    [InlineData("studies", "study")]     // noun
    [InlineData("mice", "mouse")]        // irregular noun
    [InlineData("ran", "run")]           // no noun analysis: verb exception
    [InlineData("inverted", "invert")]   // no noun analysis: verb rule
    [InlineData("computed", "compute")]
    [InlineData("largest", "large")]     // neither noun nor verb: adjective
    [InlineData("running", "running")]   // a noun in WordNet, so it stays
    [InlineData("eigenvectors", "eigenvectors")] // not in WordNet 3.0: unchanged
    [InlineData("qdora", "qdora")]
    public void Without_a_pos_noun_then_verb_then_adjective_is_tried(string word, string lemma) =>
        Assert.Equal(lemma, Morphy.Lemmatize(word));

    [Fact]
    public void Embedded_tables_hold_all_of_wordnet_3()
    {
        var tables = WordNetTables.Default;
        // Line counts of Debian's index files minus their 29 license lines.
        Assert.Equal(117_798, tables.LemmaCount(WordNetPos.Noun));
        Assert.Equal(11_529, tables.LemmaCount(WordNetPos.Verb));
        Assert.Equal(21_479, tables.LemmaCount(WordNetPos.Adjective));
        Assert.Equal(4_481, tables.LemmaCount(WordNetPos.Adverb));
        Assert.Equal(["mouse"], tables.Exceptions("mice", WordNetPos.Noun)!);
    }

    [Fact]
    public void Adversarial_suffix_chains_finish()
    {
        var word = string.Concat(Enumerable.Repeat("es", 30)) + "ed";
        Assert.Equal(word, Morphy.Lemmatize(word));
    }
}
