using System.Globalization;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

public class TrainCommandsTests
{
    [Fact]
    public async Task Train_dpo_writes_checkpoints_metrics_and_plots_and_eval_dpo_scores_the_best_one()
    {
        using var dir = new TempDir();
        var config = dir["dpo.json"];
        File.WriteAllText(config, """
            { "task": "dpo", "model": "tiny", "synthetic_rows": 160, "learning_rate": 0.002,
              "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1, "num_train_epochs": 1,
              "eval_steps": 10, "save_steps": 10, "output_dir": "run" }
            """);
        var (code, output, error) = Cli.Run("train", "dpo", "--config", config);
        Assert.Equal((0, ""), (code, error));
        Assert.Contains("step 30/30", output);
        Assert.True(File.Exists(dir["run/plots/loss.png"]));
        Assert.True(File.Exists(dir["run/plots/accuracy.png"]));
        Assert.Equal(3, Directory.GetDirectories(dir["run"], "checkpoint-*").Length);
        var best = output.Split('\n').First(l => l.StartsWith("best checkpoint: "))["best checkpoint: ".Length..].Split(" (")[0];

        var data = dir["pairs.jsonl"];
        await Pastanoodles.Training.Data.DatasetWriter.WriteJsonLinesAsync(data, Pastanoodles.Training.Data.Synthetic.Preferences(40, seed: 123));
        var eval = Cli.Run("eval", "dpo", "--model", "tiny", "--adapter", best, "--data", data);
        Assert.Equal((0, ""), (eval.ExitCode, eval.Error));
        var accuracy = double.Parse(eval.Output.Split('\n').First(l => l.StartsWith("reward accuracy: "))["reward accuracy: ".Length..], CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.75, eval.Output);
    }

    [Fact]
    public void Wrong_task_missing_config_and_unknown_keys_are_one_line_errors()
    {
        using var dir = new TempDir();
        var config = dir["mcqa.json"];
        File.WriteAllText(config, """{ "task": "mcqa", "synthetic_rows": 10 }""");
        var wrong = Cli.Run("train", "dpo", "--config", config);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("train mcqa", wrong.Error);

        var missing = Cli.Run("train", "dpo", "--config", dir["nope.json"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.json", missing.Error);

        File.WriteAllText(config, """{ "task": "dpo", "train_file": "missing.jsonl" }""");
        var noData = Cli.Run("train", "dpo", "--config", config);
        Assert.Equal(1, noData.ExitCode);
        Assert.Contains(dir["missing.jsonl"], noData.Error);
        Assert.DoesNotContain("building", noData.Output);   // the data is checked before any model is built

        File.WriteAllText(config, """{ "task": "dpo", "synthetic_rows": 10, "learning_rat": 0.1 }""");
        var unknown = Cli.Run("train", "dpo", "--config", config);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("learning_rat", unknown.Error);
    }
}
