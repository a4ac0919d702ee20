using Pastanoodles.Modeling.Phi;

namespace Pastanoodles.Adapters;

/// <summary>One frozen base model that any number of <see cref="ServedAdapter"/>s attach to; the adapter is chosen per call
/// (<see cref="Use"/>), never by a toggle on the model, so concurrent answers with different adapters do not race.</summary>
/// <remarks>
/// <para>Every decoder linear slot is wrapped once, at construction, in a <see cref="MultiLoraLinear"/>; the module tree never changes
/// afterwards. The choice travels beside the forward, not through it: Phi's linears are <c>Module&lt;Tensor, Tensor&gt;</c>, so rather
/// than widen every signature (PEFT injects <c>adapter_names</c> with forward hooks, which are shared state), the choice is an
/// <see cref="AsyncLocal{T}"/> of this base. Phi's forward, the KV-cached <c>TextGenerator</c> and <c>ContinuationScorer</c> run
/// synchronously on the caller's thread, so they all see the caller's choice; a task started inside the scope inherits it, and
/// other threads and other models never see it. Each base has its own async-local, so a scope on one model leaves another alone.</para>
/// <para>With no scope open, forwards use <see cref="Default"/>: the adapter the model was loaded with (the console's <c>--adapter</c>),
/// fixed at construction, or none. A silo's shared base has none and names the adapter on every call.</para>
/// </remarks>
public sealed class SharedBase : IDisposable
{
    readonly AsyncLocal<Choice?> _choice = new();

    /// <summary>Wraps <paramref name="model"/>'s linear slots and, when <paramref name="defaultAdapter"/> is a PEFT folder, loads it as
    /// the adapter used when no scope is open. The model is then this object's: frozen, in eval mode, disposed with it.</summary>
    public SharedBase(PhiForCausalLM model, string? defaultAdapter = null)
    {
        Model = model;
        foreach (var p in model.parameters()) p.requires_grad = false;
        var layers = new List<(string, MultiLoraLinear)>();
        foreach (var (path, owner, slot) in model.LinearSlots())
        {
            var wrapped = new MultiLoraLinear(owner.GetLinear(slot), this, layers.Count);
            owner.SetLinear(slot, wrapped);
            layers.Add((path, wrapped));
        }
        Layers = layers;
        model.eval();
        Default = defaultAdapter is null ? null : ServedAdapter.Load(this, defaultAdapter);
    }

    public PhiForCausalLM Model { get; }

    /// <summary>Every decoder linear, by checkpoint path; a layer's index is its <see cref="MultiLoraLinear.Slot"/>.</summary>
    public IReadOnlyList<(string Path, MultiLoraLinear Layer)> Layers { get; }

    /// <summary>The adapter forwards use when no <see cref="Use"/> scope is open on this flow; null for the base alone.</summary>
    public ServedAdapter? Default { get; }

    /// <summary>The adapter this flow's forwards use.</summary>
    internal ServedAdapter? Current => _choice.Value is { } choice ? choice.Adapter : Default;

    /// <summary>Until disposed, this flow's forwards on this base add <paramref name="adapter"/>'s deltas (null: the base alone).
    /// Scopes nest; disposing restores the choice before. The caller keeps the adapter alive meanwhile (an <see cref="AdapterLease"/>).</summary>
    public IDisposable Use(ServedAdapter? adapter)
    {
        if (adapter is not null && !ReferenceEquals(adapter.Shared, this))
            throw new ArgumentException($"Adapter {adapter.Name} was loaded onto another base model; load it onto this one.", nameof(adapter));
        ObjectDisposedException.ThrowIf(adapter?.IsDisposed == true, adapter!);
        var previous = _choice.Value;
        _choice.Value = new Choice(adapter);
        return new Scope(this, previous);
    }

    public void Dispose()
    {
        Default?.Dispose();
        Model.Dispose();
    }

    sealed record Choice(ServedAdapter? Adapter);

    sealed class Scope(SharedBase shared, Choice? previous) : IDisposable
    {
        public void Dispose() => shared._choice.Value = previous;
    }
}
