using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Training;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

public class TrainerInvariantTests
{
    static TrainingConfig Small(string dir) => DpoTrainerTests.Learnable(dir) with
    {
        SyntheticRows = 64,
        PerDeviceTrainBatchSize = 2,
        GradientAccumulationSteps = 2,
        NumTrainEpochs = 2,
        EvalSteps = 4,
        SaveSteps = 4,
        Lora = LoraDropout(),
        GradientCheckpointing = true, // the default, stated: recomputed layers must not change a resumed run by one bit
    };

    static LoraConfig LoraDropout() => new() { R = 4, LoraAlpha = 8 };

    static Dictionary<string, float[]> AdapterWeights(string adapterDir)
    {
        using var reader = new SafeTensorsReader(Path.Combine(adapterDir, PeftAdapterFolder.WeightsFile));
        return reader.Entries.Keys.ToDictionary(k => k, k => { using var t = reader.Read(k); return t.data<float>().ToArray(); });
    }

    [Fact]
    public void Resume_from_checkpoint_gives_the_same_adapter_bit_for_bit()
    {
        using var whole = new TempDir();
        using var split = new TempDir();
        var full = Trainer.Train(Small(whole.Path));
        Assert.Equal(24, full.Steps); // 48 train rows / batch 2 / accumulation 2 = 12 steps × 2 epochs

        // The same run interrupted right after checkpoint-8 (mid-epoch), then resumed in a fresh model.
        using var cancel = new CancellationTokenSource();
        var interrupted = new SyncProgress<TrainingProgress>(p => { if (p.Message?.Contains("checkpoint-8") == true) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => Trainer.Train(Small(split.Path), interrupted, ct: cancel.Token));
        Assert.Equal(Path.Combine(split.Path, "checkpoint-8"), TrainingCheckpoint.Latest(split.Path));
        var resumed = Trainer.Train(Small(split.Path), resume: true);
        Assert.Equal(24, resumed.Steps);

        var expected = AdapterWeights(full.FinalAdapter);
        var actual = AdapterWeights(resumed.FinalAdapter);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, values) in expected)
            Assert.True(values.SequenceEqual(actual[key]), $"{key} differs after resume");
        Assert.Equal(File.ReadAllLines(full.MetricsFile).Length, File.ReadAllLines(resumed.MetricsFile).Length);
    }

    [Fact]
    public void Batch_one_with_accumulation_four_equals_batch_four_with_accumulation_one()
    {
        TrainingConfig Config(string dir, int batch, int accumulation) => DpoTrainerTests.Learnable(dir) with
        {
            SyntheticRows = 32, MaxSteps = 1, PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accumulation,
            ComputeDtype = "float32", Quantization = "none", Lora = LoraDropout(),
            // A large eps makes the first Adam update proportional to the gradient (≈ lr·g) instead of ≈ lr·sign(g),
            // so the comparison checks the accumulated gradients, not sign flips of near-zero entries.
            AdamEpsilon = 1,
        };
        using var a = new TempDir();
        using var b = new TempDir();
        var accumulated = AdapterWeights(Trainer.Train(Config(a.Path, 1, 4)).FinalAdapter);
        var batched = AdapterWeights(Trainer.Train(Config(b.Path, 4, 1)).FinalAdapter);
        foreach (var (key, values) in accumulated)
        {
            var max = values.Zip(batched[key]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max < 1e-9, $"{key}: max |Δ| {max}");
        }
    }

    [Fact]
    public void Only_adapter_parameters_move_and_every_one_of_them_does()
    {
        using var dir = new TempDir();
        var config = DpoTrainerTests.Learnable(dir.Path) with { SyntheticRows = 32, MaxSteps = 3, Lora = LoraDropout() };
        using var model = TrainingModel.Create(config);
        var baseBefore = model.Model.named_parameters().Where(p => !p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var adapterBefore = model.Adapters.NamedParameters().ToDictionary(p => p.Name, p => p.Value.detach().clone());
        var task = new DpoTask(model, config, TrainingData.Preferences(config));
        new Trainer(config, model, task).Run();

        foreach (var (name, p) in model.Model.named_parameters().Where(p => !p.parameter.requires_grad))
            Assert.True(p.equal(baseBefore[name]).all().item<bool>(), $"frozen {name} moved");
        foreach (var (name, p) in model.Adapters.NamedParameters())
            Assert.False(p.equal(adapterBefore[name]).all().item<bool>(), $"trainable {name} did not move");
    }
}
