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
}
