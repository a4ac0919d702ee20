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

public class FolderTokenizerTests
{
    const string Vocab = """{"h": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "w": 5, "r": 6, "d": 7, "he": 8, "ll": 9, "hell": 10, "hello": 11, "\u0120w": 12, "or": 13, "\u0120wor": 14, "\u0120world": 15, "<|endoftext|>": 16}""";
    static readonly string[] Merges = ["h e", "l l", "he ll", "hell o", "\u0120 w", "o r", "\u0120w or", "\u0120wor l", "\u0120worl d"];

    [Fact]
    public void Vocab_and_merges_files_are_used_when_present()
    {
        using var dir = new Pastanoodles.Tests.Support.TempDir();
        File.WriteAllText(dir["vocab.json"], Vocab.Replace("\"\u0120wor\": 14", "\"\u0120wor\": 14, \"\u0120worl\": 17"));
        File.WriteAllLines(dir["merges.txt"], ["#version: 0.2", .. Merges]);
        var tokenizer = PhiTokenizer.FromFolder(dir.Path);
        Assert.Equal(new[] { 11, 15 }, tokenizer.Encode("hello world"));
        Assert.Equal("hello world", tokenizer.Decode([11, 15]));
    }

    [Fact]
    public void Tokenizer_json_is_read_when_there_are_no_vocab_files()
    {
        using var dir = new Pastanoodles.Tests.Support.TempDir();
        var vocab = Vocab.Replace("\"\u0120wor\": 14", "\"\u0120wor\": 14, \"\u0120worl\": 17");
        var merges = string.Join(", ", Merges.Select(m => $"[\"{m.Split(' ')[0]}\", \"{m.Split(' ')[1]}\"]"));
        File.WriteAllText(dir["tokenizer.json"], "{\"model\": {\"type\": \"BPE\", \"vocab\": " + vocab + ", \"merges\": [" + merges + "]}}");
        var tokenizer = PhiTokenizer.FromFolder(dir.Path);
        Assert.Equal(new[] { 11, 15 }, tokenizer.Encode("hello world"));
        Assert.Contains("tokenizer.json", tokenizer.Origin);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_gets_the_built_in_one_and_bad_json_is_named()
    {
        using var dir = new Pastanoodles.Tests.Support.TempDir();
        Assert.StartsWith("built-in", PhiTokenizer.FromFolder(dir.Path).Origin);
        File.WriteAllText(dir["tokenizer.json"], "{ not json");
        var ex = Assert.Throws<InvalidDataException>(() => PhiTokenizer.FromFolder(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
    }
}
