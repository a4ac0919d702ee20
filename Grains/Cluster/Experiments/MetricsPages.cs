using Orleans.Storage;

namespace Pastanoodles.Cluster;

/// <summary>The sealed pages of a run's metrics history, each a state of its own (<c>experiment-metrics-N</c>) of the experiment grain
/// in the "store": a full page is written once, so saving the experiment costs the same at step 10 and at step 100,000.</summary>
/// <remarks>The experiment's own state keeps only the points after its last sealed page (<see cref="ExperimentState.Metrics"/>).
/// Pages are never written ahead of the state that counts them, so a page beyond <see cref="ExperimentState.MetricPages"/> is a
/// leftover (a seal cut short, or a reopened page) that the next seal overwrites.</remarks>
public sealed class MetricsPages(IGrainStorage storage, GrainId grain)
{
    static string StateName(int page) => $"experiment-metrics-{page}";

    /// <summary>Page <paramref name="page"/>'s points, oldest first; empty if it was never written.</summary>
    public async Task<List<MetricPoint>> ReadAsync(int page)
    {
        var state = new GrainState<MetricsPage>(new MetricsPage());
        await storage.ReadStateAsync(StateName(page), grain, state);
        return state.State?.Points ?? [];   // a provider may leave State null for a page it never wrote
    }

    /// <summary>Writes page <paramref name="page"/> whole, over a leftover of the same number if there is one.</summary>
    public async Task WriteAsync(int page, List<MetricPoint> points)
    {
        var state = new GrainState<MetricsPage>(new MetricsPage());
        await storage.ReadStateAsync(StateName(page), grain, state);   // the leftover's ETag, if any
        state.State = new MetricsPage { Points = points };
        await storage.WriteStateAsync(StateName(page), grain, state);
    }
}

/// <summary>One sealed page of a run's metrics history.</summary>
[GenerateSerializer, Alias("pastanoodles.MetricsPage")]
public sealed class MetricsPage
{
    [Id(0)] public List<MetricPoint> Points { get; set; } = [];
}
