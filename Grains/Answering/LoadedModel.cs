using Pastanoodles.Modeling;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using static TorchSharp.torch;

namespace Pastanoodles.Answering;

/// <summary>A Phi model ready to answer: the (4-bit) base, its optional PEFT adapter and the tokenizer; loaded once, shared.</summary>
/// <remarks>
/// Meant to be a silo singleton (STYLE §7): load once, answer many questions. Thread-safe for concurrent answers:
/// scoring runs under no_grad in eval mode and only reads the weights (4-bit layers dequantize into temporaries),
/// and TorchSharp's grad mode and dispose scopes are per thread. Not safe together with anything that mutates the
/// model (training, merging the adapter, <see cref="AdapterSet.Disable"/>).
/// </remarks>
public sealed class LoadedModel : IDisposable
{
    /// <summary>The init seed a run of a built-in config trains from (TrainingConfig.InitSeed's default), so
    /// <c>--model tiny</c> here is the same network that `train --model tiny` adapted.</summary>
    public const long BuiltInSeed = 1;

    LoadedModel(PhiForCausalLM model, PhiTokenizer tokenizer, AdapterSet? adapters, string description)
    {
        Model = model;
        Tokenizer = tokenizer;
        Adapters = adapters;
        Description = description;
    }

    public PhiForCausalLM Model { get; }
    public PhiTokenizer Tokenizer { get; }
    public AdapterSet? Adapters { get; }

    /// <summary>What was loaded, for logs: model, quantization, adapter.</summary>
    public string Description { get; }

    /// <param name="model">An HF Phi folder, or tiny/mid/phi-2 for the built-in config with random weights (seed 1).</param>
    /// <param name="adapter">A PEFT adapter folder (adapter_config.json + adapter_model.safetensors), or null for the base alone.</param>
    /// <param name="nf4">Quantize the decoder linears to NF4 (the 4-bit model the adapters are trained on).</param>
    /// <param name="device">Where the model lives and answers (the silo's device); default the CPU.</param>
    public static LoadedModel Load(string model, string? adapter = null, bool nf4 = true, ScalarType dtype = ScalarType.BFloat16, Device? device = null)
    {
        if (adapter is not null && !Directory.Exists(adapter))
            throw new DirectoryNotFoundException($"Adapter folder '{adapter}' does not exist. HINT: give a PEFT folder with {PeftAdapterFolder.ConfigFile} and {PeftAdapterFolder.WeightsFile} (a checkpoint or final_adapter of a run).");
        var options = new PhiBuildOptions { DType = dtype, Nf4 = nf4, Device = device };
        var (phi, tokenizer) = PhiSource.Open(model, options, BuiltInSeed);
        try
        {
            var adapters = adapter is null ? null : PeftAdapterFolder.Load(phi, adapter);
            phi.eval();
            var description = $"{model} ({(nf4 ? "nf4" : dtype.ToString().ToLowerInvariant())}, {phi.Device})" + (adapter is null ? "" : $" + adapter {adapter}");
            return new LoadedModel(phi, tokenizer, adapters, description);
        }
        catch
        {
            phi.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a model built elsewhere (tests, a silo that loaded it its own way).</summary>
    public static LoadedModel From(PhiForCausalLM model, PhiTokenizer tokenizer, AdapterSet? adapters = null, string description = "in-memory model")
    {
        model.eval();
        return new LoadedModel(model, tokenizer, adapters, description);
    }

    public void Dispose() => Model.Dispose();
}
