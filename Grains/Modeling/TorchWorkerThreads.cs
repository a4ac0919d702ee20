// Why small forwards run on threads of their own: libtorch splits every matmul and large elementwise op over its intra-op
// threads (OpenMP, MKL) and waits for the slowest at the end of each. On a busy machine one of them is often descheduled,
// so each of a small model's ~40 parallel regions waits a scheduler slice: measured at load average 33 on 2 cores, a one-query
// MiniLM forward took p50 209 ms on a thread-pool thread (2 intra-op threads) and 23 ms on one of these (1). A silo answering
// many questions at once gains more from one forward per core than from splitting each forward (README "Retrieval", "bench cluster").
using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling;

/// <summary>Runs torch work on a fixed set of dedicated threads whose libtorch intra-op parallelism is 1 (or, for a wide thread, the
/// process-wide count: every core), leaving every other thread's as it was. Work is queued; each thread takes the next item when it is free.</summary>
/// <remarks>libtorch keeps the OpenMP and MKL thread counts per thread, each set lazily from a process-wide value on the thread's
/// first parallel op (at::init_num_threads). Each worker starts that first, sets its own count to 1 (which also sets the process-wide
/// value), and a short-lived thread puts the process-wide value back; workers start one at a time, process-wide, so none reads the
/// 1 another has just set. Only threads that start torch in those microseconds see 1.
/// <para>A thread with more than one intra-op thread leads an OpenMP team of its own, kept while the thread lives. libgomp lets team
/// threads spin between parallel regions (about 3 ms) only while the process's OpenMP threads number no more than its cores; past that
/// they sleep, and waking them costs each region far more than a small model's work (gcc <c>libgomp/config/linux/wait.h</c>,
/// <c>do_spin</c>). So a process that wants fast wide forwards runs all its wide torch work on one wide thread.</para></remarks>
public sealed class TorchWorkerThreads : IDisposable
{
    static readonly Lock s_starting = new();
    readonly BlockingCollection<Action> _work = [];
    readonly Thread[] _threads;

    /// <param name="threads">How many work items run at once.</param>
    /// <param name="name">The threads' name (debuggers, stack dumps).</param>
    /// <param name="intraOpThreads">Each thread's libtorch intra-op threads: 1 (each item on one core), or null to keep the
    /// process-wide count.</param>
    public TorchWorkerThreads(int threads, string name, int? intraOpThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (intraOpThreads is { } n)
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(intraOpThreads));
        _threads = [.. Enumerable.Range(0, threads).Select(i => StartWorker(threads == 1 ? name : $"{name} {i + 1}", intraOpThreads))];
    }

    /// <summary>Threads in this set.</summary>
    public int Count => _threads.Length;

    /// <summary>Runs <paramref name="work"/> on one of the threads, in the caller's execution context (its <c>AsyncLocal</c> values, such as
    /// the adapter a <c>LoadedModel.Use</c> scope chose, flow as they would through <c>Task.Run</c>); the task completes with its result or
    /// its exception.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = ExecutionContext.Capture();
        void Run()
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        }
        _work.Add(context is null ? Run : () => ExecutionContext.Run(context, _ => Run(), null));
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on one of the threads (at once when called from one of them) and blocks the caller meanwhile.</summary>
    public T Run<T>(Func<T> work) => _threads.Contains(Thread.CurrentThread) ? work() : RunAsync(work).GetAwaiter().GetResult();

    /// <summary>Lets the threads end once the queued work is done; work added after this throws.</summary>
    public void Dispose() => _work.CompleteAdding();

    Thread StartWorker(string name, int? intraOpThreads)
    {
        using var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            var processWide = get_num_threads();   // this thread's lazy init happens now, so it cannot undo the line below later
            if (intraOpThreads is { } n && n != processWide)
            {
                set_num_threads(n);
                var restore = new Thread(() => set_num_threads(processWide));
                restore.Start();
                restore.Join();
            }
            ready.Set();
            foreach (var work in _work.GetConsumingEnumerable())
                work();
        }) { IsBackground = true, Name = name };
        lock (s_starting)
        {
            thread.Start();
            ready.Wait();
        }
        return thread;
    }
}

/// <summary>One <see cref="TorchWorkerThreads"/> thread for the process's small serial work: a query's encoding. Concurrent callers take turns.</summary>
public static class SerialTorchThread
{
    static readonly Lazy<TorchWorkerThreads> s_thread = new(() => new TorchWorkerThreads(1, "pastanoodles serial torch"));

    /// <summary>The intra-op threads torch uses on the dedicated thread (1 once it started; tests read it).</summary>
    public static int IntraOpThreads => Run(get_num_threads);

    /// <summary>Runs <paramref name="work"/> on the dedicated thread and returns its result (or throws its exception); blocks the caller meanwhile.</summary>
    public static T Run<T>(Func<T> work) => s_thread.Value.Run(work);

    /// <summary>Queues <paramref name="work"/> on the dedicated thread; no thread waits meanwhile (a silo's many answers queue here).</summary>
    public static Task<T> RunAsync<T>(Func<T> work) => s_thread.Value.RunAsync(work);
}
