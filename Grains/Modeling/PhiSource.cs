using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;

namespace Pastanoodles.Modeling;

/// <summary>Where a Phi model comes from: a built-in config with random weights from a seed, or an HF folder; with its tokenizer.</summary>
public static class PhiSource
{
    /// <summary>tiny, mid or phi-2: the names <see cref="PhiConfig.BuiltIn"/> knows; anything else is a folder path.</summary>
    public static bool IsBuiltIn(string model) => model is "tiny" or "mid" or "phi-2";

    /// <summary>Builds (<paramref name="initSeed"/>) or loads <paramref name="model"/>, in eval mode, and the tokenizer that goes with it.</summary>
    public static (PhiForCausalLM Model, PhiTokenizer Tokenizer) Open(string model, PhiBuildOptions options, long initSeed,
        IProgress<string>? progress = null)
    {
        PhiForCausalLM phi;
        if (IsBuiltIn(model))
        {
            progress?.Report($"building {model} with random weights (init_seed {initSeed})");
            phi = new PhiForCausalLM(PhiConfig.BuiltIn(model), options).InitializeWeights(initSeed);
        }
        else
        {
            if (!Directory.Exists(model))
                throw new DirectoryNotFoundException($"Model folder '{model}' does not exist. HINT: give an HF Phi folder (config.json + model.safetensors) or tiny, mid, phi-2.");
            progress?.Report($"loading {model}");
            phi = HfModelFolder.Load(model, options, new Progress<(int Done, int Total, string Key)>(p =>
            {
                if (p.Done % 50 == 0 || p.Done == p.Total) progress?.Report($"loaded {p.Done}/{p.Total} tensors");
            }));
        }
        phi.eval();
        return (phi, PhiTokenizer.FromFolder(IsBuiltIn(model) ? null : model));
    }
}
