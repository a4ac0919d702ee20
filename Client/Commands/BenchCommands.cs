using System.CommandLine;
using Pastanoodles.Client.Benchmarks;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles bench ...`: speed figures, printed, never asserted.</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Print speed and memory figures for this machine.");
        bench.Subcommands.Add(Model());
        return bench;
    }

    static Command Model()
    {
        var sequence = new Option<int>("--sequence") { Description = "Tokens per forward (batch 1).", DefaultValueFactory = _ => 512 };
        var repeats = new Option<int>("--repeats") { Description = "Timed forwards per case, after one warm-up.", DefaultValueFactory = _ => 3 };
        var command = new Command("model", "Forward-pass tokens/s for tiny and a mid-size config (~250M) in bf16 and NF4, against this machine's matmul peak.")
        {
            sequence, repeats,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync($"threads: {get_num_threads()}");
            double bf16Peak = MatmulPeak.Measure(ScalarType.BFloat16);
            double fp32Peak = MatmulPeak.Measure(ScalarType.Float32);
            await output.WriteLineAsync($"matmul peak: bf16 {bf16Peak:F1} GFLOP/s, fp32 {fp32Peak:F1} GFLOP/s (2048x2560 @ 2560x2560)");
            await output.WriteLineAsync($"{"config",-6} {"weights",-7} {"tokens",6} {"tokens/s",10} {"GFLOP/s",9} {"of bf16 peak",12}");
            foreach (var (name, config) in new[] { ("tiny", PhiConfig.Tiny), ("mid", PhiConfig.Mid) })
                foreach (var nf4 in new[] { false, true })
                {
                    var r = ModelBenchmark.Forward(name, config, nf4, parseResult.GetValue(sequence), parseResult.GetValue(repeats));
                    await output.WriteLineAsync($"{r.Config,-6} {r.Storage,-7} {r.Tokens,6} {r.TokensPerSecond,10:F0} {r.GflopsAchieved,9:F1} {r.GflopsAchieved / bf16Peak,12:P1}");
                }
        }));
        return command;
    }
}
