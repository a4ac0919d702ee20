using Xunit.Abstractions;
using Pastanoodles.Adapters;
using static Pastanoodles.Tests.Parity.ParityFixtures;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Parity;

/// <summary>A PEFT DoRA folder (r 4, alpha 8 on q/k/v/dense, non-zero lora_B, moved magnitudes) in the project against PEFT's own outputs.</summary>
public class DoraParityTests(ITestOutputHelper output)
{
    const string Expected = "tiny/dora_expected.safetensors";

    [Fact]
    public void Parity_dora_layer_output_matches_peft()
    {
        using var model = Model("tiny");
        var adapters = PeftAdapterFolder.Load(model, In("tiny/dora"));
        var layer = adapters.Layers.Single(l => l.Path == Manifest["dora"]!["layer"]!.GetValue<string>()).Layer;
        using var _ = no_grad();
        using var x = Read(Expected, "layer_input");
        using var expected = Read(Expected, "q_proj_output");
        using var actual = layer.call(x);
        output.WriteLine($"max |diff| {AssertClose(expected, actual, 1e-5, "DoRA q_proj output"):E2}");
    }

    [Fact]
    public void Parity_dora_logits_match_peft_unmerged_and_merged()
    {
        using var model = Model("tiny");
        var adapters = PeftAdapterFolder.Load(model, In("tiny/dora"));
        using var _ = no_grad();
        using var ids = Ids(Manifest["ids"]!);
        using (var expected = Read(Expected, "logits"))
        using (var unmerged = model.call(ids))
            output.WriteLine($"max |diff| {AssertClose(expected, unmerged, 1e-5, "DoRA logits, unmerged"):E2}");
        adapters.Merge();
        using (var expected = Read(Expected, "logits_merged"))
        using (var merged = model.call(ids))
            output.WriteLine($"max |diff| {AssertClose(expected, merged, 1e-5, "DoRA logits, merged"):E2}");
    }

    /// <summary>The bf16 row, with the tolerance rule of <see cref="PhiParityTests.Parity_bf16_logits_are_within_twice_transformers_own_bf16_error"/>:
    /// within twice PEFT's own bf16-vs-fp32 distance (PEFT, like the project, keeps the adapter in fp32 over a bf16 base).</summary>
    [Fact]
    public void Parity_dora_bf16_logits_are_within_twice_peft_own_bf16_error()
    {
        using var model = Model("tiny", ScalarType.BFloat16);
        PeftAdapterFolder.Load(model, In("tiny/dora"));
        using var _ = no_grad();
        using var ids = Ids(Manifest["ids"]!);
        using var fp32 = Read(Expected, "logits");
        double reference = Manifest["dora"]!["reference_bf16_max_abs_vs_fp32"]!.GetValue<double>();
        using var actual = model.call(ids);
        double distance = AssertClose(fp32, actual, 2 * reference, $"DoRA bf16 logits vs PEFT fp32 (PEFT's own bf16 error {reference:E3})");
        output.WriteLine($"project bf16 vs PEFT fp32: {distance:E2}; PEFT bf16 vs PEFT fp32: {reference:E2}");
    }
}
