using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Generation;

/// <summary>Keys and values of past positions, one pair per decoder layer (HF's <c>DynamicCache</c>).</summary>
/// <remarks>
/// Held outside the modules and passed into the forward, so one loaded model serves many requests. Tensors are
/// [B, H, T, D], stored after rotary embedding; the cache grows by concatenation up to the model's
/// <c>max_position_embeddings</c>.
/// </remarks>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys;
    readonly Tensor?[] _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of positions already cached (those of layer 0; every layer has the same).</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys and values for one layer and returns all of them so far.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var (oldK, oldV) = (_keys[layer], _values[layer]);
        var k = oldK is null ? keys.detach().alias() : cat([oldK, keys.detach()], 2);
        var v = oldV is null ? values.detach().alias() : cat([oldV, values.detach()], 2);
        k.DetachFromDisposeScope();
        v.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        (_keys[layer], _values[layer]) = (k, v);
        return (k, v);
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }
}
