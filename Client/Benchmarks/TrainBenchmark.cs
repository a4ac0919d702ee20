using Pastanoodles.Modeling.Phi;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>DPO optimizer-step throughput (NF4 base, DoRA r 16 on q/k/v/dense, bf16 compute, batch 1) and the process's peak memory.</summary>
public static class TrainBenchmark
{
    public sealed record Result(string Config, int Tokens, double TokensPerSecond, double GflopsAchieved, long PeakBytes);

    public static Result Run(string name, int promptWords, int steps)
    {
        Support.PeakMemory.Reset();
        using var dir = new Support.ScratchDir();
        var config = new TrainingConfig
        {
            Model = name, SyntheticRows = 1, PerDeviceTrainBatchSize = 1, GradientAccumulationSteps = 1,
            MaxSteps = steps + 1, EvalSteps = 1_000_000, SaveSteps = 1_000_000, OutputDir = dir.Path,
        };
        using var model = TrainingModel.Create(config);
        // Long prompts from the synthetic vocabulary, short completions, as preference data looks.
        var rows = Synthetic.Preferences(steps + 1, seed: 5)
            .Select(r => r with { Prompt = string.Concat(Enumerable.Repeat(r.Prompt + " ", promptWords / 20 + 1)) }).ToList();
        var task = new DpoTask(model, config, new DatasetSplit<PreferenceRow>(rows, [], []));
        var records = new List<MetricRecord>();
        new Trainer(config, model, task).Run(new Support.Collect(records));
        var timed = records.Where(r => r.Split == Splits.Train).Skip(1).ToList(); // the first step builds the reference cache
        double tokensPerSecond = timed.Average(r => r["tokens_per_second"]);
        // Policy forward (2 FLOPs per weight) and backward to the inputs (2 more); the frozen base needs no weight
        // gradients and the reference is cached per row.
        double flopsPerToken = 2 * ModelBenchmark.ForwardFlopsPerToken(PhiConfig.BuiltIn(name), promptWords);
        return new Result(name, promptWords, tokensPerSecond, flopsPerToken * tokensPerSecond / 1e9, Support.PeakMemory.Read());
    }
}
