using System.Globalization;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;

namespace Pastanoodles.Training;

/// <summary>A run's peak memory, estimated from its config before anything is allocated, in bytes per part.</summary>
/// <param name="Runtime">The .NET runtime and libtorch themselves, measured once on an idle worker.</param>
/// <param name="Weights">The base model at its quantization (NF4: half a byte per weight plus one fp32 absmax per block of 64), plus the
/// fp32 weights it is built or loaded in before it is quantized.</param>
/// <param name="Adapters">LoRA/DoRA parameters and their gradients (fp32).</param>
/// <param name="Optimizer">AdamW's two moments per adapter parameter (fp32).</param>
/// <param name="Activations">What one micro-batch keeps for backward at <c>max_length</c>, plus its logits.</param>
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

    /// <summary>The .NET runtime and libtorch: the whole RSS of a 3-step tiny run at max_length 64 (332 MB, <c>/usr/bin/time -v</c>), so an
    /// upper bound; see README "Admission control".</summary>
    public const long RuntimeBytes = 330_000_000;

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

    /// <summary>Peak memory of one micro-batch step at <c>max_length</c>, with or without gradient checkpointing.</summary>
    /// <remarks>Activations per decoder layer follow Korthikanti et al. 2022 ("Reducing Activation Recomputation", §4.1: 34·s·b·h + 5·a·s²·b
    /// bytes at 16 bits), scaled to the compute dtype; with checkpointing only each layer's input is kept, plus one layer recomputed.
    /// The logits, their log-softmax and its gradient are three fp32 [rows, T, vocab] tensors. DPO puts chosen and rejected in one batch.</remarks>
    public static MemoryEstimate Estimate(TrainingConfig config, PhiConfig model)
    {
        long h = model.HiddenSize, v = model.VocabSize, layers = model.NumHiddenLayers, heads = model.NumAttentionHeads;
        long linear = layers * (4 * h * h + 2 * h * model.IntermediateSize);
        // NF4 keeps half a byte per weight plus an fp32 absmax per block of 64, but the layers are built (or loaded) in fp32 first.
        double bytesPerWeight = config.Quantization == "nf4" ? 4 + 0.5 + 4.0 / 64 : 4;
        long weights = (long)(linear * bytesPerWeight) + 4 * (2 * v * h + v + layers * (4 * h + model.IntermediateSize + 2 * h));

        long adapterParameters = Targets(config, model).Sum(t => (long)config.Lora.R * (t.In + t.Out) + (config.Lora.UseDora ? t.Out : 0));
        long rows = (long)config.PerDeviceTrainBatchSize * (config.Task == ExperimentKinds.Dpo ? 2 : 1), s = config.MaxLength;
        double unit = (config.ComputeDtype is "float32" ? 4 : 2) / 2.0;
        double perLayer = unit * (34.0 * s * rows * h + 5.0 * heads * s * s * rows);
        double kept = config.GradientCheckpointing ? layers * unit * 2 * s * rows * h + perLayer : layers * perLayer;
        double logits = 3.0 * 4 * rows * s * v;
        return new MemoryEstimate(RuntimeBytes, weights, 8 * adapterParameters, 8 * adapterParameters, (long)(kept + logits));
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
