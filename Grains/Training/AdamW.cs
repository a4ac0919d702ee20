using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>AdamW exactly as PyTorch's single-tensor algorithm (HF Trainer's default <c>adamw_torch</c>), with state we can save and restore bit for bit.</summary>
/// <remarks>
/// <code>
///   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
///   p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
/// </code>
/// Bias corrections are computed in double, as Python floats are.
/// </remarks>
public sealed class AdamW(IReadOnlyList<(string Name, Parameter Value)> parameters, double beta1, double beta2, double eps, double weightDecay)
{
    readonly Dictionary<string, (Tensor M, Tensor V)> _state = parameters.ToDictionary(
        p => p.Name, p => (zeros_like(p.Value).DetachFromDisposeScope(), zeros_like(p.Value).DetachFromDisposeScope()));

    public long Step { get; private set; }

    public void Update(double lr)
    {
        Step++;
        double correction1 = 1 - Math.Pow(beta1, Step);
        double correction2 = Math.Sqrt(1 - Math.Pow(beta2, Step));
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            if (p.grad is not { } g) continue;
            var (m, v) = _state[name];
            if (weightDecay != 0) p.mul_(1 - lr * weightDecay);
            m.mul_(beta1).add_(g, 1 - beta1);
            v.mul_(beta2).addcmul_(g, g, 1 - beta2);
            using var denom = (v.sqrt() / correction2).add_(eps);
            p.addcdiv_(m, denom, -lr / correction1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    public IEnumerable<(string Name, Tensor Value)> StateTensors() =>
        _state.SelectMany(kv => new[] { (kv.Key + ".exp_avg", kv.Value.M), (kv.Key + ".exp_avg_sq", kv.Value.V) });

    public void Restore(long step, Func<string, Tensor> read)
    {
        Step = step;
        using var _ = no_grad();
        foreach (var (name, (m, v)) in _state)
        {
            using var savedM = read(name + ".exp_avg");
            using var savedV = read(name + ".exp_avg_sq");
            m.copy_(savedM);
            v.copy_(savedV);
        }
    }
}
