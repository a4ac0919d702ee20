using TorchSharp;
using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>A frozen linear layer whose weight is NF4 (bitsandbytes' <c>Linear4bit</c>, quant_type "nf4").</summary>
/// <remarks>
/// Forward as <c>Linear4bit.forward</c>: the input and bias are cast to the compute dtype,
/// <c>y = x · dequant(W)ᵀ + b</c>, and the result is cast back to the input dtype. Gradients reach the input only.
/// The bias stays 16-bit, as in QLoRA. A freshly built layer holds zeros until <see cref="Load"/> is called.
/// The quantized storage is built on the layer's device and stays there (the layer is not moved with <c>.to()</c>).
/// </remarks>
public sealed class Linear4bit : nn.Module<Tensor, Tensor>, IBaseWeight
{
    public long in_features { get; }
    public long out_features { get; }
    public ScalarType ComputeDType { get; }
    public bool DoubleQuant { get; }
    public Nf4Tensor Quantized { get; private set; }
    public TorchSharp.Modules.Parameter? bias;

    public Linear4bit(long inFeatures, long outFeatures, bool hasBias, ScalarType computeDType, bool doubleQuant = true, Device? device = null)
        : base(nameof(Linear4bit))
    {
        in_features = inFeatures;
        out_features = outFeatures;
        ComputeDType = computeDType;
        DoubleQuant = doubleQuant;
        Quantized = Nf4Tensor.Empty([outFeatures, inFeatures], computeDType, doubleQuant, device);
        bias = hasBias ? new TorchSharp.Modules.Parameter(zeros(outFeatures, computeDType, device), requires_grad: false) : null;
        RegisterComponents();
    }

    /// <summary>Quantizes <paramref name="weight"/> [out, in] into this layer, replacing what it held.</summary>
    public void Load(Tensor weight)
    {
        if (weight.ndim != 2 || weight.shape[0] != out_features || weight.shape[1] != in_features)
            throw new ArgumentException($"weight should be of size [{out_features}, {in_features}], but is [{string.Join(", ", weight.shape)}].", nameof(weight));
        var old = Quantized;
        using (no_grad())
        using (var converted = weight.to(ComputeDType, old.Packed.device))   // disposed here: a model's worth of copies would wait for the GC
            Quantized = Nf4.Quantize(converted, DoubleQuant);                  // stays on the layer's device
        old.Dispose();
    }

    public Tensor DequantizedWeight(ScalarType dtype) => Nf4.Dequantize(Quantized, dtype);

    public Tensor? Bias => bias;

    public bool IsQuantized => true;

    public long Nf4WeightBytes => Quantized.StorageBytes;

    /// <summary>Bytes of the 4-bit weight with all its constants, plus the 16-bit bias.</summary>
    public long StorageBytes => Quantized.StorageBytes + (bias is null ? 0 : bias.numel() * bias.element_size());

    public override Tensor forward(Tensor input)
    {
        using var w = DequantizedWeight(ComputeDType);
        return Forward(input, w);
    }

    /// <summary>The forward with a weight already dequantized to the compute dtype, for callers that need it too (DoRA's norm).</summary>
    public Tensor Forward(Tensor input, Tensor dequantized)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.linear(input.to(ComputeDType), dequantized, bias?.to(ComputeDType));
        return y.to(input.dtype).MoveToOuterDisposeScope();
    }
}
