using System.Diagnostics;
using Pastanoodles.Adapters;
using Pastanoodles.Training.Data;
using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>A point of progress: the step reached, the total, and the record just logged, a message, or a checkpoint now complete on disk.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, MetricRecord? Record, string? Message = null, string? Checkpoint = null);

/// <summary>What a finished run leaves: its adapter, checkpoints and the best one by test accuracy.</summary>
public sealed record TrainingResult(long Steps, string FinalAdapter, IReadOnlyList<string> Checkpoints, string? BestCheckpoint,
    double? BestTestAccuracy, bool StoppedEarly, string MetricsFile);

/// <summary>The loss became NaN or infinite; the run stopped and its last good checkpoint is kept.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>The training loop shared by DPO and MCQA, in nanoGPT's order.</summary>
/// <remarks>
/// Per optimizer step: set LR → micro-batches (forward, loss / accumulation, backward) → clip → step → zero grads →
/// log → eval / checkpoint. Epoch order is a seeded shuffle per epoch, so a resumed run sees the same batches.
/// One optimizer step takes <c>gradient_accumulation_steps</c> micro-batches of <c>per_device_train_batch_size</c>
/// rows; an epoch's last step may take fewer. Total steps = ceil(micro-batches per epoch / accumulation) × epochs,
/// or max_steps.
/// </remarks>
public sealed class Trainer(TrainingConfig config, TrainingModel model, ITrainingTask task)
{
    public long TotalSteps => config.MaxSteps > 0 ? config.MaxSteps : StepsPerEpoch * config.NumTrainEpochs;
    int MicroPerEpoch => (task.Count(Splits.Train) + config.PerDeviceTrainBatchSize - 1) / config.PerDeviceTrainBatchSize;
    long StepsPerEpoch => (MicroPerEpoch + config.GradientAccumulationSteps - 1) / config.GradientAccumulationSteps;

    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, string? resumeFrom = null, CancellationToken ct = default)
    {
        if (task.Count(Splits.Train) == 0)
            throw new InvalidDataException("The train split is empty; nothing to train on.");
        Directory.CreateDirectory(config.OutputDir);
        var parameters = model.Adapters.NamedParameters().ToList();
        var optimizer = new AdamW(parameters, config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon, config.WeightDecay);
        var log = new MetricsLog(Path.Combine(config.OutputDir, "metrics.jsonl"));
        var state = new TrainerState();
        manual_seed(config.Seed);
        if (resumeFrom is not null)
        {
            state = TrainingCheckpoint.Restore(resumeFrom, model.Adapters, optimizer);
            log.StartFrom(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resumeFrom))!, "metrics.jsonl"), state.GlobalStep);
            progress?.Report(new(state.GlobalStep, TotalSteps, null, $"resumed from {resumeFrom} at step {state.GlobalStep}"));
        }
        else if (File.Exists(log.Path))
            File.Delete(log.Path);

        model.Model.train();
        bool stoppedEarly = false;
        var order = Order(state.Epoch);
        while (state.GlobalStep < TotalSteps && !stoppedEarly)
        {
            ct.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            double lr = config.LearningRate * LinearSchedule.Multiplier(config.LrSchedulerType, state.GlobalStep, config.WarmupSteps, TotalSteps);
            var sums = new Dictionary<string, double>();
            int micro = 0, tokens = 0;
            for (; micro < config.GradientAccumulationSteps; micro++)
            {
                if (state.Position >= MicroPerEpoch)
                {
                    if (micro > 0) break;            // an epoch's last step may be short
                    state = state with { Epoch = state.Epoch + 1, Position = 0 };
                    order = Order(state.Epoch);
                }
                var rows = order.Skip(state.Position * config.PerDeviceTrainBatchSize).Take(config.PerDeviceTrainBatchSize).ToList();
                using var scope = NewDisposeScope();
                var (loss, metrics, count) = task.Forward(rows);
                if (!double.IsFinite(metrics["loss"]))
                    throw new TrainingDivergedException(
                        $"The loss is {metrics["loss"]} at step {state.GlobalStep + 1} (epoch {state.Epoch}, rows {string.Join(",", rows)}). " +
                        $"The run stopped; its last good checkpoint is {state.Checkpoints.LastOrDefault() ?? "none (no checkpoint was written yet)"}. " +
                        "---> HINT: lower learning_rate or max_grad_norm, or train in float32.");
                (loss / config.GradientAccumulationSteps).backward();
                foreach (var (key, value) in metrics) sums[key] = sums.GetValueOrDefault(key) + value;
                tokens += count;
                state = state with { Position = state.Position + 1 };
            }
            double gradNorm = config.MaxGradNorm > 0
                ? nn.utils.clip_grad_norm_(parameters.Select(p => p.Value), config.MaxGradNorm)
                : double.NaN;
            optimizer.Update(lr);
            optimizer.ZeroGrad();
            state = state with { GlobalStep = state.GlobalStep + 1 };

            var values = sums.ToDictionary(kv => kv.Key, kv => kv.Value / micro);
            values["learning_rate"] = lr;
            values["grad_norm"] = gradNorm;
            values["tokens_per_second"] = tokens / watch.Elapsed.TotalSeconds;
            Log(log, progress, new MetricRecord(state.GlobalStep, Splits.Train, Epoch(state), values), state.GlobalStep % config.LoggingSteps == 0);

            bool last = state.GlobalStep == TotalSteps;
            if (state.GlobalStep % config.EvalSteps == 0 || last)
                (state, stoppedEarly) = EvaluateForEarlyStopping(state, log, progress);
            if (state.GlobalStep % config.SaveSteps == 0 || last || stoppedEarly)
                state = SaveAndTest(state, optimizer, log, progress);
        }

        var finalAdapter = Path.Combine(config.OutputDir, "final_adapter");
        PeftAdapterFolder.Save(model.Adapters, finalAdapter, config.Model);
        model.Model.eval();
        return new TrainingResult(state.GlobalStep, finalAdapter, state.Checkpoints, state.BestCheckpoint, state.BestMetric, stoppedEarly, log.Path);
    }

    (TrainerState, bool Stop) EvaluateForEarlyStopping(TrainerState state, MetricsLog log, IProgress<TrainingProgress>? progress)
    {
        if (task.Count(Splits.Eval) == 0) return (state, false);
        var metrics = Evaluate(Splits.Eval);
        Log(log, progress, new MetricRecord(state.GlobalStep, Splits.Eval, Epoch(state), metrics), true);
        double accuracy = metrics[task.AccuracyKey];
        if (state.BestEvalMetric is null || accuracy > state.BestEvalMetric)
            return (state with { BestEvalMetric = accuracy, EvaluationsWithoutImprovement = 0 }, false);
        var waited = state.EvaluationsWithoutImprovement + 1;
        bool stop = config.EarlyStoppingPatience is { } patience && waited >= patience;
        if (stop)
            progress?.Report(new(state.GlobalStep, TotalSteps, null, $"early stop: eval {task.AccuracyKey} has not improved on {state.BestEvalMetric:F4} for {waited} evaluations"));
        return (state with { EvaluationsWithoutImprovement = waited }, stop);
    }

    TrainerState SaveAndTest(TrainerState state, AdamW optimizer, MetricsLog log, IProgress<TrainingProgress>? progress)
    {
        double? accuracy = null;
        if (task.Count(Splits.Test) > 0)
        {
            var metrics = Evaluate(Splits.Test);
            Log(log, progress, new MetricRecord(state.GlobalStep, Splits.Test, Epoch(state), metrics), true);
            accuracy = metrics[task.AccuracyKey];
        }
        var path = Path.Combine(config.OutputDir, $"checkpoint-{state.GlobalStep}");
        bool best = accuracy is { } a && (state.BestMetric is null || a > state.BestMetric);
        state = state with
        {
            Checkpoints = [.. state.Checkpoints.Where(c => c != path), path],
            BestMetric = best ? accuracy : state.BestMetric,
            BestCheckpoint = best ? path : state.BestCheckpoint,
        };
        TrainingCheckpoint.Save(config.OutputDir, config, model.Adapters, optimizer, state);
        progress?.Report(new(state.GlobalStep, TotalSteps, null, $"saved {path}" + (best ? $" (best so far: test {task.AccuracyKey} {accuracy:F4})" : ""), path));
        return state;
    }

    IReadOnlyDictionary<string, double> Evaluate(string split)
    {
        model.Model.eval();
        try { return task.Evaluate(split); }
        finally { model.Model.train(); }
    }

    void Log(MetricsLog log, IProgress<TrainingProgress>? progress, MetricRecord record, bool write)
    {
        if (write) log.Append(record);
        progress?.Report(new(record.Step, TotalSteps, record));
    }

    double Epoch(TrainerState state) => state.Epoch + (double)state.Position / MicroPerEpoch;

    List<int> Order(int epoch)
    {
        var order = Enumerable.Range(0, task.Count(Splits.Train)).ToList();
        Seeded.Shuffle(order, Seeded.For(config.Seed, epoch));
        return order;
    }

    /// <summary>Builds the model and task a config names and trains it; resumes from the newest checkpoint when asked.</summary>
    public static TrainingResult Train(TrainingConfig config, IProgress<TrainingProgress>? progress = null, bool resume = false,
        CancellationToken ct = default, string? resumeFrom = null, Device? device = null)
    {
        var messages = progress is null ? null : new Progress<string>(m => progress.Report(new(0, 0, null, m)));
        // Data first: a missing or bad file is reported before minutes of loading a model.
        var preferences = config.Task == ExperimentKinds.Dpo ? TrainingData.Preferences(config, ct) : null;
        var questions = config.Task == ExperimentKinds.Mcqa ? TrainingData.Mcqa(config, ct) : null;
        using var model = TrainingModel.Create(config, messages, device);
        ITrainingTask task = preferences is not null ? new DpoTask(model, config, preferences) : new McqaTask(model, config, questions!);
        var trainer = new Trainer(config, model, task);
        return trainer.Run(progress, resumeFrom ?? (resume ? TrainingCheckpoint.Latest(config.OutputDir) : null), ct);
    }
}
