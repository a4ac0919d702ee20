// Loads the compact WordNet 3.0 tables embedded from Data/ (see Data/make-wordnet-data.sh and
// Data/WORDNET-LICENSE.txt): the lemmas of each part of speech and its exception list.
using System.IO.Compression;
using System.Reflection;

namespace Pastanoodles.Retrieval.Analysis;

/// <summary>WordNet's lemma index and exception lists, per part of speech; immutable and shared.</summary>
public sealed class WordNetTables
{
    private static readonly Lazy<WordNetTables> s_default = new(LoadEmbedded);

    private readonly Dictionary<WordNetPos, HashSet<string>> _lemmas;
    private readonly Dictionary<WordNetPos, Dictionary<string, string[]>> _exceptions;

    private WordNetTables(Dictionary<WordNetPos, HashSet<string>> lemmas, Dictionary<WordNetPos, Dictionary<string, string[]>> exceptions)
    {
        _lemmas = lemmas;
        _exceptions = exceptions;
    }

    /// <summary>The tables embedded in Pastanoodles.Grains, loaded once per process.</summary>
    public static WordNetTables Default => s_default.Value;

    public bool IsLemma(string form, WordNetPos pos) => _lemmas[pos].Contains(form);

    public int LemmaCount(WordNetPos pos) => _lemmas[pos].Count;

    /// <summary>The base forms an irregular form maps to (<c>mice</c> → <c>mouse</c>), or null when it is not listed.</summary>
    public string[]? Exceptions(string form, WordNetPos pos) => _exceptions[pos].GetValueOrDefault(form);

    private static WordNetTables LoadEmbedded()
    {
        var lemmas = new Dictionary<WordNetPos, HashSet<string>>();
        var exceptions = new Dictionary<WordNetPos, Dictionary<string, string[]>>();
        foreach (var (pos, name) in FileNames)
        {
            lemmas[pos] = new HashSet<string>(ReadLines($"{name}.lemmas.gz"), StringComparer.Ordinal);
            var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var line in ReadLines($"{name}.exc.gz"))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2)
                    map[fields[0]] = fields[1..];
            }
            exceptions[pos] = map;
        }
        return new WordNetTables(lemmas, exceptions);
    }

    private static readonly (WordNetPos Pos, string Name)[] FileNames =
        [(WordNetPos.Noun, "noun"), (WordNetPos.Verb, "verb"), (WordNetPos.Adjective, "adj"), (WordNetPos.Adverb, "adv")];

    private static IEnumerable<string> ReadLines(string file)
    {
        var resource = $"Pastanoodles.Retrieval.Analysis.Data.{file}";
        using var stream = typeof(WordNetTables).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"Embedded WordNet resource '{resource}' is missing from {typeof(WordNetTables).Assembly.GetName().Name}. " +
                "HINT: run Grains/Retrieval/Analysis/Data/make-wordnet-data.sh and rebuild.");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        // WordNet's files are ASCII; Latin-1 reads any stray byte without failing.
        using var reader = new StreamReader(gzip, System.Text.Encoding.Latin1);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0)
                lines.Add(line);
        return lines;
    }
}
