using Pastanoodles.Modeling.Phi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>The adapters injected into one model: enable, disable, merge, and their PEFT-named tensors.</summary>
public sealed class AdapterSet
{
    public LoraConfig Config { get; }
    public IReadOnlyList<(string Path, LoraLinear Layer)> Layers { get; }

    internal AdapterSet(LoraConfig config, IReadOnlyList<(string, LoraLinear)> layers) => (Config, Layers) = (config, layers);

    /// <summary>Adapter parameters with PEFT's file names (<c>base_model.model.…lora_A.weight</c>, <c>…lora_magnitude_vector</c>).</summary>
    public IEnumerable<(string Name, Parameter Value)> NamedParameters()
    {
        foreach (var (path, layer) in Layers)
        {
            yield return ($"base_model.model.{path}.lora_A.weight", layer.LoraA);
            yield return ($"base_model.model.{path}.lora_B.weight", layer.LoraB);
            if (layer.Magnitude is { } m)
                yield return ($"base_model.model.{path}.lora_magnitude_vector", m);
        }
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Value);

    public long TrainableCount => Parameters().Sum(p => p.numel());

    /// <summary>Runs the base model alone until disposed (the DPO reference: same network, adapters off).</summary>
    public IDisposable Disable()
    {
        if (Layers.Any(l => l.Layer.Merged))
            throw new InvalidOperationException("Adapters are merged into the base weights; unmerge them before disabling.");
        foreach (var (_, layer) in Layers) layer.Enabled = false;
        return new Support.OnDispose(() => { foreach (var (_, layer) in Layers) layer.Enabled = true; });
    }

    public void Merge() { foreach (var (_, layer) in Layers) layer.Merge(); }
    public void Unmerge() { foreach (var (_, layer) in Layers) layer.Unmerge(); }
}

/// <summary>Wraps a model's targeted linear slots in <see cref="LoraLinear"/> adapters and freezes everything else.</summary>
public static class AdapterInjector
{
    public static AdapterSet Inject(PhiForCausalLM model, LoraConfig config, long seed = 0)
    {
        config.Validate();
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        foreach (var p in model.parameters()) p.requires_grad = false;

        var layers = new List<(string, LoraLinear)>();
        var slots = model.LinearSlots().ToList();
        foreach (var (path, owner, slot) in slots)
        {
            if (!config.Targets(path)) continue;
            var current = owner.GetLinear(slot);
            if (current is LoraLinear)
                throw new InvalidOperationException($"{path} already has an adapter; one adapter per model is supported.");
            if (current is MultiLoraLinear)
                throw new InvalidOperationException($"{path} is part of a shared base that serves adapters per call; inject into a model of its own (to serve a PEFT folder on it, use LoadedModel.Use).");
            var wrapped = new LoraLinear(current, config, generator);
            if (!model.training) wrapped.eval();
            owner.SetLinear(slot, wrapped);
            layers.Add((path, wrapped));
        }
        if (layers.Count == 0)
        {
            var names = slots.Select(s => s.Slot).Distinct();
            throw new ArgumentException($"target_modules [{string.Join(", ", config.TargetModules)}] match no layer. Valid: {string.Join(", ", names)}.");
        }
        return new AdapterSet(config, layers);
    }

    /// <summary>The base layer under a shared base's <see cref="MultiLoraLinear"/>, or the layer itself (PEFT's <c>get_base_layer()</c>
    /// for the serving wrapper; a training <see cref="LoraLinear"/> is left as it is, so a second adapter on it is refused).</summary>
    public static nn.Module<Tensor, Tensor> Unwrap(nn.Module<Tensor, Tensor> layer) => layer is MultiLoraLinear shared ? shared.BaseLayer : layer;
}
