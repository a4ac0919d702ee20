// LangChain's RecursiveCharacterTextSplitter (langchain_text_splitters/character.py and base.py), ported line
// for line: same separator choice, same keep-separator gluing, same merge window and overlap, same start index.
// Lengths are counted in Unicode code points, as Python's len does, and so are start indexes.
// It is not a tokenizer-aware splitter: sizes are characters.
using System.Text;
using System.Text.RegularExpressions;

namespace Pastanoodles.Retrieval.Splitting;

/// <summary>Where a kept separator is glued: to the piece after it (LangChain's True / "start") or before it ("end").</summary>
public enum KeepSeparator { None, Start, End }

/// <summary>A chunk of text and where it starts in its source text (LangChain's start_index; -1 when not found).</summary>
public sealed record TextChunk(string Text, int StartIndex);

/// <summary>Splits text recursively on paragraph, line, word and character separators into chunks of at most
/// <see cref="ChunkSize"/> code points with <see cref="ChunkOverlap"/> code points of whole-piece overlap.</summary>
public sealed class RecursiveCharacterTextSplitter
{
    /// <summary>LangChain's default separators: blank line, newline, space, empty (characters).</summary>
    public static readonly IReadOnlyList<string> DefaultSeparators = ["\n\n", "\n", " ", ""];

    private readonly IReadOnlyList<string> _separators;

    public RecursiveCharacterTextSplitter(
        int chunkSize = 4000,
        int chunkOverlap = 200,
        IReadOnlyList<string>? separators = null,
        KeepSeparator keepSeparator = KeepSeparator.Start,
        bool isSeparatorRegex = false,
        bool stripWhitespace = true)
    {
        if (chunkSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, $"chunkSize is {chunkSize}. It must be greater than 0.");
        if (chunkOverlap < 0)
            throw new ArgumentOutOfRangeException(nameof(chunkOverlap), chunkOverlap, $"chunkOverlap is {chunkOverlap}. It must be 0 or more.");
        if (chunkOverlap > chunkSize)
            throw new ArgumentException(
                $"Got a larger chunk overlap ({chunkOverlap}) than chunk size ({chunkSize}), should be smaller.", nameof(chunkOverlap));
        ChunkSize = chunkSize;
        ChunkOverlap = chunkOverlap;
        _separators = separators ?? DefaultSeparators;
        Keep = keepSeparator;
        IsSeparatorRegex = isSeparatorRegex;
        StripWhitespace = stripWhitespace;
    }

    public int ChunkSize { get; }
    public int ChunkOverlap { get; }
    public KeepSeparator Keep { get; }
    public bool IsSeparatorRegex { get; }
    public bool StripWhitespace { get; }

    /// <summary>Splits <paramref name="text"/> into chunks (LangChain <c>split_text</c>).</summary>
    public IReadOnlyList<string> SplitText(string text) => Split(text, _separators);

    /// <summary>Splits and computes each chunk's start index the way <c>create_documents(add_start_index=True)</c> does:
    /// <c>text.find(chunk, max(0, previous_start + len(previous_chunk) - chunk_overlap))</c>.</summary>
    public IReadOnlyList<TextChunk> SplitWithStartIndex(string text)
    {
        var result = new List<TextChunk>();
        int index = 0, previousLength = 0;
        foreach (var chunk in SplitText(text))
        {
            var offset = Math.Max(0, index + previousLength - ChunkOverlap);
            index = CodePoints.Find(text, chunk, offset);
            result.Add(new TextChunk(chunk, index));
            previousLength = CodePoints.Length(chunk);
        }
        return result;
    }

    private List<string> Split(string text, IReadOnlyList<string> separators)
    {
        var finalChunks = new List<string>();
        var separator = separators[^1];
        IReadOnlyList<string> newSeparators = [];
        for (var i = 0; i < separators.Count; i++)
        {
            var s = separators[i];
            if (s.Length == 0)
            {
                separator = s;
                break;
            }
            if (Regex.IsMatch(text, Pattern(s)))
            {
                separator = s;
                newSeparators = separators.Skip(i + 1).ToArray();
                break;
            }
        }

        var splits = SplitWithRegex(text, Pattern(separator));
        var joiner = Keep == KeepSeparator.None ? separator : "";
        var goodSplits = new List<string>();
        foreach (var s in splits)
        {
            if (CodePoints.Length(s) < ChunkSize)
            {
                goodSplits.Add(s);
                continue;
            }
            if (goodSplits.Count > 0)
            {
                finalChunks.AddRange(MergeSplits(goodSplits, joiner));
                goodSplits.Clear();
            }
            if (newSeparators.Count == 0)
                finalChunks.Add(s);
            else
                finalChunks.AddRange(Split(s, newSeparators));
        }
        if (goodSplits.Count > 0)
            finalChunks.AddRange(MergeSplits(goodSplits, joiner));
        return finalChunks;
    }

