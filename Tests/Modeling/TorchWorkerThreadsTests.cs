using Pastanoodles.Modeling;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Modeling;

/// <summary><see cref="TorchWorkerThreads"/>: work runs on its own threads, each with one libtorch intra-op thread, as many at once
/// as it has threads, and no other thread's intra-op count changes.</summary>
public sealed class TorchWorkerThreadsTests
{
    [Fact]
    public async Task Two_threads_run_two_items_at_once_each_with_one_intra_op_thread_and_leave_other_threads_alone()
    {
        var before = FreshThread.Run(get_num_threads);
        using var threads = new TorchWorkerThreads(2, "test torch");
        using var both = new Barrier(2);

        // Each item waits for the other: they finish only if they run at once, on two threads.
        var items = Enumerable.Range(0, 2).Select(_ => threads.RunAsync(() =>
        {
            var met = both.SignalAndWait(TimeSpan.FromMinutes(2));
            using var product = ones(64, 64).matmul(ones(64, 64));   // a parallel op: the thread's count is in force
            return (met, get_num_threads(), Thread.CurrentThread.Name, product[0, 0].item<float>());
        })).ToList();
        var results = await Task.WhenAll(items);

        Assert.All(results, r => Assert.Equal((true, 1, 64f), (r.met, r.Item2, r.Item4)));
        Assert.Equal(["test torch 1", "test torch 2"], results.Select(r => r.Name).Order());
        Assert.Equal(before, FreshThread.Run(get_num_threads));
        Assert.Equal(1, threads.Run(get_num_threads));
    }

    [Fact]
    public void A_wide_thread_keeps_the_process_wide_count_beside_narrow_ones()
    {
        var processWide = FreshThread.Run(get_num_threads);
        using var narrow = new TorchWorkerThreads(1, "test torch narrow");
        using var wide = new TorchWorkerThreads(1, "test torch wide", intraOpThreads: null);

        Assert.Equal((processWide, 1), (wide.Run(get_num_threads), narrow.Run(get_num_threads)));
        Assert.Equal(processWide, FreshThread.Run(get_num_threads));
        Assert.Equal("intraOpThreads", Assert.Throws<ArgumentOutOfRangeException>(() => new TorchWorkerThreads(1, "bad", intraOpThreads: 0)).ParamName);
    }

    [Fact]
    public async Task An_items_exception_reaches_its_caller_and_the_thread_goes_on()
    {
        using var threads = new TorchWorkerThreads(1, "test torch");

        var failed = await Assert.ThrowsAsync<InvalidDataException>(() => threads.RunAsync<int>(() => throw new InvalidDataException("bad item")));

        Assert.Equal("bad item", failed.Message);
        Assert.Equal(42, await threads.RunAsync(() => 42));
    }
}
