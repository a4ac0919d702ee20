using Xunit.Abstractions;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Tests.Support;
using Pastanoodles.Training;
using static Pastanoodles.Tests.Parity.ParityFixtures;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Parity;

/// <summary>
/// Training against the reference: the DPO loss as TRL 0.13.0 computes it (sigmoid, β 0.1, reference = adapters
/// off, prompt masked) and the MCQA letter loss, their gradients on every DoRA tensor, and the adapter after one and
/// two torch.optim.AdamW steps with clipping at 1.0. The model is built by <see cref="TrainingModel.Create"/> from the
/// fixture folders, as a run builds it (fp32, no quantization, the seed's lora_dropout 0.05 disabled as TRL does).
/// </summary>
public class TrainingParityTests(ITestOutputHelper output)
{
    public const string ProjectAdapter = "tiny/project_adapter";
    public static TheoryData<string> Tasks => ["dpo", "mcqa"];

    [Theory, MemberData(nameof(Tasks))]
    public void Parity_loss_and_every_adapter_gradient_match_the_reference(string task)
    {
        using var dir = new TempDir();
        using var model = TrainingModel.Create(Config(task, dir.Path));
        model.Model.train();
        using var scope = NewDisposeScope();
        var (loss, metrics, _) = Task(task, model).Forward([0, 1, 2]);
        loss.backward();

        var expected = Manifest[task]!;
        AssertNear(expected["loss"]!.GetValue<double>(), loss.item<float>(), 1e-5, $"{task} loss");
        if (task == "dpo")
            foreach (var key in new[] { "logps/chosen", "logps/rejected", "ref_logps/chosen", "ref_logps/rejected" })
                for (int b = 0; b < 3; b++)
                    AssertNear(expected[key]![b]!.GetValue<double>(), metrics[$"{key}/{b}"], 1e-4, $"{key} row {b}");

        var file = $"tiny/{task}.safetensors";
        var parameters = model.Adapters.NamedParameters().ToList();
        using (var reader = new SafeTensorsReader(In(file)))
            Assert.Equal(reader.Entries.Keys.Where(k => k.StartsWith("grad.")).Order(), parameters.Select(p => "grad." + p.Name).Order());
        Assert.Equal(3 * 4 * 2, parameters.Count);
        double worst = 0;
        foreach (var (name, parameter) in parameters)
        {
            using var reference = Read(file, "grad." + name);
            worst = Math.Max(worst, AssertCloseToNorm(reference, parameter.grad!, 1e-5, $"{task} gradient of {name}"));
        }
        output.WriteLine($"{task} loss {loss.item<float>():R}; largest gradient difference / norm {worst:E2}");
    }

    /// <summary>Two steps (max_steps 2, linear decay: lr 5e-5 then 2.5e-5) through the project's <see cref="Trainer"/>.
    /// Adam's update barely depends on a gradient scale both steps share, so the adapter alone would hardly show the
    /// clipping; Adam's first moment (saved in the checkpoint) holds the clipped gradients and does.</summary>
    [Theory, MemberData(nameof(Tasks))]
    public void Parity_clipped_adamw_steps_match_torch(string task)
    {
        using var dir = new TempDir();
        var config = Config(task, dir.Path) with { MaxSteps = 2, SaveSteps = 1 };
        using var model = TrainingModel.Create(config);
        var norms = new List<double>();
        var progress = new SyncProgress<TrainingProgress>(p => { if (p.Record is { Split: Splits.Train } r) norms.Add(r["grad_norm"]); });
        // The name written into adapter_config.json (base_model_name_or_path), instead of this machine's fixture path.
        var result = new Trainer(config with { Model = "pastanoodles/parity-tiny" }, model, Task(task, model)).Run(progress);

        Assert.Equal(2, result.Steps);
        var expectedNorms = Manifest[task]!["grad_norms"]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
        for (int i = 0; i < 2; i++)
            AssertNear(expectedNorms[i], norms[i], 1e-5, $"{task} gradient norm before clipping, step {i + 1}");
        var afterFirst = Path.Combine(dir.Path, "checkpoint-1", PeftAdapterFolder.WeightsFile);
        CompareAdapter($"tiny/{task}.safetensors", "step1.", afterFirst, $"{task} after step 1");
        CompareAdapter($"tiny/{task}.safetensors", "step2.", Path.Combine(result.FinalAdapter, PeftAdapterFolder.WeightsFile), $"{task} after step 2");
        using (var optimizer = new SafeTensorsReader(Path.Combine(dir.Path, "checkpoint-2", TrainingCheckpoint.OptimizerFile)))
            foreach (var (name, _) in model.Adapters.NamedParameters())
            {
                using var reference = Read($"tiny/{task}.safetensors", "exp_avg." + name);
                using var actual = optimizer.Read(name + ".exp_avg");
                AssertCloseToNorm(reference, actual, 1e-5, $"{task} Adam exp_avg of {name} after step 2");
            }
        if (task == "dpo")
            CheckOrWriteProjectAdapter(result.FinalAdapter);
    }

