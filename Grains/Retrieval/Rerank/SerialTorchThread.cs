// Why a query's forward runs on its own thread: libtorch splits every matmul and large elementwise op over its intra-op
// threads (OpenMP, MKL) and waits for the slowest at the end of each. On a busy machine one of them is often descheduled,
// so each of MiniLM's ~40 parallel regions waits a scheduler slice: measured at load average 33 on 2 cores, a one-query
// forward took p50 209 ms on a thread-pool thread (2 intra-op threads) and 23 ms here (1). A ten-token query has too
// little work to gain from a second thread even on a quiet machine; ingest batches keep every thread.
using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Pastanoodles.Retrieval.Rerank;

/// <summary>Runs small torch work on one dedicated thread whose libtorch intra-op parallelism is 1, leaving every other thread's as it was.</summary>
/// <remarks>libtorch keeps the OpenMP and MKL thread counts per thread, each set lazily from a process-wide value on the thread's
/// first parallel op (at::init_num_threads). The thread starts that first, sets its own count to 1 (which also sets the process-wide
/// value), and a short-lived thread puts the process-wide value back; only threads that start torch in those microseconds see 1.
/// Work is queued, so concurrent callers take turns.</remarks>
public static class SerialTorchThread
{
    static readonly BlockingCollection<Action> s_work = [];
    static readonly Lazy<Thread> s_thread = new(Start);

    /// <summary>The intra-op threads torch uses on the dedicated thread (1 once it started; tests read it).</summary>
    public static int IntraOpThreads => Run(get_num_threads);

    /// <summary>Runs <paramref name="work"/> on the dedicated thread and returns its result (or throws its exception); blocks the caller meanwhile.</summary>
    public static T Run<T>(Func<T> work)
    {
        if (Thread.CurrentThread == s_thread.Value)
            return work();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_work.Add(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    static Thread Start()
    {
        using var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            var processWide = get_num_threads();   // this thread's lazy init happens now, so it cannot undo the line below later
            set_num_threads(1);
            var restore = new Thread(() => set_num_threads(processWide));
            restore.Start();
            restore.Join();
            ready.Set();
            foreach (var work in s_work.GetConsumingEnumerable())
                work();
        }) { IsBackground = true, Name = "pastanoodles serial torch" };
        thread.Start();
        ready.Wait();
        return thread;
    }
}
