using Xunit.Abstractions;
using Pastanoodles.Adapters;
using static Pastanoodles.Tests.Parity.ParityFixtures;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Parity;

/// <summary>PEFT reads the project's files: the adapter folder the project wrote after its DPO step (committed), loaded by
/// <c>PeftModel.from_pretrained</c>, gave logits that the project gives too.</summary>
public class RoundTripParityTests(ITestOutputHelper output)
{
    [Fact]
    public void Parity_peft_loads_the_project_adapter_folder_to_the_same_logits()
    {
        using var model = Model("tiny");
        var adapters = PeftAdapterFolder.Load(model, In(TrainingParityTests.ProjectAdapter));
        Assert.Equal(Manifest["round_trip"]!["trainable_parameters"]!.GetValue<long>(), adapters.TrainableCount);
        using var _ = no_grad();
        using var ids = Ids(Manifest["ids"]!);
        using var expected = Read("tiny/project_adapter_peft.safetensors", "logits");
        using var actual = model.call(ids);
        output.WriteLine($"max |diff| {AssertClose(expected, actual, 1e-5, "logits of the project's adapter folder under PEFT"):E2}");
    }
}
