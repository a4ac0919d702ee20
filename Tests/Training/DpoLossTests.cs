using Pastanoodles.Training;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Training;

public class DpoLossTests
{
    [Fact]
    public void Loss_and_every_metric_match_hand_computed_values()
    {
        // Two pairs. Pair 1: chosen ratio −1−(−3)=2, rejected ratio −4−(−2)=−2 → z=4.
        // Pair 2: chosen ratio −5−(−4)=−1, rejected ratio −3−(−3.5)=0.5 → z=−1.5.
        using var policyChosen = tensor(new float[] { -1f, -5f });
        using var policyRejected = tensor(new float[] { -4f, -3f });
        using var referenceChosen = tensor(new float[] { -3f, -4f });
        using var referenceRejected = tensor(new float[] { -2f, -3.5f });
        const double beta = 0.1;

        var result = DpoLoss.Compute(policyChosen, policyRejected, referenceChosen, referenceRejected, beta);
        var metrics = result.Metrics(policyChosen, policyRejected);

        static double Softplus(double x) => Math.Log(1 + Math.Exp(x)); // −log σ(x) = softplus(−x)
        double expectedLoss = (Softplus(-0.4) + Softplus(0.15)) / 2;  // (0.513015 + 0.770957) / 2
        Assert.Equal(expectedLoss, metrics["loss"], 5);
        Assert.Equal(0.641986, metrics["loss"], 5);
        Assert.Equal((0.2 + -0.1) / 2, metrics["rewards/chosen"], 6);
        Assert.Equal((-0.2 + 0.05) / 2, metrics["rewards/rejected"], 6);
        Assert.Equal(0.5, metrics["rewards/accuracies"]);               // pair 1 right, pair 2 wrong
        Assert.Equal((0.4 + -0.15) / 2, metrics["rewards/margins"], 6);
        Assert.Equal(-3.0, metrics["logps/chosen"], 6);
        Assert.Equal(-3.5, metrics["logps/rejected"], 6);
    }

    [Fact]
    public void Identity_policy_gives_ln2_and_ties_count_as_wrong()
    {
        using var logps = tensor(new float[] { -7f, -2f });
        var result = DpoLoss.Compute(logps, logps, logps, logps, 0.1);
        var metrics = result.Metrics(logps, logps);
        Assert.Equal(Math.Log(2), metrics["loss"], 6);
        Assert.Equal(0.0, metrics["rewards/accuracies"]);                // strict >, as TRL
    }

    [Fact]
    public void Label_smoothing_mixes_both_directions()
    {
        using var chosen = tensor(new float[] { 0f });
        using var rejected = tensor(new float[] { -10f });
        using var zero = tensor(new float[] { 0f });
        var smoothed = DpoLoss.Compute(chosen, rejected, zero, zero, 0.1, labelSmoothing: 0.2);
        double z = 1.0; // β·(10)
        double expected = 0.8 * Math.Log(1 + Math.Exp(-z)) + 0.2 * Math.Log(1 + Math.Exp(z));
        Assert.Equal(expected, smoothed.Loss.item<float>(), 5);
    }
}
