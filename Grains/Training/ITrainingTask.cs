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

