using static TorchSharp.torch;

namespace Pastanoodles.Adapters;

/// <summary>DoRA's per-output-row weight norm ‖W + s·B·A‖₂, computed two equal ways.</summary>
/// <remarks>
/// DoRA (arXiv:2402.09353 §4.3) treats the norm as a constant: both results are detached, as PEFT's
/// <c>DoraLinearLayer.get_weight_norm</c> is used. <see cref="Reference"/> is PEFT's literal computation and
/// builds the full [out, in] matrix W + s·B·A. <see cref="Factored"/> expands the square,
/// ‖W‖² + 2s·rowsum(B ⊙ (W·Aᵀ)) + s²·rowsum((B·(A·Aᵀ)) ⊙ B), so it needs W only through W·Aᵀ ([out, r]) and the
/// cached ‖W‖² of the frozen base; a test holds the two equal to 1e-5.
/// </remarks>
public static class DoraNorm
{
    /// <summary>PEFT's <c>get_weight_norm(weight, lora_weight.detach(), scaling)</c>.</summary>
    public static Tensor Reference(Tensor weight, Tensor loraA, Tensor loraB, double scaling)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var loraWeight = loraB.matmul(loraA);                        // [out, in]
        return (weight + scaling * loraWeight).norm(1, false, 2).MoveToOuterDisposeScope();
    }

    /// <param name="weightNormSquared">‖W‖² per output row, [out], of the frozen base weight.</param>
    /// <param name="weightTimesAT">W·Aᵀ, [out, r].</param>
    public static Tensor Factored(Tensor weightNormSquared, Tensor weightTimesAT, Tensor loraA, Tensor loraB, double scaling)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var cross = (loraB * weightTimesAT).sum(1);                  // [out]
        var gram = loraA.matmul(loraA.t());                          // [r, r]
        var lowRank = (loraB.matmul(gram) * loraB).sum(1);           // [out] = ‖B·A‖² per row
        var squared = weightNormSquared + 2 * scaling * cross + scaling * scaling * lowRank;
        return squared.clamp_min(0).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Factored"/> from the dense base weight [out, in] and its cached ‖W‖² per row: the one place
    /// both the training layer (<see cref="LoraLinear"/>) and a served adapter (<see cref="ServedAdapter"/>) take the norm,
    /// so a served adapter's norm is the training layer's to the bit.</summary>
    public static Tensor Of(Tensor weight, Tensor weightNormSquared, Tensor loraA, Tensor loraB, double scaling)
    {
        using var scope = NewDisposeScope();
        var wat = weight.matmul(loraA.detach().t());                 // [out, r]
        return Factored(weightNormSquared, wat, loraA.detach(), loraB.detach(), scaling).MoveToOuterDisposeScope();
    }

    /// <summary>‖W‖² per output row of a dense [out, in] weight (cached by callers: the base is frozen).</summary>
    public static Tensor RowNormsSquared(Tensor weight)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();                         // the [out, in] square is freed here, not by the GC
        return weight.square().sum(1).MoveToOuterDisposeScope();
    }
}
