using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Reduction;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve tune --model M --data D --task T --budget "agreement&gt;=0.97"</c>: the fastest reducer inside an accuracy
/// budget on the user's own data (<see cref="Tuner"/>); progress with the best spec so far on stderr; the Pareto front,
/// the chosen <c>--reducer</c> value and its held-out result on stdout (<see cref="TuneReport"/>).
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var shared = new TaskCommandOptions();
        var budget = new Option<string>("--budget", "-b") { Description = $"What the reducer may cost: {TuneBudget.Forms}, e.g. \"agreement>=0.97\"", Required = true };
        var methods = new Option<string?>("--methods") { Description = "Methods to search, comma-separated (default tome,crossget,madtp; pumer too on fusion models)" };
        var holdout = new Option<double>("--holdout") { Description = "Share of the items held out from the search, in (0, 1)", DefaultValueFactory = _ => 0.5 };
        var seed = NumberOptions.Integer("--seed", "Seed of the calibration / held-out split", 0, int.MinValue, int.MaxValue);
        var timeBudget = new Option<string?>("--time-budget") { Description = "Stop searching after this long (e.g. 90s, 10m, 1h); timing and the held-out run still follow" };
        var compare = new Option<string[]>("--compare") { Description = "A spec to run beside the chosen one on the held-out split, repeatable (e.g. tome:r=13)", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for tune.json, tune.md and tune.png (the metric vs measured speed-up)" };
        var json = EvalOptions.Json();
        var precision = CliOptions.Precision();
        var command = new Command("tune", "The fastest reducer inside an accuracy budget on your data: searched on a calibration split, confirmed on a held-out one")
            { budget, methods, holdout, seed, timeBudget, compare, output, json, precision };
        shared.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            shared.ApplyThreads(r);
            bool quiet = r.GetValue(json);
            var parsedBudget = TuneBudget.Parse(r.GetValue(budget)!);
            // Before any image is read (the tuner checks again on the first result): only embedding reports cosines, and only it has no labels.
            string task = r.GetValue(shared.Task)!;
            parsedBudget.CheckApplies(labelled: task != "embedding", embeddings: task == "embedding", task);
            double heldOut = r.GetValue(holdout);
            if (!(heldOut is > 0 and < 1)) throw new ArgumentException($"--holdout {heldOut.ToString(CultureInfo.InvariantCulture)}: the held-out share must be in (0, 1), e.g. 0.5");
            var limitTime = r.GetValue(timeBudget) is { } t ? Duration(t) : (TimeSpan?)null;
            var methodList = r.GetValue(methods)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (methodList is { Length: 0 }) throw new ArgumentException("--methods is empty (expected e.g. tome,crossget,madtp)");
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(shared.Model)!, quiet, cancellationToken);
            var comparisons = (r.GetValue(compare) ?? []).Select(c => CliOptions.Reduction(c, null, dir).Spec).ToArray();
            string? outDir = r.GetValue(output);
            if (outDir != null)
                foreach (string file in TuneReport.Files)
                    OutputGuard.Check("--out", Path.Combine(outDir, file), [r.GetValue(shared.Classes), r.GetValue(shared.Guidance)], [dir, r.GetValue(shared.Data), r.GetValue(shared.ImageRoot)]);

            var options = shared.Read(r, [], quiet, precision: r.GetValue(precision));
            var setup = await EvalTasks.OpenAsync(options, cancellationToken);
            var evaluation = setup.Evaluations[0];
            foreach (var c in comparisons) CliOptions.CheckMerges(c.Vision, TuneSpace.SearchedTower(evaluation.Model));
            if (evaluation.Count < 2) throw new ArgumentException($"--data has {evaluation.Count} {evaluation.ItemName}; tuning needs at least 2 to split into calibration and held-out");
            var speed = shared.Speed(r);
            var tuneOptions = new TuneOptions(parsedBudget)
            {
                Methods = methodList, HeldOutFraction = heldOut, Seed = r.GetValue(seed), TimeBudget = limitTime, Speed = speed, Compare = comparisons, Guidance = setup.Guidance,
            };
            var result = WithProgress(quiet, progress => Tuner.Tune(evaluation, tuneOptions, progress));

            var heldOutRows = evaluation.Subset(result.Split.HeldOut);
            var report = new TuneReport(options.Model, result, evaluation.ItemName, setup.Note, EvalTasks.TimingNote(heldOutRows, speed, result.HeldOut.Count), limitTime);
            if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(report.Json(), EvalOptions.JsonOptions));
            else report.Write();
            if (outDir != null)
            {
                Directory.CreateDirectory(outDir);
                report.Save(outDir);
                if (!quiet) CliConsole.Out.MarkupLineInterpolated($"wrote [green]{outDir}[/]: {string.Join(", ", TuneReport.Files)}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>A duration as <c>90s</c>, <c>10m</c>, <c>1.5h</c> or plain seconds.</summary>
    internal static TimeSpan Duration(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        double scale = s.EndsWith('h') ? 3600 : s.EndsWith('m') ? 60 : 1;
        string number = s.TrimEnd('h', 'm', 's');
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || value <= 0 || value * scale > 1e7 || number.Length + 1 < s.Length)
            throw new ArgumentException($"--time-budget '{UsageError.Echo(text)}': expected a positive duration such as 90s, 10m or 1h");
        return TimeSpan.FromSeconds(value * scale);
    }

    /// <summary>
    /// Runs the tuner with one progress bar on stderr whose label says the stage, the candidates evaluated and the best spec so
    /// far; piped, one line whenever that label changes; nothing when <paramref name="quiet"/>.
    /// </summary>
    static TuneResult WithProgress(bool quiet, Func<Action<TuneProgress>?, TuneResult> run)
    {
        if (quiet) return run(null);
        var gate = new object();
        if (!CliConsole.Error.Profile.Capabilities.Interactive)
        {
            string? last = null;
            return run(p =>
            {
                lock (gate)
                {
                    string label = Label(p);
                    if (label != last) CliConsole.Error.WriteLine(last = label);
                }
            });
        }
        return CliConsole.Error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("tuning", maxValue: 1);
                return run(p =>
                {
                    lock (gate)
                    {
                        bar.Description = Markup.Escape(Label(p));
                        bar.MaxValue = Math.Max(1, p.Steps);
                        bar.Value = p.Step;
                    }
                });
            });
    }

    static string Label(TuneProgress p) => p.Stage switch
    {
        "search" => $"search: candidates up to {p.Candidate} of at most {p.Candidates}; best so far {p.Best ?? "none yet"}",
        _ => $"{p.Stage}: {p.Candidate} candidates evaluated; best {p.Best ?? "none (dense)"}",
    };
}
