using System.CommandLine;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Tensors;
using Sieve.Reduction;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --model DIR --data DIR --reducer SPEC…</c>: top-1, top-5, agreement with dense, executed
/// GMACs and images/s for each reducer, dense first; accuracy streams over the
/// folder, speed comes from interleaved rounds on a few images. <c>--task zeroshot</c>, <c>--task embedding</c> and <c>--task retrieval</c>
/// measure CLIP zero-shot classification, fidelity of embeddings and image–text retrieval instead (<see cref="EvalTasks"/>).
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
        var precision = CliOptions.Precision();
        var task = new Option<string>("--task") { Description = "classify (labelled ImageNet-style folder, ViT), zeroshot (the same with CLIP and prompts), embedding (fidelity to dense without labels) or retrieval (image–text, COCO or Karpathy captions JSON)", DefaultValueFactory = _ => "classify" };
        var texts = new Option<string?>("--texts") { Description = "embedding: also a text file, one text per line, through CLIP's text tower" };
        var split = new Option<string?>("--split") { Description = "retrieval: the split of a Karpathy JSON (default test)" };
        var imageRoot = new Option<string?>("--image-root") { Description = "retrieval: the folder the captions' images are in (default: COCO's layout beside the JSON)" };
        var template = new Option<string[]>("--template") { Description = "zeroshot: a prompt template with {} for the class name, repeatable (default: the classes JSON's \"templates\", else CLIP's 7-prompt ensemble)" };
        var command = new Command("eval", "Accuracy and speed of token reducers: classification, CLIP zero-shot, embedding fidelity or image–text retrieval")
            { model, data, classes, reducers, limit, calibration, guidance, timingImages, rounds, json, threads, precision, task, texts, split, imageRoot, template };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            string taskName = r.GetValue(task)!;
            if (taskName == "classify" && (r.GetValue(texts) ?? r.GetValue(split) ?? r.GetValue(imageRoot)) != null)
                throw new ArgumentException("--texts, --split and --image-root apply to --task embedding or retrieval, not classify");
            if (taskName != "zeroshot" && (r.GetValue(template) ?? []).Length > 0) throw new ArgumentException($"--template applies to --task zeroshot only, not {UsageError.Echo(taskName)}");
            if (taskName != "classify")
            {
                if (r.GetValue(precision) != Precision.Float32) throw new ArgumentException($"--precision int8 applies to --task classify only, not {UsageError.Echo(taskName)}");
                if (taskName != "zeroshot" && r.GetValue(classes) != null) throw new ArgumentException($"--classes applies to --task classify or zeroshot only, not {UsageError.Echo(taskName)}");
                var options = new EvalTasks.Options(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(reducers) ?? [], r.GetValue(guidance), r.GetValue(limit),
                    r.GetValue(timingImages), r.GetValue(rounds), r.GetValue(json), r.GetValue(texts), r.GetValue(split), r.GetValue(imageRoot), r.GetValue(classes), r.GetValue(template) ?? []);
                return taskName switch
                {
                    "zeroshot" => await EvalTasks.ZeroShotAsync(options, cancellationToken),
                    "embedding" => await EvalTasks.EmbeddingAsync(options, cancellationToken),
                    "retrieval" => await EvalTasks.RetrievalAsync(options, cancellationToken),
                    _ => throw new ArgumentException($"--task '{UsageError.Echo(taskName)}': expected classify, zeroshot, embedding or retrieval"),
                };
            }
            var specs = (r.GetValue(reducers) ?? []).Select(ReducerSpec.Parse).Where(s => !s.IsNone).ToList();
            bool quiet = r.GetValue(json);
            var session = await EvalSession.OpenAsync(r, model, data, classes, limit, guidance, calibration, timingImages, rounds, quiet, cancellationToken, r.GetValue(precision));
            var rows = session.Run(specs);
            if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(new { model = r.GetValue(model), images = session.Images, precision = CliOptions.PrecisionName(r.GetValue(precision)), threads = Sieve.Tensors.Threading.MaxThreads, timing = session.Timing(rows.Count), results = rows }, EvalSession.JsonOptions));
            else session.WriteTable($"{r.GetValue(model)} — {session.Images} images, {CliOptions.PrecisionName(r.GetValue(precision))}", rows);
            return 0;
        });
        return command;
    }
}
