using Pastanoodles.Training;

namespace Pastanoodles.Tests.Training;

public class SampleExperimentTests
{
    static string Samples([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "samples", "experiments"));

    [Theory]
    [InlineData("dpo-tiny.json", "dpo")]
    [InlineData("dpo-phi2-qdora.json", "dpo")]
    [InlineData("mcqa-phi2-qdora.json", "mcqa")]
    public void Shipped_experiment_files_parse_with_the_seeds_defaults(string file, string task)
    {
        var config = TrainingConfig.Load(Path.Combine(Samples(), file));
        Assert.Equal(task, config.Task);
        Assert.True(Path.IsPathRooted(config.OutputDir));
        if (file.Contains("phi2"))
        {
            Assert.Equal((16, 16.0, 0.05, true), (config.Lora.R, config.Lora.LoraAlpha, config.Lora.LoraDropout, config.Lora.UseDora));
            Assert.Equal((1, 4, 5e-5, 2048), (config.PerDeviceTrainBatchSize, config.GradientAccumulationSteps, config.LearningRate, config.MaxLength));
            Assert.Equal(("nf4", "bfloat16"), (config.Quantization, config.ComputeDtype));
        }
    }
}
