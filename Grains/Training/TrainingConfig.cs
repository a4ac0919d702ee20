using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pastanoodles.Adapters;

namespace Pastanoodles.Training;

/// <summary>Every knob of a DPO or MCQA run, read from the experiment's JSON file; keys are HF Trainer's, TRL's and PEFT's.</summary>
/// <remarks>
/// Defaults are the seed's: DoRA r 16 / alpha 16 / dropout 0.05 on q/k/v/dense over an NF4 base with bf16 compute,
/// AdamW at 5e-5 (betas 0.9/0.999, eps 1e-8, no weight decay), linear decay, clipping at 1.0, batch 1 with
/// gradient accumulation 4, 3 epochs, 2048 tokens, β 0.1, gradient checkpointing on. Unknown keys are errors. Relative paths are resolved
/// against the config file's folder. The resolved config is saved in every checkpoint.
/// </remarks>
public sealed record TrainingConfig
{
    /// <summary>dpo (preference pairs) or mcqa (one-letter answers).</summary>
    [JsonPropertyName("task")] public string Task { get; init; } = ExperimentKinds.Dpo;
    /// <summary>A built-in config (tiny, mid, phi-2: random weights from init_seed) or an HF model folder.</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "tiny";
    [JsonPropertyName("init_seed")] public long InitSeed { get; init; } = 1;
    /// <summary>nf4 or none.</summary>
    [JsonPropertyName("quantization")] public string Quantization { get; init; } = "nf4";
    [JsonPropertyName("double_quant")] public bool DoubleQuant { get; init; } = true;
    /// <summary>bfloat16 or float32.</summary>
    [JsonPropertyName("compute_dtype")] public string ComputeDtype { get; init; } = "bfloat16";
    [JsonPropertyName("lora")] public LoraConfig Lora { get; init; } = new();
    /// <summary>An adapter folder (PEFT format) to start from instead of a fresh adapter (e.g. DPO's, for MCQA).</summary>
    [JsonPropertyName("init_adapter")] public string? InitAdapter { get; init; }

    [JsonPropertyName("train_file")] public string? TrainFile { get; init; }
    [JsonPropertyName("eval_file")] public string? EvalFile { get; init; }
    [JsonPropertyName("test_file")] public string? TestFile { get; init; }
    /// <summary>When no files are given: this many synthetic rows, split 0.75/0.125/0.125.</summary>
    [JsonPropertyName("synthetic_rows")] public int SyntheticRows { get; init; }
    [JsonPropertyName("synthetic_seed")] public int SyntheticSeed { get; init; } = 7;

