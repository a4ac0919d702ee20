// NLTK's WordNet lemmatizer (nltk/stem/wordnet.py `lemmatize`, nltk/corpus/reader/wordnet.py `_morphy`) over
// WordNet 3.0: exception list first, then rounds of suffix detachment until a form is in the POS index; the
// shortest analysis wins. Not Princeton's C morphy (no collocations, abbreviations or "-ful" nouns).
// No Lucene types here (the PorterStemmer / PorterStemFilter split); LemmaFilter is the Lucene side.
namespace Pastanoodles.Retrieval.Analysis;

/// <summary>A dictionary lemmatizer with NLTK <c>_morphy</c> semantics.</summary>
/// <remarks>
/// Without a POS tagger, <see cref="Lemmatize(string)"/> tries noun, then verb, then adjective, and takes the first
/// part of speech that has an analysis (<c>wn.morphy</c>'s order, minus adverbs, which have no rules). Nouns first
/// keep course vocabulary stable (<c>matrices</c> → <c>matrix</c>, <c>running</c> stays a noun); verbs come next so
/// inflected verbs that are no noun still reduce (<c>ran</c> → <c>run</c>, <c>inverted</c> → <c>invert</c>); then
/// adjectives (<c>largest</c> → <c>large</c>). Known noun artefacts (<c>has</c> → <c>ha</c>, <c>does</c> → <c>doe</c>)
/// are function words, removed by <see cref="CourseStopWords"/> before lemmatization. Indexing and querying run the
/// same analyzer, so the choice only decides which forms are conflated.
/// </remarks>
public sealed class WordNetMorphy
{
    private static readonly WordNetPos[] s_order = [WordNetPos.Noun, WordNetPos.Verb, WordNetPos.Adjective];

    private readonly WordNetTables _tables;

    public WordNetMorphy(WordNetTables? tables = null) => _tables = tables ?? WordNetTables.Default;

    /// <summary>The lemma of a lower-case word: the first of noun, verb, adjective with an analysis; the word itself when none.</summary>
    public string Lemmatize(string word)
    {
        foreach (var pos in s_order)
        {
            var lemmas = Morphy(word, pos);
            if (lemmas.Count > 0)
                return Shortest(lemmas);
        }
        return word;
    }

    /// <summary>NLTK <c>lemmatize(word, pos)</c>: the shortest analysis (first on ties), or the word unchanged.</summary>
    public string Lemmatize(string word, WordNetPos pos)
    {
        var lemmas = Morphy(word, pos);
        return lemmas.Count > 0 ? Shortest(lemmas) : word;
    }

    /// <summary>NLTK <c>_morphy(form, pos)</c>: every base form of <paramref name="form"/> found in the index, in order.</summary>
    public IReadOnlyList<string> Morphy(string form, WordNetPos pos)
    {
        if (_tables.Exceptions(form, pos) is { } bases)
            return Filter([form, .. bases], pos);

        var forms = ApplyRules([form], pos);
        var results = Filter([form, .. forms], pos);
        if (results.Count > 0)
            return results;
        while (forms.Count > 0)
        {
            forms = ApplyRules(forms, pos);
            results = Filter(forms, pos);
            if (results.Count > 0)
                return results;
        }
        return [];
    }

    private static string Shortest(IReadOnlyList<string> lemmas)
    {
        var best = lemmas[0];
        foreach (var lemma in lemmas)
            if (lemma.Length < best.Length)
                best = lemma;
        return best;
    }

    // Differs from NLTK: candidates of a round are de-duplicated (order kept). The set of forms found is the same,
    // and it keeps adversarial tokens ("esesesesed...") from doubling the candidate list every round.
    private static List<string> ApplyRules(List<string> forms, WordNetPos pos)
    {
        var next = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var form in forms)
            foreach (var (suffix, ending) in MorphyRules.For(pos))
                if (form.EndsWith(suffix, StringComparison.Ordinal))
                {
                    var candidate = string.Concat(form.AsSpan(0, form.Length - suffix.Length), ending);
                    if (seen.Add(candidate))
                        next.Add(candidate);
                }
        return next;
    }

    private List<string> Filter(List<string> forms, WordNetPos pos)
    {
        var result = new List<string>();
        foreach (var form in forms)
            if (_tables.IsLemma(form, pos) && !result.Contains(form))
                result.Add(form);
        return result;
    }
}
