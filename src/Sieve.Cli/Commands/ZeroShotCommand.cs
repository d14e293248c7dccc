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
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var images = new Argument<string[]>("images") { Description = "Image files or folders of images", Arity = ArgumentArity.OneOrMore };
        var command = new Command("zeroshot", "Zero-shot classify images with CLIP against the given labels") { model, labels, templates, top, reducer, guidance, threads, images };
        command.SetAction(r =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            var names = r.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0) throw new SieveFormatException("--labels holds no class names");
            string dir = CliOptions.ResolveModel(r.GetValue(model)!);
            if (ModelFolder.Detect(dir) != ModelFamily.Clip)
                throw new SieveFormatException($"'{dir}' is not a CLIP model; zero-shot needs image and text towers (use `sieve classify` for a ViT)");
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir);
            var clip = ClipModel.Load(dir);
            var given = r.GetValue(templates);
            var classifier = clip.ZeroShot(names, given is { Length: > 0 } ? given : null, spec.Bind(clip.Text.Tower, guide));
            var imageReducer = spec.Bind(clip.Vision.Tower, guide);
            foreach (var file in CliOptions.ExpandImages(r.GetValue(images)!))
            {
                PredictionTable.Write(file, classifier.Classify(CliOptions.DecodeImage(file), r.GetValue(top), imageReducer), false);
            }
            return 0;
        });
        return command;
    }
}
