// HF transformers' BertTokenizer (models/bert/tokenization_bert.py), step by step: the special tokens are matched
// first, as PreTrainedTokenizer.tokenize does with its added tokens; then BasicTokenizer (clean_text, CJK characters
// spaced, whitespace split, lower case, NFD with accents (Mn) stripped, punctuation split); then WordpieceTokenizer
// (greedy longest match first, "##" continuations, a word over 100 characters or with no match is [UNK]).
// Lengths count code points, as Python's len does. NFD comes from a table (Data/nfd.txt.gz: each code point's
// canonical decomposition, written by Python's unicodedata.normalize("NFD", chr(cp)) for every cp), since the
// project runs with InvariantGlobalization, where string.Normalize leaves non-ASCII text as it is.
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Pastanoodles.Modeling.Tokenization;

/// <summary>WordPiece tokenization exactly as HF's <c>BertTokenizer</c> (and <c>BertTokenizerFast</c>) does it, on a <c>vocab.txt</c>.</summary>
/// <remarks>Thread-safe: after construction it only reads.</remarks>
public sealed class BertTokenizer
{
    public const string UnkToken = "[UNK]", ClsToken = "[CLS]", SepToken = "[SEP]", PadToken = "[PAD]", MaskToken = "[MASK]";

    /// <summary>HF's WordpieceTokenizer max_input_chars_per_word.</summary>
    public const int MaxInputCharsPerWord = 100;

    static readonly string[] s_special = [UnkToken, ClsToken, SepToken, PadToken, MaskToken];
    static readonly Lazy<Dictionary<int, string>> s_decompositions = new(LoadDecompositions);

    readonly Dictionary<string, int> _vocab;
    readonly string[] _tokens;

    /// <param name="vocabulary">The vocab.txt lines in id order (line ends already removed).</param>
    /// <param name="lowerCase">do_lower_case (true for uncased models such as all-MiniLM-L6-v2).</param>
    /// <param name="stripAccents">strip_accents; null follows <paramref name="lowerCase"/>, as HF's default does.</param>
    public BertTokenizer(IReadOnlyList<string> vocabulary, bool lowerCase = true, bool? stripAccents = null, string source = "vocab.txt")
    {
        _tokens = [.. vocabulary];
        _vocab = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
            _vocab.TryAdd(_tokens[i], i);   // HF's load_vocab keeps the last of duplicates; vocab files have none
        foreach (var special in s_special)
            if (!_vocab.ContainsKey(special))
                throw new InvalidDataException($"{source} has no {special} token; a BERT WordPiece vocabulary needs {string.Join(", ", s_special)}.");
        LowerCase = lowerCase;
        StripAccents = stripAccents ?? lowerCase;
    }

    /// <summary>Reads a vocab.txt (one token per line; LF or CRLF line ends).</summary>
    public static BertTokenizer Load(string vocabFile, bool lowerCase = true) =>
        new(File.ReadAllLines(vocabFile), lowerCase, source: vocabFile);

    /// <summary>Reads a vocab.txt from a stream (one token per line; LF or CRLF line ends).</summary>
    public static BertTokenizer Load(Stream vocab, string source, bool lowerCase = true)
    {
        using var reader = new StreamReader(vocab, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return new BertTokenizer(lines, lowerCase, source: source);
    }

    public bool LowerCase { get; }
    public bool StripAccents { get; }
    public int VocabSize => _tokens.Length;
    public int UnkId => _vocab[UnkToken];
    public int ClsId => _vocab[ClsToken];
    public int SepId => _vocab[SepToken];
    public int PadId => _vocab[PadToken];

    public string IdToToken(int id) => _tokens[id];

    /// <summary>[CLS] + the first <paramref name="maxLength"/> − 2 token ids + [SEP] (HF truncation=True, one sequence).</summary>
    public int[] Encode(string text, int maxLength)
    {
        if (maxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"max_length is {maxLength}; it must leave room for [CLS] and [SEP].");
        var ids = Tokenize(text).Select(t => _vocab[t]).Take(maxLength - 2);
        return [ClsId, .. ids, SepId];
    }

    /// <summary>The WordPiece tokens of <paramref name="text"/>, without [CLS] and [SEP].</summary>
    public List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        while (start <= text.Length)
        {
            // The special tokens are split off the raw text first and never go through the basic tokenizer.
            var (at, special) = NextSpecial(text, start);
            foreach (var word in BasicTokenize(text[start..at]))
                WordPiece(word, tokens);
            if (special is null)
                break;
            tokens.Add(special);
            start = at + special.Length;
        }
        return tokens;
    }

    static (int At, string? Special) NextSpecial(string text, int start)
    {
        var (at, found) = (text.Length, (string?)null);
        foreach (var special in s_special)
        {
            var i = text.IndexOf(special, start, StringComparison.Ordinal);
            if (i >= 0 && i < at)
                (at, found) = (i, special);
        }
        return (at, found);
    }

