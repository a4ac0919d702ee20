using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling;

/// <summary>Parameter counts and weight bytes of a model, read off its real module tree and quantized storage.</summary>
/// <param name="TotalParameters">Base parameters (a 4-bit weight counts its out·in values) plus adapter parameters.</param>
/// <param name="Bf16Bytes">The base model with every weight in bf16.</param>
/// <param name="Nf4Bytes">The base model with decoder linears in NF4 (packed codes and all constants) and the rest 16-bit.</param>
public sealed record ModelInfo(
    PhiConfig Config,
    long BaseParameters,
    long AdapterParameters,
    long TrainableParameters,
    long Bf16Bytes,
    long Nf4Bytes,
    long AdapterBytes,
    int QuantizedLayers,
    int AdaptedLayers)
{
    public long TotalParameters => BaseParameters + AdapterParameters;

    /// <summary>Builds the model on the meta device (no weight memory), quantizes and adapts it as asked, and measures it.</summary>
    public static ModelInfo Measure(PhiConfig config, bool nf4, LoraConfig? adapter)
    {
        using var model = new PhiForCausalLM(config, new PhiBuildOptions { DType = ScalarType.BFloat16, Nf4 = nf4, Device = META });
        var adapters = adapter is null ? null : AdapterInjector.Inject(model, adapter);
        return Of(model, adapters);
    }

    /// <summary>Measures a built model (on any device).</summary>
    public static ModelInfo Of(PhiForCausalLM model, AdapterSet? adapters)
    {
        var adapterParams = adapters?.Parameters().ToList() ?? [];
        var adapterHandles = adapterParams.Select(p => p.Handle).ToHashSet();
        long baseParams = model.named_parameters().Where(p => !adapterHandles.Contains(p.parameter.Handle)).Sum(p => p.parameter.numel());

        // Decoder linears: a 4-bit layer's real storage, or for a 16-bit model the exact storage NF4 would take.
        long decoderValues = 0, nf4Storage = 0;
        int quantizedLayers = 0;
        foreach (var (_, owner, slot) in model.LinearSlots())
        {
            var layer = owner.GetLinear(slot) is LoraLinear wrapped ? wrapped.BaseLayer : AdapterInjector.Unwrap(owner.GetLinear(slot));
            if (BaseLayers.Of(layer) is not { } weight)
                continue;
            var values = weight.in_features * weight.out_features;
            decoderValues += values;
            nf4Storage += weight.Nf4WeightBytes;
            if (weight.IsQuantized)
            {
                baseParams += values;   // stored, not a parameter
                quantizedLayers++;
            }
        }
        long bf16 = baseParams * 2;
        long nf4 = (baseParams - decoderValues) * 2 + nf4Storage;
        return new ModelInfo(model.Config, baseParams, adapterParams.Sum(p => p.numel()),
            adapterParams.Where(p => p.requires_grad).Sum(p => p.numel()), bf16, nf4,
            adapterParams.Sum(p => p.numel() * p.element_size()), quantizedLayers, adapters?.Layers.Count ?? 0);
    }
}
