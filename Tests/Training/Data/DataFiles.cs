using System.Text;
using Microsoft.ML.Tokenizers;

namespace Pastanoodles.Tests.Training.Data;

/// <summary>A temporary folder for data files, deleted with the test.</summary>
public sealed class DataFiles : IDisposable
{
    static readonly Lazy<Tokenizer> _r50k = new(() => TiktokenTokenizer.CreateForEncoding("r50k_base"));

    /// <summary>GPT-2 BPE, Phi-2's tokenizer; loaded once for all tests.</summary>
    public static Tokenizer R50k => _r50k.Value;

    public string Root { get; } = Directory.CreateTempSubdirectory("pastanoodles-data-").FullName;

    public string Path(string name) => System.IO.Path.Combine(Root, name);

    public string WriteLines(string name, params string[] lines)
    {
        var path = Path(name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = Path(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A flat JSONL row.</summary>
    public static string Flat(string prompt, string chosen, string rejected) =>
        System.Text.Json.JsonSerializer.Serialize(new { prompt, chosen, rejected });

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
