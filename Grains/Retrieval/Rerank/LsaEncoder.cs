// Latent semantic analysis (Deerwester et al. 1990): truncated SVD of the TF-IDF chunk × term matrix A ≈ U Σ Vᵀ,
// fitted on the indexed chunks themselves, so it needs no download. A text is encoded as its TF-IDF row a projected
// on the term basis V_k: a·V_k, which for an indexed chunk is its row of U_k Σ_k. One basis for the whole corpus,
// so vectors from every shard compare. The SVD is randomized (Halko, Martinsson & Tropp 2011, Alg. 4.4: range
// finder with power iterations), with the small dense QR and SVD done by TorchSharp.
using Pastanoodles.Retrieval.Analysis;
using TorchSharp;

namespace Pastanoodles.Retrieval.Rerank;

/// <summary>A weight-free dense encoder: TF-IDF (sublinear tf, smooth idf, L2 normalised) projected on a rank-k LSA basis.</summary>
public sealed class LsaEncoder : IDenseEncoder
{
    private const int Magic = 0x3141534C; // "LSA1"

    private readonly CourseAnalyzer _analyzer;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly float[] _idf;
    private readonly float[] _basis; // [V, k] row-major

    private LsaEncoder(CourseAnalyzer analyzer, Dictionary<string, int> vocabulary, float[] idf, float[] basis, int dimension)
    {
        _analyzer = analyzer;
        _vocabulary = vocabulary;
        _idf = idf;
        _basis = basis;
        Dimension = dimension;
    }

    public int Dimension { get; }

    /// <summary>"lsa". Its basis is refitted at every ingest, so LSA vectors are never stored.</summary>
    public string Name => "lsa";

    public int VocabularySize => _idf.Length;

    /// <summary>Fits the basis on <paramref name="texts"/> (the indexed chunks).</summary>
    /// <param name="rank">k, the number of dimensions kept (at most the number of chunks and terms).</param>
    /// <param name="maxVocabulary">Terms kept, most frequent by document frequency first.</param>
    public static LsaEncoder Fit(IReadOnlyList<string> texts, CourseAnalyzer analyzer, int rank = 128, int maxVocabulary = 50_000, int seed = 7)
    {
        if (texts.Count == 0)
            throw new ArgumentException("LSA needs at least one chunk to fit on; the index is empty. HINT: ingest a corpus first.", nameof(texts));
        var termLists = new List<string>[texts.Count];
        Parallel.For(0, texts.Count, i => termLists[i] = analyzer.Terms(texts[i]));

        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var terms in termLists)
            foreach (var term in terms.Distinct())
                df[term] = df.GetValueOrDefault(term) + 1;
        var kept = df.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(maxVocabulary).ToList();
        var vocabulary = new Dictionary<string, int>(kept.Count, StringComparer.Ordinal);
        var idf = new float[kept.Count];
        for (var t = 0; t < kept.Count; t++)
        {
            vocabulary[kept[t].Key] = t;
            idf[t] = (float)(Math.Log((1.0 + texts.Count) / (1.0 + kept[t].Value)) + 1.0); // scikit-learn smooth_idf
        }
        if (vocabulary.Count == 0)
            throw new ArgumentException("LSA found no terms in the chunks (all stop words or empty).", nameof(texts));

