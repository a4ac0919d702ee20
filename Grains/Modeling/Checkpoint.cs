// Activation checkpointing as a TorchSharp custom autograd function: torch.utils.checkpoint with use_reentrant=True and
// preserve_rng_state=True. Not here: what gets checkpointed (PhiModel: each decoder layer; SequenceLogProbs: the lm_head
// in chunks of positions).
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Pastanoodles.Modeling;

/// <summary>Runs a function so that backward recomputes it instead of keeping its activations (HF's <c>gradient_checkpointing</c>).</summary>
/// <remarks>
/// <para>Forward runs the function without a graph and keeps only its tensor inputs and the CPU RNG state. Backward puts that
/// state back for the recomputation, so dropout draws the same masks, then restores the current state; it runs the function
/// again with grad on, back-propagates the incoming gradient through that graph (parameter gradients accumulate into
/// <c>.grad</c> there, as in PyTorch's reentrant checkpoint) and returns the gradients of the inputs.</para>
/// <para>Like the reentrant checkpoint, the output gets a graph only when an input requires grad: a caller whose first input
/// comes from frozen embeddings makes it require grad (HF <c>enable_input_require_grads</c>).</para>
/// <para>TorchSharp 0.107 exposes only the CPU generator's state (<c>torch.get_rng_state</c>), so a function that draws random
/// numbers on another device cannot be replayed; <see cref="Run"/> refuses it instead of training on mismatched masks.</para>
/// </remarks>
public static class Checkpoint
{
    /// <param name="function">Pure but for dropout: the same inputs and RNG state give the same output.</param>
    /// <param name="drawsRandomNumbers">The function uses the RNG (dropout with p &gt; 0 in training).</param>
    /// <param name="inputs">Every tensor the function reads besides parameters; the first decides the device.</param>
    public static Tensor Run(Func<Tensor[], Tensor> function, bool drawsRandomNumbers, params Tensor[] inputs)
    {
        if (!is_grad_enabled() || !inputs.Any(i => i.requires_grad))
            return function(inputs);
        if (drawsRandomNumbers && inputs[0].device_type != TorchSharp.DeviceType.CPU)
            throw new NotSupportedException(
                $"gradient_checkpointing with dropout on device {inputs[0].device}: TorchSharp 0.107 cannot save that device's RNG state, so " +
                "the recomputation would draw other dropout masks. ---> HINT: set disable_dropout to true, or gradient_checkpointing to false.");
        return CheckpointFunction.apply([function, .. inputs]);
    }

    sealed class CheckpointFunction : SingleTensorFunction<CheckpointFunction>
    {
        // The gradient handed to libtorch must outlive backward(): libtorch copies it only after the call returns. Each thread
        // keeps its last one here and frees it at its next call (or at the next step's, for the last layer of a backward).
        [ThreadStatic] static List<Tensor>? _handedOver;

        public override string Name => nameof(Checkpoint);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var function = (Func<Tensor[], Tensor>)vars[0];
            var inputs = vars.Skip(1).Cast<Tensor>().ToArray();
            ctx.save_for_backward([.. inputs]);
            ctx.save_data(nameof(function), function);
            using (var state = get_rng_state())
                ctx.save_data("rng", state.data<byte>().ToArray());
            var output = function(inputs);                        // under no_grad: nothing but the inputs is kept
            NativeHeap.Trim();
            return output;
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
        {
            var grads = Recompute(ctx, gradOutput);
            NativeHeap.Trim();
            return grads;
        }

        static List<Tensor> Recompute(AutogradContext ctx, Tensor gradOutput)
        {
            _handedOver?.ForEach(t => t.Dispose());
            _handedOver = [];
            var function = (Func<Tensor[], Tensor>)ctx.get_data("function");
            var rng = (byte[])ctx.get_data("rng");
            using var scope = NewDisposeScope();
            var inputs = ctx.get_saved_variables().Select(t => t.detach().requires_grad_(t.requires_grad)).ToArray();
            Tensor output;
            using (enable_grad())
            {
                var current = get_rng_state();
                set_rng_state(tensor(rng));
                try { output = function(inputs); }
                finally { set_rng_state(current); }
                output.backward([gradOutput]);
            }
            gradOutput.Dispose();                                  // our handle only; libtorch holds its own until we return
            var grads = new List<Tensor> { null! };                // the function argument has no gradient
            foreach (var input in inputs)
            {
                var grad = input.requires_grad ? input.grad : null;
                grads.Add(grad is null ? null! : grad.DetachFromDisposeScope());
            }
            _handedOver.AddRange(grads.Where(g => g is not null));
            return grads;
        }
    }
}
