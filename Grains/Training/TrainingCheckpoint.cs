using System.Text.Json;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>Where the loop stands: enough to resume and end with the same adapter, bit for bit on CPU.</summary>
public sealed record TrainerState
{
    public long GlobalStep { get; init; }
    public int Epoch { get; init; }
    /// <summary>Micro-batches of the current epoch already consumed.</summary>
    public int Position { get; init; }
    public double? BestMetric { get; init; }
    public string? BestCheckpoint { get; init; }
    public double? BestEvalMetric { get; init; }
    public int EvaluationsWithoutImprovement { get; init; }
    public List<string> Checkpoints { get; init; } = [];
}

/// <summary>A checkpoint folder: a PEFT adapter folder (loadable as it is by PeftModel) plus optimizer, RNG and loop state, and the resolved config.</summary>
/// <remarks>Written to a temporary folder and renamed into place, so a crash mid-write never leaves a half checkpoint.</remarks>
public static class TrainingCheckpoint
{
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string ConfigFile = "training_config.json";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Save(string outputDir, TrainingConfig config, AdapterSet adapters, AdamW optimizer, TrainerState state)
    {
        var final = Path.Combine(outputDir, $"checkpoint-{state.GlobalStep}");
        var temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, true);
        Directory.CreateDirectory(temp);
        PeftAdapterFolder.Save(adapters, temp, config.Model);
        using var rng = get_rng_state();
        SafeTensorsWriter.Write(Path.Combine(temp, OptimizerFile), optimizer.StateTensors().Append(("rng_state", rng)),
            new Dictionary<string, string> { ["format"] = "pt", ["adam_step"] = optimizer.Step.ToString() });
        File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
        File.WriteAllText(Path.Combine(temp, ConfigFile), config.ToJson());
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(temp, final);
        return final;
    }

    /// <summary>Restores adapter weights, optimizer moments and RNG into a freshly built run; returns the loop state.</summary>
    public static TrainerState Restore(string checkpoint, AdapterSet adapters, AdamW optimizer)
    {
        var statePath = Path.Combine(checkpoint, StateFile);
        if (!File.Exists(statePath))
            throw new FileNotFoundException($"{checkpoint} is not a training checkpoint: it has no {StateFile}.", statePath);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath} is empty.");

        using (var reader = new SafeTensorsReader(Path.Combine(checkpoint, PeftAdapterFolder.WeightsFile)))
        using (no_grad())
            foreach (var (name, parameter) in adapters.NamedParameters())
            {
                using var saved = reader.Read(name);
                parameter.copy_(saved);
            }
        using (var reader = new SafeTensorsReader(Path.Combine(checkpoint, OptimizerFile)))
        {
            optimizer.Restore(long.Parse(reader.Metadata["adam_step"]), reader.Read);
            using var rng = reader.Read("rng_state");
            set_rng_state(rng);
        }
        return state;
    }

    /// <summary>The newest complete checkpoint under a run's output folder, or null.</summary>
    public static string? Latest(string outputDir) =>
        Directory.Exists(outputDir)
            ? Directory.GetDirectories(outputDir, "checkpoint-*")
                .Where(d => !d.EndsWith(".tmp") && File.Exists(Path.Combine(d, StateFile)))
                .OrderBy(d => long.TryParse(Path.GetFileName(d)["checkpoint-".Length..], out var s) ? s : -1)
                .LastOrDefault()
            : null;
}
