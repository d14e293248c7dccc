using System.CommandLine;
using System.Text.Json;
using Sieve.Eval;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --model DIR --data … --task T --reducer SPEC…</c>: the task's metrics, agreement with dense, executed
/// GMACs and items/s for each reducer, dense first (<see cref="EvalTasks"/> builds the task, <see cref="TaskReport"/>
/// prints it). Metrics come from every item; speed from interleaved rounds on the first few.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var data = EvalOptions.Data();
        var classes = EvalOptions.Classes();
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Reducer spec, repeatable: tome:r=13, crossget:r=16, madtp:target=0.5, … (dense always runs first)", AllowMultipleArgumentsPerToken = true };
        var limit = EvalOptions.Limit();
        var calibration = EvalOptions.Calibration();
        var guidance = CliOptions.Guidance();
        var timingImages = EvalOptions.TimingImages();
        var rounds = EvalOptions.Rounds();
        var json = EvalOptions.Json();
        var threads = CliOptions.Threads();
        var precision = CliOptions.Precision();
        var task = EvalOptions.Task();
        var texts = EvalOptions.Texts();
        var split = EvalOptions.Split();
        var imageRoot = EvalOptions.ImageRoot();
        var template = EvalOptions.Template();
        var annotations = EvalOptions.Annotations();
        var imageMap = EvalOptions.ImageMap();
        var negatives = EvalOptions.Negatives();
        var command = new Command("eval", "Accuracy and speed of token reducers: classification, CLIP zero-shot, embedding fidelity, image–text retrieval or VQA")
            { model, data, classes, reducers, limit, calibration, guidance, timingImages, rounds, json, threads, precision, task, texts, split, imageRoot, template, annotations, imageMap, negatives };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool quiet = r.GetValue(json);
            var options = new EvalTasks.Options(r.GetValue(task)!, r.GetValue(model)!, r.GetValue(data)!, r.GetValue(reducers) ?? [], r.GetValue(guidance), r.GetValue(limit),
                r.GetValue(calibration), quiet, r.GetValue(texts), r.GetValue(split), r.GetValue(imageRoot), r.GetValue(classes), r.GetValue(template) ?? [],
                r.GetValue(annotations), r.GetValue(imageMap), r.GetValue(negatives), r.GetValue(precision));
            var setup = await EvalTasks.OpenAsync(options, cancellationToken);
            var speed = EvalOptions.Speed(r.GetValue(timingImages), r.GetValue(rounds));
            var output = new Dictionary<string, object>
                { ["model"] = options.Model, ["task"] = options.Task, ["precision"] = CliOptions.PrecisionName(options.Precision), ["threads"] = Sieve.Tensors.Threading.MaxThreads };
            foreach (var (name, value) in setup.Facts) output[name] = value;
            for (int e = 0; e < setup.Evaluations.Count; e++)
            {
                var evaluation = setup.Evaluations[e];
                var rows = EvalTasks.Run(evaluation, setup, speed, quiet);
                // The first evaluation is the task's; a second (embedding's texts) is prefixed by its item name.
                string Key(string name) => e == 0 ? name : evaluation.ItemName[..^1] + char.ToUpperInvariant(name[0]) + name[1..];
                output[Key("items")] = evaluation.Count;
                output[Key("itemName")] = evaluation.ItemName;
                output[Key("timing")] = EvalTasks.TimingJson(evaluation, speed, rows.Count);
                output[Key("results")] = TaskReport.Json(rows);
                if (!quiet)
                    TaskReport.WriteTable($"{setup.Title}, {evaluation.Count} {evaluation.ItemName}", evaluation.ItemName, rows, setup.Note, EvalTasks.TimingNote(evaluation, speed, rows.Count));
            }
            if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(output, EvalOptions.JsonOptions));
            return 0;
        });
        return command;
    }
}
