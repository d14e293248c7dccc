using Sieve.Eval;

namespace Sieve.Cli.Commands;

/// <summary>The sweep's PNG plots: one curve per method, each starting at the dense point.</summary>
internal static class SweepPlots
{
    static readonly (string File, string X, string Y, Func<EvalResult, double> Gx, Func<EvalResult, double> Gy)[] Plots =
    [
        ("top1-vs-gmacs.png", "GMACs per image (as executed)", "top-1 (%)", r => r.GMacs, r => 100 * r.Top1),
        ("agreement-vs-gmacs.png", "GMACs per image (as executed)", "agreement with dense top-1 (%)", r => r.GMacs, r => 100 * r.Agreement),
        ("top1-vs-throughput.png", "images / s (measured)", "top-1 (%)", r => r.ImagesPerSecond ?? double.NaN, r => 100 * r.Top1),
    ];

    public static IEnumerable<string> Files => Plots.Select(p => p.File);

    public static void Write(string folder, string title, IReadOnlyDictionary<string, List<EvalResult>> curves)
    {
        foreach (var (file, xLabel, yLabel, x, y) in Plots)
        {
            var plot = new ScottPlot.Plot();
            foreach (var (method, points) in curves)
            {
                var scatter = plot.Add.Scatter(points.Select(x).ToArray(), points.Select(y).ToArray());
                scatter.LegendText = method;
                scatter.MarkerSize = 7;
            }
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            plot.SavePng(Path.Combine(folder, file), 800, 560);
        }
    }
}
