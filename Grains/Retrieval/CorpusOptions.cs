using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Retrieval;

/// <summary>How a course index is built; saved as <c>corpus.json</c> in the index folder and read back on open, so
/// queries always run through the analyzer and splitter the chunks were indexed with.</summary>
public sealed record CorpusOptions
{
    public const string FileName = "corpus.json";

    /// <summary>Number of shard indexes. Default 1.</summary>
    [JsonPropertyName("shards")] public int Shards { get; init; } = 1;

    /// <summary>Chunk size in characters (code points). Default 1000, LangChain's RAG tutorial; see README "Retrieval".</summary>
    [JsonPropertyName("chunk_size")] public int ChunkSize { get; init; } = 1000;

    /// <summary>Chunk overlap in characters. Default 200, LangChain's RAG tutorial.</summary>
    [JsonPropertyName("chunk_overlap")] public int ChunkOverlap { get; init; } = 200;

    /// <summary>Whether terms are WordNet-lemmatized. Default true.</summary>
    [JsonPropertyName("lemmatize")] public bool Lemmatize { get; init; } = true;

    /// <summary>BM25 k1. Default 1.2 (Lucene).</summary>
    [JsonPropertyName("k1")] public float K1 { get; init; } = 1.2f;

    /// <summary>BM25 b. Default 0.75 (Lucene).</summary>
    [JsonPropertyName("b")] public float B { get; init; } = 0.75f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (Shards < 1)
            throw new ArgumentException($"shards is set to {Shards}. shards must be 1 or more.");
        if (ChunkSize < 1)
            throw new ArgumentException($"chunk_size is set to {ChunkSize}. chunk_size must be greater than 0.");
        if (ChunkOverlap < 0 || ChunkOverlap > ChunkSize)
            throw new ArgumentException($"chunk_overlap is set to {ChunkOverlap}. chunk_overlap must be between 0 and chunk_size ({ChunkSize}).");
        if (K1 < 0 || B is < 0 or > 1)
            throw new ArgumentException($"k1 is {K1} and b is {B}. k1 must be 0 or more and b between 0 and 1.");
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static CorpusOptions Load(string path)
    {
        try
        {
            var options = JsonSerializer.Deserialize<CorpusOptions>(File.ReadAllText(path), s_json)
                ?? throw new InvalidDataException($"{path} holds null.");
            options.Validate();
            return options;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid corpus.json: {e.Message}", e);
        }
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));
}
