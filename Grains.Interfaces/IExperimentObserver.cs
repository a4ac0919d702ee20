using Orleans.Concurrency;

namespace Pastanoodles.Cluster;

/// <summary>A client watching a run: the experiment pushes each change of status with the metric points it brought.</summary>
[Alias("pastanoodles.IExperimentObserver")]
public interface IExperimentObserver : IGrainObserver
{
    [OneWay, Alias("OnProgress")]
    Task OnProgressAsync(ExperimentStatus status, IReadOnlyList<MetricPoint> newMetrics);
}
