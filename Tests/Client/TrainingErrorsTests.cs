using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>Failures a user can cause in training and evaluation on the console: one line on stderr, exit code 1, no stack.</summary>
public class TrainingErrorsTests
{
    static void AssertOneLine(int code, string error, string expected)
    {
        Assert.Equal(1, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: {expected}", error);
    }

    static string Config(TempDir dir, string extra)
    {
        var path = dir["run.json"];
        File.WriteAllText(path, $$"""
            { "task": "dpo", "model": "tiny", "synthetic_rows": 48, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1,
              "max_steps": 4, "max_length": 64, "eval_steps": 100, "save_steps": 2, "output_dir": "run", {{extra}} }
            """);
        return path;
    }

    [Fact]
    public void Train_refuses_a_rank_the_model_cannot_have_before_building_anything()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("train", "dpo", "--config", Config(dir, "\"lora\": { \"r\": 100000 }"));
        AssertOneLine(code, error, "lora.r is 100000. It must be at most 64, min(in, out) of q_proj (64 -> 64) in tiny.");
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public void Train_prints_its_memory_estimate_and_a_diverged_loss_is_one_line()
    {
        using var dir = new TempDir();
        var (code, output, error) = Cli.Run("train", "dpo", "--config", Config(dir, "\"learning_rate\": 1e30, \"max_grad_norm\": 0"));
        Assert.Contains("estimated peak memory: ", output);
        AssertOneLine(code, error, "The loss is NaN at step ");
        Assert.Contains("---> HINT: lower learning_rate", error);
    }

    [Fact]
    public void Eval_dpo_on_an_empty_file_is_one_line_naming_it()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["empty.jsonl"], "");
        using (var model = TinyModels.Build(Pastanoodles.Modeling.Phi.PhiConfig.Tiny))
            Pastanoodles.Adapters.PeftAdapterFolder.Save(Pastanoodles.Adapters.AdapterInjector.Inject(model, new Pastanoodles.Adapters.LoraConfig()), dir["adapter"], "tiny");
        var (code, _, error) = Cli.Run("eval", "dpo", "--model", "tiny", "--adapter", dir["adapter"], "--data", dir["empty.jsonl"]);
        AssertOneLine(code, error, $"{dir["empty.jsonl"]} has no preference rows, so there is nothing to evaluate.");
    }

    [Fact]
    public void Model_info_on_a_config_too_large_to_allocate_is_one_line()
    {
        using var dir = new TempDir();
        var config = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Grains", "Modeling", "Phi", "tiny.json"))
            .Replace("\"hidden_size\": 64", "\"hidden_size\": 1000000000");
        File.WriteAllText(dir["config.json"], config);
        var (code, _, error) = Cli.Run("model", "info", "--model", dir.Path);
        AssertOneLine(code, error, "the model does not fit in memory: [enforce fail at alloc_cpu.cpp");
        Assert.Contains("you tried to allocate 204800000000000 bytes", error);
    }
}
