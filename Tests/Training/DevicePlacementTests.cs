using System.Runtime.InteropServices;
using Pastanoodles.Answering;
using Pastanoodles.Modeling.Generation;
using Pastanoodles.Training;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

/// <summary>Every tensor a training step, an MCQA forward, an answer or a generation makes is on the model's device: run on
/// <see cref="LazyDevice"/>, which refuses CPU operands as CUDA does, and compared with the same work on the CPU.</summary>
public class DevicePlacementTests
{
    static TrainingConfig Dpo() => new() { Model = "tiny", SyntheticRows = 16 }; // the seed's recipe: NF4, bf16, DoRA, checkpointing on

    [Fact]
    public void The_lazy_device_refuses_cpu_operands_where_meta_accepts_them()
    {
        var lazy = LazyDevice.Device;
        using var a = ones(4, 3, device: lazy);
        var mixed = Assert.Throws<ExternalException>(() => a + ones(4, 3));
        Assert.Contains("not a lazy tensor", mixed.Message);
        using var table = ones(10, 3, device: lazy);
        Assert.Contains("not a lazy tensor", Assert.Throws<ExternalException>(() => table.index_select(0, tensor(new long[] { 1, 2 }))).Message);
        Assert.Equal(6f, (a + a).sum().item<float>() / 4);   // real values, unlike meta

        using var m = ones(4, 3, device: META);
        using var product = m.matmul(ones(3, 2));            // meta takes a CPU operand without a word
        Assert.Equal(TorchSharp.DeviceType.META, product.device_type);
    }

    [Fact]
    public void A_dpo_step_runs_forward_and_backward_on_the_models_device()
    {
        var config = Dpo();
        var rows = new[] { 0, 1 };
        double expected;
        using (var cpu = TrainingModel.Create(config))
        {
            cpu.Model.train();
            var (loss, _, _) = new DpoTask(cpu, config, TrainingData.Preferences(config)).Forward(rows);
            expected = loss.item<float>();
        }

        using var model = TrainingModel.Create(config, device: LazyDevice.Device);
        model.Model.train();
        var task = new DpoTask(model, config, TrainingData.Preferences(config));
        var (onDevice, metrics, _) = task.Forward(rows);
        onDevice.backward();

        Assert.True(LazyDevice.IsOn(onDevice));
        Assert.Equal(expected, metrics["loss"], 4);
        foreach (var (name, p) in model.Adapters.NamedParameters())
            Assert.True(p.grad is { } g && LazyDevice.IsOn(g), $"{name} has no gradient on the lazy device");
        Assert.True(task.Evaluate(Splits.Eval).ContainsKey("rewards/accuracies"));
    }

    [Fact]
    public void Checkpointing_with_dropout_off_the_cpu_is_refused_with_a_hint()
    {
        var config = Dpo() with { DisableDropout = false };
        using var model = TrainingModel.Create(config, device: LazyDevice.Device);
        model.Model.train();
        var task = new DpoTask(model, config, TrainingData.Preferences(config));
        var error = Assert.Throws<NotSupportedException>(() => task.Forward([0]));
        Assert.Contains("gradient_checkpointing with dropout on device", error.Message);
        Assert.Contains("disable_dropout", error.Message);
    }

    [Fact]
    public void An_mcqa_forward_and_prediction_run_on_the_models_device()
    {
        var config = new TrainingConfig { Task = "mcqa", Model = "tiny", SyntheticRows = 16 };
        using var model = TrainingModel.Create(config, device: LazyDevice.Device);
        model.Model.train();
        var task = new McqaTask(model, config, TrainingData.Mcqa(config));
        var (loss, _, _) = task.Forward([0, 1, 2]);
        loss.backward();
        Assert.True(LazyDevice.IsOn(loss));
        model.Model.eval();
        var predictions = task.Predict(Splits.Test);
        Assert.Equal(task.Count(Splits.Test), predictions.Count);
    }

    [Fact]
    public void Answer_scoring_and_generation_run_on_the_device_the_model_was_loaded_on()
    {
        using var cpu = LoadedModel.Load("tiny");
        using var loaded = LoadedModel.Load("tiny", device: LazyDevice.Device);
        Assert.True(loaded.Model.parameters().All(LazyDevice.IsOn));
        var prompt = loaded.Tokenizer.Encode("Which is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:");

        var choice = LetterScorer.Choose(loaded.Model, loaded.Tokenizer, prompt, ['A', 'B', 'C', 'D']);
        var expected = LetterScorer.Choose(cpu.Model, cpu.Tokenizer, prompt, ['A', 'B', 'C', 'D']);
        // bf16 activations: the TorchScript backend runs other kernels than eager CPU, so values agree to bf16 rounding.
        static bool Close(double x, double y) => Math.Abs(x - y) <= 0.02 * Math.Max(1, Math.Abs(x));
        Assert.Equal(expected.Letter, choice.Letter);
        foreach (var (letter, value) in expected.LogLikelihoods)
            Assert.True(Close(value, choice.LogLikelihoods[letter]), $"{letter}: {value} on the CPU, {choice.LogLikelihoods[letter]} on the lazy device");

        var twoTokens = ContinuationScorer.Score(loaded.Model, prompt, [[12, 13], [14]]);  // the batched [prompt ; candidate] path
        Assert.Equal(ContinuationScorer.Score(cpu.Model, prompt, [[12, 13], [14]]), twoTokens, Close);
        var greedy = new SamplingOptions { MaxNewTokens = 3, StopTokenId = null };
        Assert.Equal(TextGenerator.Generate(cpu.Model, prompt, greedy), TextGenerator.Generate(loaded.Model, prompt, greedy));
    }
}
