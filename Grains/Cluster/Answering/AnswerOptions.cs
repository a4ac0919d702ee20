using Microsoft.Extensions.Options;

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

    /// <summary>Adapters each shared base keeps loaded; beyond it the least recently used is evicted (and loaded again when asked).
    /// Default: 16 (on Phi-2 with the seed's QDoRA r 16, about 43 MB each beside the 1.8 GB base).</summary>
    public int MaxAdapters { get; set; } = Answering.LoadedModel.DefaultMaxAdapters;

    /// <summary>Bytes of adapter tensors each shared base keeps loaded; beyond it the least recently used are evicted.
    /// Default: 0, no byte limit (only <see cref="MaxAdapters"/>).</summary>
    public long MaxAdapterBytes { get; set; }

    /// <summary>What the silo's all-MiniLM-L6-v2 computes a query's forward in: <c>float32</c> or <c>bfloat16</c>. Default (unset): bfloat16
    /// where the CPU multiplies bf16 natively, else float32 (<see cref="Retrieval.Rerank.BertSentenceEncoder.DefaultQueryDtype"/>), as the
    /// client's local search does, so the two agree.</summary>
    public string? QueryDtype { get; set; }

    /// <summary>Answers this silo computes at once, each forward on a thread of its own with one libtorch intra-op thread
    /// (<see cref="Modeling.TorchWorkerThreads"/>); more wait their turn. 0: on the .NET thread pool, each forward split over
    /// libtorch's default intra-op threads, which suits one user at a time on a big CPU. Default: the silo's cores.</summary>
    public int ForwardThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Lets an answer that runs alone use every core, on one more thread kept for that (and for loading models), when that is
    /// faster on this machine than one core: the silo times both and picks (<see cref="Modeling.ForwardWidthChooser"/>). False: every
    /// forward on one core, as answers at once are. Ignored when <see cref="ForwardThreads"/> is 0. Default: true.</summary>
    public bool WideLoneForwards { get; set; } = true;
}

/// <summary>Checks <see cref="AnswerOptions"/> at silo start.</summary>
public sealed class AnswerOptionsValidator : IValidateOptions<AnswerOptions>
{
    public ValidateOptionsResult Validate(string? name, AnswerOptions options)
    {
        var errors = new List<string>();
        if (options.MaxAdapters < 1)
            errors.Add($"Answer:MaxAdapters is set to {options.MaxAdapters}. Answer:MaxAdapters must be 1 or more.");
        if (options.MaxAdapterBytes < 0)
            errors.Add($"Answer:MaxAdapterBytes is set to {options.MaxAdapterBytes}. Answer:MaxAdapterBytes must be 0 (no limit) or more.");
        if (options.QueryDtype is { } dtype)
        {
            try { Retrieval.Rerank.BertSentenceEncoder.ParseDtype(dtype, "Answer:QueryDtype"); }
            catch (ArgumentException e) { errors.Add(e.Message); }
        }
        if (options.ForwardThreads < 0)
            errors.Add($"Answer:ForwardThreads is set to {options.ForwardThreads}. Answer:ForwardThreads must be 0 (the thread pool) or more.");
        if (options.ShardDepth is < 0 or > SearchRequest.MaxK)
            errors.Add($"Answer:ShardDepth is set to {options.ShardDepth}. Answer:ShardDepth must be 0 (the request's TopK) to {SearchRequest.MaxK}.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
