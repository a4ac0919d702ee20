using ScottPlot;

namespace Pastanoodles.Training;

/// <summary>The seed's Figures 1 and 2: loss and reward accuracy (MCQA: accuracy) against the step, train and eval, as PNG.</summary>
public static class TrainingPlots
{
    /// <summary>Writes <c>loss.png</c> and <c>accuracy.png</c> (the <paramref name="kind"/>'s accuracy) into <paramref name="folder"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<MetricRecord> records, string folder, string kind)
    {
        Directory.CreateDirectory(folder);
        return
        [
            Draw(records, "loss", "Loss", Path.Combine(folder, "loss.png")),
            Draw(records, ExperimentKinds.AccuracyKey(kind), Capitalized(ExperimentKinds.AccuracyLabel(kind)), Path.Combine(folder, "accuracy.png")),
        ];
    }

    static string Capitalized(string label) => char.ToUpperInvariant(label[0]) + label[1..];

    static string Draw(IReadOnlyList<MetricRecord> records, string key, string title, string path)
    {
        var plot = new Plot();
        foreach (var split in new[] { Splits.Train, Splits.Eval, Splits.Test })
        {
            var points = records.Where(r => r.Split == split && r.Values.ContainsKey(key)).ToList();
            if (points.Count == 0) continue;
            var scatter = plot.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p[key]).ToArray());
            scatter.LegendText = split;
            scatter.MarkerSize = split == Splits.Train ? 0 : 6;
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(key);
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
        return path;
    }
}
