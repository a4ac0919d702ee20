using System.Diagnostics;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>This machine's dense matmul throughput, measured in the same run as a benchmark so ratios compare like with like.</summary>
public static class MatmulPeak
{
    /// <summary>GFLOP/s of the fastest of <paramref name="runs"/> [2048, 2560] × [2560, 2560] products (Phi-2's q_proj shape at 2048 tokens).</summary>
    /// <remarks>The best, not the mean: on a shared machine single products vary by 2× between runs, and the best is the one
    /// least disturbed, so the share of peak moves with the benchmark rather than with the neighbours.</remarks>
    public static double Measure(ScalarType dtype, int runs = 10)
    {
        using var _ = no_grad();
        using var a = randn([2048, 2560]).to(dtype);
        using var b = randn([2560, 2560]).to(dtype);
        matmul(a, b).Dispose();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            matmul(a, b).Dispose();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 2.0 * 2048 * 2560 * 2560 / best / 1e9;
    }
}
