using System.CommandLine;
using Sieve.Data;
using Sieve.Models;

namespace Sieve.Cli.Commands;

/// <summary><c>sieve classify --model DIR IMAGE…</c>: top-k classes of a ViT classifier.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var top = CliOptions.Top();
        var threads = CliOptions.Threads();
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var json = EvalOptions.Json();
        json.Description = "Print one JSON object per image, one per line (JSON Lines): image, predictions, warnings";
        var images = new Argument<string[]>("images") { Description = "Image files or folders of images", Arity = ArgumentArity.OneOrMore };
        var command = new Command("classify", "Classify images with a timm ViT classifier (top-k with class names): a table for one image, a line per image for several")
            { model, top, reducer, guidance, json, threads, images };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            switch (ModelFolder.Detect(dir))
            {
                case ModelFamily.Clip: throw new SieveFormatException($"'{dir}' is a CLIP model; use `sieve zeroshot --labels …` to classify with it");
                case ModelFamily.Vilt: throw new SieveFormatException($"'{dir}' is a ViLT model; use `sieve vqa` or `sieve match`");
            }
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir, textTower: false);
            var files = CliOptions.ExpandImages(r.GetValue(images)!);
            var vit = VitModel.Load(dir);
            CliOptions.CheckMerges(spec.Vision, vit);
            vit = vit.WithReduction(spec, guide);
            int k = r.GetValue(top);
            var read = CliOptions.ImageReader();
            PredictionTable.WriteAll(files, file => vit.Classify(read(file), k), true, r.GetValue(json), []);
            return 0;
        });
        return command;
    }
}
