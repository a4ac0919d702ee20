using OpenTelemetry;
using OpenTelemetry.Metrics;
using Pastanoodles.Silo;

namespace Pastanoodles.Tests.Support;

/// <summary>The silo's meters (<see cref="TelemetryHostingExtensions.AddPastanoodlesMeters"/>) read by OpenTelemetry's in-memory exporter.
/// It listens to every meter of those names in this process, so tests pick their points by a tag only they use.</summary>
public sealed class ExportedMetrics : IDisposable
{
    readonly List<MetricSnapshot> _exported = [];
    readonly MeterProvider _provider;

    public ExportedMetrics() => _provider = Sdk.CreateMeterProviderBuilder().AddPastanoodlesMeters().AddInMemoryExporter(_exported).Build();

    /// <summary>Collects now and returns every metric exported so far, the latest collection last.</summary>
    public IReadOnlyList<MetricSnapshot> Collect()
    {
        _exported.Clear();
        Assert.True(_provider.ForceFlush(10_000), "the in-memory exporter did not flush");
        return [.. _exported];
    }

    /// <summary>The points of <paramref name="name"/> whose tags include every one of <paramref name="tags"/>.</summary>
    public static IReadOnlyList<MetricPoint> Points(IEnumerable<MetricSnapshot> metrics, string name, params (string Key, object Value)[] tags) =>
        [.. metrics.Where(m => m.Name == name).SelectMany(m => m.MetricPoints).Where(p => tags.All(t => Tags(p).TryGetValue(t.Key, out var v) && Equals(v, t.Value)))];

    public static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
            tags[tag.Key] = tag.Value;
        return tags;
    }

    public void Dispose() => _provider.Dispose();
}
