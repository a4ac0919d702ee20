using Pastanoodles.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>One checkpoint tensor of a model: its expected shape, how to load it and how to read it back.</summary>
public sealed record CheckpointTarget(string Key, long[] Shape, Action<Tensor> Load, Func<ScalarType, Tensor> Read);

/// <summary>Maps HF checkpoint keys to a module tree's parameters, 4-bit layers and adapter wrappers included.</summary>
/// <remarks>
/// Adapter parameters (<c>lora_*</c>) are not base-model keys and are skipped; a wrapper's <c>base_layer</c>
/// segment is dropped, as PEFT does when it saves a base model. A quantized <see cref="IBaseWeight"/> (4-bit) exposes
/// <c>weight</c>, which loads by quantizing and reads back dequantized.
/// </remarks>
public static class CheckpointMap
{
    public static Dictionary<string, CheckpointTarget> For(nn.Module model)
    {
        var targets = new Dictionary<string, CheckpointTarget>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains(".lora_")) continue;
            var key = BaseKey(name);
            var p = parameter;
            targets[key] = new CheckpointTarget(key, p.shape,
                t => { using var _ = no_grad(); p.copy_(t); },
                dtype => p.detach().to(dtype));
        }
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not IBaseWeight { IsQuantized: true } stored) continue;
            var key = BaseKey(name) + ".weight";
            targets[key] = new CheckpointTarget(key, [stored.out_features, stored.in_features], stored.Load, stored.DequantizedWeight);
        }
        return targets;
    }

    public static string BaseKey(string name) => name.Replace(".base_layer.", ".").Replace(".base_layer", "");
}
