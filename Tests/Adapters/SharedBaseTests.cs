using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Generation;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Adapters;

/// <summary>One base, many adapters chosen per call: each served adapter computes what the model with that adapter alone computes.</summary>
public class SharedBaseTests
{
    static float MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    static Tensor Logits(PhiForCausalLM model, Tensor ids)
    {
        using var _ = no_grad();
        return model.call(ids);
    }

    /// <summary>The reference: a fresh base with the folder's adapter injected the training way (one <see cref="LoraLinear"/> per slot).</summary>
    static Tensor SingleAdapterLogits(string folder, Tensor ids, bool nf4)
    {
        using var model = TinyModels.Build(nf4: nf4);
        PeftAdapterFolder.Load(model, folder);
        model.eval();
        return Logits(model, ids);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_served_adapter_equals_the_model_with_that_adapter_alone(bool nf4)
    {
        using var dir = new TempDir();
        var a = AdapterFolders.Write(dir["a"], TinyModels.Micro, AdapterFolders.Dora, seed: 11);
        var b = AdapterFolders.Write(dir["b"], TinyModels.Micro, AdapterFolders.Lora, seed: 12);
        using var ids = TinyModels.Ids(TinyModels.Micro.VocabSize, 9);
        using var expectedA = SingleAdapterLogits(a, ids, nf4);
        using var expectedB = SingleAdapterLogits(b, ids, nf4);
        using var plain = TinyModels.Build(nf4: nf4);
        using var expectedBase = Logits(plain, ids);

        using var shared = new SharedBase(TinyModels.Build(nf4: nf4));
        using var servedA = ServedAdapter.Load(shared, a);
        using var servedB = ServedAdapter.Load(shared, b);
        using (shared.Use(servedA)) { using var actual = Logits(shared.Model, ids); Assert.Equal(0f, MaxDiff(expectedA, actual)); }
        using (shared.Use(servedB)) { using var actual = Logits(shared.Model, ids); Assert.Equal(0f, MaxDiff(expectedB, actual)); }
        using (shared.Use(null)) { using var actual = Logits(shared.Model, ids); Assert.Equal(0f, MaxDiff(expectedBase, actual)); }
        using (var actual = Logits(shared.Model, ids)) Assert.Equal(0f, MaxDiff(expectedBase, actual));   // no scope, no default: the base

        // The adapters really differ, so the equalities above could fail.
        Assert.True(MaxDiff(expectedA, expectedBase) > 1e-3f, $"A vs base {MaxDiff(expectedA, expectedBase)}");
        Assert.True(MaxDiff(expectedA, expectedB) > 1e-3f, $"A vs B {MaxDiff(expectedA, expectedB)}");
        Assert.Equal(8, servedA.AdaptedLayers);    // DoRA on q, k, v, dense × 2 layers
        Assert.Equal(8, servedB.AdaptedLayers);    // LoRA on q, v, fc1, fc2 × 2 layers
    }

    [Fact]
    public void A_served_dora_adapter_equals_the_merged_model()
    {
        // DoRA's g = m/‖W + s·B·A‖ is computed once per adapter at load; merged (W' = g·(W + s·B·A)) it must give the same outputs.
        using var dir = new TempDir();
        var a = AdapterFolders.Write(dir["a"], TinyModels.Micro, AdapterFolders.Dora, seed: 21);
        using var ids = TinyModels.Ids(TinyModels.Micro.VocabSize, 9);
        using var merged = TinyModels.Build();
        PeftAdapterFolder.Load(merged, a).Merge();
        using var expected = Logits(merged, ids);

        using var shared = new SharedBase(TinyModels.Build());
        using var served = ServedAdapter.Load(shared, a);
        using var _ = shared.Use(served);
        using var actual = Logits(shared.Model, ids);
        Assert.True(MaxDiff(expected, actual) < 1e-5f, $"max |Δ| {MaxDiff(expected, actual)}");
    }

    [Fact]
    public void Kv_cached_generation_with_a_served_adapter_equals_the_single_adapter_model()
    {
        using var dir = new TempDir();
        var a = AdapterFolders.Write(dir["a"], TinyModels.Micro, AdapterFolders.Dora, seed: 31);
        var prompt = new[] { 5, 17, 42, 8, 60 };
        var sampling = new SamplingOptions { MaxNewTokens = 12, StopTokenId = null };
        using var single = TinyModels.Build(nf4: true);
        PeftAdapterFolder.Load(single, a);
        single.eval();
        var expected = TextGenerator.Generate(single, prompt, sampling);

        using var shared = new SharedBase(TinyModels.Build(nf4: true), defaultAdapter: a);
        Assert.Equal(expected, TextGenerator.Generate(shared.Model, prompt, sampling));            // the default adapter, no scope
        using (shared.Use(shared.Default))
            Assert.Equal(expected, TextGenerator.Generate(shared.Model, prompt, sampling));
        using var plain = TinyModels.Build(nf4: true);
        using (shared.Use(null))
            Assert.Equal(TextGenerator.Generate(plain, prompt, sampling), TextGenerator.Generate(shared.Model, prompt, sampling));
    }

    [Fact]
    public void Scopes_nest_stay_on_their_thread_and_on_their_base()
    {
        using var dir = new TempDir();
        var a = AdapterFolders.Write(dir["a"], TinyModels.Micro, AdapterFolders.Dora, seed: 41);
        using var shared = new SharedBase(TinyModels.Build());
        using var other = new SharedBase(TinyModels.Build());
        using var served = ServedAdapter.Load(shared, a);
        using var ids = TinyModels.Ids(TinyModels.Micro.VocabSize, 6);
        using var baseLogits = Logits(shared.Model, ids);

        using (shared.Use(served))
        {
            using (shared.Use(null))
            using (var inner = Logits(shared.Model, ids))
                Assert.Equal(0f, MaxDiff(baseLogits, inner));
            using var adapted = Logits(shared.Model, ids);
            Assert.True(MaxDiff(baseLogits, adapted) > 1e-3f, "the outer scope's adapter is back after the inner scope");
            // Work started from this flow inherits its choice (AsyncLocal); a thread of another flow (another answer) does not see it.
#pragma warning disable xUnit1031   // on purpose: the scope's using block is synchronous, and the point is a task started inside it
            using var inherited = Task.Run(() => Logits(shared.Model, ids)).GetAwaiter().GetResult();
#pragma warning restore xUnit1031
            Assert.Equal(0f, MaxDiff(adapted, inherited));
            using var elsewhere = RunOnThread(() => Logits(shared.Model, ids));
            Assert.Equal(0f, MaxDiff(baseLogits, elsewhere));
            // Another base never sees this base's scope.
            using var otherLogits = Logits(other.Model, ids);
            Assert.Equal(0f, MaxDiff(baseLogits, otherLogits));
            Assert.Throws<ArgumentException>(() => other.Use(served));
        }
    }

    /// <summary>Runs <paramref name="work"/> on a thread that does not inherit the caller's execution context, as another request's would.</summary>
    static Tensor RunOnThread(Func<Tensor> work)
    {
        Tensor? result = null;
        var thread = new Thread(() => result = work().DetachFromDisposeScope());
        thread.UnsafeStart();
        thread.Join();
        return result!;
    }

    [Fact]
    public void A_served_adapter_holds_only_its_own_tensors()
    {
        // r·in + out·r values of A and B per adapted layer, plus out for DoRA's g; all fp32. The base is not copied.
        using var dir = new TempDir();
        var a = AdapterFolders.Write(dir["a"], TinyModels.Micro, AdapterFolders.Dora, seed: 51);
        using var shared = new SharedBase(TinyModels.Build(nf4: true));
        var baseHandles = shared.Model.parameters().Select(p => p.Handle).ToHashSet();
        using var served = ServedAdapter.Load(shared, a);

        long h = TinyModels.Micro.HiddenSize, r = AdapterFolders.Dora.R, layers = TinyModels.Micro.NumHiddenLayers;
        Assert.Equal(layers * 4 * (r * h + h * r + h) * 4, served.Bytes);            // q, k, v, dense: [h → h]
        Assert.Equal(baseHandles, shared.Model.parameters().Select(p => p.Handle).ToHashSet());
    }

    [Fact]
    public void Injecting_a_training_adapter_into_a_shared_base_is_refused_in_one_line()
    {
        using var shared = new SharedBase(TinyModels.Build());
        var ex = Assert.Throws<InvalidOperationException>(() => AdapterInjector.Inject(shared.Model, AdapterFolders.Dora));
        Assert.Equal("model.layers.0.self_attn.q_proj is part of a shared base that serves adapters per call; inject into a model of its own " +
            "(to serve a PEFT folder on it, use LoadedModel.Use).", ex.Message);
    }

    [Fact]
    public void An_adapter_for_another_shape_is_refused_with_its_key_and_both_shapes()
    {
        using var dir = new TempDir();
        var wrong = AdapterFolders.Write(dir["wide"], TinyModels.Micro with { HiddenSize = 48 }, AdapterFolders.Dora, seed: 61);
        using var shared = new SharedBase(TinyModels.Build());
        var ex = Assert.Throws<InvalidDataException>(() => ServedAdapter.Load(shared, wrong));
        Assert.Contains("lora_A.weight", ex.Message);
        Assert.Contains("[4, 32]", ex.Message);
        Assert.Contains("[4, 48]", ex.Message);
    }
}
