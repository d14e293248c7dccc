using System.CommandLine;
using Sieve.Data;
using Sieve.Models;

namespace Sieve.Cli.Commands;

/// <summary><c>sieve zeroshot --model DIR --labels a,b,c IMAGE…</c>: CLIP zero-shot classification.</summary>
internal static class ZeroShotCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var labels = new Option<string>("--labels", "-l") { Description = "Comma-separated class names", Required = true };
        var templates = new Option<string[]>("--template", "-t")
        {
            Description = "Prompt template with {} for the class name; repeat for an ensemble (default: CLIP's 7-prompt ensemble)",
            AllowMultipleArgumentsPerToken = false,
        };
        var top = CliOptions.Top();
        var threads = CliOptions.Threads();
        var precision = CliOptions.Precision();
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var json = EvalOptions.Json();
        json.Description = "Print one JSON object per image, one per line (JSON Lines): image, predictions, warnings";
        var images = new Argument<string[]>("images") { Description = "Image files or folders of images", Arity = ArgumentArity.OneOrMore };
        var command = new Command("zeroshot", "Zero-shot classify images with CLIP against the given labels: a table for one image, a line per image for several")
            { model, labels, templates, top, reducer, guidance, json, threads, precision, images };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            var names = r.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0) throw new SieveFormatException("--labels holds no class names");
            if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new ArgumentException($"--labels names '{UsageError.Echo(twice.Key)}' {twice.Count()} times; each class once");
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            if (ModelFolder.Detect(dir) != ModelFamily.Clip)
                throw new SieveFormatException($"'{dir}' is not a CLIP model; zero-shot needs image and text towers (use `sieve classify` for a ViT)");
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir);
            var clip = ClipModel.Load(dir, r.GetValue(precision));
            CliOptions.CheckMerges(spec.Vision, clip.Vision);
            clip = clip.WithReduction(spec, guide);
            var given = r.GetValue(templates);
            var files = CliOptions.ExpandImages(r.GetValue(images)!);
            var classifier = clip.ZeroShot(names, given is { Length: > 0 } ? given : null);
            foreach (string warning in classifier.Warnings) CliConsole.Warn(warning);
            int k = r.GetValue(top);
            var read = CliOptions.ImageReader();
            PredictionTable.WriteAll(files, file => classifier.Classify(read(file), k), false, r.GetValue(json), classifier.Warnings);
            return 0;
        });
        return command;
    }
}
