using Pastanoodles.Adapters;
using Pastanoodles.Training;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

[Collection(GlobalRngCollection.Name)]
public class GradientCheckpointingTests
{
    /// <summary>fp32, no quantization, every dropout on: Phi's resid_pdrop 0.1 and LoRA's 0.05 (DoRA recomputes the base on the dropped input).</summary>
    static TrainingConfig Config(bool checkpointing) => new()
    {
        Model = "tiny", SyntheticRows = 16, Quantization = "none", ComputeDtype = "float32", DisableDropout = false,
        Lora = new LoraConfig { R = 4, LoraAlpha = 8, LoraDropout = 0.05 }, GradientCheckpointing = checkpointing,
    };

    /// <summary>Adapter gradients of one DPO forward + backward on rows 0–3, after seeding the RNG with <paramref name="seed"/>.</summary>
    static Dictionary<string, Tensor> Gradients(bool checkpointing, int seed)
    {
        var config = Config(checkpointing);
        using var model = TrainingModel.Create(config);
        using (no_grad())
        {
            // A fresh adapter has B = 0, so A would get no gradient at all; give B values so every parameter is checked.
            var generator = new TorchSharp.torch.Generator(11);
            foreach (var (name, p) in model.Adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")))
                p.copy_(empty(p.shape).normal_(0, 0.02, generator));
        }
        var task = new DpoTask(model, config, TrainingData.Preferences(config));
        model.Model.train();
        manual_seed(seed);
        var (loss, _, _) = task.Forward([0, 1, 2, 3]);
        loss.backward();
        return model.Adapters.NamedParameters().ToDictionary(p => p.Name, p => p.Value.grad!.detach().clone());
    }

    static float MaxAbs(Tensor t) => t.abs().max().item<float>();

    [Fact]
    public void With_dropout_on_every_adapter_gradient_equals_the_one_without_checkpointing()
    {
        var plain = Gradients(checkpointing: false, seed: 3);
        var checkpointed = Gradients(checkpointing: true, seed: 3);

        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        Assert.Equal(2 * 4 * 3, plain.Count); // tiny: 2 layers × q/k/v/dense × (lora_A, lora_B, magnitude)
        foreach (var (name, expected) in plain)
        {
            float scale = MaxAbs(expected), difference = MaxAbs(checkpointed[name] - expected);
            Assert.True(scale > 0, $"{name} got no gradient");
            Assert.True(difference <= 1e-6 * scale, $"{name}: max |Δ| {difference:E2} against max |g| {scale:E2}");
        }

        // The masks matter: other dropout draws move the gradients far past the tolerance, so replaying the RNG is what passes above.
        var otherMasks = Gradients(checkpointing: false, seed: 4);
        var moved = plain.Max(p => MaxAbs(p.Value - otherMasks[p.Key]) / MaxAbs(p.Value));
        Assert.True(moved > 1e-3, $"other dropout masks moved the gradients by only {moved:E2} (relative)");
    }

    [Fact]
    public void Training_config_reads_gradient_checkpointing_and_defaults_to_on()
    {
        Assert.True(TrainingConfig.Parse("""{ "synthetic_rows": 8 }""", "default.json").GradientCheckpointing);
        Assert.False(TrainingConfig.Parse("""{ "synthetic_rows": 8, "gradient_checkpointing": false }""", "off.json").GradientCheckpointing);
        using var model = TrainingModel.Create(Config(checkpointing: true));
        Assert.True(model.Model.GradientCheckpointing);
    }
}
