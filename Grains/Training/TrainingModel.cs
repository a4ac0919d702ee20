using Pastanoodles.Modeling;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>The network a run trains: the (4-bit) base with its adapter, and the tokenizer that goes with it.</summary>
public sealed class TrainingModel : IDisposable
{
    public required PhiForCausalLM Model { get; init; }
    public required AdapterSet Adapters { get; init; }
    public required PhiTokenizer Tokenizer { get; init; }

    /// <summary>Builds or loads the base named by <c>model</c>, quantizes it as configured, and injects (or loads) the adapter.</summary>
    public static TrainingModel Create(TrainingConfig config, IProgress<string>? progress = null, Device? device = null)
    {
        var options = new PhiBuildOptions
        {
            DType = config.ComputeDtype == "float32" ? ScalarType.Float32 : ScalarType.BFloat16,
            Nf4 = config.Quantization == "nf4",
            DoubleQuant = config.DoubleQuant,
            Device = device,
        };
        var (model, tokenizer) = PhiSource.Open(config.Model, options, config.InitSeed, progress);
        model.GradientCheckpointing = config.GradientCheckpointing;
        var adapters = config.InitAdapter is { } init
            ? PeftAdapterFolder.Load(model, init)
            : AdapterInjector.Inject(model, config.Lora, config.Seed);
        foreach (var p in adapters.Parameters()) p.requires_grad = true;
        if (config.DisableDropout)
            foreach (var module in model.modules())
                if (module is Dropout dropout) dropout.p = 0; // TRL disable_dropout_in_model
        return new TrainingModel { Model = model, Adapters = adapters, Tokenizer = tokenizer };
    }

    public void Dispose() => Model.Dispose();
}
