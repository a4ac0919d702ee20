using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>bitsandbytes' signed 8-bit dynamic code (<c>create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)</c>).</summary>
/// <remarks>
/// For i = 0..6: the 2^i midpoints of <c>linspace(0.1, 1, 2^i + 1)</c> scaled by 10^(i−6), with their negatives;
/// then 0 and 1.0; sorted: 256 values, no exact −1. Built with libtorch's own <c>linspace</c> and fp32 arithmetic so
/// the values are bit-identical to the Python ones.
/// </remarks>
public static class DynamicMap
{
    public static Tensor Signed()
    {
        var values = new List<float>(256);
        for (int i = 0; i < 7; i++)
        {
            using var boundaries = linspace(0.1, 1, (1 << i) + 1, dtype: ScalarType.Float32);
            using var means = (boundaries.narrow(0, 0, 1 << i) + boundaries.narrow(0, 1, 1 << i)) / 2.0;
            using var scaled = means * Math.Pow(10, i - 6);
            using var negative = means * -Math.Pow(10, i - 6);
            values.AddRange(scaled.data<float>().ToArray());
            values.AddRange(negative.data<float>().ToArray());
        }
        values.Add(0f);
        values.Add(1f);
        values.Sort();
        return tensor(values.ToArray());
    }
}
