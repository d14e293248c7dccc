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
        var shared = new TaskCommandOptions();
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Reducer spec, repeatable: tome:r=13, crossget:r=16, madtp:target=0.5, … (dense always runs first)", AllowMultipleArgumentsPerToken = true };
        var calibration = EvalOptions.Calibration();
        var json = EvalOptions.Json();
        var precision = CliOptions.Precision();
        var texts = EvalOptions.Texts();
        var command = new Command("eval", "Accuracy and speed of token reducers: classification, CLIP zero-shot, embedding fidelity, image–text retrieval or VQA")
            { reducers, calibration, json, precision, texts };
        shared.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            shared.ApplyThreads(r);
            bool quiet = r.GetValue(json);
            var options = shared.Read(r, r.GetValue(reducers) ?? [], quiet, r.GetValue(calibration), r.GetValue(texts), r.GetValue(precision));
            var setup = await EvalTasks.OpenAsync(options, cancellationToken);
            var speed = shared.Speed(r);
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
