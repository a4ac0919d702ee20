using System.Text.Json.Nodes;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Parity;

/// <summary>The committed outputs of Hugging Face transformers, PEFT and torch (written by <c>reference/make.py</c>) and the comparisons against them.</summary>
/// <remarks>Tests read the copy in the build output; <see cref="SourceFolder"/> is the repository's, which only the
/// fixture writer (PASTANOODLES_PARITY_WRITE=1) touches.</remarks>
public static class ParityFixtures
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "Parity", "fixtures");

    public static JsonNode Manifest { get; } = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")))!;

    public static string In(string relative) => Path.Combine(Folder, relative);

    /// <summary>Token ids [B, T] from a JSON array of arrays.</summary>
    public static Tensor Ids(JsonNode node) =>
        tensor(node.AsArray().SelectMany(r => r!.AsArray().Select(v => v!.GetValue<long>())).ToArray())
            .view(node.AsArray().Count, -1);

    public static int[] Ints(JsonNode node) => node.AsArray().Select(v => v!.GetValue<int>()).ToArray();

    public static Tensor Read(string file, string name)
    {
        using var reader = new SafeTensorsReader(In(file));
        return reader.Read(name).to(ScalarType.Float32);
    }

    public static PhiForCausalLM Model(string name, ScalarType dtype = ScalarType.Float32) =>
        HfModelFolder.Load(In($"{name}/model"), new PhiBuildOptions { DType = dtype });

    /// <summary>The repository's fixture folder (found above the build output), for the writer.</summary>
    public static string SourceFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Tests", "Parity", "fixtures", "manifest.json");
            if (File.Exists(candidate)) return Path.GetDirectoryName(candidate)!;
        }
        throw new DirectoryNotFoundException($"No Tests/Parity/fixtures above {AppContext.BaseDirectory}; run the writer from the repository.");
    }

    public static bool Writing => Environment.GetEnvironmentVariable("PASTANOODLES_PARITY_WRITE") == "1";

    /// <summary>Every element of <paramref name="actual"/> within <paramref name="tolerance"/> of <paramref name="expected"/>;
    /// otherwise fails naming the first failing index with both values. Returns the largest difference.</summary>
    public static double AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64).cpu();
        var a = actual.detach().to(ScalarType.Float64).cpu();
        var diff = (e - a).abs();
        var bad = diff.gt(tolerance).logical_or(diff.isnan());
        if (!bad.any().item<bool>()) return diff.max().item<double>();
        var flat = bad.flatten().nonzero()[0, 0].item<long>();
        var index = Unravel(flat, expected.shape);
        double ev = e.flatten()[flat].item<double>(), av = a.flatten()[flat].item<double>();
        throw new XunitException(
            $"{what}: first mismatch at [{string.Join(", ", index)}]: expected {ev:R}, actual {av:R} (|diff| {Math.Abs(ev - av):E3} > {tolerance:E3}); " +
            $"{bad.sum().item<long>()} of {bad.numel()} elements differ, max |diff| {diff.max().item<double>():E3}.");
    }

    /// <summary>Gradient-style comparison: every element within <paramref name="relative"/> × ‖expected‖₂. Returns the largest difference over the norm.</summary>
    public static double AssertCloseToNorm(Tensor expected, Tensor actual, double relative, string what)
    {
        double norm = expected.to(ScalarType.Float64).norm().item<double>();
        Assert.True(norm > 0, $"{what}: the reference tensor is all zeros, so this comparison would prove nothing.");
        return AssertClose(expected, actual, relative * norm, $"{what} (tolerance {relative:E0} × norm {norm:E3})") / norm;
    }

    static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
