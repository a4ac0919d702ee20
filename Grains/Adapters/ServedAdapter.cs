using Pastanoodles.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>One PEFT adapter folder made ready to serve on a <see cref="SharedBase"/>: frozen fp32 A and B per adapted layer and,
/// for DoRA, g = m/‖W + s·B·A‖ computed once from the base weight (the magnitude itself is not kept).</summary>
/// <remarks>Its memory is its own tensors only (<see cref="Bytes"/>); the base is shared. Disposed by its owner (an
/// <see cref="AdapterCache"/> once no answer uses it, or the <see cref="SharedBase"/> for its default adapter).</remarks>
public sealed class ServedAdapter : IDisposable
{
    readonly LayerDelta?[] _deltas;

    ServedAdapter(string name, LoraConfig config, SharedBase shared, LayerDelta?[] deltas)
    {
        Name = name;
        Config = config;
        Shared = shared;
        _deltas = deltas;
        Bytes = deltas.Sum(d => d?.Bytes ?? 0);
    }

    /// <summary>The adapter folder's full path.</summary>
    public string Name { get; }
    public LoraConfig Config { get; }
    public SharedBase Shared { get; }

    /// <summary>Bytes of this adapter's tensors (A, B and DoRA's g for every adapted layer).</summary>
    public long Bytes { get; }

    public int AdaptedLayers => _deltas.Count(d => d is not null);
    public bool IsDisposed { get; private set; }

    internal LayerDelta? Delta(int slot) => _deltas[slot];

    /// <summary>Reads <paramref name="folder"/> strictly (every name and shape checked against the base, as
    /// <see cref="PeftAdapterFolder.Load"/>) and computes DoRA's per-row scale from the base weights.</summary>
    public static ServedAdapter Load(SharedBase shared, string folder)
    {
        var name = Path.GetFullPath(folder);
        var (config, tensors) = PeftAdapterFolder.Read(shared.Model, name);
        var deltas = new LayerDelta?[shared.Layers.Count];
        try
        {
            using var _ = no_grad();
            foreach (var (path, layer) in shared.Layers)
            {
                if (!config.Targets(path))
                    continue;
                var prefix = $"base_model.model.{path}";
                var device = shared.Model.Device;
                var a = tensors[$"{prefix}.lora_A.weight"].to(ScalarType.Float32, device);
                var b = tensors[$"{prefix}.lora_B.weight"].to(ScalarType.Float32, device);
                Tensor? g = null;
                if (config.UseDora)
                {
                    using var scope = NewDisposeScope();
                    var w = LoraLinear.BaseWeight(layer.BaseLayer, ScalarType.Float32);        // as the training layer sees it
                    var norm = DoraNorm.Of(w, DoraNorm.RowNormsSquared(w), a, b, config.Scaling);
                    g = (tensors[$"{prefix}.lora_magnitude_vector"].to(ScalarType.Float32, device) / norm).MoveToOuterDisposeScope();
                }
                deltas[layer.Slot] = new LayerDelta(a.DetachFromDisposeScope(), b.DetachFromDisposeScope(), g?.DetachFromDisposeScope(), config.Scaling);
            }
        }
        catch
        {
            foreach (var d in deltas) d?.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return new ServedAdapter(name, config, shared, deltas);
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        foreach (var d in _deltas) d?.Dispose();
    }

    /// <summary>One layer's frozen adapter: <c>y = base(x) + s·B·A·x</c> (LoRA) or DoRA's form with <see cref="G"/>, in eval mode.</summary>
    internal sealed record LayerDelta(Tensor A, Tensor B, Tensor? G, double Scaling) : IDisposable
    {
        public long Bytes => A.numel() * A.element_size() + B.numel() * B.element_size() + (G is null ? 0 : G.numel() * G.element_size());

        /// <summary>The adapted output, from the base layer's <paramref name="result"/> on <paramref name="x"/>: the same operations
        /// as <see cref="LoraLinear"/>'s eval forward, so a served adapter answers as the single-adapter model does.</summary>
        public Tensor Apply(Tensor x, Tensor result, Tensor? bias)
        {
            using var scope = NewDisposeScope();
            var xa = x.to(ScalarType.Float32);
            var lora = nn.functional.linear(nn.functional.linear(xa, A), B) * Scaling;
            var baseResult = G is null ? null : bias is null ? result : result - bias;
            return LoraLinear.Combine(result, baseResult, lora, G).to(x.dtype).MoveToOuterDisposeScope();
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
            G?.Dispose();
        }
    }
}
