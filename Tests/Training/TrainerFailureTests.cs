using Pastanoodles.Training;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

public class TrainerFailureTests
{
    [Fact]
    public void A_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint()
    {
        using var dir = new TempDir();
        var config = DpoTrainerTests.Learnable(dir.Path) with { SyntheticRows = 64, SaveSteps = 2, EvalSteps = 2 };
        using var model = TrainingModel.Create(config);
        var trainer = new Trainer(config, model, new DpoTask(model, config, TrainingData.Preferences(config)));
        var poisoned = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Message?.Contains("checkpoint-2") != true) return;
            using var _ = no_grad();
            model.Adapters.Layers[0].Layer.LoraB.fill_(double.NaN); // a blown-up update
        });

        var ex = Assert.Throws<TrainingDivergedException>(() => trainer.Run(poisoned));
        Assert.Contains("step 3", ex.Message);
        Assert.Contains("checkpoint-2", ex.Message);
        Assert.Equal(Path.Combine(dir.Path, "checkpoint-2"), TrainingCheckpoint.Latest(dir.Path));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "checkpoint-3")));
    }

    [Fact]
    public void Early_stopping_ends_the_run_when_eval_accuracy_stops_improving()
    {
        using var dir = new TempDir();
        // A learning rate so small the bf16 outputs never change: eval reward accuracy stays flat.
        var config = DpoTrainerTests.Learnable(dir.Path) with { LearningRate = 1e-12, EvalSteps = 2, SaveSteps = 100, EarlyStoppingPatience = 2 };
        var messages = new List<string>();
        var result = Trainer.Train(config, new SyncProgress<TrainingProgress>(p => { if (p.Message is { } m) messages.Add(m); }));
        Assert.True(result.StoppedEarly);
        Assert.Equal(6, result.Steps);                               // evals at 2 (best), 4 (1 without), 6 (2: stop)
        Assert.Contains(messages, m => m.StartsWith("early stop"));
        Assert.Single(result.Checkpoints);                           // the run still checkpoints where it stopped
    }

    [Theory]
    [InlineData("{\"task\": \"dpo\", \"synthetic_rows\": 10, \"lr\": 0.1}", "'lr'")]
    [InlineData("{\"task\": \"ppo\", \"synthetic_rows\": 10}", "Valid: dpo, mcqa")]
    [InlineData("{\"task\": \"dpo\"}", "no data")]
    [InlineData("{\"task\": \"dpo\", \"synthetic_rows\": 10, \"beta\": 0}", "beta must be greater than 0")]
    [InlineData("{\"task\": \"dpo\", \"synthetic_rows\": 10, \"lora\": {\"r\": 0}}", "r must be greater than 0")]
    [InlineData("{\"task\": \"dpo\", \"synthetic_rows\": 10, \"gradient_accumulation_steps\": 0}", "gradient_accumulation_steps")]
    public void Bad_experiment_configs_name_the_key_and_the_rule(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse(json, "exp.json"));
        Assert.Contains("exp.json", ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
