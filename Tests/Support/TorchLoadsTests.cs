using TorchSharp;

namespace Pastanoodles.Tests.Support;

public class TorchLoadsTests
{
    [Fact]
    public void Native_torch_runs_a_matmul()
    {
        var a = torch.ones(2, 3);
        var b = torch.ones(3, 4);
        Assert.Equal(3f, torch.matmul(a, b)[1, 2].item<float>());
    }
}
