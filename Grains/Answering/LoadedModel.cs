using Pastanoodles.Adapters;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using static TorchSharp.torch;

namespace Pastanoodles.Answering;

/// <summary>A Phi model ready to answer: one (4-bit) base shared by any number of PEFT adapters, chosen per call, and the tokenizer; loaded once, shared.</summary>
/// <remarks>
/// Meant to be a silo singleton (STYLE §7): load the base once, answer many questions with many adapters. Thread-safe for
/// concurrent answers: scoring runs under no_grad in eval mode and only reads the weights (4-bit layers dequantize into
/// temporaries), TorchSharp's grad mode and dispose scopes are per thread, and the adapter is chosen per call
/// (<see cref="Use"/>, an async-local scope of the <see cref="SharedBase"/>), never by a toggle on the model. Adapters load on
/// first use and are evicted least recently used (<see cref="Adapters"/>).
/// </remarks>
public sealed class LoadedModel : IDisposable
{
    /// <summary>The init seed a run of a built-in config trains from (TrainingConfig.InitSeed's default), so
    /// <c>--model tiny</c> here is the same network that `train --model tiny` adapted.</summary>
    public const long BuiltInSeed = 1;

    /// <summary>Adapters kept loaded when the caller sets no budget (Answer:MaxAdapters' default).</summary>
    public const int DefaultMaxAdapters = 16;

    readonly string _baseDescription;

    LoadedModel(SharedBase shared, PhiTokenizer tokenizer, AdapterCache adapters, string baseDescription)
    {
        Shared = shared;
        Tokenizer = tokenizer;
        Adapters = adapters;
        _baseDescription = baseDescription;
    }

    public SharedBase Shared { get; }

    /// <summary>The shared base; a forward on it uses the adapter of the caller's <see cref="Use"/> scope, or <see cref="Adapter"/>.</summary>
    public PhiForCausalLM Model => Shared.Model;
    public PhiTokenizer Tokenizer { get; }

    /// <summary>The adapter given at load (the console's <c>--adapter</c>), used when no scope names one; null for the base alone.</summary>
    public ServedAdapter? Adapter => Shared.Default;

    /// <summary>Adapters loaded on demand by <see cref="Use"/>, under the budget given at load.</summary>
    public AdapterCache Adapters { get; }

    /// <summary>What was loaded, for logs: model, quantization, device, and the adapter given at load.</summary>
    public string Description => Describe(Adapter?.Name);

    /// <summary>What answers with <paramref name="adapter"/>: the base's description, plus the adapter folder.</summary>
    public string Describe(string? adapter) => _baseDescription + (adapter is null ? "" : $" + adapter {adapter}");

    /// <param name="model">An HF Phi folder, or tiny/mid/phi-2 for the built-in config with random weights (seed 1).</param>
    /// <param name="adapter">A PEFT adapter folder (adapter_config.json + adapter_model.safetensors) used when a call names none, or null for the base alone.</param>
    /// <param name="nf4">Quantize the decoder linears to NF4 (the 4-bit model the adapters are trained on).</param>
    /// <param name="device">Where the model lives and answers (the silo's device); default the CPU.</param>
    /// <param name="maxAdapters">Adapters <see cref="Use"/> keeps loaded; the least recently used beyond it is evicted.</param>
    /// <param name="maxAdapterBytes">Bytes of adapter tensors <see cref="Use"/> keeps loaded; 0 for no byte limit.</param>
    /// <param name="evicted">Called with each adapter evicted, for logs.</param>
    public static LoadedModel Load(string model, string? adapter = null, bool nf4 = true, ScalarType dtype = ScalarType.BFloat16, Device? device = null,
        int maxAdapters = DefaultMaxAdapters, long maxAdapterBytes = 0, Action<ServedAdapter>? evicted = null)
    {
        if (adapter is not null)
            CheckFolder(adapter);
        var options = new PhiBuildOptions { DType = dtype, Nf4 = nf4, Device = device };
        var (phi, tokenizer) = PhiSource.Open(model, options, BuiltInSeed);
        try
        {
            var shared = new SharedBase(phi, adapter);
            var description = $"{model} ({(nf4 ? "nf4" : dtype.ToString().ToLowerInvariant())}, {phi.Device})";
            return new LoadedModel(shared, tokenizer, new AdapterCache(shared, maxAdapters, maxAdapterBytes, evicted), description);
        }
        catch
        {
            phi.Dispose();
            throw;
        }
    }

    /// <summary>Until disposed, this caller's forwards on <see cref="Model"/> use <paramref name="adapter"/> (a PEFT folder, loaded on
    /// first use and held meanwhile), or the base alone for null. The adapter given at load is used as it is, without the cache.</summary>
    public IDisposable Use(string? adapter)
    {
        if (adapter is null)
            return Shared.Use(null);
        if (Adapter is { } given && given.Name == Path.GetFullPath(adapter))
            return Shared.Use(given);
        CheckFolder(adapter);
        var lease = Adapters.Acquire(adapter);
        try
        {
            var scope = Shared.Use(lease.Adapter);
            return new Both(scope, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    static void CheckFolder(string adapter)
    {
        if (!Directory.Exists(adapter))
            throw new DirectoryNotFoundException($"Adapter folder '{adapter}' does not exist. HINT: give a PEFT folder with {PeftAdapterFolder.ConfigFile} and {PeftAdapterFolder.WeightsFile} (a checkpoint or final_adapter of a run).");
    }

    public void Dispose()
    {
        Adapters.Dispose();
        Shared.Dispose();
    }

    sealed class Both(IDisposable scope, IDisposable lease) : IDisposable
    {
        public void Dispose()
        {
            scope.Dispose();
            lease.Dispose();
        }
    }
}
