using System.Diagnostics;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>Forward-pass throughput of a Phi config in bf16 or NF4, with the FLOPs it achieved.</summary>
public static class ModelBenchmark
{
    public sealed record Result(string Config, string Storage, int Tokens, double TokensPerSecond, double GflopsAchieved);

    public static Result Forward(string name, PhiConfig config, bool nf4, int sequence, int repeats)
    {
        using var model = new PhiForCausalLM(config, new PhiBuildOptions { DType = ScalarType.BFloat16, Nf4 = nf4 }).InitializeWeights(1);
        model.eval();
        using var _ = no_grad();
        using var ids = randint(0, config.VocabSize, [1, sequence], dtype: ScalarType.Int64);
        model.call(ids).Dispose();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) model.call(ids).Dispose();
        double seconds = watch.Elapsed.TotalSeconds / repeats;
        return new Result(name, nf4 ? "nf4" : "bf16", sequence, sequence / seconds, ForwardFlopsPerToken(config, sequence) * sequence / seconds / 1e9);
    }

    /// <summary>2 FLOPs per weight of every matmul (decoder linears and lm_head) plus attention's QKᵀ and PV (nanoGPT's estimate, forward only).</summary>
    public static double ForwardFlopsPerToken(PhiConfig c, int sequence)
    {
        double linear = c.NumHiddenLayers * (4.0 * c.HiddenSize * c.HiddenSize + 2.0 * c.HiddenSize * c.IntermediateSize);
        double head = (double)c.HiddenSize * c.VocabSize;
        double attention = 2.0 * c.NumHiddenLayers * sequence * c.HiddenSize; // QKᵀ and PV, 2·T·E each, halved for causal
        return 2 * (linear + head) + 2 * attention;
    }
}
