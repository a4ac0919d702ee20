using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pastanoodles.Cluster;

/// <summary>Ties a training worker's life to its silo's, so that a worker never outlives the silo that supervises it: a SIGKILLed
/// silo leaves no orphan still training, holding memory and a device, or writing into the run's folder.</summary>
/// <remarks>Two ties, as torchrun's agent and Ray's raylet keep theirs:
/// <list type="bullet">
/// <item>On Linux, <c>prctl(PR_SET_PDEATHSIG, SIGKILL)</c>: the kernel kills the worker when its parent dies, even a stopped or hung
/// worker. The parent must still be the silo once it is set (it may have died in between), so the worker compares <c>getppid()</c> with
/// the pid the silo gave it in <see cref="SiloPidVariable"/>. The kernel sends the signal when the parent <i>thread</i> that forked the
/// worker ends, so the silo forks each worker from a thread that lives as long as the worker (<see cref="StartAsync"/>).</item>
/// <item>Everywhere: the silo keeps the worker's stdin open; when it closes (the silo exited, however it died), the worker kills itself.</item>
/// </list></remarks>
public static class WorkerLifeline
{
    /// <summary>The environment variable that carries the silo's pid to its worker.</summary>
    public const string SiloPidVariable = "PASTANOODLES_SILO_PID";

    const int PR_SET_PDEATHSIG = 1, SIGKILL = 9;

    /// <summary>Starts a worker from a thread of its own that waits for it to exit (see the remarks), with the silo's pid in its environment.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo start)
    {
        start.Environment[SiloPidVariable] = $"{Environment.ProcessId}";
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the training worker `{start.FileName}`.");
            }
            catch (Exception ex)
            {
                started.SetException(ex);
                return;
            }
            started.SetResult(process);
            try { process.WaitForExit(); }
            catch (InvalidOperationException) { }   // disposed by the supervisor, which does that only after the worker exited
        }) { IsBackground = true, Name = "training worker parent" };
        thread.Start();
        return started.Task;
    }

    /// <summary>In the worker, before anything else: dies with the silo (Linux). Returns false, having written why on stderr,
    /// if the silo is already gone.</summary>
    public static bool DieWithSilo()
    {
        if (OperatingSystem.IsLinux() && int.TryParse(Environment.GetEnvironmentVariable(SiloPidVariable), out var silo))
        {
            if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
                Console.Error.WriteLine($"warning: prctl(PR_SET_PDEATHSIG) failed with errno {Marshal.GetLastPInvokeError()}; the worker ends when its stdin closes");
            if (getppid() != silo)
            {
                Console.Error.WriteLine($"error: the silo that started this worker (pid {silo}) is gone (parent is now {getppid()}), so the worker exits.");
                return false;
            }
        }
        return true;
    }

    /// <summary>In the worker, once its request is read: kills the worker when <paramref name="input"/>, the pipe from the silo, reaches its end.</summary>
    public static void ExitWhenClosed(TextReader input) =>
        new Thread(() =>
        {
            try
            {
                while (input.ReadLine() is not null) { }
            }
            catch (IOException) { }
            Console.Error.WriteLine("error: the pipe from the silo closed (the silo is gone), so the worker kills itself.");
            Process.GetCurrentProcess().Kill();
        }) { IsBackground = true, Name = "silo lifeline" }.Start();

    [DllImport("libc", SetLastError = true)]
    static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc")]
    static extern int getppid();
}
