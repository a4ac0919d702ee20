using Pastanoodles.Training;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Training;

public class DpoTrainerTests
{
    internal static TrainingConfig Learnable(string outputDir) => new()
    {
        Task = "dpo",
        Model = "tiny",
        SyntheticRows = 400,
        LearningRate = 2e-3,
        GradientAccumulationSteps = 1,
        PerDeviceTrainBatchSize = 4,
        NumTrainEpochs = 1,
        EvalSteps = 25,
        SaveSteps = 25,
        OutputDir = outputDir,
    };

    [Fact]
    public void Tiny_model_learns_the_synthetic_preference_from_chance_to_above_85_percent()
    {
        using var dir = new TempDir();
        var records = new List<MetricRecord>();
        var result = Trainer.Train(Learnable(dir.Path), new SyncProgress<TrainingProgress>(p => { if (p.Record is { } r) records.Add(r); }));

        var firstTrain = records.First(r => r.Split == Splits.Train);
        Assert.Equal(Math.Log(2), firstTrain["loss"], 2);        // identity adapter at step 0: z = 0
        var tests = records.Where(r => r.Split == Splits.Test).ToList();
        Assert.NotEmpty(tests);
        var best = tests.Max(r => r["rewards/accuracies"]);
        Assert.True(best >= 0.85, $"best test reward accuracy {best:F3}; all: {string.Join(", ", tests.Select(t => t["rewards/accuracies"].ToString("F3")))}");
        Assert.Equal(best, result.BestTestAccuracy);
        Assert.True(Directory.Exists(result.BestCheckpoint));
        Assert.True(File.Exists(Path.Combine(result.FinalAdapter, "adapter_model.safetensors")));
    }
}
