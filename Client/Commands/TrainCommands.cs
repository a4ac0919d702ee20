using System.CommandLine;
using System.Globalization;
using Pastanoodles.Training;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles train ...`: DPO and MCQA training on this machine (the cluster runs the same engine).</summary>
public static class TrainCommands
{
    public static Command Create()
    {
        var train = new Command("train", "Train a QDoRA adapter on this machine: DPO on preference pairs, or one-letter MCQA answers.");
        train.Subcommands.Add(Task(ExperimentKinds.Dpo, "Align with DPO: β·log-ratio rewards, reference = same network with adapters off."));
        train.Subcommands.Add(Task(ExperimentKinds.Mcqa, "Teach the one-letter answer: loss on the answer letter only."));
        return train;
    }

    static Command Task(string task, string description)
    {
        var config = new Option<string>("--config") { Description = "Experiment JSON (HF/TRL/PEFT keys; unknown keys are errors).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in output_dir." };
        var command = new Command(task, description) { config, resume };
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var loaded = TrainingConfig.Load(parseResult.GetValue(config)!);
            if (loaded.Task != task)
                throw new ArgumentException($"{parseResult.GetValue(config)} has task '{loaded.Task}'; use `pastanoodles train {loaded.Task}`.");
            // The console trains in this process (no silo to protect), but the same admission control refuses what could not fit.
            var estimate = TrainingAdmission.Admit(loaded, Pastanoodles.Cluster.ExperimentOptions.DefaultMemoryBudget(1));
            await output.WriteLineAsync($"estimated peak memory: {estimate}");
            var progress = new ConsoleProgress(output);
            var result = await System.Threading.Tasks.Task.Run(() => Trainer.Train(loaded, progress, parseResult.GetValue(resume), ct), ct);
            var plots = TrainingPlots.Write(MetricsLog.ReadAll(result.MetricsFile), Path.Combine(loaded.OutputDir, "plots"), task);
            await output.WriteLineAsync($"steps: {result.Steps}{(result.StoppedEarly ? " (stopped early)" : "")}");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"best checkpoint: {result.BestCheckpoint ?? "none"} (test {ExperimentKinds.AccuracyLabel(task)}: {result.BestTestAccuracy:F4})"));
            await output.WriteLineAsync($"final adapter: {result.FinalAdapter}");
            await output.WriteLineAsync($"metrics: {result.MetricsFile}");
            await output.WriteLineAsync($"plots: {string.Join(", ", plots)}");
        }));
        return command;
    }

    /// <summary>One line per logged step or evaluation, and the trainer's messages.</summary>
    sealed class ConsoleProgress(TextWriter output) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (p.Message is { } message)
                output.WriteLine(message);
            if (p.Record is not { } r) return;
            var keys = new[] { "loss", "rewards/accuracies", "rewards/margins", "accuracy", "learning_rate", "tokens_per_second" };
            var shown = keys.Where(r.Values.ContainsKey).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {r[k]:G4}"));
            int width = 20, done = (int)(width * p.Step / Math.Max(1, p.TotalSteps));
            output.WriteLine($"[{new string('#', done)}{new string('.', width - done)}] step {p.Step}/{p.TotalSteps} {r.Split,-5} {string.Join("  ", shown)}");
        }
    }
}
