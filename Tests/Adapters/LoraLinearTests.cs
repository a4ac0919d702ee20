using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Quantization;
using Pastanoodles.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Adapters;

public class LoraLinearTests
{
    static readonly LoraConfig Dora = new() { R = 4, LoraAlpha = 8, LoraDropout = 0 };

    static void Perturb(AdapterSet adapters, long seed) => AdapterFolders.Perturb(adapters, seed);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dora_at_initialisation_leaves_outputs_unchanged(bool nf4)
    {
        using var model = TinyModels.Build(nf4: nf4);
        using var ids = TinyModels.Ids(model.Config.VocabSize, 9);
        using var _ = no_grad();
        using var before = model.call(ids);
        var adapters = AdapterInjector.Inject(model, Dora, seed: 3);
        using var after = model.call(ids);
        Assert.True((before - after).abs().max().item<float>() < 1e-5f, $"max |Δ| {(before - after).abs().max().item<float>()}");
        Assert.True(adapters.Layers.All(l => l.Layer.LoraA.abs().sum().item<float>() > 0), "A should be initialised, not zero");
    }

    [Fact]
    public void Disabled_adapters_give_the_base_model_output()
    {
        using var model = TinyModels.Build();
        using var ids = TinyModels.Ids(model.Config.VocabSize, 9);
        using var _ = no_grad();
        using var baseline = model.call(ids);
        var adapters = AdapterInjector.Inject(model, Dora, seed: 3);
        Perturb(adapters, 4);
        using var adapted = model.call(ids);
        Assert.True((baseline - adapted).abs().max().item<float>() > 1e-3f, "a trained-looking adapter should change the output");
        using (adapters.Disable())
        {
            using var off = model.call(ids);
            Assert.Equal(0f, (baseline - off).abs().max().item<float>());
        }
        using var back = model.call(ids);
        Assert.Equal(0f, (adapted - back).abs().max().item<float>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Merge_keeps_outputs_and_unmerge_restores_the_weights(bool dora)
    {
        using var model = TinyModels.Build();
        using var ids = TinyModels.Ids(model.Config.VocabSize, 9);
        using var _ = no_grad();
        var adapters = AdapterInjector.Inject(model, Dora with { UseDora = dora }, seed: 3);
        Perturb(adapters, 5);
        var original = adapters.Layers.Select(l => LoraLinear.BaseWeight(l.Layer.BaseLayer, ScalarType.Float32).clone()).ToList();
        using var unmerged = model.call(ids);

        adapters.Merge();
        using var merged = model.call(ids);
        Assert.True((merged - unmerged).abs().max().item<float>() < 1e-4f, $"merged output differs by {(merged - unmerged).abs().max().item<float>()}");
        Assert.True((LoraLinear.BaseWeight(adapters.Layers[0].Layer.BaseLayer, ScalarType.Float32) - original[0]).abs().max().item<float>() > 1e-4f);

        adapters.Unmerge();
        for (int i = 0; i < original.Count; i++)
        {
            using var restored = LoraLinear.BaseWeight(adapters.Layers[i].Layer.BaseLayer, ScalarType.Float32);
            Assert.True((restored - original[i]).abs().max().item<float>() < 1e-5f, $"{adapters.Layers[i].Path} not restored");
        }
    }

    [Fact]
    public void Factored_dora_norm_equals_peft_literal_norm()
    {
        var g = new TorchSharp.torch.Generator(9);
        using var w = randn([256, 512], generator: g) * 0.02;
        using var a = randn([16, 512], generator: g) * 0.05;
        using var b = randn([256, 16], generator: g) * 0.05;
        using var reference = DoraNorm.Reference(w, a, b, 1.0);
        using var factored = DoraNorm.Factored(w.square().sum(1), w.matmul(a.t()), a, b, 1.0);
        var relative = ((factored - reference).abs() / reference).max().item<float>();
        Assert.True(relative < 1e-5f, $"relative error {relative}");
    }

    [Fact]
    public void Dora_forward_matches_peft_formula_on_a_4bit_base()
    {
        var g = new TorchSharp.torch.Generator(2);
        var base4 = new Linear4bit(64, 32, hasBias: true, ScalarType.BFloat16);
        base4.Load(randn([32, 64], generator: g) * 0.1);
        using (no_grad()) base4.bias!.copy_(randn(32, generator: g));
        var layer = new LoraLinear(base4, Dora, g);
        using (no_grad()) layer.LoraB.normal_(0, 0.1, g);
        layer.eval();
        using var x = randn([5, 64], generator: g).to(ScalarType.BFloat16);
        using var _ = no_grad();
        using var y = layer.call(x);

        // PEFT: W = dequant → x dtype; g = m / ‖W + s·BA‖; out = g·(xWᵀ + s·xAᵀBᵀ) + b.
        using var w = base4.DequantizedWeight(ScalarType.BFloat16).to(ScalarType.Float32);
        using var xf = x.to(ScalarType.Float32);
        using var gain = layer.Magnitude! / DoraNorm.Reference(w, layer.LoraA, layer.LoraB, Dora.Scaling);
        using var expected = gain * (xf.matmul(w.t()) + Dora.Scaling * xf.matmul(layer.LoraA.t()).matmul(layer.LoraB.t())) + base4.bias!.to(ScalarType.Float32);
        Assert.True((y.to(ScalarType.Float32) - expected).abs().max().item<float>() < 0.05f);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
    }

    [Fact]
    public void Only_adapter_parameters_are_trainable_and_phi2_count_is_the_seeds()
    {
        using var model = TinyModels.Build();
        var adapters = AdapterInjector.Inject(model, new LoraConfig());
        var trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        Assert.Equal(adapters.TrainableCount, trainable);
        // 2 layers × 4 targets × (A r·in + B out·r + m out) with r=16, in=out=32.
        Assert.Equal(2 * 4 * (16 * 32 + 32 * 16 + 32), trainable);
        Assert.Equal(8, adapters.Layers.Count);
        Assert.DoesNotContain(adapters.Layers, l => l.Path.Contains("fc1"));
    }

    [Fact]
    public void Targets_that_match_nothing_are_named_with_valid_choices()
    {
        using var model = TinyModels.Build();
        var ex = Assert.Throws<ArgumentException>(() => AdapterInjector.Inject(model, new LoraConfig { TargetModules = ["query"] }));
        Assert.Contains("query", ex.Message);
        Assert.Contains("q_proj", ex.Message);
        Assert.Throws<ArgumentException>(() => AdapterInjector.Inject(model, new LoraConfig { R = 0 }));
    }
}
