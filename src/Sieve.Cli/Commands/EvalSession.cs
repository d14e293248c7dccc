using System.CommandLine;
using System.Text.Json;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>What <c>eval</c> and <c>sweep</c> share: options, loading and preprocessing a labelled folder, running reducers, the table.</summary>
internal sealed class EvalSession
{
    public static Option<string> Data() => new("--data", "-d") { Description = "ImageNet-style folder: WNID_name.JPEG images (+ classes.json or imagenet-classes.json with \"wnids\")", Required = true };

    public static Option<string?> Classes() => new("--classes") { Description = "Class list JSON (\"wnids\" in the model's output order); default: found in or beside the folder" };

    public static Option<int?> Limit() => new("--limit")
    {
        Description = "Evaluate only the first N images",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--limit must be at least 1"); } },
    };

    public static Option<int> Calibration() => new("--calibration")
    {
        Description = "Images used to calibrate a MADTP target into a temperature (the first N)",
        DefaultValueFactory = _ => 32,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--calibration must be at least 1"); } },
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the results as JSON" };

    readonly ClassifierEvaluation _evaluation;
    readonly ReductionGuidance? _guidance;
    readonly int _calibration;
    readonly bool _quiet;

    EvalSession(VitModel model, int images, ClassifierEvaluation evaluation, ReductionGuidance? guidance, int calibration, bool quiet)
    {
        Model = model;
        Images = images;
        _evaluation = evaluation;
        _guidance = guidance;
        _calibration = calibration;
        _quiet = quiet;
    }

    public VitModel Model { get; }

    public int Images { get; }

    /// <summary>Loads the model and guidance, reads and preprocesses the folder (in parallel, with progress).</summary>
    public static EvalSession Open(ParseResult r, Option<string> model, Option<string> data, Option<string?> classes, Option<int?> limit,
        Option<string?> guidance, Option<int> calibration, bool quiet)
    {
        string dir = CliOptions.ResolveModel(r.GetValue(model)!, quiet);
        if (ModelFolder.Detect(dir) != ModelFamily.Vit)
            throw new SieveFormatException($"'{dir}' is not a classifier: eval measures top-1 against labels and needs a timm ViT with a head");
        var vit = VitModel.Load(dir);
        var guide = r.GetValue(guidance) is { } g ? ReductionGuidance.Load(g, dir) : null;
        var dataset = ImageFolderDataset.Load(r.GetValue(data)!, r.GetValue(classes));
        if (dataset.Labels.Max() >= vit.Config.NumClasses)
            throw new SieveFormatException($"{dataset.Directory}: labels go up to {dataset.Labels.Max()}, but the model has {vit.Config.NumClasses} classes");
        int n = Math.Min(dataset.Files.Count, r.GetValue(limit) ?? int.MaxValue);
        var inputs = new float[n][];
        CliProgress.Run($"preprocessing {n} images", n, quiet, step =>
            Threading.ForEachSample(n, i =>
            {
                inputs[i] = vit.Preprocess(CliOptions.DecodeImage(dataset.Files[i]));
                step();
            }));
        var evaluation = new ClassifierEvaluation(vit, inputs, dataset.Labels.Take(n).ToArray());
        return new EvalSession(vit, n, evaluation, guide, r.GetValue(calibration), quiet);
    }

    /// <summary>Calibrates (MADTP targets) and evaluates one reducer with a progress bar.</summary>
    public EvalResult Run(ReducerSpec spec)
    {
        if (spec.NeedsCalibration)
        {
            var target = spec;
            ReducerSpec Calibrate() => _evaluation.Calibrate(target, _calibration, _guidance).Spec;
            spec = _quiet ? Calibrate()
                : AnsiConsole.Status().Start($"calibrating {Markup.Escape(spec.ToString())} on {Math.Min(_calibration, Images)} images", _ => Calibrate());
        }
        EvalResult result = null!;
        CliProgress.Run($"{spec} on {Images} images", Images, _quiet, step => result = _evaluation.Evaluate(spec, _guidance, step));
        return result;
    }

    /// <summary>The results as a table with speed-ups relative to the first (dense) row.</summary>
    public static void WriteTable(string title, IReadOnlyList<EvalResult> rows)
    {
        var dense = rows[0];
        var table = new Table().Title(Markup.Escape(title))
            .AddColumn(new TableColumn("reducer").NoWrap()).AddColumn(new TableColumn("top-1").RightAligned()).AddColumn(new TableColumn("top-5").RightAligned())
            .AddColumn(new TableColumn("agree").RightAligned()).AddColumn(new TableColumn("GMACs").RightAligned())
            .AddColumn(new TableColumn("GMACs ratio").RightAligned()).AddColumn(new TableColumn("img/s").RightAligned()).AddColumn(new TableColumn("speed-up").RightAligned());
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Reducer), $"{row.Top1:P1}", $"{row.Top5:P1}", $"{row.Agreement:P1}", $"{row.GMacs:F3}",
                $"{row.GMacs / dense.GMacs:F2}", $"{row.ImagesPerSecond:F1}", $"{row.ImagesPerSecond / dense.ImagesPerSecond:F2}×");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"GMACs are multiply-adds as executed (fvcore's \"GFLOPs\"); img/s with images spread over {Threading.MaxThreads} threads; agree = same top-1 as dense.");
    }

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