    private string Pattern(string separator) => IsSeparatorRegex ? separator : Regex.Escape(separator);

    /// <summary>LangChain <c>_split_text_with_regex</c>: kept separators glued to the following (Start) or preceding
    /// (End) piece; the empty separator splits into code points; empty pieces dropped.</summary>
    private List<string> SplitWithRegex(string text, string pattern)
    {
        List<string> splits;
        if (pattern.Length == 0)
        {
            splits = text.EnumerateRunes().Select(r => r.ToString()).ToList();
        }
        else if (Keep == KeepSeparator.None)
        {
            splits = Regex.Split(text, pattern).ToList();
        }
        else
        {
            var parts = Regex.Split(text, $"({pattern})");
            splits = [];
            if (Keep == KeepSeparator.End)
            {
                for (var i = 0; i < parts.Length - 1; i += 2)
                    splits.Add(parts[i] + parts[i + 1]);
                if (parts.Length % 2 == 0)
                    splits.Add(parts[^1]);
                splits.Add(parts[^1]);
            }
            else
            {
                splits.Add(parts[0]);
                for (var i = 1; i < parts.Length; i += 2)
                    splits.Add(parts[i] + parts[i + 1]);
                if (parts.Length % 2 == 0)
                    splits.Add(parts[^1]);
            }
        }
        splits.RemoveAll(s => s.Length == 0);
        return splits;
    }

    /// <summary>LangChain <c>_merge_splits</c>: fill a window up to ChunkSize, emit it, then drop pieces from its front
    /// until it is at most ChunkOverlap long and the next piece fits.</summary>
    private List<string> MergeSplits(List<string> splits, string separator)
    {
        var separatorLength = CodePoints.Length(separator);
        var docs = new List<string>();
        var current = new LinkedList<(string Text, int Length)>();
        var total = 0;
        foreach (var d in splits)
        {
            var length = CodePoints.Length(d);
            if (total + length + (current.Count > 0 ? separatorLength : 0) > ChunkSize)
            {
                if (current.Count > 0)
                {
                    if (Join(current, separator) is { } doc)
                        docs.Add(doc);
                    while (total > ChunkOverlap
                           || (total + length + (current.Count > 0 ? separatorLength : 0) > ChunkSize && total > 0))
                    {
                        total -= current.First!.Value.Length + (current.Count > 1 ? separatorLength : 0);
                        current.RemoveFirst();
                    }
                }
            }
            current.AddLast((d, length));
            total += length + (current.Count > 1 ? separatorLength : 0);
        }
        if (Join(current, separator) is { } last)
            docs.Add(last);
        return docs;
    }

    private string? Join(IEnumerable<(string Text, int Length)> pieces, string separator)
    {
        var text = string.Join(separator, pieces.Select(p => p.Text));
        if (StripWhitespace)
            text = CodePoints.PythonStrip(text);
        return text.Length == 0 ? null : text;
    }
}

/// <summary>Python string semantics the splitter needs: code point lengths, <c>str.find</c> and <c>str.strip</c>.</summary>
internal static class CodePoints
{
    public static int Length(string s)
    {
        var n = s.Length;
        foreach (var c in s)
            if (char.IsLowSurrogate(c))
                n--;
        return n;
    }

    /// <summary>Python <c>text.find(value, start)</c> with <paramref name="start"/> and the result in code points.</summary>
    public static int Find(string text, string value, int start)
    {
        var utf16Start = ToUtf16Index(text, start);
        if (utf16Start > text.Length)
            return -1;
        var found = text.IndexOf(value, utf16Start, StringComparison.Ordinal);
        return found < 0 ? -1 : Length(text[..found]);
    }

    private static int ToUtf16Index(string text, int codePoints)
    {
        var i = 0;
        for (var seen = 0; seen < codePoints; seen++)
        {
            if (i >= text.Length)
                return text.Length + 1;
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
        }
        return i;
    }

    /// <summary>Python <c>str.strip()</c>: also strips U+001C..U+001F, which <see cref="string.Trim()"/> keeps.</summary>
    public static string PythonStrip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPythonSpace(s[start])) start++;
        while (end > start && IsPythonSpace(s[end - 1])) end--;
        return s[start..end];
    }

    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';
}
