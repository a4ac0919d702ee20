// Generated chunks for the benchmark and the sharding tests: words drawn from a Zipf distribution over a fixed
// vocabulary (course words first, then made-up syllable words), so term statistics look like text's, at any size.
using Pastanoodles.Retrieval.Index;

namespace Pastanoodles.Retrieval;

/// <summary>Deterministic synthetic chunks and queries for benchmarks and tests (no meaning, realistic statistics).</summary>
public sealed class SyntheticCorpus
{
    private static readonly string[] s_courseWords =
    [
        "algorithm", "matrix", "vector", "graph", "tree", "hash", "table", "entropy", "energy", "momentum", "photon",
        "electron", "wave", "particle", "field", "charge", "force", "mass", "velocity", "acceleration", "gradient",
        "network", "layer", "weight", "kernel", "memory", "cache", "thread", "process", "compiler", "parser", "token",
        "grammar", "quantum", "spin", "orbit", "gravity", "relativity", "temperature", "pressure", "volume", "heat",
        "circuit", "voltage", "current", "resistance", "signal", "frequency", "sort", "search", "queue", "stack",
        "pointer", "function", "recursion", "proof", "theorem", "lemma", "integral", "derivative", "eigenvalue",
        "probability", "distribution", "sample", "variance", "estimate", "model", "training", "loss", "optimizer",
    ];

    private static readonly string[] s_syllables =
        ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "po", "qua", "ber", "dor", "fen", "gil", "hux"];

    private readonly string[] _vocabulary;
    private readonly double[] _cumulative;

    public SyntheticCorpus(int vocabularySize = 20_000, double zipfExponent = 1.07)
    {
        _vocabulary = new string[vocabularySize];
        for (var i = 0; i < vocabularySize; i++)
            _vocabulary[i] = i < s_courseWords.Length ? s_courseWords[i] : MadeUpWord(i);
        _cumulative = new double[vocabularySize];
        double sum = 0;
        for (var i = 0; i < vocabularySize; i++)
            _cumulative[i] = sum += 1.0 / Math.Pow(i + 1, zipfExponent);
        for (var i = 0; i < vocabularySize; i++)
            _cumulative[i] /= sum;
    }

    /// <summary><paramref name="count"/> chunks of <paramref name="words"/> words, 20 pages to a source file.</summary>
    public IEnumerable<CorpusChunk> Chunks(int count, int seed = 1, int words = 150)
    {
        var random = new Random(seed);
        for (var n = 0; n < count; n++)
        {
            var source = $"synthetic/doc{n / 100:D5}.pdf";
            var page = n / 5 % 20;
            var ordinal = n % 5;
            yield return new CorpusChunk(CorpusChunk.MakeId(source, page, ordinal), source, page, ordinal * 800, Text(random, words));
        }
    }

    /// <summary><paramref name="count"/> queries of 3 to 8 words.</summary>
    public IReadOnlyList<string> Queries(int count, int seed = 2)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Text(random, random.Next(3, 9))).ToList();
    }

    private string Text(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => _vocabulary[Draw(random)]));

    private int Draw(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, _vocabulary.Length - 1);
    }

    private static string MadeUpWord(int i)
    {
        var parts = new List<string>();
        for (var n = i; n > 0; n /= s_syllables.Length)
            parts.Add(s_syllables[n % s_syllables.Length]);
        return string.Concat(parts) + "x";
    }
}
