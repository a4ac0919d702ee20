using TorchSharp;
using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>Blockwise absmax quantization onto a sorted code book: the shared core of NF4 and the 8-bit nested step.</summary>
/// <remarks>
/// Matches bitsandbytes' pure-PyTorch backend (<c>backends/default/ops.py</c>): per block <c>absmax = max|x|</c>
/// in fp32, <c>x · (1/absmax)</c> clamped to [−1, 1], then the nearest code by <c>bucketize</c> on the midpoints
/// (right=False: a value exactly on a midpoint takes the lower code, as the CUDA kernel's <c>&gt;</c> tests do).
/// </remarks>
public static class BlockQuant
{
    /// <summary>Quantizes a flat fp32 tensor; returns code indices (uint8, padded to whole blocks) and one absmax per block.</summary>
    public static (Tensor Indices, Tensor Absmax) Quantize(Tensor flat, Tensor code, int blockSize)
    {
        using var scope = NewDisposeScope();
        var x = flat.to(ScalarType.Float32).flatten();
        long n = x.shape[0];
        long blocks = (n + blockSize - 1) / blockSize;
        if (blocks * blockSize != n)
            x = nn.functional.pad(x, [0, blocks * blockSize - n]);
        var grid = x.view(blocks, blockSize);
        var absmax = grid.abs().amax([1]);
        var scaled = (grid * absmax.clamp_min(1e-38).reciprocal().unsqueeze(1)).clamp(-1, 1);
        var midpoints = (code.narrow(0, 0, code.shape[0] - 1) + code.narrow(0, 1, code.shape[0] - 1)) / 2;
        var indices = bucketize(scaled, midpoints.contiguous(), right: false).to(ScalarType.Byte).flatten();
        return (indices.MoveToOuterDisposeScope(), absmax.MoveToOuterDisposeScope());
    }

    /// <summary>Inverse of <see cref="Quantize"/>: <c>code[index] · absmax[block]</c> in fp32, first <paramref name="count"/> values.</summary>
    public static Tensor Dequantize(Tensor indices, Tensor absmax, Tensor code, int blockSize, long count)
    {
        using var scope = NewDisposeScope();
        var values = code.index_select(0, indices.to(ScalarType.Int64)).view(-1, blockSize) * absmax.unsqueeze(1);
        return values.flatten().narrow(0, 0, count).MoveToOuterDisposeScope();
    }
}