        var rows = new (int[] Terms, float[] Weights)[texts.Count];
        Parallel.For(0, texts.Count, i => rows[i] = Weigh(termLists[i], vocabulary, idf));
        var basis = RandomizedBasis(rows, vocabulary.Count, rank, seed, out var k);
        return new LsaEncoder(analyzer, vocabulary, idf, basis, k);
    }

    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts)
    {
        var vectors = new float[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            var (terms, weights) = Weigh(_analyzer.Terms(texts[i]), _vocabulary, _idf);
            var v = new float[Dimension];
            for (var j = 0; j < terms.Length; j++)
            {
                var row = terms[j] * Dimension;
                for (var c = 0; c < Dimension; c++)
                    v[c] += weights[j] * _basis[row + c];
            }
            vectors[i] = v;
        }
        return vectors;
    }

    /// <summary>Sparse TF-IDF row: (1 + ln tf) · idf over known terms, L2 normalised.</summary>
    private static (int[] Terms, float[] Weights) Weigh(List<string> terms, Dictionary<string, int> vocabulary, float[] idf)
    {
        var counts = new Dictionary<int, int>();
        foreach (var term in terms)
            if (vocabulary.TryGetValue(term, out var id))
                counts[id] = counts.GetValueOrDefault(id) + 1;
        var ids = counts.Keys.Order().ToArray();
        var weights = new float[ids.Length];
        double norm = 0;
        for (var j = 0; j < ids.Length; j++)
        {
            weights[j] = (float)((1 + Math.Log(counts[ids[j]])) * idf[ids[j]]);
            norm += weights[j] * (double)weights[j];
        }
        if (norm > 0)
            for (var j = 0; j < weights.Length; j++)
                weights[j] = (float)(weights[j] / Math.Sqrt(norm));
        return (ids, weights);
    }

    /// <summary>Top right singular vectors of A [N, V] as a [V, k] row-major array (Halko et al. Alg. 4.4, q = 2).</summary>
    private static float[] RandomizedBasis((int[] Terms, float[] Weights)[] rows, int vocabularySize, int rank, int seed, out int k)
    {
        var n = rows.Length;
        var l = Math.Min(rank + 10, Math.Min(n, vocabularySize));
        k = Math.Min(rank, l);
        var random = new Random(seed);
        var omega = new float[vocabularySize * l];
        for (var i = 0; i < omega.Length; i++)
            omega[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

        var y = MultiplyA(rows, omega, l);                                   // [N, l]
        for (var iteration = 0; iteration < 2; iteration++)
        {
            var z = MultiplyAt(rows, Orthonormalize(y, n, l), vocabularySize, l); // [V, l]
            y = MultiplyA(rows, Orthonormalize(z, vocabularySize, l), l);
        }
        var bt = MultiplyAt(rows, Orthonormalize(y, n, l), vocabularySize, l);    // Bᵀ = Aᵀ Q, [V, l]

        using var scope = torch.NewDisposeScope();
        var (u, _, _) = torch.linalg.svd(torch.tensor(bt, [vocabularySize, l]), fullMatrices: false); // u: [V, l]
        return u[.., ..k].contiguous().data<float>().ToArray();
    }

    private static float[] Orthonormalize(float[] m, int rows, int cols)
    {
        using var scope = torch.NewDisposeScope();
        var (q, _) = torch.linalg.qr(torch.tensor(m, [rows, cols]));
        return q.contiguous().data<float>().ToArray();
    }

    /// <summary>A · M for sparse A [N, V] and dense M [V, l].</summary>
    private static float[] MultiplyA((int[] Terms, float[] Weights)[] rows, float[] m, int l)
    {
        var result = new float[rows.Length * l];
        Parallel.For(0, rows.Length, d =>
        {
            var (terms, weights) = rows[d];
            var output = result.AsSpan(d * l, l);
            for (var j = 0; j < terms.Length; j++)
            {
                var input = m.AsSpan(terms[j] * l, l);
                for (var c = 0; c < l; c++)
                    output[c] += weights[j] * input[c];
            }
        });
        return result;
    }

    /// <summary>Aᵀ · M for sparse A [N, V] and dense M [N, l].</summary>
    private static float[] MultiplyAt((int[] Terms, float[] Weights)[] rows, float[] m, int vocabularySize, int l)
    {
        var result = new float[vocabularySize * l];
        for (var d = 0; d < rows.Length; d++)
        {
            var (terms, weights) = rows[d];
            var input = m.AsSpan(d * l, l);
            for (var j = 0; j < terms.Length; j++)
            {
                var output = result.AsSpan(terms[j] * l, l);
                for (var c = 0; c < l; c++)
                    output[c] += weights[j] * input[c];
            }
        }
        return result;
    }

    /// <summary>Writes the vocabulary, idf and basis (the analyzer is the index's, recorded in corpus.json).</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Magic);
        writer.Write(_idf.Length);
        writer.Write(Dimension);
        foreach (var (term, id) in _vocabulary.OrderBy(p => p.Value))
        {
            writer.Write(term);
            writer.Write(_idf[id]);
        }
        foreach (var value in _basis)
            writer.Write(value);
    }

    public static LsaEncoder Load(string path, CourseAnalyzer analyzer)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != Magic)
            throw new InvalidDataException($"{path} is not an LSA basis written by pastanoodles. HINT: ingest again to rebuild it.");
        var size = reader.ReadInt32();
        var dimension = reader.ReadInt32();
        var vocabulary = new Dictionary<string, int>(size, StringComparer.Ordinal);
        var idf = new float[size];
        for (var t = 0; t < size; t++)
        {
            vocabulary[reader.ReadString()] = t;
            idf[t] = reader.ReadSingle();
        }
        var basis = new float[size * dimension];
        for (var i = 0; i < basis.Length; i++)
            basis[i] = reader.ReadSingle();
        return new LsaEncoder(analyzer, vocabulary, idf, basis, dimension);
    }
}
