using static TorchSharp.torch;

namespace Pastanoodles.Quantization;

/// <summary>A frozen base layer that can hand out its weight as a dense matrix (dequantized when stored in 4 bits).</summary>
public interface IBaseWeight
{
    long in_features { get; }
    long out_features { get; }
    Tensor DequantizedWeight(ScalarType dtype);
    Tensor? Bias { get; }
}
