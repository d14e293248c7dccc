using System.CommandLine;
using System.Text.Json;
using Sieve.Eval;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve sweep --model DIR --data … [--task T]</c>: each method over a grid of r (ToMe, CrossGET) or compute
/// targets (MADTP) on any evaluation task; writes the results (JSON, markdown) and metric-vs-cost plots.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var shared = new TaskCommandOptions();
        var methods = new Option<string>("--methods") { Description = "Methods to sweep, comma-separated", DefaultValueFactory = _ => "tome,crossget,madtp" };
        var rs = new Option<string>("--r") { Description = "Tokens merged per layer for tome and crossget, comma-separated", DefaultValueFactory = _ => "4,8,13,16,20" };
        var targets = new Option<string>("--targets") { Description = "MADTP compute targets (fractions of dense GMACs per item, calibrated on the first --calibration items), comma-separated", DefaultValueFactory = _ => "0.9,0.8,0.7,0.6,0.5" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for sweep.json, sweep.md and the PNG plots", DefaultValueFactory = _ => "sweep" };
        var calibration = EvalOptions.Calibration();
        var precision = CliOptions.Precision();
        var command = new Command("sweep", "A task's metric vs GMACs and vs measured speed for each reducer over a grid, with plots")
            { methods, rs, targets, output, calibration, precision };
        shared.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            shared.ApplyThreads(r);
            var grid = Grid(r.GetValue(methods)!, r.GetValue(rs)!, r.GetValue(targets)!);
            string outDir = r.GetValue(output)!;
            string[] inputs = [await CliOptions.ResolveModelAsync(r.GetValue(shared.Model)!, cancellationToken: cancellationToken), r.GetValue(shared.Data)!];
            foreach (string file in SweepPlots.Files.Prepend("sweep.md").Prepend("sweep.json"))
                OutputGuard.Check("--out", Path.Combine(outDir, file), [r.GetValue(shared.Classes), r.GetValue(shared.Guidance)], inputs);
            var options = shared.Read(r, grid.Select(g => g.Spec).ToArray(), quiet: false, r.GetValue(calibration), precision: r.GetValue(precision));
            var setup = await EvalTasks.OpenAsync(options, cancellationToken);
            Directory.CreateDirectory(outDir);
            var evaluation = setup.Evaluations[0];
            var speed = shared.Speed(r);
            var rows = EvalTasks.Run(evaluation, setup, speed, quiet: false);

            string title = $"{Path.GetFileName(Path.GetFullPath(options.Model).TrimEnd('/'))}, {options.Task}, {CliOptions.PrecisionName(options.Precision)}, {evaluation.Count} {evaluation.ItemName}";
            TaskReport.WriteTable(title, evaluation.ItemName, rows, setup.Note, EvalTasks.TimingNote(evaluation, speed, rows.Count));
            File.WriteAllText(Path.Combine(outDir, "sweep.json"), JsonSerializer.Serialize(new
            {
                model = options.Model, task = options.Task, precision = CliOptions.PrecisionName(options.Precision), items = evaluation.Count, itemName = evaluation.ItemName, threads = Sieve.Tensors.Threading.MaxThreads,
                timing = EvalTasks.TimingJson(evaluation, speed, rows.Count), results = TaskReport.Json(rows),
            }, EvalOptions.JsonOptions));
            File.WriteAllText(Path.Combine(outDir, "sweep.md"), TaskReport.Markdown(evaluation.ItemName, rows));
            var curves = grid.Select((g, i) => (g.Method, Result: rows[i + 1])).GroupBy(p => p.Method)
                .ToDictionary(g => g.Key, g => g.Select(p => p.Result).Prepend(rows[0]).ToList());
            SweepPlots.Write(outDir, title, evaluation.ItemName, curves);
            CliConsole.Out.MarkupLineInterpolated($"wrote [green]{outDir}[/]: sweep.json, sweep.md, {string.Join(", ", SweepPlots.Files)}");
            return 0;
        });
        return command;
    }

    /// <summary>The specs of the grid, each with its method name.</summary>
    static List<(string Method, string Spec)> Grid(string methods, string rs, string targets)
    {
        var grid = new List<(string, string)>();
        foreach (string method in methods.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var values = method switch
            {
                "tome" or "crossget" => List(rs, "--r").Where(v => v != "0").Select(v => $"{method}:r={v}"),
                "madtp" => List(targets, "--targets").Where(v => v != "1").Select(v => $"madtp:target={v}"),
                _ => throw new ArgumentException($"--methods: unknown method '{UsageError.Echo(method)}' (expected tome, crossget, madtp)"),
            };
            grid.AddRange(values.Select(v => (method, v)));
        }
        if (grid.Count == 0) throw new ArgumentException("the sweep grid is empty: give --methods and non-zero --r / --targets");
        return grid;
    }

    static IEnumerable<string> List(string text, string option)
    {
        var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return values.Length > 0 ? values : throw new ArgumentException($"{option} is empty");
    }
}
