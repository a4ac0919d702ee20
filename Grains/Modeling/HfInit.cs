using Pastanoodles.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling;

/// <summary>HF's <c>_init_weights</c> for a fresh model: N(0, initializer_range) weights, zero biases, unit LayerNorms, from a seed.</summary>
/// <remarks>Values are drawn on the CPU from a CPU generator and copied to the model's device, so a seed gives the same
/// weights on every device (and a CPU generator cannot fill a CUDA tensor).</remarks>
public static class HfInit
{
    public static void Initialize(nn.Module model, double std, long seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    Normal(linear.weight!, std, generator);
                    linear.bias?.zero_();
                    break;
                case IBaseWeight stored:   // a base layer whose weight is not a parameter (4-bit): drawn in fp32, then loaded
                    using (var w = empty([stored.out_features, stored.in_features], ScalarType.Float32).normal_(0, std, generator))
                        stored.Load(w);
                    stored.Bias?.zero_();
                    break;
                case Embedding embedding:
                    Normal(embedding.weight!, std, generator);
                    break;
                case LayerNorm norm:
                    norm.weight!.fill_(1);
                    norm.bias!.zero_();
                    break;
            }
        }
    }

    static void Normal(Tensor weight, double std, TorchSharp.torch.Generator generator)
    {
        using var drawn = empty(weight.shape, weight.dtype).normal_(0, std, generator);
        weight.copy_(drawn);
    }
}
