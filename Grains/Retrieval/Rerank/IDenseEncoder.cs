namespace Pastanoodles.Retrieval.Rerank;

/// <summary>Turns text into a dense vector for re-ranking. Implementations: <see cref="LsaEncoder"/> (fitted on the
/// corpus, no download) and a BERT sentence encoder (all-MiniLM-L6-v2 architecture) loaded from an HF folder.</summary>
/// <remarks>Query and chunk go through the same <see cref="Encode"/>; vectors of one encoder share one basis, so
/// vectors from every shard compare. Implementations must be safe to call from several threads.</remarks>
public interface IDenseEncoder
{
    /// <summary>Names the vectors: a stored vector is reused only by an encoder of the same name.</summary>
    string Name { get; }

    /// <summary>Length of every vector <see cref="Encode"/> returns.</summary>
    int Dimension { get; }

    /// <summary>The vectors of <paramref name="texts"/>, in order, each of length <see cref="Dimension"/>.</summary>
    IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts);

    /// <summary>A query's vector (sentence-transformers' <c>encode_query</c>): by default <see cref="Encode"/> of the query alone.
    /// <see cref="BertSentenceEncoder"/> may compute it in bf16, to within cosine 1e-4 of <see cref="Encode"/>'s.</summary>
    float[] EncodeQuery(string query) => Encode([query])[0];

    /// <summary><see cref="EncodeQuery"/> for callers that must not block a thread while it waits its turn (a silo's answers); by default
    /// on the thread pool.</summary>
    Task<float[]> EncodeQueryAsync(string query) => Task.Run(() => EncodeQuery(query));
}
