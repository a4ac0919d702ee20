using Pastanoodles.Modeling;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Pastanoodles.Cluster;

/// <summary>Runs each attempt in its own worker process (<see cref="ExperimentOptions.WorkerCommand"/>, the silo's <c>worker</c> mode)
/// and supervises it as torchrun's agent does: progress and heartbeats over its stdout, its RSS against
/// <see cref="ExperimentOptions.TrainingMemoryBudget"/>, its exit code or signal, the last lines of its stderr.</summary>
/// <remarks>A crash (a native abort, a signal, the memory budget, a missed heartbeat) throws <see cref="TrainingWorkerCrashedException"/>;
/// an exception the engine threw and reported throws <see cref="TrainingWorkerFailedException"/>; a cancel kills the worker at
/// once (checkpoints are renamed into place whole, so a kill never leaves half of one) and throws <see cref="OperationCanceledException"/>.</remarks>
public sealed class WorkerProcessRunner(IOptions<ExperimentOptions> options) : IExperimentRunner
{
    const int StderrLines = 200;
    static readonly TimeSpan WatchPeriod = TimeSpan.FromMilliseconds(200);

    public async Task<RunOutcome> RunAsync(RunRequest request, IRunProgress progress, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.WorkerCommand.ToArray() is not [var file, .. var args])
            throw new InvalidOperationException("ExperimentOptions.WorkerCommand is empty: the silo sets it to its own executable with `worker`.");
        var start = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // The worker sees only its own GPU, as cuda:0 (torchrun's LOCAL_RANK device); a cpu run sees none.
        var device = request.Device;
        start.Environment["CUDA_VISIBLE_DEVICES"] = device.StartsWith("cuda:", StringComparison.Ordinal) ? device["cuda:".Length..] : "";
        if (device.StartsWith("cuda:", StringComparison.Ordinal))
            device = "cuda:0";

        using var process = await WorkerLifeline.StartAsync(start);
        var stderr = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.Enqueue(e.Data);
                if (stderr.Count > StderrLines) stderr.Dequeue();
            }
        };
        process.BeginErrorReadLine();
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new WorkerRequest(request with { Device = device }, o.WorkerHeartbeatInterval), WorkerMessage.Json));
        // stdin stays open: the worker kills itself when it closes, i.e. when this silo is gone (WorkerLifeline).

        var reader = new Reader(progress);
        var reading = Task.Run(() => reader.ReadAllAsync(process.StandardOutput), CancellationToken.None);
        string? killedFor = null;
        while (!process.HasExited && killedFor is null)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
                throw new OperationCanceledException(cancellationToken);
            }
            var silent = DateTime.UtcNow - reader.LastLine;
            if (silent > o.WorkerHeartbeatTimeout)
                killedFor = $"it sent no heartbeat for {silent.TotalSeconds:0.#} s (limit {o.WorkerHeartbeatTimeout.TotalSeconds:0.#} s), so it was killed";
            else if (ProcessMemory.Resident(process.Id) is long rss && rss > o.TrainingMemoryBudget)
                killedFor = $"its memory (RSS) reached {rss / 1e6:0} MB, over the training memory budget of {o.TrainingMemoryBudget / 1e6:0} MB " +
                    "(Silo:TrainingMemoryBudget), so it was killed";
            else
                await Task.Delay(WatchPeriod, CancellationToken.None);
        }
        if (killedFor is not null)
            Kill(process);
        await process.WaitForExitAsync(CancellationToken.None);
        await reading;
        if (killedFor is null && reader.Outcome is { } outcome && process.ExitCode == 0)
            return outcome;
        if (killedFor is null && reader.Error is { } error)
            throw new TrainingWorkerFailedException(error);
        string tail;
        lock (stderr)
            tail = string.Join(" | ", stderr.Select(l => l.Trim()).Where(l => l.Length > 0 && !IsNativeFrame(l)).TakeLast(5)) is { Length: > 0 } lines ? lines : "(empty)";
        throw new TrainingWorkerCrashedException(
            $"The training worker (pid {process.Id}, device {request.Device}) {killedFor ?? Describe(process.ExitCode)}. Last lines of its stderr: {tail}");
    }

    /// <summary>libtorch's native stack lines ("frame #3: ..."); the message above them says more.</summary>
    static bool IsNativeFrame(string line) =>
        line.StartsWith("frame #", StringComparison.Ordinal) || line.StartsWith("Exception raised from", StringComparison.Ordinal);

    static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // already gone
    }

    /// <summary>.NET reports a child killed by signal N as exit code 128 + N, as shells do.</summary>
    static string Describe(int exitCode) => exitCode > 128 && exitCode < 128 + 65
        ? $"was killed by signal {exitCode - 128} ({SignalName(exitCode - 128)})"
        : $"exited with code {exitCode} without reporting an outcome";

    static string SignalName(int signal) => signal switch
    {
        6 => "SIGABRT: a native abort, e.g. libtorch's c10::Error",
        9 => "SIGKILL: killed from outside, e.g. by the kernel's out-of-memory killer",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => "see `kill -l`",
    };

    /// <summary>Reads the worker's stdout to its end, passing progress on; lines that are not protocol JSON are ignored.</summary>
    sealed class Reader(IRunProgress progress)
    {
        long _lastLineTicks = DateTime.UtcNow.Ticks;

        public DateTime LastLine => new(Interlocked.Read(ref _lastLineTicks), DateTimeKind.Utc);
        public RunOutcome? Outcome { get; private set; }
        public string? Error { get; private set; }

        public async Task ReadAllAsync(StreamReader output)
        {
            while (await output.ReadLineAsync() is { } line)
            {
                Interlocked.Exchange(ref _lastLineTicks, DateTime.UtcNow.Ticks);
                WorkerMessage? message;
                try { message = JsonSerializer.Deserialize<WorkerMessage>(line, WorkerMessage.Json); }
                catch (JsonException) { continue; }
                switch (message?.Type)
                {
                    case WorkerMessage.StepType: progress.ReportStep(message.Step, message.TotalSteps); break;
                    case WorkerMessage.MetricsType when message.Metrics is { } point: progress.ReportMetrics(point); break;
                    case WorkerMessage.CheckpointType when message.Checkpoint is { } checkpoint: progress.ReportCheckpoint(checkpoint); break;
                    case WorkerMessage.OutcomeType: Outcome = message.Outcome; break;
                    case WorkerMessage.ErrorType: Error = message.Error; break;
                }
            }
        }
    }
}

/// <summary>A training worker died without reporting an outcome: a signal, an exit code, the memory budget or a missed heartbeat.
/// A crash may be the run's own fault (a size that aborts libtorch), so a run stops after <see cref="ExperimentOptions.MaxCrashes"/> of them.</summary>
public sealed class TrainingWorkerCrashedException(string message) : Exception(message);

/// <summary>The engine in a training worker threw; the message is its exception's type and message.</summary>
public sealed class TrainingWorkerFailedException(string message) : Exception(message);
