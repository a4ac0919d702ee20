// The seed's retriever, as Chroma's flat index runs it: every chunk's vector in one matrix, a query scored against all of
// them (one matrix–vector product) and the exact top k kept. No approximate index: at 100k chunks of 384 floats the
// product takes a few milliseconds (README "Retrieval", bench retrieval), so there is nothing to buy with recall.
using System.Numerics;
using System.Runtime.InteropServices;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Retrieval.Index;

/// <summary>Exact dense top-k over the chunks that have a vector from one encoder: cosine similarity, or Euclidean distance
/// (negated, so higher is better, as <see cref="Reranker"/> scores).</summary>
/// <remarks>Immutable once built, so safe for concurrent searches. Rows are the chunks in the order given.</remarks>
public sealed class DenseIndex
{
    readonly float[] _matrix;   // [n, d], row-major
    readonly float[] _norms;    // [n]: ‖row‖
    readonly CorpusChunk[] _chunks;

    DenseIndex(string encoder, int dimension, CorpusChunk[] chunks, float[] matrix, int missing)
    {
        (Encoder, Dimension, _chunks, _matrix, Missing) = (encoder, dimension, chunks, matrix, missing);
        _norms = new float[chunks.Length];
        for (var i = 0; i < chunks.Length; i++)
        {
            var row = Row(i);
            _norms[i] = MathF.Sqrt(Dot(row, row));
        }
    }

    /// <summary>The encoder whose vectors the rows are.</summary>
    public string Encoder { get; }

    public int Dimension { get; }

    /// <summary>Chunks in the index.</summary>
    public int Count => _chunks.Length;

    /// <summary>Chunks left out because they had no vector from <see cref="Encoder"/> (none stored, or another encoder's).</summary>
    public int Missing { get; }

    /// <summary>The chunks' stored vectors from <paramref name="encoder"/> (of length <paramref name="dimension"/>); a chunk without one is left out and counted in <see cref="Missing"/>.</summary>
    public static DenseIndex Of(IEnumerable<CorpusChunk> chunks, string encoder, int dimension)
    {
        var all = chunks.ToList();
        var kept = all.Where(c => c.Encoder == encoder && c.Vector?.Length == dimension).ToArray();
        var matrix = new float[kept.Length * dimension];
        for (var i = 0; i < kept.Length; i++)
            kept[i].Vector.AsSpan().CopyTo(matrix.AsSpan(i * dimension, dimension));
        return new DenseIndex(encoder, dimension, kept, matrix, all.Count - kept.Length);
    }

    /// <summary>Every chunk with its vector from <paramref name="encoder"/>: the stored one when that encoder made it, else encoded now.</summary>
    public static DenseIndex Encode(IReadOnlyList<CorpusChunk> chunks, IDenseEncoder encoder)
    {
        var stale = chunks.Where(c => c.Encoder != encoder.Name || c.Vector?.Length != encoder.Dimension).ToList();
        var fresh = stale.Count == 0 ? [] : CorpusIngest.Embed(stale, encoder).ToDictionary(c => c.Id);
        return Of(chunks.Select(c => fresh.GetValueOrDefault(c.Id, c)), encoder.Name, encoder.Dimension);
    }

    /// <summary>The top <paramref name="k"/> chunks for <paramref name="query"/> by <paramref name="metric"/>, best first, ties broken by chunk id
    /// (as <see cref="CorpusEngine.Merge(IEnumerable{IEnumerable{ValueTuple{CorpusChunk, float}}}, int)"/> merges shards).</summary>
    public List<(CorpusChunk Chunk, float Score)> Search(float[] query, DenseMetric metric, int k)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"The query vector should be of size {Dimension} (encoder '{Encoder}'), but is {query.Length}.", nameof(query));
        SearchRequest.CheckCount(k, nameof(k));
        var queryNorm = MathF.Sqrt(Dot(query, query));
        var scores = new float[_chunks.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            var dot = Dot(Row(i), query);   // row i of the matrix–vector product
            scores[i] = metric == DenseMetric.Cosine
                ? (queryNorm == 0 || _norms[i] == 0 ? 0f : dot / (queryNorm * _norms[i]))
                : -MathF.Sqrt(MathF.Max(0f, queryNorm * queryNorm + _norms[i] * _norms[i] - 2 * dot));   // ‖q − c‖² = ‖q‖² + ‖c‖² − 2 q·c
        }
        return TopK(scores, k);
    }

    /// <summary>The k best rows: a bounded min-heap whose root is the worst kept (lowest score, then highest id), then sorted.</summary>
    List<(CorpusChunk Chunk, float Score)> TopK(float[] scores, int k)
    {
        var worstFirst = Comparer<int>.Create((a, b) => Better(b, a, scores));
        var heap = new PriorityQueue<int, int>(worstFirst);
        for (var i = 0; i < scores.Length; i++)
        {
            if (heap.Count < k)
                heap.Enqueue(i, i);
            else if (Better(i, heap.Peek(), scores) < 0)
                heap.EnqueueDequeue(i, i);
        }
        var rows = new List<int>(heap.Count);
        while (heap.Count > 0)
            rows.Add(heap.Dequeue());
        rows.Sort((a, b) => Better(a, b, scores));
        return rows.ConvertAll(i => (_chunks[i], scores[i]));
    }

    /// <summary>Negative when row a ranks before row b: higher score, then lower chunk id in code-point order.</summary>
    int Better(int a, int b, float[] scores)
    {
        var byScore = scores[b].CompareTo(scores[a]);
        return byScore != 0 ? byScore : CodePointOrder.Instance.Compare(_chunks[a].Id, _chunks[b].Id);
    }

    ReadOnlySpan<float> Row(int i) => _matrix.AsSpan(i * Dimension, Dimension);

    static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var wide = MemoryMarshal.Cast<float, Vector<float>>(a);
        var other = MemoryMarshal.Cast<float, Vector<float>>(b);
        for (var i = 0; i < wide.Length; i++)
            sum += wide[i] * other[i];
        var dot = Vector.Sum(sum);
        for (var i = wide.Length * Vector<float>.Count; i < a.Length; i++)
            dot += a[i] * b[i];
        return dot;
    }
}
