using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Retrieval;

/// <summary>How a course index is built, the one record of a corpus' settings: a local index saves it as <c>corpus.json</c> in
/// its folder, the cluster keeps it in the corpus grain and hands it to shards and answers, so queries always run through
/// the analyzer and splitter the chunks were indexed with.</summary>
/// <remarks>It crosses grain calls, hence here. A new setting (an encoder name, say) is one more property with a JSON name and
/// the next <c>[Id]</c>; <see cref="Settle"/> and <see cref="Describe"/> then cover it.</remarks>
[GenerateSerializer, Immutable, Alias("pastanoodles.CorpusOptions")]
public sealed record CorpusOptions
{
    public const string FileName = "corpus.json";

    /// <summary>Number of shard indexes. Default 1.</summary>
    [Id(0)] [JsonPropertyName("shards")] public int Shards { get; init; } = 1;

    /// <summary>Chunk size in characters (code points). Default 1000, LangChain's RAG tutorial; see README "Retrieval".</summary>
    [Id(1)] [JsonPropertyName("chunk_size")] public int ChunkSize { get; init; } = 1000;

    /// <summary>Chunk overlap in characters. Default 200, LangChain's RAG tutorial.</summary>
    [Id(2)] [JsonPropertyName("chunk_overlap")] public int ChunkOverlap { get; init; } = 200;

    /// <summary>Whether terms are WordNet-lemmatized. Default true.</summary>
    [Id(3)] [JsonPropertyName("lemmatize")] public bool Lemmatize { get; init; } = true;

    /// <summary>BM25 k1. Default 1.2 (Lucene).</summary>
    [Id(4)] [JsonPropertyName("k1")] public float K1 { get; init; } = 1.2f;

    /// <summary>BM25 b. Default 0.75 (Lucene).</summary>
    [Id(5)] [JsonPropertyName("b")] public float B { get; init; } = 0.75f;

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

    /// <summary>The settings a corpus keeps: <paramref name="existing"/> when it has some (then <paramref name="asked"/>, when
    /// given, must equal them: mixing settings would analyse queries differently from the index), else <paramref name="asked"/>
    /// or <paramref name="defaults"/>. Throws <see cref="ArgumentException"/> naming both settings and <paramref name="hint"/>.</summary>
    public static CorpusOptions Settle(CorpusOptions? existing, CorpusOptions? asked, CorpusOptions defaults, string corpus, string hint)
    {
        if (existing is null)
        {
            var chosen = asked ?? defaults;
            chosen.Validate();
            return chosen;
        }
        if (asked is not null && asked != existing)
            throw new ArgumentException($"{corpus} was built with {existing.Describe()}, but {asked.Describe()} was asked for. HINT: {hint}");
        return existing;
    }

    /// <summary>The settings as their JSON keys, for messages.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"shards={Shards}, chunk_size={ChunkSize}, chunk_overlap={ChunkOverlap}, lemmatize={Lemmatize}, k1={K1}, b={B}");

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
