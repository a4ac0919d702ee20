using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>A frozen base layer as adapters, initialization, checkpoint checks and size reports see it, whether its weight is
/// a dense parameter or stored in 4 bits (PEFT's <c>get_base_layer()</c>: resolved once, in <see cref="BaseLayers.Of"/>).</summary>
public interface IBaseWeight
{
    long in_features { get; }
    long out_features { get; }

    /// <summary>The dtype the forward computes in.</summary>
    ScalarType ComputeDType { get; }

    /// <summary>Whether the weight is stored quantized (not as a parameter).</summary>
    bool IsQuantized { get; }

    /// <summary>The weight as a dense [out, in] matrix (dequantized when stored in 4 bits).</summary>
    Tensor DequantizedWeight(ScalarType dtype);

    Tensor? Bias { get; }

    /// <summary>Replaces the weight with <paramref name="weight"/> [out, in] (quantizing it when stored in 4 bits).</summary>
    void Load(Tensor weight);

    /// <summary>The forward with a weight already dense in <see cref="ComputeDType"/>, for callers that need the weight too (DoRA's norm).</summary>
    Tensor Forward(Tensor input, Tensor dequantized);

    /// <summary>Bytes the weight takes in NF4 with double quantization: its real storage when quantized, else what it would take.</summary>
    long Nf4WeightBytes { get; }
}

/// <summary>Resolves a module to its <see cref="IBaseWeight"/>: the one place that knows the base layer types.</summary>
public static class BaseLayers
{
    /// <summary>The base weight of <paramref name="module"/>, or null when it is not a base linear layer (e.g. one already wrapped by an adapter).</summary>
    public static IBaseWeight? Of(nn.Module module) => module switch
    {
        IBaseWeight weight => weight,
        Linear linear => new DenseBaseWeight(linear),
        _ => null,
    };

    /// <summary>The base weight of <paramref name="module"/>, which an adapter is about to wrap.</summary>
    /// <exception cref="NotSupportedException">It is not a base linear layer.</exception>
    public static IBaseWeight Require(nn.Module module) => Of(module)
        ?? throw new NotSupportedException($"Adapters wrap Linear or Linear4bit layers, not {module.GetType().Name}.");

    /// <summary>TorchSharp's <see cref="Linear"/> seen as a base weight.</summary>
    sealed class DenseBaseWeight(Linear linear) : IBaseWeight
    {
        public long in_features => linear.in_features;
        public long out_features => linear.out_features;
        public ScalarType ComputeDType => linear.weight!.dtype;
        public bool IsQuantized => false;
        public Tensor DequantizedWeight(ScalarType dtype) => linear.weight!.detach().to(dtype);
        public Tensor? Bias => linear.bias;

        public void Load(Tensor weight)
        {
            using var _ = no_grad();
            linear.weight!.copy_(weight);
        }

        public Tensor Forward(Tensor input, Tensor dequantized) => nn.functional.linear(input, dequantized, linear.bias);

        public long Nf4WeightBytes
        {
            get
            {
                using var empty = Nf4Tensor.Empty(linear.weight!.shape, ScalarType.BFloat16, doubleQuant: true, META);
                return empty.StorageBytes;
            }
        }
    }
}
