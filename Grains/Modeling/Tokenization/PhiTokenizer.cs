using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace Pastanoodles.Modeling.Tokenization;

/// <summary>Phi-2's byte-level BPE (GPT-2's r50k_base plus CodeGen's 38 whitespace-run tokens), through Microsoft.ML.Tokenizers.</summary>
/// <remarks>
/// From a model folder: <c>vocab.json</c> + <c>merges.txt</c>, or <c>tokenizer.json</c> (its BPE vocab and merges).
/// Without either: r50k_base (Microsoft.ML.Tokenizers.Data.R50kBase) with Phi-2's added tokens — runs of 31..2
/// spaces (ids 50257..50286) and 9..2 tabs (50287..50294) — matched before BPE, as HF does.
/// No BOS is added on encode (GPT-2 style); <c>&lt;|endoftext|&gt;</c> = 50256 is BOS, EOS and pad.
/// </remarks>
public sealed class PhiTokenizer
{
    public const int EndOfText = 50256;
    public const string EndOfTextToken = "<|endoftext|>";

    public Tokenizer Inner { get; }
    public int EosId => EndOfText;
    public string Origin { get; }

    PhiTokenizer(Tokenizer inner, string origin) => (Inner, Origin) = (inner, origin);

    public int[] Encode(string text) => Inner.EncodeToIds(text).ToArray();

    public string Decode(IEnumerable<int> ids) => Inner.Decode(ids) ?? "";

    /// <summary>The tokenizer of a model folder, or the built-in one when the folder has no tokenizer files.</summary>
    public static PhiTokenizer FromFolder(string? folder)
    {
        if (folder is not null)
        {
            var vocab = Path.Combine(folder, "vocab.json");
            var merges = Path.Combine(folder, "merges.txt");
            var json = Path.Combine(folder, "tokenizer.json");
            if (File.Exists(vocab) && File.Exists(merges))
            {
                using var v = File.OpenRead(vocab);
                using var m = File.OpenRead(merges);
                return new PhiTokenizer(Phi2Tokenizer.Create(v, m), $"{vocab} + {merges}");
            }
            if (File.Exists(json))
                return FromTokenizerJson(json);
        }
        return BuiltIn();
    }

    /// <summary>GPT-2 BPE (r50k_base) plus Phi-2's added whitespace tokens; needs no files.</summary>
    public static PhiTokenizer BuiltIn()
    {
        var special = new Dictionary<string, int>(); // r50k_base already has <|endoftext|> = 50256
        int id = EndOfText + 1;
        for (int n = 31; n >= 2; n--) special[new string(' ', n)] = id++;
        for (int n = 9; n >= 2; n--) special[new string('\t', n)] = id++;
        return new PhiTokenizer(TiktokenTokenizer.CreateForEncoding("r50k_base", special), "built-in r50k_base + Phi-2 added tokens");
    }

    static PhiTokenizer FromTokenizerJson(string path)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path} has no 'model' object.");
        if (model["type"]?.GetValue<string>() is { } type && type != "BPE")
            throw new InvalidDataException($"{path}: model.type is '{type}'. Only BPE (GPT-2 style) is supported.");
        var vocab = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path} has no model.vocab object.");
        var merges = model["merges"] as JsonArray ?? throw new InvalidDataException($"{path} has no model.merges array.");

        var mergesText = new StringBuilder("#version: 0.2\n");
        foreach (var merge in merges)
        {
            // Older files store "a b"; newer ones store ["a", "b"].
            var line = merge is JsonArray pair ? $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}" : merge!.GetValue<string>();
            mergesText.Append(line).Append('\n');
        }
        using var vocabStream = new MemoryStream(Encoding.UTF8.GetBytes(vocab.ToJsonString()));
        using var mergesStream = new MemoryStream(Encoding.UTF8.GetBytes(mergesText.ToString()));
        return new PhiTokenizer(Phi2Tokenizer.Create(vocabStream, mergesStream), path);
    }
}
