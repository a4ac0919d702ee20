using Pastanoodles.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling;

/// <summary>HF's <c>_init_weights</c> for a fresh model: N(0, initializer_range) weights, zero biases, unit LayerNorms, from a seed.</summary>
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
                    linear.weight!.normal_(0, std, generator);
                    linear.bias?.zero_();
                    break;
                case IBaseWeight stored:   // a base layer whose weight is not a parameter (4-bit): drawn in fp32, then loaded
                    using (var w = empty([stored.out_features, stored.in_features], ScalarType.Float32).normal_(0, std, generator))
                        stored.Load(w);
                    stored.Bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, std, generator);
                    break;
                case LayerNorm norm:
                    norm.weight!.fill_(1);
                    norm.bias!.zero_();
                    break;
            }
        }
    }
}
