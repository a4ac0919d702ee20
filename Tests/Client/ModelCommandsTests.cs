using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Client;

public class ModelCommandsTests
{
    [Fact]
    public void Model_info_prints_the_seeds_trainable_count_and_measured_bytes()
    {
        var (code, output, error) = Cli.Run("model", "info", "--config", "phi-2", "--quant", "nf4", "--adapter", "dora",
            "--r", "16", "--alpha", "16", "--targets", "q_proj,k_proj,v_proj,dense");
        Assert.Equal((0, ""), (code, error));
        Assert.Contains("trainable parameters: 10813440", output);
        Assert.Contains("total parameters: 2790497280", output);
        Assert.Contains("weight bytes: bf16 5559367680 nf4 1824639744", output);
    }

    [Fact]
    public void Model_info_reads_an_hf_folder_and_checks_its_headers()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build(PhiConfig.Tiny);
        HfModelFolder.Save(model, dir.Path, ScalarType.BFloat16, maxShardBytes: 4_000_000);
        var (code, output, error) = Cli.Run("model", "info", "--model", dir.Path, "--adapter", "lora", "--r", "8");
        Assert.Equal((0, ""), (code, error));
        Assert.Contains("BF16", output);
        Assert.Contains("every key and shape as expected", output);
        Assert.Contains($"trainable parameters: {2 * 4 * (8 * 64 + 64 * 8)}", output);
    }

    [Fact]
    public void Bad_input_gets_one_clear_line()
    {
        using var dir = new TempDir();
        var missing = Cli.Run("model", "info", "--model", dir.Path);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("config.json", missing.Error);

        var unknown = Cli.Run("model", "info", "--config", "phi-3");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("phi-2, tiny, mid", unknown.Error);

        var badTarget = Cli.Run("model", "info", "--config", "tiny", "--targets", "query");
        Assert.Equal(1, badTarget.ExitCode);
        Assert.Contains("query", badTarget.Error);
    }

    [Fact]
    public void Generate_continues_a_prompt_greedily_and_reproducibly()
    {
        var first = Cli.Run("model", "generate", "--model", "tiny", "--prompt", "The cat", "--max-new-tokens", "5", "--quant", "none");
        var again = Cli.Run("model", "generate", "--model", "tiny", "--prompt", "The cat", "--max-new-tokens", "5", "--quant", "none");
        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.StartsWith("The cat", first.Output);
        Assert.Contains("(5 tokens in", first.Output);
        Assert.Equal(first.Output.Split('\n')[0], again.Output.Split('\n')[0]);
    }
}
