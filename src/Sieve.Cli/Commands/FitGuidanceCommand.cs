using System.CommandLine;
using Sieve.Data;
using Sieve.Fitting;
using Sieve.Models;
using Sieve.Reduction;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve fit-guidance --model DIR --method crossget|madtp --data DIR|captions.json --out FILE</c>: fits
/// CrossGET cross-token offsets or MADTP alignment tokens with the backbone frozen and writes the best
/// guidance file (lowest held-out loss) as it goes.
/// </summary>
internal static class FitGuidanceCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var method = new Option<string>("--method") { Description = "What to fit: crossget (cross-token offsets) or madtp (alignment tokens; CLIP only)", Required = true };
        method.AcceptOnlyFromAmong("crossget", "madtp");
        var data = new Option<string>("--data", "-d") { Description = "ImageNet-style folder (classifier) or a COCO captions JSON (CLIP)", Required = true };
        var classes = EvalOptions.Classes();
        var output = new Option<string>("--out", "-o") { Description = "Guidance file to write (.safetensors)", Required = true };
        var reducer = new Option<string>("--reducer", "-r") { Description = "The CrossGET reduction the offsets are fitted under", DefaultValueFactory = _ => "crossget:r=16" };
        var defaults = new FitOptions();
        var epochs = NumberOptions.Integer("--epochs", "Passes over the training split", defaults.Epochs, 1, 100_000);
        var lr = NumberOptions.Real("--lr", "Peak AdamW step size (cosine decay)", defaults.LearningRate, v => v is > 0 and <= 1, "a number in (0, 1]");
        var decay = NumberOptions.Real("--weight-decay", "AdamW weight decay", defaults.WeightDecay, v => v is >= 0 and <= 1, "a number in [0, 1]");
        var batch = NumberOptions.Integer("--batch", "Samples per step", defaults.BatchSize, 1, 4096);
        var holdOut = NumberOptions.Real("--hold-out", "Fraction held out for early stopping (0: none, the training loss decides)", defaults.HoldOut, v => v is >= 0 and <= 0.5, "a fraction in [0, 0.5]");
        var patience = NumberOptions.Integer("--patience", "Epochs without a better held-out loss before stopping", defaults.Patience, 1, 100_000);
        var seed = NumberOptions.Integer("--seed", "Seed of the split, shuffles and initial tokens (same seed, same file)", defaults.Seed, int.MinValue, int.MaxValue);
        var tokens = NumberOptions.Integer("--tokens", "MADTP alignment tokens M", MagTokens.DefaultCount, 1, 4096);
        var limit = EvalOptions.Limit();
        var threads = CliOptions.Threads();
        var precision = CliOptions.Precision();
        var command = new Command("fit-guidance", "Fit CrossGET cross tokens or MADTP alignment tokens (frozen model) and write a guidance file")
            { model, method, data, classes, output, reducer, epochs, lr, decay, batch, holdOut, patience, seed, tokens, limit, threads, precision };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            var options = new FitOptions(r.GetValue(epochs), r.GetValue(lr), r.GetValue(decay), r.GetValue(batch), r.GetValue(holdOut), r.GetValue(patience), r.GetValue(seed));
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken), path = r.GetValue(output)!;
            OutputGuard.Check("--out", path, [r.GetValue(data), r.GetValue(classes)], [dir, Directory.Exists(r.GetValue(data)) ? r.GetValue(data) : null]);
            if (r.GetValue(method) == "madtp" && ModelFolder.Detect(dir) == ModelFamily.Vit)
                throw new ArgumentException($"--method madtp aligns image and text token states; '{r.GetValue(model)}' is a classifier with no text tower (fit --method crossget for it)");
            var spec = ModelReduction.Parse(r.GetValue(reducer)!);
            // A Hub id names the model; a folder is named by its own name.
            var target = FitTarget.Load(dir, Directory.Exists(r.GetValue(model)) ? null : r.GetValue(model), r.GetValue(precision));
            var samples = Samples(target, r.GetValue(data)!, r.GetValue(classes), r.GetValue(limit));
            IFitObjective objective = r.GetValue(method) == "madtp"
                ? Cache(target, samples, r.GetValue(tokens), options.Seed)
                : new CrossGetFitter(target, spec, samples);

            var details = GuidanceFile.Describe(options);
            details["precision"] = CliOptions.PrecisionName(r.GetValue(precision));
            if (objective is CrossGetFitter) details["reducer"] = spec.ToString();
            else details["tokens"] = GuidanceFile.Text(r.GetValue(tokens));
            // Checkpoints go to a working file beside --out, which takes its name only when the fit ends well: a fit
            // that diverges (or is stopped) never replaces what --out held before.
            string working = path + ".partial";
            FitResult result;
            try
            {
                result = Run(objective, options, (parameters, epoch, loss) =>
                {
                    details["epoch"] = GuidanceFile.Text(epoch);
                    details[options.HoldOut > 0 ? "held_out_loss" : "training_loss"] = GuidanceFile.Text(loss);
                    GuidanceFile.Save(working, objective, parameters, target, details);
                });
            }
            catch (ArgumentException)
            {
                File.Delete(working); // a diverged fit leaves no guidance behind
                throw;
            }
            File.Move(working, path, overwrite: true);
            string judged = result.HeldOutSamples > 0 ? "held-out loss" : "training loss (nothing held out)";
            CliConsole.Out.MarkupLineInterpolated(
                $"{objective.Method} guidance for {target.Name}: {judged} {result.InitialLoss:F4} → {result.BestLoss:F4} (best epoch {result.BestEpoch} of {result.EpochsRun} run; {result.TrainSamples} samples trained, {result.HeldOutSamples} held out)");
            CliConsole.Out.MarkupLineInterpolated($"wrote [green]{path}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>Labelled images for a classifier, or image–caption pairs for CLIP, preprocessed in parallel.</summary>
    static List<FitSample> Samples(FitTarget target, string data, string? classes, int? limit)
    {
        if (target.IsClassifier)
        {
            if (!Directory.Exists(data))
                throw new ArgumentException($"--data '{data}': a classifier fits on an ImageNet-style folder of labelled images (WNID_name.JPEG)");
            var dataset = ImageFolderDataset.Load(data, classes);
            if (dataset.Labels.Max() >= target.Classes)
                throw new SieveFormatException($"{dataset.Directory}: labels go up to {dataset.Labels.Max()}, but the model has {target.Classes} classes");
            int n = Math.Min(dataset.Files.Count, limit ?? int.MaxValue);
            var pixels = Preprocess(dataset.Files.Take(n).ToArray(), target.Preprocessor.Process);
            return Enumerable.Range(0, n).Select(i => new FitSample(pixels[i], dataset.Labels[i])).ToList();
        }
        if (!File.Exists(data))
            throw new ArgumentException($"--data '{data}': a CLIP fits on image–caption pairs; give a COCO captions JSON (annotations/captions_*.json)");
        var pairs = ImageCaptions.Load(data).Pairs.Take(limit ?? int.MaxValue).ToList();
        var files = pairs.Select(p => p.Image).Distinct().ToArray();
        var images = Preprocess(files, target.Preprocessor.Process);
        var byFile = files.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => images[p.i]);
        return pairs.Select(p => new FitSample(byFile[p.Image], text: target.Tokenize(p.Caption))).ToList();
    }

    static float[][] Preprocess(string[] files, Func<RgbImage, float[]> preprocess)
    {
        float[][] pixels = null!;
        bool allowDamaged = CliOptions.AllowDamagedImagesInRun; // read on the run's thread
        CliProgress.Run($"preprocessing {files.Length} images", files.Length, false, step => pixels = ImageBatch.Load(files, allowDamaged, preprocess, step));
        return pixels;
    }

    static MadtpFitter Cache(FitTarget target, List<FitSample> samples, int tokens, int seed)
    {
        MadtpFitter fitter = null!;
        CliProgress.Run($"caching token states of {samples.Count} pairs", samples.Count, false, step => fitter = new MadtpFitter(target, samples, tokens, seed, step));
        return fitter;
    }

    /// <summary>The fit with a progress bar showing epoch, running loss and held-out loss (a line per epoch when piped).</summary>
    static FitResult Run(IFitObjective objective, FitOptions options, Action<double[], int, double> checkpoint)
    {
        // Without a held-out split the trainer judges on the training set: say so, not "held-out".
        string judged = options.HoldOut > 0 ? "held-out" : "training-set";
        string Describe(FitProgress p) => p.Epoch == 0
            ? $"{judged} loss {p.HeldOutLoss:F4} before fitting"
            : $"epoch {p.Epoch}/{p.Epochs}, loss {p.RunningLoss:F4}" + (p.HeldOutLoss is double h ? $", {judged} {h:F4}" : "");
        if (!CliConsole.Error.Profile.Capabilities.Interactive)
            return GuidanceTrainer.Fit(objective, options, p =>
            {
                if (p.HeldOutLoss != null) CliConsole.Error.WriteLine(Describe(p));
            }, checkpoint);
        FitResult result = null!;
        CliConsole.Error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("fitting", maxValue: 1);
                result = GuidanceTrainer.Fit(objective, options, p =>
                {
                    task.MaxValue = p.Epochs * p.StepsPerEpoch;
                    task.Value = Math.Max(0, p.Epoch - 1) * p.StepsPerEpoch + p.Step;
                    task.Description = Markup.Escape(Describe(p));
                    if (p.HeldOutLoss != null) CliConsole.Error.MarkupLine(Markup.Escape(Describe(p)));
                }, checkpoint);
            });
        return result;
    }
}
