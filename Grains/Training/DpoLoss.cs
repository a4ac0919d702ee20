using static TorchSharp.torch;

namespace Pastanoodles.Training;

/// <summary>The DPO loss and TRL's reward metrics for a batch of pairs.</summary>
/// <remarks>
/// TRL <c>dpo_loss</c>, sigmoid branch (arXiv:2305.18290 eq. 7), with label smoothing ε:
/// <code>
///   z    = (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))
///   loss = mean[ −log σ(β·z)·(1 − ε) − log σ(−β·z)·ε ]
///   rewards/chosen = β·(log π(y_w) − log π_ref(y_w)),  rewards/rejected likewise (detached)
///   rewards/accuracies = mean(r_w &gt; r_l)   (strict: ties count 0)
/// </code>
/// Log-probabilities are sums over completion tokens.
/// </remarks>
public static class DpoLoss
{
    public sealed record Result(Tensor Loss, double[] ChosenRewards, double[] RejectedRewards)
    {
        public IReadOnlyDictionary<string, double> Metrics(Tensor policyChosen, Tensor policyRejected) => new Dictionary<string, double>
        {
            ["loss"] = Loss.item<float>(),
            ["rewards/chosen"] = ChosenRewards.Average(),
            ["rewards/rejected"] = RejectedRewards.Average(),
            ["rewards/accuracies"] = ChosenRewards.Zip(RejectedRewards).Average(p => p.First > p.Second ? 1.0 : 0.0),
            ["rewards/margins"] = ChosenRewards.Zip(RejectedRewards).Average(p => p.First - p.Second),
            ["logps/chosen"] = policyChosen.mean().item<float>(),
            ["logps/rejected"] = policyRejected.mean().item<float>(),
        };
    }

    /// <param name="policyChosen">[B] summed log-probs of chosen completions under the policy.</param>
    public static Result Compute(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected,
        double beta, double labelSmoothing = 0)
    {
        var chosenRatio = policyChosen - referenceChosen;
        var rejectedRatio = policyRejected - referenceRejected;
        var logits = chosenRatio - rejectedRatio;
        var loss = (-nn.functional.logsigmoid(beta * logits) * (1 - labelSmoothing)
                    - nn.functional.logsigmoid(-beta * logits) * labelSmoothing).mean();
        using var chosen = (beta * chosenRatio).detach().to(ScalarType.Float64).cpu();
        using var rejected = (beta * rejectedRatio).detach().to(ScalarType.Float64).cpu();
        return new Result(loss, chosen.data<double>().ToArray(), rejected.data<double>().ToArray());
    }
}
