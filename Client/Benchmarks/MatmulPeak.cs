using System.Diagnostics;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>This machine's dense matmul throughput, measured in the same run as a benchmark so ratios compare like with like.</summary>
public static class MatmulPeak
{
    /// <summary>GFLOP/s of a [2048, 2560] × [2560, 2560] product (Phi-2's q_proj shape at 2048 tokens).</summary>
    public static double Measure(ScalarType dtype, int repeats = 5)
    {
        using var _ = no_grad();
        using var a = randn([2048, 2560]).to(dtype);
        using var b = randn([2560, 2560]).to(dtype);
        matmul(a, b).Dispose();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) matmul(a, b).Dispose();
        return repeats * 2.0 * 2048 * 2560 * 2560 / watch.Elapsed.TotalSeconds / 1e9;
    }
}
