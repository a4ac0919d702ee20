using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>A weight matrix stored the way bitsandbytes' <c>Params4bit</c> + <c>QuantState</c> store NF4.</summary>
/// <remarks>
/// <para><c>Packed</c>: uint8 [(n+1)/2, 1], element 2k in the high nibble and 2k+1 in the low one
/// (<c>quantize_4bit</c>). Blocks of <see cref="BlockSize"/> (64) values share one absmax.</para>
/// <para>With double quantization (<c>compress_statistics=True</c>) the absmax vector is stored as uint8 codes of the
/// signed dynamic map in blocks of 256 after subtracting its mean (<c>offset</c>); <c>NestedAbsmax</c> holds one fp32
/// scale per 256 blocks. Without it, <c>Absmax</c> is fp32 and the nested fields are null.</para>
/// bitsandbytes key names: weight, weight.absmax, weight.quant_map, weight.nested_absmax, weight.nested_quant_map.
/// </remarks>
public sealed class Nf4Tensor : IDisposable
{
    public const int BlockSize = 64;
    public const int NestedBlockSize = 256;

    public required long[] Shape { get; init; }
    public required Tensor Packed { get; init; }
    public required Tensor Absmax { get; init; }
    public required Tensor QuantMap { get; init; }
    public Tensor? NestedAbsmax { get; init; }
    public Tensor? NestedQuantMap { get; init; }
    public float Offset { get; init; }
    /// <summary>The dtype dequantized weights are cast to (bitsandbytes' <c>quant_state.dtype</c>).</summary>
    public required ScalarType DType { get; init; }

    public bool DoubleQuantized => NestedAbsmax is not null;
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Every byte this tensor occupies: packed codes plus all quantization constants.</summary>
    public long StorageBytes =>
        Bytes(Packed) + Bytes(Absmax) + Bytes(QuantMap) + Bytes(NestedAbsmax) + Bytes(NestedQuantMap) + (DoubleQuantized ? sizeof(float) : 0);

    public IEnumerable<(string Name, Tensor Value)> Tensors()
    {
        yield return ("weight", Packed);
        yield return ("weight.absmax", Absmax);
        yield return ("weight.quant_map", QuantMap);
        if (NestedAbsmax is not null) yield return ("weight.nested_absmax", NestedAbsmax);
        if (NestedQuantMap is not null) yield return ("weight.nested_quant_map", NestedQuantMap);
    }

    /// <summary>Zeroed storage of the right shapes, without quantizing anything (for building a model before loading it, or on the meta device).</summary>
    public static Nf4Tensor Empty(long[] shape, ScalarType dtype, bool doubleQuant, Device? device = null)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long blocks = (count + BlockSize - 1) / BlockSize;
        return new Nf4Tensor
        {
            Shape = shape,
            Packed = zeros([(count + 1) / 2, 1], ScalarType.Byte, device),
            Absmax = zeros(blocks, doubleQuant ? ScalarType.Byte : ScalarType.Float32, device),
            QuantMap = tensor(Nf4Table.Code).to(device ?? CPU),
            NestedAbsmax = doubleQuant ? zeros((blocks + NestedBlockSize - 1) / NestedBlockSize, ScalarType.Float32, device) : null,
            NestedQuantMap = doubleQuant ? DynamicMap.Signed().to(device ?? CPU) : null,
            DType = dtype,
        };
    }

    Tensor? _byteTable;

    /// <summary>[256, 2] code pairs per packed byte, built once per tensor for <see cref="Nf4.Dequantize"/>.</summary>
    internal Tensor ByteTable => LazyInitializer.EnsureInitialized(ref _byteTable, () =>
    {
        using var scope = NewDisposeScope();
        return Nf4.ByteTable(QuantMap).MoveToOuterDisposeScope().DetachFromDisposeScope();
    });

    public void Dispose()
    {
        foreach (var (_, value) in Tensors()) value.Dispose();
        _byteTable?.Dispose();
    }

    static long Bytes(Tensor? t) => t is null ? 0 : t.numel() * t.element_size();
}
