using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Support;

/// <summary>A second device without a GPU: libtorch's lazy-tensor device on its TorchScript backend (Python's <c>torch._lazy.ts_backend.init()</c>).</summary>
/// <remarks>
/// <para>Lazy tensors hold real values (computed on the CPU when read), but they are their own device: an op that gets a
/// CPU tensor beside a lazy one fails with "Input tensor is not a lazy tensor", as a CUDA op fails with "Expected all tensors to
/// be on the same device". That holds for elementwise ops, embedding, gather, index_select, cross_entropy, cat and attention
/// masks; like CUDA it accepts CPU index tensors in advanced indexing and 0-d CPU scalars. A CPU operand of matmul aborts the
/// process instead of throwing, so a misplaced matmul input ends the test run rather than one test.</para>
/// <para>Why not <c>meta</c>: libtorch's C++ meta kernels accept CPU operands in matmul, cat, gather, index_add and
/// cross_entropy (only elementwise ops and attention refuse them), and have no kernel at all for embedding (index_select),
/// nonzero or logsumexp, so a Phi forward cannot run there.</para>
/// TorchSharp 0.107 has no name for c10's DeviceType::Lazy (17) and no binding for the backend's init, so both come from here.
/// </remarks>
public static class LazyDevice
{
    const TorchSharp.DeviceType Lazy = (TorchSharp.DeviceType)17;

    [DllImport("torch_cpu", EntryPoint = "_ZN5torch4lazy22InitTorchScriptBackendEv")]
    static extern void InitTorchScriptBackend();

    static readonly Lazy<Device> _device = new(() =>
    {
        InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch before the entry point is looked up
        InitTorchScriptBackend();
        return new Device(Lazy);
    });

    public static Device Device => _device.Value;

    public static bool IsOn(Tensor t) => t.device_type == Lazy;
}
