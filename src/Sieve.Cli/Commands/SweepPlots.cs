using Sieve.Eval;

namespace Sieve.Cli.Commands;

/// <summary>The sweep's PNG plots: one curve per method, each starting at the dense point.</summary>
internal static class SweepPlots
{
    /// <summary>Each plot: the file, the x axis and what it reads from a result (per item: <see cref="ITaskResult.GMacs"/> or measured speed).</summary>
    static readonly (string File, string X, Func<ITaskResult, double> Gx)[] Plots =
    [
        ("metric-vs-gmacs.png", "GMACs per {0} (as executed)", r => r.GMacs),
        ("agreement-vs-gmacs.png", "GMACs per {0} (as executed)", r => r.GMacs),
        ("metric-vs-throughput.png", "{1} / s (measured)", r => r.ItemsPerSecond ?? double.NaN),
    ];

    public static IEnumerable<string> Files => Plots.Select(p => p.File);

    /// <summary>The headline metric's axis label and value: the task's labelled score, else its mean cosine, else agreement.</summary>
    static (string Label, Func<ITaskResult, double> Value) Metric(ITaskResult dense) =>
        dense.Score != null ? ($"{dense.Metrics[0].Name} (points)", r => r.Score ?? double.NaN)
        : dense.Cosine != null ? ("mean cosine to dense", r => r.Cosine ?? double.NaN)
        : ("agreement with dense (%)", r => 100 * r.Agreement);

    public static void Write(string folder, string title, string itemName, IReadOnlyDictionary<string, List<ITaskResult>> curves)
    {
        var metric = Metric(curves.Values.First()[0]);
        foreach (var (file, xLabel, x) in Plots)
        {
            var (yLabel, y) = file.StartsWith("agreement") ? ("agreement with dense (%)", r => 100 * r.Agreement) : metric;
            var plot = new ScottPlot.Plot();
            foreach (var (method, points) in curves)
            {
                var scatter = plot.Add.Scatter(points.Select(x).ToArray(), points.Select(y).ToArray());
                scatter.LegendText = method;
                scatter.MarkerSize = 7;
            }
            plot.Title(title);
            plot.XLabel(string.Format(System.Globalization.CultureInfo.InvariantCulture, xLabel, itemName.TrimEnd('s'), itemName));
            plot.YLabel(yLabel);
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            plot.SavePng(Path.Combine(folder, file), 800, 560);
        }
    }
}
