namespace Pastanoodles.Cluster;

/// <summary>How this silo's experiment and trainer grains behave. The silo fills it from its own options.</summary>
public sealed class ExperimentOptions
{
    /// <summary>Where runs without an output directory keep their artifacts, one folder per run id.
    /// Default: <c>~/.local/share/pastanoodles/runs</c>. In cluster mode this must be a path every silo shares.</summary>
    public string ArtifactsDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pastanoodles", "runs");

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
}
