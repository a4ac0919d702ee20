namespace Pastanoodles.Cluster;

/// <summary>How this silo's experiment and trainer grains behave. The silo fills it from its own options.</summary>
public sealed class ExperimentOptions
{
    /// <summary>Where runs keep their artifacts, one folder per run id (<c>RUN_ID/attempt-N</c>); a client cannot choose another.
    /// Default: <c>~/.local/share/pastanoodles/runs</c>. In cluster mode this must be a path every silo shares.</summary>
    public string ArtifactsDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pastanoodles", "runs");

    /// <summary>The only folders an experiment's inputs (<c>model</c>, <c>train_file</c>, <c>init_adapter</c> ...) may be read from,
    /// after symlinks are resolved (<see cref="Pastanoodles.Training.InputRoots"/>). Default: empty, so only built-in models and synthetic
    /// data; the silo sets its data and artifacts folders.</summary>
    public IList<string> InputRoots { get; set; } = [];

    /// <summary>The devices this silo trains on, one run at a time each (<c>cpu</c>, <c>cuda:0</c>, ...). Default: <c>["cpu"]</c>.</summary>
    public IList<string> TrainingDevices { get; set; } = ["cpu"];

    /// <summary>How often a trainer sends its progress to the experiment. Default: 500 ms.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an unfinished experiment checks that a trainer has its run, and hands it to a new one if its silo is gone. Default: 10 s.</summary>
    public TimeSpan WatchdogPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Period of the durable reminder that re-activates an unfinished experiment whose own silo is gone. Default: 1 min (Orleans' minimum).</summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest an experiment keeps new metric points in memory only; checkpoints and state changes are written at once. Default: 5 s.</summary>
    public TimeSpan MetricsWriteInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Metric points per sealed page of a run's history (<see cref="MetricsPages"/>): the experiment's own state never holds
    /// more, so each save stays this small however long the run. A run keeps the size it first sealed with. Default: 256.</summary>
    public int MetricsPageSize { get; set; } = 256;

    /// <summary>The command that starts a training worker: the silo's own executable with <c>worker</c>
    /// (<c>["dotnet", ".../Pastanoodles.Silo.dll", "worker"]</c>). Each attempt then runs in its own process, so a native abort or
    /// an out-of-memory kill ends the worker, never the silo. Empty: attempts run on a thread of this process (tests with a fake engine).
    /// Default: empty; the silo sets it.</summary>
    public IList<string> WorkerCommand { get; set; } = [];

    /// <summary>How often a gpu silo with a free device asks the cluster's training queue for a run while the queue is empty. Default: 1 s.</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a run taken from the training queue may go unconfirmed by its silo before it goes back. Default: 1 min.</summary>
    public TimeSpan QueueTakeTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a worker sends a heartbeat line. Default: 1 s.</summary>
    public TimeSpan WorkerHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A worker silent for this long (a stopped or hung process) is killed and its attempt fails. Default: 30 s.</summary>
    public TimeSpan WorkerHeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes of memory (RSS) one training worker may use; a worker above it is killed and its attempt fails.
    /// Default: 80% of this machine's memory divided by the number of <see cref="TrainingDevices"/>.</summary>
    public long TrainingMemoryBudget { get; set; } = DefaultMemoryBudget(1);

    /// <summary>Check each submitted run's sizes against its model and its estimated peak memory against <see cref="TrainingMemoryBudget"/>
    /// (<see cref="Pastanoodles.Training.TrainingAdmission"/>), refusing it at submit. Off only for tests of what happens without it. Default: true.</summary>
    public bool AdmissionControl { get; set; } = true;

    /// <summary>Attempts of one run that may end in a crash (a signal, an exit without an outcome, the memory budget, a missed heartbeat)
    /// before the run is failed for good. A silo that is lost is not a crash: its runs resume elsewhere. Default: 2.</summary>
    public int MaxCrashes { get; set; } = 2;

    /// <summary>80% of this machine's memory (<c>MemTotal</c> in <c>/proc/meminfo</c>, else what the runtime sees), shared by <paramref name="devices"/> workers.</summary>
    public static long DefaultMemoryBudget(int devices)
    {
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
                total = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        return (long)(total * 0.8 / Math.Max(devices, 1));
    }
}
