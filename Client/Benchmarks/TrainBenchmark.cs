using Pastanoodles.Modeling.Phi;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>DPO optimizer steps (NF4 base, DoRA r 16 on q/k/v/dense, bf16 compute, batch 1: one row of chosen + rejected) at a
/// given sequence length, with and without gradient checkpointing: tokens/s and the process's peak memory.</summary>
public static class TrainBenchmark
{
    public sealed record Result(string Config, bool Checkpointing, int Sequence, double StepSeconds, double TokensPerSecond,
        double GflopsAchieved, long PeakBytes);

    /// <param name="sequence">Tokens of the row, prompt + completion: the prompt is made longer and cut to fit (keep_end).</param>
    public static Result Run(string name, int sequence, int steps, bool checkpointing)
    {
        Support.PeakMemory.Reset();
        using var dir = new Support.ScratchDir();
        var config = new TrainingConfig
        {
            Model = name, SyntheticRows = 1, PerDeviceTrainBatchSize = 1, GradientAccumulationSteps = 1, MaxLength = sequence,
            MaxSteps = steps, EvalSteps = 1_000_000, SaveSteps = 1_000_000, OutputDir = dir.Path, GradientCheckpointing = checkpointing,
        };
        using var model = TrainingModel.Create(config);
        var row = Synthetic.Preferences(1, seed: 5)[0];
        row = row with { Prompt = string.Concat(Enumerable.Repeat(row.Prompt + " ", sequence / 4 + 1)) };
        var task = new DpoTask(model, config, new DatasetSplit<PreferenceRow>([row], [], []));
        var records = new List<MetricRecord>();
        new Trainer(config, model, task).Run(new Support.Collect(records));
        var train = records.Where(r => r.Split == Splits.Train).ToList();
        double seconds = train.Sum(r => 2.0 * sequence / r["tokens_per_second"]);
        // Per step, per token: the policy forward (2 FLOPs per weight) and backward to the inputs (as much again: the frozen base
        // needs no weight gradients), one more forward when checkpointing recomputes it; once per row, the reference forward.
        double forward = ModelBenchmark.ForwardFlopsPerToken(PhiConfig.BuiltIn(name), sequence);
        double flops = 2.0 * sequence * ((checkpointing ? 3 : 2) * forward * steps + forward);
        return new Result(name, checkpointing, sequence, seconds / steps, 2.0 * sequence * steps / seconds, flops / seconds / 1e9,
            Support.PeakMemory.Read());
    }
}
