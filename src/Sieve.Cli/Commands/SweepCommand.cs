using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Reduction;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve sweep --model DIR --data DIR</c>: each method over a grid of r (ToMe, CrossGET) or compute
/// targets (MADTP); writes the results (JSON, markdown) and accuracy-vs-cost plots.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var data = EvalSession.Data();
        var classes = EvalSession.Classes();
        var methods = new Option<string>("--methods") { Description = "Methods to sweep, comma-separated", DefaultValueFactory = _ => "tome,crossget,madtp" };
        var rs = new Option<string>("--r") { Description = "Tokens merged per layer for tome and crossget, comma-separated", DefaultValueFactory = _ => "4,8,13,16,20" };
        var targets = new Option<string>("--targets") { Description = "MADTP compute targets (fractions of dense GMACs), comma-separated", DefaultValueFactory = _ => "0.9,0.8,0.7,0.6,0.5" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for sweep.json, sweep.md and the PNG plots", DefaultValueFactory = _ => "sweep" };
        var limit = EvalSession.Limit();
        var calibration = EvalSession.Calibration();
        var guidance = CliOptions.Guidance();
        var timingImages = EvalSession.TimingImages();
        var rounds = EvalSession.Rounds();
        var threads = CliOptions.Threads();
        var command = new Command("sweep", "Accuracy vs GMACs and vs images/s for each reducer over a grid, with plots")
            { model, data, classes, methods, rs, targets, output, limit, calibration, guidance, timingImages, rounds, threads };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            var specs = Grid(r.GetValue(methods)!, r.GetValue(rs)!, r.GetValue(targets)!);
            string outDir = r.GetValue(output)!;
            string[] folders = [await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken), r.GetValue(data)!];
            foreach (string file in SweepPlots.Files.Prepend("sweep.md").Prepend("sweep.json"))
                OutputGuard.Check("--out", Path.Combine(outDir, file), [r.GetValue(classes), r.GetValue(guidance)], folders);
            Directory.CreateDirectory(outDir);
            var session = await EvalSession.OpenAsync(r, model, data, classes, limit, guidance, calibration, timingImages, rounds, quiet: false, cancellationToken);
            var rows = session.Run(specs.Select(s => s.Spec).ToArray());
            var dense = rows[0];
            var points = specs.Select((s, i) => (s.Method, Result: rows[i + 1])).ToList();

            string title = $"{Path.GetFileName(Path.GetFullPath(r.GetValue(model)!).TrimEnd('/'))}, {session.Images} images";
            session.WriteTable(title, rows);
            File.WriteAllText(Path.Combine(outDir, "sweep.json"), JsonSerializer.Serialize(
                new { model = r.GetValue(model), images = session.Images, threads = Sieve.Tensors.Threading.MaxThreads, timing = session.Timing(rows.Count), results = rows }, EvalSession.JsonOptions));
            File.WriteAllText(Path.Combine(outDir, "sweep.md"), Markdown(rows));
            var curves = points.GroupBy(p => p.Method).ToDictionary(g => g.Key, g => g.Select(p => p.Result).Prepend(dense).ToList());
            SweepPlots.Write(outDir, title, curves);
            CliConsole.Out.MarkupLineInterpolated($"wrote [green]{outDir}[/]: sweep.json, sweep.md, {string.Join(", ", SweepPlots.Files)}");
            return 0;
        });
        return command;
    }

    /// <summary>The specs of the grid, each with its method name.</summary>
    static List<(string Method, ReducerSpec Spec)> Grid(string methods, string rs, string targets)
    {
        var grid = new List<(string, ReducerSpec)>();
        foreach (string method in methods.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var values = method switch
            {
                "tome" or "crossget" => List(rs, "--r").Where(v => v != "0").Select(v => $"{method}:r={v}"),
                "madtp" => List(targets, "--targets").Where(v => v != "1").Select(v => $"madtp:target={v}"),
                _ => throw new ArgumentException($"--methods: unknown method '{method}' (expected tome, crossget, madtp)"),
            };
            grid.AddRange(values.Select(v => (method, ReducerSpec.Parse(v))));
        }
        if (grid.Count == 0) throw new ArgumentException("the sweep grid is empty: give --methods and non-zero --r / --targets");
        return grid;
    }

    static IEnumerable<string> List(string text, string option)
    {
        var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return values.Length > 0 ? values : throw new ArgumentException($"{option} is empty");
    }

    static string Markdown(IReadOnlyList<EvalResult> rows)
    {
        var dense = rows[0];
        var md = new StringBuilder("| reducer | top-1 | top-5 | agreement | GMACs | GMACs ratio | img/s | speed-up |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in rows)
            md.Append(CultureInfo.InvariantCulture, $"| `{r.Reducer}` | {r.Top1 * 100:F1} | {r.Top5 * 100:F1} | {r.Agreement * 100:F1} | {r.GMacs:F3} | {r.GMacs / dense.GMacs:F2} | {r.ImagesPerSecond:F1} | {r.SpeedUp:F2}× |\n");
        return md.ToString();
    }
}
