// Data table: WordNet's rules of detachment as NLTK writes them (nltk/corpus/reader/wordnet.py,
// MORPHOLOGICAL_SUBSTITUTIONS). Logic lives in WordNetMorphy.cs.
namespace Pastanoodles.Retrieval.Analysis;

/// <summary>The four WordNet parts of speech morphy knows (adjective satellites are looked up as adjectives).</summary>
public enum WordNetPos { Noun, Verb, Adjective, Adverb }

/// <summary>Suffix → replacement rules per part of speech, in NLTK's order.</summary>
internal static class MorphyRules
{
    // Differs from Princeton's C morphy: "ves" → "f" is NLTK's addition (wolves → wolf).
    private static readonly (string Suffix, string Ending)[] Noun =
    [
        ("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"),
        ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"),
    ];

    private static readonly (string Suffix, string Ending)[] Verb =
    [
        ("s", ""), ("ies", "y"), ("es", "e"), ("es", ""),
        ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
    ];

    private static readonly (string Suffix, string Ending)[] Adjective =
    [
        ("er", ""), ("est", ""), ("er", "e"), ("est", "e"),
    ];

    public static IReadOnlyList<(string Suffix, string Ending)> For(WordNetPos pos) => pos switch
    {
        WordNetPos.Noun => Noun,
        WordNetPos.Verb => Verb,
        WordNetPos.Adjective => Adjective,
        _ => [],
    };
}
