using Pastanoodles.Retrieval.Splitting;

namespace Pastanoodles.Tests.Retrieval.Splitting;

/// <summary>Vectors from shared/specs/rag.md §1, computed with LangChain's character.py/base.py.</summary>
public class RecursiveCharacterTextSplitterTests
{
    private const string Paragraphs =
        "Para one line one.\nPara one line two.\n\nPara two is here.\n\nPara three has more words in it than the others do.";

    [Fact]
    public void Paragraphs_at_40_10_match_langchain_with_start_index()
    {
        var chunks = new RecursiveCharacterTextSplitter(40, 10).SplitWithStartIndex(Paragraphs);
        Assert.Equal(
            [
                new TextChunk("Para one line one.\nPara one line two.", 0),
                new TextChunk("Para two is here.", 39),
                new TextChunk("Para three has more words in it than", 58),
                new TextChunk("it than the others do.", 87),
            ],
            chunks);
    }

    [Fact]
    public void Paragraphs_at_25_5_match_langchain_with_start_index()
    {
        var chunks = new RecursiveCharacterTextSplitter(25, 5).SplitWithStartIndex(Paragraphs);
        Assert.Equal(
            [
                new TextChunk("Para one line one.", 0),
                new TextChunk("Para one line two.", 19),
                new TextChunk("Para two is here.", 39),
                new TextChunk("Para three has more", 58),
                new TextChunk("more words in it than", 73),
                new TextChunk("than the others do.", 90),
            ],
            chunks);
    }

    [Fact]
    public void Text_shorter_than_the_chunk_is_one_chunk()
    {
        Assert.Equal([Paragraphs], new RecursiveCharacterTextSplitter(1000, 200).SplitText(Paragraphs));
    }

    [Fact]
    public void Text_without_separators_splits_into_characters_with_overlap()
    {
        var chunks = new RecursiveCharacterTextSplitter(10, 3).SplitWithStartIndex("abcdefghijklmnopqrstuvwxyz");
        Assert.Equal(
            [new TextChunk("abcdefghij", 0), new TextChunk("hijklmnopq", 7), new TextChunk("opqrstuvwx", 14), new TextChunk("vwxyz", 21)],
            chunks);
    }

    [Fact]
    public void Word_as_long_as_the_chunk_is_split_into_characters()
    {
        // Pieces of exactly chunk_size (" bbbb") are "too long" and go down to the character level.
        Assert.Equal(["aaaa", "bbb", "b", "ccc", "c", "ddd", "d"], new RecursiveCharacterTextSplitter(4, 0).SplitText("aaaa bbbb cccc dddd"));
    }

    [Fact]
    public void Word_longer_than_the_chunk_without_character_separator_is_kept_whole()
    {
        // LangChain appends such a piece as it is: too long, and not stripped (its kept separator stays).
        var splitter = new RecursiveCharacterTextSplitter(5, 0, separators: [" "]);
        Assert.Equal(["ab", " abcdefghij", "cd"], splitter.SplitText("ab abcdefghij cd"));
    }

    [Theory]
    [InlineData(KeepSeparator.Start)]
    [InlineData(KeepSeparator.End)]
    public void Kept_separators_give_whole_piece_overlap_and_start_indexes(KeepSeparator keep)
    {
        var chunks = new RecursiveCharacterTextSplitter(9, 4, keepSeparator: keep).SplitWithStartIndex("one two  three   four");
        Assert.Equal([new TextChunk("one two", 0), new TextChunk("three", 9), new TextChunk("four", 17)], chunks);
    }

    [Fact]
    public void Dropped_separators_rejoin_with_the_separator_and_lose_the_start_index()
    {
        var chunks = new RecursiveCharacterTextSplitter(9, 4, keepSeparator: KeepSeparator.None).SplitWithStartIndex("one two  three   four");
        Assert.Equal([new TextChunk("one two", 0), new TextChunk("two three", -1), new TextChunk("four", 17)], chunks);
    }

    [Fact]
    public void Separator_is_kept_at_the_start_of_the_following_piece()
    {
        var splitter = new RecursiveCharacterTextSplitter(12, 0, separators: ["-"], stripWhitespace: false);
        Assert.Equal(["aaaa-bbbb", "-cccc"], splitter.SplitText("aaaa-bbbb-cccc"));
    }

    [Fact]
    public void Overlap_repeats_the_last_whole_words_of_the_previous_chunk()
    {
        var chunks = new RecursiveCharacterTextSplitter(20, 10).SplitText("alpha beta gamma delta epsilon zeta eta theta");
        Assert.Equal(["alpha beta gamma", "gamma delta epsilon", "epsilon zeta eta", "zeta eta theta"], chunks);
        Assert.All(chunks, c => Assert.True(c.Length <= 20, $"chunk '{c}' is {c.Length} long"));
    }

    [Fact]
    public void Lengths_count_code_points_like_python()
    {
        var text = "𝐀𝐁𝐂𝐃 𝐄𝐅𝐆𝐇"; // math letters: 2 UTF-16 units each
        var chunks = new RecursiveCharacterTextSplitter(5, 0).SplitWithStartIndex(text);
        Assert.Equal([new TextChunk("𝐀𝐁𝐂𝐃", 0), new TextChunk("𝐄𝐅𝐆𝐇", 5)], chunks);
    }

    [Fact]
    public void Overlap_larger_than_size_is_refused_with_both_numbers()
    {
        var error = Assert.Throws<ArgumentException>(() => new RecursiveCharacterTextSplitter(100, 200));
        Assert.Contains("(200)", error.Message);
        Assert.Contains("(100)", error.Message);
    }
}