    [JsonPropertyName("beta")] public double Beta { get; init; } = 0.1;
    [JsonPropertyName("label_smoothing")] public double LabelSmoothing { get; init; }
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 5e-5;
    [JsonPropertyName("adam_beta1")] public double AdamBeta1 { get; init; } = 0.9;
    [JsonPropertyName("adam_beta2")] public double AdamBeta2 { get; init; } = 0.999;
    [JsonPropertyName("adam_epsilon")] public double AdamEpsilon { get; init; } = 1e-8;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    /// <summary>linear or constant.</summary>
    [JsonPropertyName("lr_scheduler_type")] public string LrSchedulerType { get; init; } = "linear";
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; }
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;
    [JsonPropertyName("per_device_train_batch_size")] public int PerDeviceTrainBatchSize { get; init; } = 1;
    /// <summary>Rows per forward when scoring the eval and test splits. Default 8, HF Trainer's.</summary>
    [JsonPropertyName("per_device_eval_batch_size")] public int PerDeviceEvalBatchSize { get; init; } = 8;
    [JsonPropertyName("gradient_accumulation_steps")] public int GradientAccumulationSteps { get; init; } = 4;
    [JsonPropertyName("num_train_epochs")] public int NumTrainEpochs { get; init; } = 3;
    /// <summary>Optimizer steps to stop at; -1 runs every epoch.</summary>
    [JsonPropertyName("max_steps")] public int MaxSteps { get; init; } = -1;
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 2048;
    [JsonPropertyName("logging_steps")] public int LoggingSteps { get; init; } = 1;
    /// <summary>Evaluate on the eval split every N optimizer steps (and at the end).</summary>
    [JsonPropertyName("eval_steps")] public int EvalSteps { get; init; } = 50;
    /// <summary>Checkpoint (and score on the test split) every N optimizer steps (and at the end).</summary>
    [JsonPropertyName("save_steps")] public int SaveSteps { get; init; } = 50;
    /// <summary>Stop when eval reward accuracy (MCQA: accuracy) has not improved for this many evaluations; null never stops early.</summary>
    [JsonPropertyName("early_stopping_patience")] public int? EarlyStoppingPatience { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; } = 42;
    /// <summary>Recompute each decoder layer (and the lm_head, in chunks of positions) in backward instead of keeping its
    /// activations: HF's key, on by default as in PEFT's <c>prepare_model_for_kbit_training</c>. false keeps every activation.</summary>
    [JsonPropertyName("gradient_checkpointing")] public bool GradientCheckpointing { get; init; } = true;
    /// <summary>TRL's default: every dropout (Phi's resid_pdrop, LoRA's) set to 0 for training.</summary>
    [JsonPropertyName("disable_dropout")] public bool DisableDropout { get; init; } = true;
    [JsonPropertyName("output_dir")] public string OutputDir { get; init; } = "runs/experiment";

    static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads an experiment file, parses it and resolves its relative paths against its folder (<see cref="WithPathsResolved"/>):
    /// what the local commands train with, and what the console sends to the cluster as its JSON (<see cref="ToJson"/>).</summary>
    public static TrainingConfig Load(string path) =>
        Parse(ReadObject(path).ToJsonString(), $"Experiment file '{Path.GetFullPath(path)}'").WithPathsResolved(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>The keys that hold paths, each with its property. Add a new path key here only.</summary>
    static readonly (string Key, Func<TrainingConfig, string?> Get, Func<TrainingConfig, string, TrainingConfig> With)[] PathProperties =
    [
        ("model", c => c.Model, (c, path) => c with { Model = path }),
        ("init_adapter", c => c.InitAdapter, (c, path) => c with { InitAdapter = path }),
        ("train_file", c => c.TrainFile, (c, path) => c with { TrainFile = path }),
        ("eval_file", c => c.EvalFile, (c, path) => c with { EvalFile = path }),
        ("test_file", c => c.TestFile, (c, path) => c with { TestFile = path }),
        ("output_dir", c => c.OutputDir, (c, path) => c with { OutputDir = path }),
    ];

    /// <summary>The keys that hold paths: relative ones are resolved against the experiment file's folder.</summary>
    public static IReadOnlyList<string> PathKeys { get; } = [.. PathProperties.Select(p => p.Key)];

    /// <summary>The path keys a run reads from; a silo confines them to its input roots (<see cref="InputRoots"/>). <c>output_dir</c> is
    /// not one: on a cluster a run always writes to its own folder, <c>runs/RUN_ID</c> under the silo's artifacts.</summary>
    public static IReadOnlyList<string> InputPathKeys { get; } = [.. PathKeys.Where(k => k != "output_dir")];

    /// <summary>This config with each path of <paramref name="keys"/> replaced by <paramref name="map"/>(key, path); unset paths and
    /// built-in model names (<c>tiny</c>, <c>phi-2</c>, ...) are not paths and stay as they are.</summary>
    public TrainingConfig MapPaths(IEnumerable<string> keys, Func<string, string, string> map)
    {
        var config = this;
        foreach (var (key, get, with) in PathProperties.Where(p => keys.Contains(p.Key)))
            if (get(config) is { } path && !Modeling.PhiSource.IsBuiltIn(path) && map(key, path) is var mapped && mapped != path)
                config = with(config, mapped);
        return config;
    }

    /// <summary>This config with its relative paths made absolute against <paramref name="folder"/>, so it can travel as its JSON to a
    /// process with another working directory (a silo).</summary>
    public TrainingConfig WithPathsResolved(string folder) =>
        MapPaths(PathKeys, (_, path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path)));

    /// <summary>An experiment file's JSON object, or a one-line error naming the file.</summary>
    static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Experiment file '{Path.GetFullPath(path)}' does not exist.", path);
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return root as JsonObject ?? throw new InvalidDataException(
                $"Experiment file '{Path.GetFullPath(path)}' holds a JSON {root?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}. It must hold one JSON object of config keys.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Experiment file '{Path.GetFullPath(path)}' is not valid JSON: {ex.Message}", ex);
        }
    }

    public static TrainingConfig Parse(string json, string origin)
    {
        TrainingConfig config;
        try
        {
            config = JsonSerializer.Deserialize<TrainingConfig>(json, Options) ?? throw new InvalidDataException($"{origin} is empty.");
        }
        catch (JsonException e)
        {
            // System.Text.Json names the unknown key and its path: "The JSON property 'lr' could not be mapped ...".
            throw new InvalidDataException($"{origin}: {e.Message} ---> HINT: keys are HF/TRL/PEFT names (learning_rate, beta, gradient_accumulation_steps, lora.r ...).", e);
        }
        config.Validate(origin);
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public void Validate(string origin)
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidDataException($"{origin}: {message}");
        }
        Require(ExperimentKinds.All.Contains(Task), $"task is '{Task}'. Valid: {string.Join(", ", ExperimentKinds.All)}.");
        Require(Quantization is "nf4" or "none", $"quantization is '{Quantization}'. Valid: nf4, none.");
        Require(ComputeDtype is "bfloat16" or "float32", $"compute_dtype is '{ComputeDtype}'. Valid: bfloat16, float32.");
        Require(LrSchedulerType is "linear" or "constant", $"lr_scheduler_type is '{LrSchedulerType}'. Valid: linear, constant.");
        Require(Beta > 0, $"beta is {Beta}. beta must be greater than 0.");
        Require(LabelSmoothing is >= 0 and < 0.5, $"label_smoothing is {LabelSmoothing}. It must be in [0, 0.5).");
        Require(LearningRate > 0, $"learning_rate is {LearningRate}. learning_rate must be greater than 0.");
        Require(PerDeviceTrainBatchSize > 0, $"per_device_train_batch_size is {PerDeviceTrainBatchSize}. It must be greater than 0.");
        Require(PerDeviceEvalBatchSize > 0, $"per_device_eval_batch_size is {PerDeviceEvalBatchSize}. It must be greater than 0.");
        Require(GradientAccumulationSteps > 0, $"gradient_accumulation_steps is {GradientAccumulationSteps}. It must be greater than 0.");
        Require(NumTrainEpochs > 0 || MaxSteps > 0, "num_train_epochs and max_steps are both unset; give one of them.");
        Require(MaxLength >= 8, $"max_length is {MaxLength}. It must be at least 8.");
        Require(EvalSteps > 0 && SaveSteps > 0 && LoggingSteps > 0, "eval_steps, save_steps and logging_steps must be greater than 0.");
        Require(WarmupSteps >= 0, $"warmup_steps is {WarmupSteps}. It must not be negative.");
        Require(EarlyStoppingPatience is null or > 0, $"early_stopping_patience is {EarlyStoppingPatience}. It must be greater than 0 or null.");
        Require(TrainFile is not null || SyntheticRows > 0, "neither train_file nor synthetic_rows is set; the run has no data.");
        try { Lora.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{origin}: lora.{e.Message}"); }
    }
}
