using System.Globalization;
using System.Text.Json;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;
using Pastanoodles.Training;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Processes;

/// <summary>Admission control's memory estimate against the measured peak RSS of a real <c>pastanoodles train dpo</c> process
/// (GNU time's maxrss, the child's VmHWM at exit; the test host's own RSS holds every other test), on data that fills max_length.</summary>
/// <remarks>One step of batch 1 keeps it short; max_length is long enough on tiny that the lm_head logits (the part that scales with
/// max_length and differs with checkpointing) dominate, and short on mid so that its weights and runtime are most of the peak.</remarks>
public sealed class AdmissionEstimateTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("tiny", 512, true)]
    [InlineData("tiny", 512, false)]
    [InlineData("mid", 128, true)]
    [InlineData("mid", 128, false)]
    public async Task The_estimate_is_within_25_percent_of_the_measured_peak(string model, int maxLength, bool gradientCheckpointing)
    {
        var data = _dir["long.jsonl"];
        // A short prompt and completions far longer than max_length: every sequence is cut to max_length, every completion token scored.
        var words = string.Join(' ', Enumerable.Range(0, 3 * maxLength).Select(i => new[] { "river", "stone", "cloud", "paper", "green" }[i % 5]));
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 4).Select(i =>
            JsonSerializer.Serialize(new { prompt = $"Tell story {i}.", chosen = words, rejected = "not " + words })));
        var config = new TrainingConfig
        {
            Model = model, TrainFile = data, MaxLength = maxLength, PerDeviceTrainBatchSize = 1, GradientAccumulationSteps = 1, MaxSteps = 1,
            GradientCheckpointing = gradientCheckpointing, EvalSteps = 1000, SaveSteps = 1000, OutputDir = _dir["run"],
        };
        await File.WriteAllTextAsync(_dir["config.json"], config.ToJson());
        var estimate = TrainingAdmission.Estimate(config, PhiConfig.BuiltIn(model));

        var (exitCode, stdout, stderr, peak) = await ClientProcess.RunMeasuredAsync(
            new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" }, "train", "dpo", "--config", _dir["config.json"]);

        var ratio = (double)estimate.Total / peak;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model} max_length {maxLength} gradient_checkpointing {gradientCheckpointing}: estimate {estimate}, measured peak RSS {peak / 1e6:0} MB, ratio {ratio:0.00}"));
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains($"estimated peak memory: {estimate}", stdout);
        Assert.InRange(ratio, 0.75, 1.25);
    }
}
