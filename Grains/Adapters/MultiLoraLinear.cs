using Pastanoodles.Quantization;
using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>A frozen linear layer of a <see cref="SharedBase"/>: it computes <c>base(x)</c> once and adds the delta of the adapter
/// the calling flow chose (<see cref="SharedBase.Use"/>), or nothing for the base alone.</summary>
/// <remarks>
/// The S-LoRA / Punica / LoRAX split: one base weight, many small adapters, the adapter picked per request instead of by an
/// "active adapter" toggle on the module (PEFT's <c>set_adapter</c>), which would race between concurrent answers. The layer
/// holds no adapter tensors; a <see cref="ServedAdapter"/> holds them, by this layer's <see cref="Slot"/>.
/// Differs from PEFT's mixed-batch <c>adapter_names</c> forward: one adapter per forward (not per batch row), and DoRA is allowed
/// (its norm is fixed per adapter at load, so it can be folded into g = m/‖W + s·B·A‖ once).
/// </remarks>
public sealed class MultiLoraLinear : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> base_layer;
    readonly SharedBase _shared;

    internal MultiLoraLinear(nn.Module<Tensor, Tensor> baseLayer, SharedBase shared, int slot) : base(nameof(MultiLoraLinear))
    {
        BaseLayers.Require(baseLayer);
        base_layer = baseLayer;
        _shared = shared;
        Slot = slot;
        RegisterComponents();
    }

    /// <summary>This layer's index in <see cref="SharedBase.Layers"/>, and in every served adapter's per-layer deltas.</summary>
    public int Slot { get; }

    public nn.Module<Tensor, Tensor> BaseLayer => base_layer;

    internal IBaseWeight Base => BaseLayers.Of(base_layer)!;

    public override Tensor forward(Tensor x)
    {
        var result = base_layer.call(x);
        if (_shared.Current?.Delta(Slot) is not { } delta)
            return result;
        using (result)
            return delta.Apply(x, result, Base.Bias);
    }
}
