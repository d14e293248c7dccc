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
        var images = new Argument<string[]>("images") { Description = "Image files or folders of images", Arity = ArgumentArity.OneOrMore };
        var command = new Command("classify", "Classify images with a timm ViT classifier (top-k with class names)") { model, top, reducer, guidance, threads, images };
        command.SetAction(r =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            string dir = CliOptions.ResolveModel(r.GetValue(model)!);
            switch (ModelFolder.Detect(dir))
            {
                case ModelFamily.Clip: throw new SieveFormatException($"'{dir}' is a CLIP model; use `sieve zeroshot --labels …` to classify with it");
                case ModelFamily.Vilt: throw new SieveFormatException($"'{dir}' is a ViLT model; use `sieve vqa` or `sieve match`");
            }
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir);
            var vit = VitModel.Load(dir);
            var imageReducer = spec.Bind(vit.Tower, guide);
            foreach (var file in CliOptions.ExpandImages(r.GetValue(images)!))
            {
                PredictionTable.Write(file, vit.Classify(CliOptions.DecodeImage(file), r.GetValue(top), imageReducer), true);
            }
            return 0;
        });
        return command;
    }
}