    /// <summary>HF's BasicTokenizer.tokenize: the words after cleaning, CJK spacing, lower casing, accent stripping and punctuation splitting.</summary>
    public List<string> BasicTokenize(string text)
    {
        var words = new List<string>();
        foreach (var token in WhitespaceSplit(SpaceCjk(CleanText(text))))
        {
            var word = token;
            if (LowerCase)
                word = word.ToLowerInvariant();
            if (StripAccents)
                word = StripAccentMarks(word);
            SplitOnPunctuation(word, words);
        }
        return words;
    }

    /// <summary>HF's WordpieceTokenizer.tokenize for one word: greedy longest match first, "##" on continuations, [UNK] for the whole
    /// word when it is longer than 100 code points or some part of it matches nothing.</summary>
    void WordPiece(string word, List<string> output)
    {
        var bounds = CodePointBounds(word);
        var length = bounds.Length - 1;
        if (length > MaxInputCharsPerWord)
        {
            output.Add(UnkToken);
            return;
        }
        var pieces = new List<string>();
        var start = 0;
        while (start < length)
        {
            string? match = null;
            var end = length;
            for (; end > start; end--)
            {
                var piece = word[bounds[start]..bounds[end]];
                if (start > 0)
                    piece = "##" + piece;
                if (_vocab.ContainsKey(piece))
                {
                    match = piece;
                    break;
                }
            }
            if (match is null)
            {
                output.Add(UnkToken);
                return;
            }
            pieces.Add(match);
            start = end;
        }
        output.AddRange(pieces);
    }

    /// <summary>UTF-16 offsets of each code point's start, plus the string's length.</summary>
    static int[] CodePointBounds(string word)
    {
        var bounds = new List<int>(word.Length + 1);
        for (var i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
            bounds.Add(i);
        bounds.Add(word.Length);
        return [.. bounds];
    }

    /// <summary>_clean_text: drops U+0000, U+FFFD and control characters (category C*, except \t \n \r); whitespace becomes a space.</summary>
    public static string CleanText(string text)
    {
        var output = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune))
                continue;
            if (IsWhitespace(rune))
                output.Append(' ');
            else
                output.Append(rune.ToString());
        }
        return output.ToString();
    }

    /// <summary>_tokenize_chinese_chars: a space on both sides of every CJK ideograph.</summary>
    static string SpaceCjk(string text)
    {
        var output = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsCjk(rune.Value))
                output.Append(' ').Append(rune.ToString()).Append(' ');
            else
                output.Append(rune.ToString());
        }
        return output.ToString();
    }

    /// <summary>whitespace_tokenize: Python's str.split() with no argument.</summary>
    static string[] WhitespaceSplit(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>_run_strip_accents: NFD, then every non-spacing mark (Mn) removed.</summary>
    /// <remarks>Each code point is decomposed on its own; NFD's canonical reordering of combining marks is skipped, which
    /// changes nothing here because the marks it reorders are the Mn ones that are then removed.</remarks>
    public static string StripAccentMarks(string word)
    {
        var table = s_decompositions.Value;
        var output = new StringBuilder(word.Length);
        foreach (var rune in word.EnumerateRunes())
        {
            if (table.TryGetValue(rune.Value, out var decomposed))
            {
                foreach (var part in decomposed.EnumerateRunes())
                    if (Rune.GetUnicodeCategory(part) != UnicodeCategory.NonSpacingMark)
                        output.Append(part.ToString());
            }
            else if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                output.Append(rune.ToString());
        }
        return output.ToString();
    }

    static Dictionary<int, string> LoadDecompositions()
    {
        const string name = "Pastanoodles.Modeling.Tokenization.Data.nfd.txt.gz";
        using var stream = typeof(BertTokenizer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Resource {name} is missing from the Grains assembly.");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        var table = new Dictionary<int, string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('#'))
                continue;
            var fields = line.Split(' ');
            var decomposed = new StringBuilder();
            foreach (var hex in fields.Skip(1))
                decomposed.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            table[int.Parse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = decomposed.ToString();
        }
        return table;
    }

    /// <summary>_run_split_on_punc: every punctuation character becomes a word of its own.</summary>
    static void SplitOnPunctuation(string word, List<string> output)
    {
        var current = new StringBuilder();
        foreach (var rune in word.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0)
                    output.Add(current.ToString());
                current.Clear();
                output.Add(rune.ToString());
            }
            else
                current.Append(rune.ToString());
        }
        if (current.Length > 0)
            output.Add(current.ToString());
    }

    /// <summary>_is_whitespace: space, \t, \n, \r, or category Zs.</summary>
    public static bool IsWhitespace(Rune c) =>
        c.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator;

    /// <summary>_is_control: category C* (Cc, Cf, Cs, Co, Cn), except \t, \n and \r.</summary>
    public static bool IsControl(Rune c) =>
        c.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>_is_punctuation: ASCII 33–47, 58–64, 91–96 and 123–126 (so ^ $ ` + = count, though Unicode calls them symbols), or category P*.</summary>
    public static bool IsPunctuation(Rune c) =>
        c.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>_is_chinese_char: the CJK Unified Ideographs blocks and their extensions A–E, and the compatibility ideographs.</summary>
    public static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
