using System.CommandLine;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Reduction;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --model DIR --data DIR --reducer SPEC…</c>: top-1, top-5, agreement with dense, executed
/// GMACs and images/s for each reducer, dense first; accuracy streams over the
/// folder, speed comes from interleaved rounds on a few images.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var data = EvalSession.Data();
        var classes = EvalSession.Classes();
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Reducer spec, repeatable: tome:r=13, crossget:r=16, madtp:target=0.5, … (dense always runs first)", AllowMultipleArgumentsPerToken = true };
        var limit = EvalSession.Limit();
        var calibration = EvalSession.Calibration();
        var guidance = CliOptions.Guidance();
        var timingImages = EvalSession.TimingImages();
        var rounds = EvalSession.Rounds();
        var json = EvalSession.Json();
        var threads = CliOptions.Threads();
        var command = new Command("eval", "Accuracy and speed of token reducers on an ImageNet-style folder")
            { model, data, classes, reducers, limit, calibration, guidance, timingImages, rounds, json, threads };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            var specs = (r.GetValue(reducers) ?? []).Select(ReducerSpec.Parse).Where(s => !s.IsNone).ToList();
            bool quiet = r.GetValue(json);
            var session = await EvalSession.OpenAsync(r, model, data, classes, limit, guidance, calibration, timingImages, rounds, quiet, cancellationToken);
            var rows = session.Run(specs);
            if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(new { model = r.GetValue(model), images = session.Images, threads = Sieve.Tensors.Threading.MaxThreads, timing = session.Timing(rows.Count), results = rows }, EvalSession.JsonOptions));
            else session.WriteTable($"{r.GetValue(model)} — {session.Images} images", rows);
            return 0;
        });
        return command;
    }
}
