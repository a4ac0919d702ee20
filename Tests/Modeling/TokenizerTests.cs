using Pastanoodles.Modeling.Tokenization;

namespace Pastanoodles.Tests.Modeling;

public class TokenizerTests
{
    static readonly PhiTokenizer BuiltIn = PhiTokenizer.BuiltIn();

    [Theory]
    [InlineData("Hello World", new[] { 15496, 2159 })]
    [InlineData("The quick brown fox jumps over the lazy dog.", new[] { 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13 })]
    [InlineData("the brown fox jumped over the lazy dog!\r\n", new[] { 1169, 7586, 21831, 11687, 625, 262, 16931, 3290, 0, 201, 198 })]
    [InlineData(" A", new[] { 317 })]
    [InlineData(" D", new[] { 360 })]
    public void Built_in_tokenizer_matches_phi2_ids(string text, int[] expected)
    {
        Assert.Equal(expected, BuiltIn.Encode(text));
        Assert.Equal(text, BuiltIn.Decode(expected));
    }

    [Fact]
    public void Runs_of_spaces_and_tabs_are_phi2_added_tokens()
    {
        Assert.Equal(new[] { 50286, 15496, 2159 }, BuiltIn.Encode("  Hello World"));
        Assert.Equal(new[] { 50257 }, BuiltIn.Encode(new string(' ', 31)));
        Assert.Equal(new[] { 50294 }, BuiltIn.Encode("\t\t"));
        Assert.Equal(new[] { 50256 }, BuiltIn.Encode("<|endoftext|>"));
    }
}