    /// <summary>Every tensor of a saved adapter file within 1e-6 of the reference's (names prefixed in the fixture).</summary>
    void CompareAdapter(string fixture, string prefix, string adapterFile, string what)
    {
        using var saved = new SafeTensorsReader(adapterFile);
        Assert.Equal(3 * 4 * 2, saved.Entries.Count);
        double worst = 0;
        foreach (var name in saved.Entries.Keys)
        {
            using var reference = Read(fixture, prefix + name);
            using var actual = saved.Read(name);
            worst = Math.Max(worst, AssertClose(reference, actual, 1e-6, $"{what}: {name}"));
        }
        output.WriteLine($"{what}: max |diff| {worst:E2}");
    }

    /// <summary>The committed project adapter (which PEFT read to make its round-trip logits) is what the project writes
    /// today; PASTANOODLES_PARITY_WRITE=1 (make.py sets it) replaces the committed one instead.</summary>
    void CheckOrWriteProjectAdapter(string written)
    {
        var files = new[] { PeftAdapterFolder.ConfigFile, PeftAdapterFolder.WeightsFile };
        if (Writing)
        {
            var target = Path.Combine(SourceFolder(), ProjectAdapter);
            Directory.CreateDirectory(target);
            foreach (var f in files) File.Copy(Path.Combine(written, f), Path.Combine(target, f), overwrite: true);
            return;
        }
        Assert.True(Directory.Exists(In(ProjectAdapter)), $"{ProjectAdapter} is not committed. ---> HINT: run Tests/Parity/reference/make.py (README, Parity).");
        Assert.Equal(File.ReadAllText(In($"{ProjectAdapter}/{files[0]}")), File.ReadAllText(Path.Combine(written, files[0])));
        using var committed = new SafeTensorsReader(In($"{ProjectAdapter}/{files[1]}"));
        using var fresh = new SafeTensorsReader(Path.Combine(written, files[1]));
        Assert.Equal(committed.Entries.Keys.Order(), fresh.Entries.Keys.Order());
        foreach (var key in committed.Entries.Keys)
        {
            using var a = committed.Read(key);
            using var b = fresh.Read(key);
            AssertClose(a, b, 1e-6, $"{ProjectAdapter} {key}, committed vs written now");
        }
    }

    static TrainingConfig Config(string task, string outputDir)
    {
        var adamw = Manifest["adamw"]!;
        var betas = adamw["betas"]!.AsArray();
        return new TrainingConfig
        {
            Task = task,
            Model = In("tiny/model"),
            InitAdapter = In("tiny/dora"),
            Quantization = "none",
            ComputeDtype = "float32",
            Beta = Manifest["beta"]!.GetValue<double>(),
            LearningRate = adamw["lr"]!.GetValue<double>(),
            AdamBeta1 = betas[0]!.GetValue<double>(),
            AdamBeta2 = betas[1]!.GetValue<double>(),
            AdamEpsilon = adamw["eps"]!.GetValue<double>(),
            WeightDecay = adamw["weight_decay"]!.GetValue<double>(),
            MaxGradNorm = adamw["max_grad_norm"]!.GetValue<double>(),
            PerDeviceTrainBatchSize = 3,
            GradientAccumulationSteps = 1,
            MaxSteps = 1,
            OutputDir = outputDir,
        };
    }

    static ITrainingTask Task(string task, TrainingModel model)
    {
        int pad = Manifest["pad"]!.GetValue<int>();
        if (task == "dpo")
        {
            var rows = Manifest["dpo_rows"]!.AsArray().Select(r => (Ints(r![0]!), Ints(r[1]!), Ints(r[2]!))).ToList();
            return new TokenDpoTask(model, rows, Manifest["beta"]!.GetValue<double>(), pad);
        }
        var letters = Ints(Manifest["letters"]!);
        var questions = Manifest["mcqa_rows"]!.AsArray().Select(r => (Ints(r![0]!), letters[r[1]!.GetValue<int>()])).ToList();
        return new TokenMcqaTask(model, questions, pad);
    }

    static void AssertNear(double expected, double actual, double relative, string what)
    {
        double tolerance = relative * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, actual {actual:R} (|diff| {Math.Abs(expected - actual):E3} > {tolerance:E3}).");
    }
}
