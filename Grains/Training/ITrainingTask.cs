using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>What a run optimizes: DPO on preference pairs or the one-letter MCQA loss. The loop in <see cref="Trainer"/> is the same for both.</summary>
public interface ITrainingTask
{
    string Name { get; }
    /// <summary>The metric that picks the best checkpoint (on test) and drives early stopping (on eval).</summary>
    string AccuracyKey { get; }
    int Count(string split);
    /// <summary>Forward of one micro-batch of train rows, with grad: the loss (mean over its rows) and its metrics.</summary>
    (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens) Forward(IReadOnlyList<int> rows);
    /// <summary>Metrics over a whole split, no grad, averaged over rows.</summary>
    IReadOnlyDictionary<string, double> Evaluate(string split);
}

/// <summary>A task's metrics over a whole split: the rows in batches of <see cref="TrainingConfig.PerDeviceEvalBatchSize"/>, no grad,
/// every metric averaged over rows (a batch weighs its row count); NaN for an empty split.</summary>
public static class SplitEvaluation
{
    public static IReadOnlyDictionary<string, double> Average(int rows, int batchSize,
        Func<IReadOnlyList<int>, (Tensor Loss, IReadOnlyDictionary<string, double> Metrics, int Tokens)> run)
    {
        var sums = new Dictionary<string, double>();
        using var _ = TorchSharp.torch.no_grad();
        for (int start = 0; start < rows; start += batchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(batchSize, rows - start)).ToList();
            var (loss, metrics, _) = run(batch);
            loss.Dispose();
            foreach (var (key, value) in metrics) sums[key] = sums.GetValueOrDefault(key) + value * batch.Count;
        }
        return sums.ToDictionary(kv => kv.Key, kv => rows == 0 ? double.NaN : kv.Value / rows);
    }
}
