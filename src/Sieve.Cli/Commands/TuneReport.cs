using System.Globalization;
using System.Text;
using System.Text.Json;
using Sieve.Eval;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary><c>tune</c>'s output: the Pareto front, the chosen spec and the held-out rows as a table, JSON, markdown and a PNG.</summary>
/// <param name="model">The --model value.</param>
/// <param name="result">What the tuner found.</param>
/// <param name="note">What the task's columns mean (the held-out table's footnote).</param>
/// <param name="timingNote">How held-out speed was measured.</param>
/// <param name="timeBudget">The --time-budget, or null.</param>
internal sealed class TuneReport(string model, TuneResult result, string itemName, string note, string timingNote, TimeSpan? timeBudget)
{
    /// <summary>The files <see cref="Save"/> writes.</summary>
    public static readonly string[] Files = ["tune.json", "tune.md", "tune.png"];

    TuneBudget Budget => result.Budget;

    /// <summary>Tables and verdicts on stdout.</summary>
    public void Write()
    {
        var table = new Table().Title(Markup.Escape($"Pareto front on the calibration split ({result.Split.Calibration.Count} {itemName}): {Quantity} vs measured speed-up"))
            .AddColumn(new TableColumn("reducer").NoWrap()).AddColumn("shape");
        foreach (string column in new[] { Quantity, "GMACs", "speed-up", "" }) table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned().NoWrap());
        foreach (var c in result.Pareto)
            table.AddRow(Markup.Escape(c.Spec), Markup.Escape(c.Shape), Format(c.Value), c.GMacs.ToString("F3", CultureInfo.InvariantCulture),
                $"{c.SpeedUp!.Value.ToString("F2", CultureInfo.InvariantCulture)}×", c == result.Chosen ? "◀ chosen" : "");
        CliConsole.Out.Write(table);
        foreach (string line in Summary()) CliConsole.Out.WriteLine(line);
        TaskReport.WriteTable($"Held-out split ({result.Split.HeldOut.Count} {itemName}), never seen by the search", itemName, result.HeldOut, note, timingNote);
        foreach (string line in Verdict()) CliConsole.Out.WriteLine(line);
    }

    /// <summary>The whole result as one JSON object.</summary>
    public object Json() => new
    {
        model, task = result.Task, budget = Budget.ToString(), seed = result.Seed,
        calibrationItems = result.Split.Calibration.Count, heldOutItems = result.Split.HeldOut.Count, itemName,
        reducer = result.Reducer,
        heldOutValue = result.HeldOutValue, heldOutMeets = result.HeldOutMeets, bestConstant = result.BestConstant?.Reducer,
        planned = result.Planned, evaluated = result.Candidates.Count - 1, skipped = result.Skipped, stoppedByTime = result.StoppedByTime,
        timeBudgetSeconds = timeBudget?.TotalSeconds, elapsedSeconds = result.Elapsed.TotalSeconds, threads = Sieve.Tensors.Threading.MaxThreads,
        pareto = result.Pareto.Select(c => c.Spec),
        candidates = result.Candidates.Select(c => new
        {
            reducer = c.Spec, method = c.Method, shape = c.Shape, value = c.Value, meets = c.Meets, agreement = c.Agreement, score = c.Result.Score,
            cosine = c.Result.Cosine, gMacs = c.GMacs, speedUp = c.SpeedUp, itemsPerSecond = c.ItemsPerSecond,
        }),
        heldOut = TaskReport.Json(result.HeldOut),
    };

    /// <summary>Writes tune.json, tune.md and tune.png into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        File.WriteAllText(Path.Combine(folder, Files[0]), JsonSerializer.Serialize(Json(), EvalOptions.JsonOptions));
        var md = new StringBuilder().Append(CultureInfo.InvariantCulture, $"# sieve tune: {model}, --task {result.Task}, --budget \"{Budget}\"\n\n");
        md.Append(CultureInfo.InvariantCulture, $"Calibration split: {result.Split.Calibration.Count} {itemName}; every candidate evaluated (speed-up where timed):\n\n");
        md.Append(CultureInfo.InvariantCulture, $"| reducer | shape | {Quantity} | inside | GMACs | speed-up | Pareto |\n|---|---|---:|---|---:|---:|---|\n");
        foreach (var c in result.Candidates)
            md.Append(CultureInfo.InvariantCulture, $"| `{c.Spec}` | {c.Shape} | {Format(c.Value)} | {(c.Meets ? "yes" : "no")} | {c.GMacs:F3} | " +
                $"{(c.SpeedUp is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) + "×" : "–")} | {(result.Pareto.Contains(c) ? (c == result.Chosen ? "chosen" : "yes") : "")} |\n");
        md.Append('\n').AppendJoin("\n", Summary().Select(l => l + "  ")).Append("\n\n");
        md.Append(CultureInfo.InvariantCulture, $"Held-out split: {result.Split.HeldOut.Count} {itemName}, never seen by the search; speed from one interleaved run:\n\n");
        md.Append(TaskReport.Markdown(itemName, result.HeldOut)).Append('\n').AppendJoin("\n", Verdict().Select(l => l + "  ")).Append('\n');
        File.WriteAllText(Path.Combine(folder, Files[1]), md.ToString());

        var timed = result.Candidates.Where(c => c.SpeedUp != null).ToList();
        var pareto = result.Pareto.OrderBy(c => c.SpeedUp).ToList();
        var chosen = result.Chosen is { SpeedUp: { } } ch ? new[] { ch } : [];
        SweepPlots.Scatter(Path.Combine(folder, Files[2]), $"{model}, {result.Task}, budget {Budget}", "speed-up over dense (measured, calibration split)", Quantity,
        [
            ("timed candidates", timed.Select(c => c.SpeedUp!.Value).ToArray(), timed.Select(c => Plotted(c.Value)).ToArray(), false),
            ("Pareto front", pareto.Select(c => c.SpeedUp!.Value).ToArray(), pareto.Select(c => Plotted(c.Value)).ToArray(), true),
            ("chosen", chosen.Select(c => c.SpeedUp!.Value).ToArray(), chosen.Select(c => Plotted(c.Value)).ToArray(), false),
        ]);
    }

    /// <summary>The search in lines: what was evaluated, whether it stopped, the chosen <c>--reducer</c> value.</summary>
    IEnumerable<string> Summary()
    {
        yield return $"searched {result.Candidates.Count - 1} candidates (at most {result.Planned} by bisection; {result.Skipped} skipped for GMACs) in {result.Elapsed.TotalSeconds:F0} s";
        if (result.StoppedByTime)
            yield return $"the search stopped at the time budget ({timeBudget?.TotalSeconds:F0} s) before every family was bisected to its end: a faster spec may exist";
        yield return result.Chosen == null
            ? $"no reducer stays inside {Budget} on the calibration split: --reducer none (dense)"
            : $"chosen: --reducer {result.Reducer}";
    }

    /// <summary>The held-out verdict, stated plainly, and the best constant schedule beside it.</summary>
    IEnumerable<string> Verdict()
    {
        var chosen = result.ChosenHeldOut;
        string speedUp = chosen.SpeedUp is { } s ? $", {s.ToString("F2", CultureInfo.InvariantCulture)}× dense" : "";
        yield return result.HeldOutMeets
            ? $"held-out: {result.Reducer} has {Quantity} {Format(result.HeldOutValue)}{speedUp} — inside the budget {Budget}"
            : $"held-out: {result.Reducer} has {Quantity} {Format(result.HeldOutValue)}{speedUp} — OUTSIDE the budget {Budget}: the calibration split was optimistic; tighten the budget or tune on more items";
        if (result.Chosen != null)
            yield return result.BestConstant is { } constant
                ? $"best constant schedule inside the budget on held-out: {constant.Reducer} at {constant.SpeedUp?.ToString("F2", CultureInfo.InvariantCulture)}× (chosen: {chosen.SpeedUp?.ToString("F2", CultureInfo.InvariantCulture)}×)"
                : "no constant schedule run on held-out stays inside the budget there";
    }

    string Quantity => Budget.Metric switch
    {
        TuneMetric.Agreement => "agreement",
        TuneMetric.Drop => "drop (points)",
        _ => "mean cosine",
    };

    string Format(double value) => Budget.Metric switch
    {
        TuneMetric.Agreement => (100 * value).ToString("F1", CultureInfo.InvariantCulture) + "%",
        TuneMetric.Drop => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F4", CultureInfo.InvariantCulture),
    };

    double Plotted(double value) => Budget.Metric == TuneMetric.Agreement ? 100 * value : value;
}
