using System.Text;
using Pastanoodles.Modeling.Tokenization;

namespace Pastanoodles.Tests.Modeling;

/// <summary>Cases from HF transformers' tests/models/bert/test_tokenization_bert.py (same vocabularies, inputs and expected tokens),
/// plus the three ways Microsoft.ML.Tokenizers' BertTokenizer differed from HF's on real text.</summary>
public class BertTokenizerTests
{
    // test_tokenization_bert.py setUp's vocabulary, in its order.
    static readonly string[] HfVocab = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"];

    static BertTokenizer Tokenizer(bool lowerCase = true, bool? stripAccents = null) => new(HfVocab, lowerCase, stripAccents);

    [Fact]
    public void Full_tokenizer_matches_hf()
    {
        var tokenizer = Tokenizer();
        var tokens = tokenizer.Tokenize("UNwant\u00E9d,running");
        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokens);
        Assert.Equal([1, 9, 6, 7, 12, 10, 11, 2], tokenizer.Encode("UNwant\u00E9d,running", 512));
    }

    [Fact]
    public void Chinese_characters_are_words_of_their_own() =>
        Assert.Equal(["ah", "\u535A", "\u63A8", "zz"], Tokenizer().BasicTokenize("ah\u535A\u63A8zz"));

    [Theory]
    [InlineData(true, null, " \tHeLLo!how  \n Are yoU?  ", "hello ! how are you ?")]
    [InlineData(true, null, "H\u00E9llo", "hello")]
    [InlineData(true, false, " \tHäLLo!how  \n Are yoU?  ", "hällo ! how are you ?")]
    [InlineData(true, false, "H\u00E9llo", "h\u00E9llo")]
    [InlineData(true, true, " \tHäLLo!how  \n Are yoU?  ", "hallo ! how are you ?")]
    [InlineData(false, null, " \tHeLLo!how  \n Are yoU?  ", "HeLLo ! how Are yoU ?")]
    [InlineData(false, false, " \tHäLLo!how  \n Are yoU?  ", "HäLLo ! how Are yoU ?")]
    [InlineData(false, true, " \tHäLLo!how  \n Are yoU?  ", "HaLLo ! how Are yoU ?")]
    [InlineData(true, null, "a\n'll !!to?'d of, can't.", "a ' ll ! ! to ? ' d of , can ' t .")]
    [InlineData(true, null, "\u200E\u200F", "")]
    public void Basic_tokenizer_matches_hf(bool lowerCase, bool? stripAccents, string text, string expected) =>
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), Tokenizer(lowerCase, stripAccents).BasicTokenize(text));

    [Fact]
    public void Special_tokens_are_never_split()
    {
        Assert.Equal(["want", "[UNK]", "low"], Tokenizer().Tokenize("WANT[UNK]low"));
        Assert.Equal(["want", "[MASK]", "un", "[SEP]"], Tokenizer().Tokenize("want[MASK] UN [SEP]"));
    }

    [Fact]
    public void Wordpiece_matches_hf()
    {
        var tokenizer = new BertTokenizer(["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing"]);
        Assert.Empty(tokenizer.Tokenize(""));
        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], tokenizer.Tokenize("unwanted running"));
        Assert.Equal(["[UNK]", "runn", "##ing"], tokenizer.Tokenize("unwantedX running"));
    }

    [Fact]
    public void Clean_text_drops_soft_hyphens_and_unknown_words_are_unk() =>
        Assert.Equal([["[UNK]"], [], ["[UNK]"]], new[] { "Test", "\xad", "test" }.Select(t => Tokenizer().Tokenize(t)));

    [Fact]
    public void Character_classes_match_hfs_helpers()
    {
        Assert.All(" \t\r\n\u00A0", c => Assert.True(BertTokenizer.IsWhitespace(new Rune(c))));
        Assert.All("A-", c => Assert.False(BertTokenizer.IsWhitespace(new Rune(c))));
        Assert.True(BertTokenizer.IsControl(new Rune('\u0005')));
        Assert.All("A \t\r", c => Assert.False(BertTokenizer.IsControl(new Rune(c))));
        Assert.All("-$`.^=+", c => Assert.True(BertTokenizer.IsPunctuation(new Rune(c))));
        Assert.All("A ∑²≤∞", c => Assert.False(BertTokenizer.IsPunctuation(new Rune(c))));
    }

    [Fact]
    public void Line_breaks_separate_words_accents_are_stripped_and_ascii_symbols_split()
    {
        var tokenizer = new BertTokenizer([.. HfVocab, "cafe", "muller", "ecole", "x", "^", "2", "=", "+", "y", "∑"]);
        Assert.Equal(["want", "un"], tokenizer.Tokenize("want\nun"));
        Assert.Equal(["want", "un"], tokenizer.Tokenize("want\r\nun"));
        Assert.Equal(["want", "un"], tokenizer.Tokenize("want\tun"));
        Assert.Equal(["cafe", "muller", "ecole"], tokenizer.Tokenize("café Müller École"));
        Assert.Equal(["x", "^", "2", "=", "y", "+", "2"], tokenizer.Tokenize("x^2=y+2"));
        // ∑ is a math symbol (Sm), not punctuation: it stays in its word, which WordPiece then cannot cover.
        Assert.Equal(["∑", "[UNK]", "[UNK]"], tokenizer.Tokenize("∑ ∑x 😀"));
    }

    [Fact]
    public void A_word_over_100_characters_is_unk()
    {
        var tokenizer = new BertTokenizer([.. HfVocab, "a", "##a"]);
        Assert.Equal(Enumerable.Repeat("##a", 99).Prepend("a"), tokenizer.Tokenize(new string('a', 100)));
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(new string('a', 101)));
    }

    [Fact]
    public void A_vocabulary_without_the_special_tokens_is_an_error_naming_it()
    {
        var error = Assert.Throws<InvalidDataException>(() => new BertTokenizer(["want", "[CLS]"], source: "bert/vocab.txt"));
        Assert.Contains("bert/vocab.txt has no [UNK]", error.Message);
    }
}
