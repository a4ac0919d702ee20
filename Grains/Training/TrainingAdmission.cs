using System.Globalization;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;

namespace Pastanoodles.Training;

/// <summary>A run's peak memory, estimated from its config before anything is allocated, in bytes per part.</summary>
/// <param name="Runtime">The .NET runtime and libtorch themselves, measured on a run too small to add anything.</param>
/// <param name="Weights">The base model as it stays resident: NF4 linear weights (half a byte each plus their block constants), the
/// embeddings, lm_head, norms and biases in the compute dtype. Building draws and quantizes one layer at a time and each forward
/// dequantizes one layer at a time; freed, those transients leave the resident set (<see cref="Modeling.NativeHeap"/>), and they are
/// below the training peak that follows.</param>
/// <param name="Adapters">LoRA/DoRA parameters and their gradients (fp32).</param>
/// <param name="Optimizer">AdamW's two moments per adapter parameter (fp32).</param>
/// <param name="Activations">The larger of a training micro-batch (what it keeps for backward at <c>max_length</c>, plus its lm_head
/// logits) and a no-grad pass (reference or evaluation log-probs, their logits 512 positions at a time).</param>
public sealed record MemoryEstimate(long Runtime, long Weights, long Adapters, long Optimizer, long Activations)
{
    public long Total => Runtime + Weights + Adapters + Optimizer + Activations;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Mb(Total)} (runtime {Mb(Runtime)}, weights {Mb(Weights)}, adapters {Mb(Adapters)}, optimizer {Mb(Optimizer)}, activations {Mb(Activations)})");

    static string Mb(long bytes) => $"{bytes / 1e6:0} MB";
}

/// <summary>Admission control: checks a run's sizes against its model and estimates its peak memory, before any allocation.</summary>
/// <remarks>A run that fails here costs nothing; the same run admitted could abort libtorch (<c>r</c> = 100000 asks for a 40 GB r×r matrix)
/// or grow without bound (two billion synthetic rows), which is why it is checked where the run is submitted, not where it trains.</remarks>
public static class TrainingAdmission
{
    /// <summary>The most synthetic rows a run may ask for; they are generated in memory before training.</summary>
    public const int MaxSyntheticRows = 1_000_000;

    /// <summary>The largest <c>per_device_train_batch_size</c>.</summary>
    public const int MaxBatchSize = 512;

    /// <summary>The .NET runtime and libtorch: the peak RSS of a 2-step tiny DPO run at max_length 16 (<c>/usr/bin/time</c>, README
    /// "Admission control"), less its few MB of weights and logits.</summary>
    public const long RuntimeBytes = 235_000_000;


    /// <summary>Per base linear weight of a layer whose activations are kept for backward: the 16-bit dequantized weight autograd keeps
    /// for the input gradient (2 bytes), and 3.5 bytes more measured on mid without checkpointing (3211 MB after one step).</summary>
    public const double KeptBytesPerWeight = 5.5;

