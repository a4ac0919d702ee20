using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>NF4 quantize and dequantize, with optional double quantization, as bitsandbytes does them.</summary>
/// <remarks>
/// Reference: bitsandbytes <c>functional.quantize_4bit</c> / <c>dequantize_4bit</c> and the default (PyTorch)
/// backend. Dequantization computes <c>code[idx] · absmax</c> in fp32 and casts to the weight's dtype.
/// </remarks>
public static class Nf4
{
    public static Tensor CodeTensor(Device? device = null) => tensor(Nf4Table.Code, device: device);

    /// <summary>Quantizes <paramref name="weight"/> (any float dtype) to NF4 in blocks of 64.</summary>
    public static Nf4Tensor Quantize(Tensor weight, bool doubleQuant = true)
    {
        using var scope = NewDisposeScope();
        var device = weight.device;
        var code = CodeTensor(device);
        var (indices, absmax) = BlockQuant.Quantize(weight.detach(), code, Nf4Tensor.BlockSize);
        var packed = Pack(indices);

        Tensor storedAbsmax = absmax, quantMap = code;
        Tensor? nestedAbsmax = null, nestedMap = null;
        float offset = 0;
        if (doubleQuant)
        {
            offset = absmax.mean().item<float>();
            nestedMap = DynamicMap.Signed().to(device);
            var (nestedIdx, nestedScale) = BlockQuant.Quantize(absmax - offset, nestedMap, Nf4Tensor.NestedBlockSize);
            storedAbsmax = nestedIdx.narrow(0, 0, absmax.shape[0]);
            nestedAbsmax = nestedScale;
        }

        return new Nf4Tensor
        {
            Shape = weight.shape,
            Packed = packed.contiguous().MoveToOuterDisposeScope(),
            Absmax = storedAbsmax.contiguous().MoveToOuterDisposeScope(),
            QuantMap = quantMap.MoveToOuterDisposeScope(),
            NestedAbsmax = nestedAbsmax?.MoveToOuterDisposeScope(),
            NestedQuantMap = nestedMap?.MoveToOuterDisposeScope(),
            Offset = offset,
            DType = weight.dtype,
        };
    }

    /// <summary>The fp32 absmax per 64-block, undoing double quantization when present.</summary>
    public static Tensor BlockAbsmax(Nf4Tensor q)
    {
        if (!q.DoubleQuantized)
            return q.Absmax.alias();
        using var scope = NewDisposeScope();
        var absmax = BlockQuant.Dequantize(
            PadTo(q.Absmax, Nf4Tensor.NestedBlockSize), q.NestedAbsmax!, q.NestedQuantMap!, Nf4Tensor.NestedBlockSize, q.Absmax.shape[0]);
        return (absmax + q.Offset).MoveToOuterDisposeScope();
    }

    /// <summary>Dequantizes to <paramref name="dtype"/> (default: the dtype the weight had when quantized).</summary>
    /// <remarks>
    /// Fast path: one lookup per packed byte in a [256, 2] table of (high, low) code values, then the block scale,
    /// in fp32 as bitsandbytes computes it; <see cref="DequantizeReference"/> unpacks nibbles first and is held equal by a test.
    /// </remarks>
    public static Tensor Dequantize(Nf4Tensor q, ScalarType? dtype = null)
    {
        if (q.Packed.device_type == TorchSharp.DeviceType.META) // shapes only: libtorch has no meta index_select
            return empty(q.Shape, dtype ?? q.DType, META);
        using var scope = NewDisposeScope();
        var pairs = q.ByteTable.index_select(0, q.Packed.flatten().to(ScalarType.Int32)); // [n/2, 2]
        var values = pairs.view(-1, Nf4Tensor.BlockSize) * BlockAbsmax(q).unsqueeze(1);
        return values.flatten().narrow(0, 0, q.Count).view(q.Shape).to(dtype ?? q.DType).MoveToOuterDisposeScope();
    }

    /// <summary>The plain reading of bitsandbytes' dequantization: unpack both nibbles, look each up, scale by its block's absmax.</summary>
    public static Tensor DequantizeReference(Nf4Tensor q, ScalarType? dtype = null)
    {
        using var scope = NewDisposeScope();
        var indices = Unpack(q.Packed);
        var values = BlockQuant.Dequantize(indices, BlockAbsmax(q), q.QuantMap, Nf4Tensor.BlockSize, q.Count);
        return values.view(q.Shape).to(dtype ?? q.DType).MoveToOuterDisposeScope();
    }

    /// <summary>[256, 2]: for each byte value, the code of its high nibble and of its low nibble.</summary>
    internal static Tensor ByteTable(Tensor code)
    {
        var bytes = arange(256, ScalarType.Int64, code.device);
        return stack([code.index_select(0, bytes.bitwise_right_shift(4)), code.index_select(0, bytes.bitwise_and(0x0F))], 1);
    }

    /// <summary>Two 4-bit indices per byte, element 2k in the high nibble (bitsandbytes' order).</summary>
    public static Tensor Pack(Tensor indices)
    {
        using var scope = NewDisposeScope();
        var even = indices.numel() % 2 == 0 ? indices : cat([indices, zeros(1, ScalarType.Byte, indices.device)]);
        var pairs = even.view(-1, 2);
        var packed = pairs[.., 0].bitwise_left_shift(4).bitwise_or(pairs[.., 1]).to(ScalarType.Byte);
        return packed.view(-1, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Inverse of <see cref="Pack"/>: all 2·bytes indices (including a padding nibble when the count was odd).</summary>
    public static Tensor Unpack(Tensor packed)
    {
        using var scope = NewDisposeScope();
        var flat = packed.flatten();
        var high = flat.bitwise_right_shift(4);
        var low = flat.bitwise_and(0x0F);
        return stack([high, low], 1).flatten().MoveToOuterDisposeScope();
    }

    static Tensor PadTo(Tensor t, int multiple)
    {
        long n = t.shape[0];
        long padded = (n + multiple - 1) / multiple * multiple;
        return padded == n ? t.alias() : nn.functional.pad(t, [0, padded - n]);
    }
}
