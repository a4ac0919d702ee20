using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Support;

/// <summary>PEFT adapter folders that look trained: injected into a fresh model of the config, B and the DoRA magnitude moved by a seed.</summary>
public static class AdapterFolders
{
    public static readonly LoraConfig Dora = new() { R = 4, LoraAlpha = 8, LoraDropout = 0 };
    public static readonly LoraConfig Lora = Dora with { UseDora = false, TargetModules = ["q_proj", "v_proj", "fc1", "fc2"] };

    /// <summary>Writes an adapter for <paramref name="config"/> into <paramref name="folder"/> and returns the folder.</summary>
    public static string Write(string folder, PhiConfig config, LoraConfig lora, long seed)
    {
        using var model = TinyModels.Build(config);
        var adapters = AdapterInjector.Inject(model, lora, seed);
        Perturb(adapters, seed);
        PeftAdapterFolder.Save(adapters, folder, "pastanoodles/test");
        return folder;
    }

    public static void Perturb(AdapterSet adapters, long seed)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, layer) in adapters.Layers)
        {
            layer.LoraB.normal_(0, 0.05, g);
            layer.Magnitude?.mul_(1 + 0.1 * randn(layer.Magnitude.shape, generator: g));
        }
    }
}