    /// <summary>The config of the model the run names: a built-in one, or a folder's config.json checked against its safetensors headers.</summary>
    public static PhiConfig ModelConfig(TrainingConfig config)
    {
        if (PhiSource.IsBuiltIn(config.Model))
            return PhiConfig.BuiltIn(config.Model);
        var model = HfModelFolder.ReadConfig(config.Model);
        HfModelFolder.CheckHeaders(config.Model, model);
        return model;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first size out of its bounds.</summary>
    public static void Validate(TrainingConfig config, PhiConfig model)
    {
        foreach (var (module, inFeatures, outFeatures) in Targets(config, model))
        {
            var limit = Math.Min(inFeatures, outFeatures);
            if (config.Lora.R > limit)
                throw new ArgumentException($"lora.r is {config.Lora.R}. It must be at most {limit}, min(in, out) of {module} ({inFeatures} -> {outFeatures}) in {config.Model}.");
        }
        if (config.SyntheticRows > MaxSyntheticRows)
            throw new ArgumentException($"synthetic_rows is {config.SyntheticRows}. It must be at most {MaxSyntheticRows}.");
        if (config.MaxLength > model.MaxPositionEmbeddings)
            throw new ArgumentException($"max_length is {config.MaxLength}. It must be at most {model.MaxPositionEmbeddings}, max_position_embeddings of {config.Model}.");
        if (config.PerDeviceTrainBatchSize > MaxBatchSize)
            throw new ArgumentException($"per_device_train_batch_size is {config.PerDeviceTrainBatchSize}. It must be at most {MaxBatchSize}.");
    }

    /// <summary>Peak memory of a run at <c>max_length</c>, with or without gradient checkpointing.</summary>
    /// <remarks>
    /// Per decoder layer a training forward keeps 34·s·b·h activations at 16 bits (Korthikanti et al. 2022, "Reducing Activation
    /// Recomputation in Large Transformer Models", §4.1), scaled to the compute dtype; their 5·a·s²·b attention-score term is left out
    /// because libtorch's <c>scaled_dot_product_attention</c> CPU kernel is the flash kernel, which keeps only a logsumexp per row
    /// (Dao et al. 2022, FlashAttention). Autograd also keeps each 4-bit layer's dequantized weight for the input gradient (QLoRA
    /// dequantizes per matmul, Dettmers et al. 2023, §3). With checkpointing only each layer's input stays, plus one layer recomputed.
    /// The log-probs run the lm_head only at scored positions (every completion token in DPO, at most s per row; the answer letter in
    /// MCQA): with grad, a [n, V] logits tensor costs 16 bytes per element at its peak in backward (fp32 logits kept by logsumexp,
    /// the gradients of logsumexp and gather and their sum, measured), over 512 positions at a time with checkpointing
    /// (<see cref="SequenceLogProbs.ChunkPositions"/>); without grad (DPO reference per row, evaluation per eval batch) it runs
    /// over 512 positions at a time too and costs 10 bytes per element (the 16-bit head output, its fp32 copy and logsumexp's exp).
    /// </remarks>
    public static MemoryEstimate Estimate(TrainingConfig config, PhiConfig model)
    {
        long h = model.HiddenSize, v = model.VocabSize, layers = model.NumHiddenLayers;
        long dtype = config.ComputeDtype is "float32" ? 4 : 2;
        long linearPerLayer = 4 * h * h + 2 * h * model.IntermediateSize, linear = layers * linearPerLayer;
        // NF4: half a byte per weight, plus an fp32 absmax per block of 64, or (double quant) an 8-bit one plus an fp32 per 256 blocks.
        double nf4 = 0.5 + (config.DoubleQuant ? 1.0 / 64 + 4.0 / (64 * 256) : 4.0 / 64);
        long weights = (long)(linear * (config.Quantization == "nf4" ? nf4 : dtype))
            + dtype * (2 * v * h + v + layers * (4 * h + model.IntermediateSize + 2 * h));

        long adapterParameters = Targets(config, model).Sum(t => (long)config.Lora.R * (t.In + t.Out) + (config.Lora.UseDora ? t.Out : 0));

        bool dpo = config.Task == ExperimentKinds.Dpo;
        long s = config.MaxLength, rows = config.PerDeviceTrainBatchSize * (dpo ? 2L : 1), scoredPerRow = dpo ? s : 1;
        double perLayer = dtype / 2.0 * 34 * s * rows * h + KeptBytesPerWeight * linearPerLayer;
        double kept = config.GradientCheckpointing ? layers * dtype * s * rows * h + perLayer : layers * perLayer;
        long scored = rows * scoredPerRow;
        double trainLogits = 16.0 * v * (config.GradientCheckpointing ? Math.Min(scored, SequenceLogProbs.ChunkPositions) : scored);
        bool evaluates = config.EvalFile is not null || config.TestFile is not null || config.SyntheticRows > 0;
        long noGradRows = (dpo ? 2L : 1) * (evaluates ? Math.Max(config.PerDeviceEvalBatchSize, 1) : 1);
        double noGradLogits = 10.0 * v * Math.Min(noGradRows * scoredPerRow, SequenceLogProbs.ChunkPositions);
        return new MemoryEstimate(RuntimeBytes, weights, 8 * adapterParameters, 8 * adapterParameters, (long)Math.Max(kept + trainLogits, noGradLogits));
    }

    /// <summary>Validates, estimates and refuses a run over <paramref name="budget"/> bytes, with the estimate in the message.</summary>
    public static MemoryEstimate Admit(TrainingConfig config, long budget)
    {
        var model = ModelConfig(config);
        Validate(config, model);
        var estimate = Estimate(config, model);
        if (estimate.Total > budget)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The run needs an estimated {estimate}, over the training memory budget of {budget / 1e6:0} MB (Silo:TrainingMemoryBudget). ---> HINT: lower max_length or per_device_train_batch_size (raise gradient_accumulation_steps to keep the batch), or lora.r."));
        return estimate;
    }

    /// <summary>Each adapted linear layer of one decoder layer, times the number of layers: its name, in and out features.</summary>
    static IEnumerable<(string Module, long In, long Out)> Targets(TrainingConfig config, PhiConfig model)
    {
        long h = model.HiddenSize, i = model.IntermediateSize, kv = h / model.NumAttentionHeads * (model.NumKeyValueHeads ?? model.NumAttentionHeads);
        foreach (var module in config.Lora.TargetModules)
        {
            (long In, long Out) shape = module switch
            {
                "q_proj" => (h, h),
                "k_proj" or "v_proj" => (h, kv),
                "dense" => (h, h),
                "fc1" => (h, i),
                "fc2" => (i, h),
                _ => (0, 0),
            };
            if (shape.In == 0)
                continue;   // LoraConfig rejects unknown target modules itself
            for (var layer = 0; layer < model.NumHiddenLayers; layer++)
                yield return (module, shape.In, shape.Out);
        }
    }
}
