using Pastanoodles.Training;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Training;

public class McqaTrainerTests
{
    [Fact]
    public async Task Mcqa_fine_tuning_lifts_letter_accuracy_far_above_chance()
    {
        using var dir = new TempDir();
        // fp32 compute: on a 64-wide random model the letters' logit gaps start far below bf16's resolution, and
        // bf16 runs stall near 0.7; the adapter also covers the MLP (fc1, fc2) so the tiny net can route the category.
        var config = new TrainingConfig
        {
            Task = "mcqa", Model = "tiny", SyntheticRows = 800, LearningRate = 3e-3,
            ComputeDtype = "float32", Quantization = "none",
            Lora = new Pastanoodles.Adapters.LoraConfig { TargetModules = ["q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"] },
            PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 1, NumTrainEpochs = 2,
            EvalSteps = 25, SaveSteps = 25, OutputDir = dir.Path,
        };
        var records = new List<MetricRecord>();
        var result = Trainer.Train(config, new SyncProgress<TrainingProgress>(p => { if (p.Record is { } r) records.Add(r); }));
        var tests = records.Where(r => r.Split == Splits.Test).Select(r => r["accuracy"]).ToList();
        Assert.True(result.BestTestAccuracy >= 0.85, $"test accuracy by checkpoint: {string.Join(", ", tests)} (chance is 0.25)");

        // The same adapter through the evaluation path, with per-question predictions.
        var data = Path.Combine(dir.Path, "questions.jsonl");
        await Pastanoodles.Training.Data.DatasetWriter.WriteJsonLinesAsync(data, Pastanoodles.Training.Data.Synthetic.Mcqa(40, seed: 99));
        var predictions = Path.Combine(dir.Path, "predictions.jsonl");
        var (code, output, error) = Cli.Run("eval", "mcqa", "--model", "tiny", "--quant", "none", "--dtype", "float32", "--adapter", result.BestCheckpoint!, "--data", data, "--out", predictions);
        Assert.Equal((0, ""), (code, error));
        var accuracy = double.Parse(output.Split('\n').First(l => l.StartsWith("accuracy: "))["accuracy: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.85, output);
        Assert.Equal(40, File.ReadAllLines(predictions).Length);
        Assert.Contains("\"predicted\":", File.ReadAllText(predictions));
    }
}
