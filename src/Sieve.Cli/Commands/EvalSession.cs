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
    public static Option<string> Data() => new("--data", "-d") { Description = "ImageNet-style folder: WNID_name.JPEG images (+ classes.json or imagenet-classes.json with \"wnids\"); embedding: images (folder or file); retrieval: captions JSON", Required = true };

    public static Option<string?> Classes() => new("--classes") { Description = "Class list JSON (\"wnids\" in the model's output order); default: found in or beside the folder" };

    public static Option<int?> Limit() => NumberOptions.OptionalInteger("--limit", "Evaluate only the first N images", 1, int.MaxValue);

    public static Option<int> Calibration() =>
        NumberOptions.Integer("--calibration", "Images used to calibrate a MADTP target into a temperature (the first N)", 32, 1, int.MaxValue);

    public static Option<bool> Json() => new("--json") { Description = "Print the results as JSON" };

    public static Option<int> TimingImages() =>
        NumberOptions.Integer("--timing-images", "Images per timed run (the first N, held in memory); every reducer is timed on the same ones", 16, 1, 4096);

    public static Option<int> Rounds() =>
        NumberOptions.Integer("--rounds", "Timed rounds, each running every reducer once in rotated order after 2 warm-up rounds (rounded up to a multiple of the reducer count)", 10, 1, 10_000);

    internal const int WarmupRounds = 2;

    readonly ClassifierEvaluation _evaluation;
    readonly ReductionGuidance? _guidance;
    readonly int _calibration, _timingImages, _rounds;
    readonly bool _quiet, _againstFloat32;

    EvalSession(VitModel model, ClassifierEvaluation evaluation, ReductionGuidance? guidance, int calibration, int timingImages, int rounds, bool quiet)
    {
        _againstFloat32 = evaluation.Reference != null;
        Model = model;
        _evaluation = evaluation;
        _guidance = guidance;
        _calibration = calibration;
        _timingImages = Math.Min(timingImages, evaluation.Images);
        _rounds = rounds;
        _quiet = quiet;
    }

    public VitModel Model { get; }

    public int Images => _evaluation.Images;

    /// <summary>
    /// Loads the model (pulled first when it is a Hub id; <paramref name="cancellationToken"/> ends that download) and
    /// guidance and lists the folder; images are read while evaluating, a chunk at a time. With int8
    /// <paramref name="precision"/> the float32 model is loaded too, as the reference agreement is measured against.
    /// </summary>
    public static async Task<EvalSession> OpenAsync(ParseResult r, Option<string> model, Option<string> data, Option<string?> classes, Option<int?> limit,
        Option<string?> guidance, Option<int> calibration, Option<int> timingImages, Option<int> rounds, bool quiet, CancellationToken cancellationToken,
        Precision precision = Precision.Float32)
    {
        string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, quiet, cancellationToken);
        if (ModelFolder.Detect(dir) != ModelFamily.Vit)
            throw new SieveFormatException($"'{dir}' is not a classifier: eval measures top-1 against labels and needs a timm ViT with a head");
        var vit = VitModel.Load(dir, precision);
        var guide = r.GetValue(guidance) is { } g ? ReductionGuidance.Load(g, dir) : null;
        var dataset = ImageFolderDataset.Load(r.GetValue(data)!, r.GetValue(classes));
        if (dataset.Labels.Max() >= vit.Config.NumClasses)
            throw new SieveFormatException($"{dataset.Directory}: labels go up to {dataset.Labels.Max()}, but the model has {vit.Config.NumClasses} classes");
        // Below float32, agreement is with float32 dense: how far the quantized model and its reductions are from the original.
        var evaluation = new ClassifierEvaluation(vit, dataset, r.GetValue(limit), CliOptions.AllowDamagedImagesInRun)
            { Reference = precision == Precision.Float32 ? null : VitModel.Load(dir) };
        return new EvalSession(vit, evaluation, guide, r.GetValue(calibration), r.GetValue(timingImages), r.GetValue(rounds), quiet);
    }

    /// <summary>
    /// Dense and each reducer (MADTP targets calibrated first): accuracy over every image, streamed, then speed from
    /// interleaved rounds on the same few images. Dense is the first row.
    /// </summary>
    public IReadOnlyList<EvalResult> Run(IReadOnlyList<ReducerSpec> specs)
    {
        foreach (var spec in specs) CliOptions.CheckMerges(spec, Model);
        var calibrated = specs.Select(Calibrate).ToArray();
        IReadOnlyList<EvalResult> results = null!;
        CliProgress.Run($"{calibrated.Length + 1} reducers (dense included) on {Images} images", Images * (calibrated.Length + 1), _quiet,
            step => results = _evaluation.Evaluate(calibrated, _guidance, progress: step));
        int rounds = WarmupRounds + InterleavedTiming.TimedRounds(calibrated.Length + 1, _rounds);
        IReadOnlyList<Timing> timings = null!;
        CliProgress.Run($"timing on {_timingImages} images, {rounds} interleaved rounds", rounds, _quiet,
            step => timings = _evaluation.Time(calibrated, _guidance, _timingImages, WarmupRounds, _rounds, step));
        return ClassifierEvaluation.WithSpeed(results, timings, _timingImages);
    }

    ReducerSpec Calibrate(ReducerSpec spec)
    {
        if (spec is not MadtpSpec { NeedsCalibration: true }) return spec;
        ReducerSpec Run() => _evaluation.Calibrate(spec, _calibration, _guidance).Spec;
        return _quiet ? Run()
            : CliConsole.Error.Status().Start($"calibrating {Markup.Escape(spec.ToString())} on {Math.Min(_calibration, Images)} images", _ => Run());
    }

    /// <summary>How the speed of <paramref name="rows"/> (dense included) was measured, for JSON output.</summary>
    public object Timing(int rows) => new { images = _timingImages, warmupRounds = WarmupRounds, rounds = InterleavedTiming.TimedRounds(rows, _rounds) };

    /// <summary>How the speed of <paramref name="rows"/> (dense included) was measured, for the table's footnote.</summary>
    string TimingNote(int rows) => TimingNote("img/s", $"{_timingImages} images", rows, _rounds);

    /// <summary>The table footnote on speed, for any task: <paramref name="rate"/> measured on the first <paramref name="items"/>.</summary>
    internal static string TimingNote(string rate, string items, int rows, int rounds) =>
        $"{rate} on the first {items} spread over {Threading.MaxThreads} threads, median of {InterleavedTiming.TimedRounds(rows, rounds)} interleaved rounds " +
        $"after {WarmupRounds} warm-up rounds; speed-up = dense's median time ÷ the reducer's, from the same rounds";

    /// <summary>The results as a table with speed-ups relative to the first (dense) row, timed in the same rounds.</summary>
    public void WriteTable(string title, IReadOnlyList<EvalResult> rows)
    {
        var dense = rows[0];
        var table = new Table().Title(Markup.Escape(title))
            .AddColumn(new TableColumn("reducer").NoWrap());
        foreach (string number in new[] { "top-1", "top-5", "agree", "GMACs", "GMACs ratio", "img/s", "speed-up" })
            table.AddColumn(new TableColumn(number).RightAligned().NoWrap()); // a number is never split over lines
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Reducer), $"{row.Top1:P1}", $"{row.Top5:P1}", $"{row.Agreement:P1}", $"{row.GMacs:F3}",
                $"{row.GMacs / dense.GMacs:F2}", $"{row.ImagesPerSecond:F1}", $"{row.SpeedUp:F2}×");
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine(Markup.Escape($"GMACs are multiply-adds as executed (fvcore's \"GFLOPs\"); agree = same top-1 as {(_againstFloat32 ? "float32 " : "")}dense; {TimingNote(rows.Count)}."));
    }

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
