using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Support;

/// <summary>Small Phi models for tests: the built-in tiny config, random weights from a seed.</summary>
public static class TinyModels
{
    /// <summary>Even smaller than <see cref="PhiConfig.Tiny"/> (vocab 99, like HF's PhiModelTester) for fast checkpoint tests.</summary>
    public static PhiConfig Micro { get; } = PhiConfig.Tiny with { VocabSize = 99, HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 4 };

    public static PhiForCausalLM Build(PhiConfig? config = null, long seed = 1, ScalarType dtype = ScalarType.Float32, bool nf4 = false)
    {
        var model = new PhiForCausalLM(config ?? Micro, new PhiBuildOptions { DType = dtype, Nf4 = nf4 }).InitializeWeights(seed);
        model.eval();
        return model;
    }

    public static Tensor Ids(long vocab, int length, long seed = 7, int batch = 1)
    {
        var g = new Generator((ulong)seed);
        return randint(0, vocab, [batch, length], dtype: ScalarType.Int64, generator: g);
    }
}
