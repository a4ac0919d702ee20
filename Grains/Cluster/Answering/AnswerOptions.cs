namespace Pastanoodles.Cluster;

/// <summary>How this silo's answer grains answer, bound from the <c>Answer</c> section.</summary>
public sealed class AnswerOptions
{
    public const string Section = "Answer";

    /// <summary>The base model when the question names no experiment, or the experiment's adapter names no base: an HF Phi folder
    /// on this silo, or tiny/mid/phi-2 for a built-in config with the random weights (init seed 1) runs of that name train on.
    /// Default: <c>tiny</c> (demos and tests); a Phi-2 folder in production.</summary>
    public string BaseModel { get; set; } = "tiny";

    /// <summary>Quantize the base to NF4, the 4-bit model adapters are trained on. Default: true.</summary>
    public bool Nf4 { get; set; } = true;

    /// <summary>The TorchSharp device answer models load and run on: <c>cpu</c> or <c>cuda:N</c>. Default (unset): the silo
    /// decides, its first training device on a <c>gpu</c> silo with CUDA, else <c>cpu</c>.</summary>
    public string? Device { get; set; }

    /// <summary>Candidates each shard returns when the answer searches. Default: 0, meaning the request's TopK.</summary>
    public int ShardDepth { get; set; }
}
