using Pastanoodles.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>A frozen linear layer with a LoRA or DoRA adapter beside it (PEFT's <c>lora.Linear</c> / <c>Linear4bit</c>).</summary>
/// <remarks>
/// <para>LoRA: <c>y = base(x) + B(A(dropout(x)))·s</c>, s = alpha/r, A Kaiming-uniform(a=√5), B zero.</para>
/// <para>DoRA, as PEFT's <c>DoraLinearVariant.forward</c>: with g = m / ‖W + s·B·A‖ (the norm detached),
/// <c>y = base(x) + (g − 1)·(base(x) − b) + g·B(A(x_d))·s</c>; in training with dropout the base term is recomputed on
/// the dropped-out input. m starts as the row norms of the (dequantized) base weight, so a fresh adapter is the identity.</para>
/// Adapter parameters are fp32 (PEFT's <c>autocast_adapter_dtype</c>); the output has the base output's dtype.
/// </remarks>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> base_layer;
    readonly Linear lora_A;
    readonly Linear lora_B;
    readonly nn.Module<Tensor, Tensor> lora_dropout;
    readonly Parameter? lora_magnitude_vector;
    Tensor _weightNormSquared;          // ‖W‖² per row of the frozen base, for the factored DoRA norm
    Tensor? _mergedNorm;                // DoRA norm at merge time, to undo the merge exactly

    public double Scaling { get; }
    public bool UseDora => lora_magnitude_vector is not null;
    public bool Enabled { get; set; } = true;
    public bool Merged { get; private set; }
    public nn.Module<Tensor, Tensor> BaseLayer => base_layer;

    // Resolved on each use, not kept in a field: RegisterComponents would register a 4-bit layer held there a second time.
    IBaseWeight Base => BaseLayers.Require(base_layer);
    public Parameter LoraA => lora_A.weight!;
    public Parameter LoraB => lora_B.weight!;
    public Parameter? Magnitude => lora_magnitude_vector;

    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, LoraConfig config, TorchSharp.torch.Generator generator)
        : base(nameof(LoraLinear))
    {
        var baseWeight = BaseLayers.Require(baseLayer);
        var (inFeatures, outFeatures) = (baseWeight.in_features, baseWeight.out_features);
        using var w = BaseWeight(baseLayer, ScalarType.Float32);      // dequantized once, for its device and DoRA's norm
        var device = w.device;
        base_layer = baseLayer;
        lora_A = nn.Linear(inFeatures, config.R, hasBias: false, device: device, dtype: ScalarType.Float32);
        lora_B = nn.Linear(config.R, outFeatures, hasBias: false, device: device, dtype: ScalarType.Float32);
        lora_dropout = config.LoraDropout > 0 ? nn.Dropout(config.LoraDropout) : nn.Identity();
        Scaling = config.Scaling;
        using (no_grad())
        {
            double bound = 1.0 / Math.Sqrt(inFeatures); // kaiming_uniform_(a=√5): gain √(2/6) · √(3/fan_in)
            using (var drawn = empty(lora_A.weight!.shape, ScalarType.Float32).uniform_(-bound, bound, generator))
                lora_A.weight!.copy_(drawn);                                // drawn on the CPU: the same values on every device
            lora_B.weight!.zero_();
            _weightNormSquared = DoraNorm.RowNormsSquared(w).DetachFromDisposeScope();
            if (config.UseDora)
                lora_magnitude_vector = new Parameter(_weightNormSquared.sqrt(), requires_grad: true);
        }
        RegisterComponents();
        foreach (var p in base_layer.parameters()) p.requires_grad = false;
    }

    public override Tensor forward(Tensor x)
    {
        if (!Enabled || Merged)
            return base_layer.call(x);
        using var scope = NewDisposeScope();
        // Differs from PEFT (which dequantizes a 4-bit base twice, for the product and for the norm): one
        // dequantization serves both; the values are the same.
        Tensor? weight = null;                                              // [out, in] fp32, DoRA only
        Tensor result;
        if (UseDora)
        {
            var dequantized = Base.DequantizedWeight(Base.ComputeDType);
            result = Base.Forward(x, dequantized);
            weight = dequantized.to(ScalarType.Float32);
        }
        else
            result = base_layer.call(x);

        var xa = x.to(ScalarType.Float32);
        Tensor output;
        if (!UseDora)
        {
            output = Combine(result, null, lora_B.call(lora_A.call(lora_dropout.call(xa))) * Scaling, null);
        }
        else
        {
            weight ??= BaseWeight(base_layer, ScalarType.Float32);
            Tensor xd, baseResult;
            if (lora_dropout is Identity || !training)
            {
                xd = xa;
                var bias = Base.Bias;
                baseResult = bias is null ? result : result - bias;
            }
            else
            {
                xd = lora_dropout.call(xa);
                baseResult = nn.functional.linear(xd, weight);
            }
            var g = lora_magnitude_vector! / WeightNorm(weight);               // [out]
            output = Combine(result, baseResult, lora_B.call(lora_A.call(xd)) * Scaling, g);
        }
        return output.to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The adapted output from the base output and the scaled low-rank term s·B·A·x: LoRA adds it; DoRA, with
    /// g = m/‖W + s·B·A‖ per output row, gives <c>result + (g − 1)·baseResult + g·lora</c> (PEFT <c>DoraLinearVariant.forward</c>).
    /// The one home of that formula, for the training layer and for adapters served on a shared base alike.</summary>
    /// <param name="baseResult">The base output without its bias (DoRA only).</param>
    /// <param name="g">DoRA's magnitude over the detached norm, [out]; null for LoRA.</param>
    internal static Tensor Combine(Tensor result, Tensor? baseResult, Tensor lora, Tensor? g)
    {
        if (g is null)
            return result + lora;
        var row = g.view(1, -1);                                                // [1, out]
        return result + (row - 1) * baseResult! + row * lora;
    }

    /// <summary>‖W + s·B·A‖ per output row, detached (factored form; see <see cref="DoraNorm"/>).</summary>
    public Tensor WeightNorm()
    {
        using var w = BaseWeight(base_layer, ScalarType.Float32);
        return WeightNorm(w);
    }

    Tensor WeightNorm(Tensor weight) => DoraNorm.Of(weight, _weightNormSquared, lora_A.weight!, lora_B.weight!, Scaling);

    /// <summary>Folds the adapter into the base weight (DoRA: W' = (m/‖W+ΔW‖)·(W+ΔW)); for a 4-bit base it re-quantizes, which rounds.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = BaseWeight(base_layer, ScalarType.Float32);
        var delta = lora_B.weight!.matmul(lora_A.weight!) * Scaling;
        var merged = w + delta;
        if (UseDora)
        {
            var norm = merged.norm(1, false, 2);
            _mergedNorm = norm.DetachFromDisposeScope();
            merged = merged * (lora_magnitude_vector! / norm).view(-1, 1);
        }
        SetBaseWeight(merged);
        Merged = true;
    }

    /// <summary>Undoes <see cref="Merge"/>: W = W'/(m/n) − ΔW.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = BaseWeight(base_layer, ScalarType.Float32);
        var delta = lora_B.weight!.matmul(lora_A.weight!) * Scaling;
        if (UseDora)
        {
            w = w / (lora_magnitude_vector! / _mergedNorm!).view(-1, 1);
            _mergedNorm!.Dispose();
            _mergedNorm = null;
        }
        SetBaseWeight(w - delta);
        Merged = false;
    }

    void SetBaseWeight(Tensor weight)
    {
        Base.Load(weight);
        using var stored = BaseWeight(base_layer, ScalarType.Float32);
        _weightNormSquared.Dispose();
        _weightNormSquared = DoraNorm.RowNormsSquared(stored).DetachFromDisposeScope();
    }

    /// <summary>The base layer's weight as a dense [out, in] matrix (dequantized for 4-bit layers).</summary>
    /// <remarks>PEFT dequantizes to the quant state's dtype, then casts to the adapter's.</remarks>
    public static Tensor BaseWeight(nn.Module<Tensor, Tensor> layer, ScalarType dtype)
    {
        var weight = BaseLayers.Require(layer);
        if (!weight.IsQuantized)
            return weight.DequantizedWeight(dtype);
        using var computed = weight.DequantizedWeight(weight.ComputeDType);  // rounded through the compute dtype, as the forward sees it
        return computed.to(dtype);
    }
}
