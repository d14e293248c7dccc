using System.CommandLine;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Weights;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --model DIR --data … --task T --reducer SPEC…</c>: the task's metrics, agreement with dense, executed
/// GMACs and items/s for each reducer, dense first (<see cref="EvalTasks"/> builds the task, <see cref="TaskReport"/>
/// prints it). Metrics come from every item; speed from interleaved rounds on the first few. With <c>--shard I/N --out
/// PART</c> only that part of the items is run and its evidence written; <c>--merge PART…</c> scores the parts' evidence
/// as one run (<see cref="EvalShards"/>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var shared = new TaskCommandOptions();
        shared.Model.Required = shared.Data.Required = false; // not with --merge; checked below
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Reducer spec, repeatable: tome:r=13, crossget:r=16, madtp:target=0.5, … (dense always runs first)", AllowMultipleArgumentsPerToken = true };
        var calibration = EvalOptions.Calibration();
        var json = EvalOptions.Json();
        var precision = CliOptions.Precision();
        var texts = EvalOptions.Texts();
        var shard = Shard.Option();
        shard.Description = $"Run only part I of N (I from 0) of the items, e.g. 0/4, and write its evidence to --out instead of a report, for a job spread over machines " +
                            $"({string.Join(" and ", TaskEvidence.Tasks)}); --merge scores the parts";
        var output = new Option<string?>("--out", "-o") { Description = "With --shard: the part's evidence file (.safetensors)" };
        var merge = new Option<string[]>("--merge")
        {
            Description = "Score the parts written by `eval --shard I/N --out PART` for every I (any order) as one unsharded run; takes only --json besides",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("eval", "Accuracy and speed of token reducers: classification, CLIP zero-shot, embedding fidelity, image–text retrieval or VQA")
            { reducers, calibration, json, precision, texts, shard, output, merge };
        shared.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(merge) != null)
            {
                if (command.Options.FirstOrDefault(o => o != merge && o != json && result.GetResult(o) is { Implicit: false }) is { } other)
                    result.AddError($"--merge scores finished parts; it takes only --json, not {other.Name}.");
                return;
            }
            foreach (var required in new[] { shared.Model, shared.Data })
                if (result.GetResult(required) == null) result.AddError($"Option '{required.Name}' is required.");
            if ((result.GetResult(shard) != null) != (result.GetResult(output) != null))
                result.AddError("--shard and --out go together: a part's evidence is written to --out.");
        });
        command.SetAction(async (r, cancellationToken) =>
        {
            bool quiet = r.GetValue(json);
            if (r.GetValue(merge) is { Length: > 0 } parts) return Merge(parts, quiet);
            shared.ApplyThreads(r);
            var options = shared.Read(r, r.GetValue(reducers) ?? [], quiet, r.GetValue(calibration), r.GetValue(texts), r.GetValue(precision));
            if (r.GetValue(shard) is { } shardText) return await RunShardAsync(Shard.Parse(shardText), r.GetValue(output)!, options, quiet, cancellationToken);
            var setup = await EvalTasks.OpenAsync(options, cancellationToken);
            var speed = shared.Speed(r);
            var report = Report(options.Model, options.Task, CliOptions.PrecisionName(options.Precision), setup.Facts);
            report["threads"] = Sieve.Tensors.Threading.MaxThreads;
            for (int e = 0; e < setup.Evaluations.Count; e++)
            {
                var evaluation = setup.Evaluations[e];
                var rows = EvalTasks.Run(evaluation, setup, speed, quiet);
                // The first evaluation is the task's; a second (embedding's texts) is prefixed by its item name.
                string Key(string name) => e == 0 ? name : evaluation.ItemName[..^1] + char.ToUpperInvariant(name[0]) + name[1..];
                report[Key("items")] = evaluation.Count;
                report[Key("itemName")] = evaluation.ItemName;
                report[Key("timing")] = EvalTasks.TimingJson(evaluation, speed, rows.Count);
                report[Key("results")] = TaskReport.Json(rows);
                if (!quiet)
                    TaskReport.WriteTable($"{setup.Title}, {evaluation.Count} {evaluation.ItemName}", evaluation.ItemName, rows, setup.Note, EvalTasks.TimingNote(evaluation, speed, rows.Count));
            }
            if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(report, EvalOptions.JsonOptions));
            return 0;
        });
        return command;
    }

    /// <summary>The report's first fields, the same for a run and a merge.</summary>
    static Dictionary<string, object> Report(string model, string task, string precision, IEnumerable<KeyValuePair<string, object>> facts)
    {
        var report = new Dictionary<string, object> { ["model"] = model, ["task"] = task, ["precision"] = precision };
        foreach (var (name, value) in facts) report[name] = value;
        return report;
    }

    /// <summary>
    /// One part of a sharded run: the task built as the whole run builds it (MADTP calibrated on the whole task's first
    /// items), then dense and every reducer on this part's items only, their evidence written to <paramref name="outPath"/>.
    /// </summary>
    static async Task<int> RunShardAsync(Shard part, string outPath, EvalTasks.Options options, bool quiet, CancellationToken cancellationToken)
    {
        if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new SieveFormatException($"--out '{outPath}': a part's evidence is written as .safetensors");
        if (!TaskEvidence.Tasks.Contains(options.Task))
            throw new ArgumentException($"--shard: --task {options.Task} does not split over machines yet; {string.Join(", ", TaskEvidence.Tasks)} do");
        if (options.Rerank != null)
            throw new ArgumentException("--shard: --rerank re-scores pairs across all images with the matching head, which does not split over machines");
        OutputGuard.Check("--out", outPath, [options.Data, options.Classes, options.Guidance], [options.Data]);
        var setup = await EvalTasks.OpenAsync(options, cancellationToken);
        if (setup.Evaluations.Count > 1)
            throw new ArgumentException("--shard: --task embedding with --texts evaluates images and texts as two tasks; shard each on its own (without --texts, then with the texts as --data)");
        var evaluation = setup.Evaluations[0] as IEvidenceEvaluation
            ?? throw new ArgumentException("--shard: retrieval with a fusion model's matching head (ViLT) does not split over machines yet; a dual encoder's (CLIP, BLIP) does");
        string dir = await CliOptions.ResolveModelAsync(options.Model, quiet, cancellationToken);
        OutputGuard.Check("--out", outPath, [], [dir]);
        int inputs = evaluation.Count;
        if (part.Count > inputs) throw new SieveFormatException($"--shard {part}: {inputs} {evaluation.ItemName} cannot make {part.Count} shards");
        var (start, end) = part.Range(inputs);
        var mine = (IEvidenceEvaluation)evaluation.Subset([.. Enumerable.Range(start, end - start)]);
        ITaskEvidence evidence = null!;
        int reducerCount = setup.Reductions.Count + 1;
        CliProgress.Run($"shard {part}: {reducerCount} reducers (dense included) on {evaluation.ItemName} {start}–{end} of {inputs}", mine.StepsPerReducer * reducerCount, quiet,
            step => evidence = mine.Collect(setup.Reductions, setup.Guidance, step));
        var header = new EvalShards.Header(options.Task, options.Model, ModelFingerprint.Of(dir), EvalShards.DataIdentity(options), [.. evidence.Reducers],
            CliOptions.PrecisionName(options.Precision), part.ToString(), inputs, start, end, evaluation.ItemName, $"{setup.Title}, {inputs} {evaluation.ItemName}", setup.Note,
            setup.Facts.ToDictionary(f => f.Key, f => JsonSerializer.SerializeToElement(f.Value)), [.. evidence.Seconds], [.. evidence.Score().Select(row => row.GMacs)],
            Sieve.Tensors.Threading.MaxThreads);
        EvalShards.Write(outPath, header, evidence);
        if (quiet)
            CliConsole.WriteRaw(JsonSerializer.Serialize(new { @out = outPath, shard = header.Shard, items = inputs, start, end, header.Reducers, header.Seconds, header.GMacs },
                EvalOptions.JsonOptions));
        else
            CliConsole.Out.MarkupLineInterpolated($"wrote the evidence of {evaluation.ItemName} {start}–{end} of {inputs} (shard {part}, {reducerCount} reducers) to [green]{outPath}[/]");
        return 0;
    }

    /// <summary>
    /// The report of the parts' joined evidence, scored by the same code as an unsharded run; speed is the summed
    /// work time of every part's forwards, not an interleaved measurement, and is labelled so.
    /// </summary>
    static int Merge(IReadOnlyList<string> files, bool quiet)
    {
        var (header, evidence) = EvalShards.Merge(files);
        var seconds = evidence.Seconds;
        var rows = evidence.Score();
        if (seconds.All(s => s > 0))
            rows = [.. rows.Select((row, s) => row.WithSpeed(evidence.Items / seconds[s], seconds[0] / seconds[s]))];
        string timingNote = $"{header.ItemName}/s = {header.ItemName} ÷ the summed work time of every part's forwards ({files.Count} parts, each on its own machine's threads), " +
                            "not interleaved rounds, and dense, run first, carries each part's warm-up; speed-up = dense's summed time ÷ the reducer's";
        if (quiet)
        {
            var report = Report(header.Model, header.Task, header.Precision, header.Facts.Select(f => new KeyValuePair<string, object>(f.Key, f.Value)));
            report["shards"] = files.Count;
            report["items"] = evidence.Items;
            report["itemName"] = header.ItemName;
            report["timing"] = new { kind = "summed work time", seconds };
            report["results"] = TaskReport.Json(rows);
            CliConsole.WriteRaw(JsonSerializer.Serialize(report, EvalOptions.JsonOptions));
        }
        else TaskReport.WriteTable($"{header.Title}, merged from {files.Count} shards", header.ItemName, rows, header.Note, timingNote);
        return 0;
    }
}
