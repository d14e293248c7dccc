using System.Text.Json;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Weights;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --task zeroshot</c>, <c>--task embedding</c> and <c>--task retrieval</c>: parse, load, run the library's
/// <see cref="ZeroShotEvaluation"/> / <see cref="EmbeddingEvaluation"/> / <see cref="RetrievalEvaluation"/> with progress on stderr, print a table or JSON.
/// </summary>
internal static class EvalTasks
{
    /// <summary>The eval options these tasks read.</summary>
    internal sealed record Options(string Model, string Data, string[] Reducers, string? Guidance, int? Limit, int TimingItems, int Rounds, bool Json,
        string? Texts, string? Split, string? ImageRoot, string? Classes, string[] Templates);

    /// <summary>Fidelity of image embeddings (and, with --texts, CLIP text embeddings) to the dense model's.</summary>
    public static async Task<int> EmbeddingAsync(Options o, CancellationToken cancellationToken)
    {
        if (o.Split != null || o.ImageRoot != null) throw new ArgumentException("--split and --image-root apply to --task retrieval only");
        string dir = await CliOptions.ResolveModelAsync(o.Model, o.Json, cancellationToken);
        var files = CliOptions.ExpandImages([o.Data]).Take(o.Limit ?? int.MaxValue).ToArray();
        var encoder = ModelFolder.Load(dir);
        if (o.Texts != null && encoder is not ITextModel) throw new SieveFormatException($"'{dir}' has no text tower; --texts needs a CLIP model");
        var (reductions, guidance) = Reductions(o, dir, encoder is ITextModel);
        foreach (var r in reductions) CliOptions.CheckMerges(r.Vision, encoder.ImageTower);
        var images = LoadImages(encoder, files, o.Json);
        var sets = new List<(string Items, EmbeddingEvaluation Evaluation)> { ("images", new EmbeddingEvaluation(encoder, Embedder.Image(), images)) };
        if (o.Texts != null)
        {
            if (!File.Exists(o.Texts)) throw new SieveFormatException($"--texts '{o.Texts}' does not exist");
            var lines = File.ReadAllLines(o.Texts).Where(l => l.Trim().Length > 0).Take(o.Limit ?? int.MaxValue).ToArray();
            sets.Add(("texts", new EmbeddingEvaluation(encoder, Embedder.Text(), Tokenize((ITextModel)encoder, lines))));
        }

        var output = new Dictionary<string, object> { ["model"] = o.Model, ["task"] = "embedding", ["threads"] = Sieve.Tensors.Threading.MaxThreads };
        foreach (var (items, evaluation) in sets)
        {
            IReadOnlyList<EmbeddingResult> rows = null!;
            CliProgress.Run($"{reductions.Count + 1} reducers (dense included) on {evaluation.Items} {items}", evaluation.Items * (reductions.Count + 1), o.Json,
                step => rows = evaluation.Evaluate(reductions, guidance, step));
            int timed = Math.Min(o.TimingItems, evaluation.Items);
            rows = EmbeddingEvaluation.WithSpeed(rows, Time(o, timed, items, rows.Count, afterRound => evaluation.Time(reductions, guidance, timed, EvalSession.WarmupRounds, o.Rounds, afterRound)), timed);
            output[items] = evaluation.Items;
            output[items == "images" ? "results" : "textResults"] = rows;
            output[items == "images" ? "timing" : "textTiming"] = TimingJson(timed, rows.Count, o.Rounds);
            if (!o.Json) WriteEmbeddingTable($"{o.Model} — embedding fidelity, {evaluation.Items} {items}", items, rows, timed, o.Rounds);
        }
        if (o.Json) CliConsole.WriteRaw(JsonSerializer.Serialize(output, EvalSession.JsonOptions));
        return 0;
    }

    /// <summary>Image→text and text→image recall, agreement with dense and speed of a dual encoder on a captions JSON.</summary>
    public static async Task<int> RetrievalAsync(Options o, CancellationToken cancellationToken)
    {
        if (o.Texts != null) throw new ArgumentException("--texts applies to --task embedding only; retrieval reads the captions from --data");
        string dir = await CliOptions.ResolveModelAsync(o.Model, o.Json, cancellationToken);
        var clip = LoadClip(dir, "retrieval", " (its matching head is not supported here)", "ranks by the cosine of image and text embeddings and needs a dual encoder (CLIP)");
        var (reductions, guidance) = Reductions(o, dir, textTower: true);
        foreach (var r in reductions) CliOptions.CheckMerges(r.Vision, clip.Vision);
        var captions = ImageCaptions.Load(o.Data, o.Split, o.ImageRoot);
        int imageCount = Math.Min(o.Limit ?? int.MaxValue, captions.Images.Count);
        int[] textIndices = Enumerable.Range(0, captions.Captions.Count).Where(c => captions.ImageOf[c] < imageCount).ToArray();
        var images = LoadImages(clip, captions.Images.Take(imageCount).ToArray(), o.Json);
        var texts = Tokenize(clip, textIndices.Select(c => captions.Captions[c]).ToArray());
        var evaluation = new RetrievalEvaluation(clip, images, texts, textIndices.Select(c => captions.ImageOf[c]).ToArray());

        IReadOnlyList<RetrievalResult> rows = null!;
        CliProgress.Run($"{reductions.Count + 1} reducers (dense included) on {evaluation.Images} images and {evaluation.Texts} texts",
            (evaluation.Images + evaluation.Texts) * (reductions.Count + 1), o.Json, step => rows = evaluation.Evaluate(reductions, guidance, step));
        int timed = Math.Min(o.TimingItems, evaluation.Images);
        rows = RetrievalEvaluation.WithSpeed(rows, Time(o, timed, "images", rows.Count, afterRound => evaluation.Time(reductions, guidance, timed, EvalSession.WarmupRounds, o.Rounds, afterRound)), timed);
        if (o.Json)
            CliConsole.WriteRaw(JsonSerializer.Serialize(new
            {
                model = o.Model, task = "retrieval", images = evaluation.Images, texts = evaluation.Texts, threads = Sieve.Tensors.Threading.MaxThreads,
                timing = TimingJson(timed, rows.Count, o.Rounds), results = rows.Select(RetrievalJson),
            }, EvalSession.JsonOptions));
        else WriteRetrievalTable($"{o.Model} — retrieval, {evaluation.Images} images, {evaluation.Texts} texts", rows, timed, o.Rounds);
        return 0;
    }

    /// <summary>CLIP zero-shot top-1 / top-5 on an ImageNet-style folder, class names (and templates) from its classes JSON.</summary>
    public static async Task<int> ZeroShotAsync(Options o, CancellationToken cancellationToken)
    {
        if (o.Texts != null || o.Split != null || o.ImageRoot != null) throw new ArgumentException("--texts, --split and --image-root apply to --task embedding or retrieval, not zeroshot");
        string dir = await CliOptions.ResolveModelAsync(o.Model, o.Json, cancellationToken);
        var clip = LoadClip(dir, "zeroshot", "", "compares image embeddings with prompt embeddings and needs CLIP (--task classify evaluates a ViT)");
        var (reductions, guidance) = Reductions(o, dir, textTower: true);
        foreach (var r in reductions) CliOptions.CheckMerges(r.Vision, clip.Vision);
        var dataset = ImageFolderDataset.Load(o.Data, o.Classes);
        var classes = JsonConfig.Load(dataset.ClassesFile);
        classes.Required("names", "the class names, one per wnid, which zero-shot classification puts into the prompts");
        IReadOnlyList<string> templates = o.Templates.Length > 0 ? o.Templates
            : classes.Has("templates") ? ImageFolderDataset.Strings(classes, "templates") : ZeroShotClassifier.DefaultTemplates;
        if (templates.FirstOrDefault(t => !t.Contains("{}")) is { } bad)
            throw new SieveFormatException($"template '{UsageError.Echo(bad)}' has no {{}} for the class name");
        int count = Math.Min(o.Limit ?? int.MaxValue, dataset.Files.Count);
        var images = LoadImages(clip, dataset.Files.Take(count).ToArray(), o.Json);
        var evaluation = new ZeroShotEvaluation(clip, images, dataset.Labels.Take(count).ToArray(), dataset.ClassNames, templates);

        IReadOnlyList<ZeroShotResult> rows = null!;
        CliProgress.Run($"{reductions.Count + 1} reducers (dense included) on {evaluation.Images} images, {evaluation.Prompts} prompts per text tower",
            evaluation.Images * (reductions.Count + 1), o.Json, step => rows = evaluation.Evaluate(reductions, guidance, step));
        int timed = Math.Min(o.TimingItems, evaluation.Images);
        rows = ZeroShotEvaluation.WithSpeed(rows, Time(o, timed, "images", rows.Count, afterRound => evaluation.Time(reductions, guidance, timed, EvalSession.WarmupRounds, o.Rounds, afterRound)), timed);
        if (o.Json)
            CliConsole.WriteRaw(JsonSerializer.Serialize(new
            {
                model = o.Model, task = "zeroshot", images = evaluation.Images, classes = dataset.ClassNames.Count, templates = templates.Count, prompts = evaluation.Prompts,
                threads = Sieve.Tensors.Threading.MaxThreads, timing = TimingJson(timed, rows.Count, o.Rounds), results = rows,
            }, EvalSession.JsonOptions));
        else WriteZeroShotTable($"{o.Model} — zero-shot, {evaluation.Images} images, {dataset.ClassNames.Count} classes × {templates.Count} templates", rows, timed, o.Rounds);
        return 0;
    }

    /// <summary>The CLIP in <paramref name="dir"/>; any other model is refused, the message saying what the task needs.</summary>
    /// <param name="dir">The model folder.</param>
    /// <param name="task">The --task value.</param>
    /// <param name="viltNote">Appended to what a ViLT lacks.</param>
    /// <param name="need">What the task does and needs, after its name.</param>
    static ClipModel LoadClip(string dir, string task, string viltNote, string need)
    {
        var family = ModelFolder.Detect(dir);
        if (family != ModelFamily.Clip)
            throw new SieveFormatException($"'{dir}' is {family switch { ModelFamily.Vit => "a ViT classifier, without a text tower", ModelFamily.Blip => "a BLIP, which this task does not take yet", _ => $"a ViLT, a fusion model without a contrastive head{viltNote}" }}: " +
                $"--task {task} {need}");
        return ClipModel.Load(dir);
    }

    /// <summary>Each --reducer as a per-tower spec (a user's <c>none</c> kept: its row must equal dense), and the guidance.</summary>
    static (List<ModelReduction>, ReductionGuidance?) Reductions(Options o, string dir, bool textTower)
    {
        var reductions = o.Reducers.Select(spec => CliOptions.Reduction(spec, null, dir, textTower).Spec).ToList();
        return (reductions, o.Guidance == null ? null : ReductionGuidance.Load(o.Guidance, dir));
    }

    static TowerInput[] LoadImages(IImageEncoder encoder, IReadOnlyList<string> files, bool quiet)
    {
        float[][] pixels = null!;
        CliProgress.Run($"reading {files.Count} images", files.Count, quiet,
            step => pixels = ImageBatch.Load(files, CliOptions.AllowDamagedImagesInRun, encoder.Preprocessor.Process, step));
        int size = encoder.ImageTower.ImageSize;
        return pixels.Select(p => TowerInput.Image(p, size)).ToArray();
    }

    /// <summary>The texts' token ids; texts cut to the tower's length are counted in one warning, not one line each.</summary>
    static TowerInput[] Tokenize(ITextModel model, IReadOnlyList<string> texts)
    {
        var tokens = texts.Select(model.Tokenize).ToArray();
        int cut = tokens.Count(t => t.Warning != null);
        if (cut > 0) CliConsole.Warn($"{cut} of {texts.Count} texts lost tokens, e.g. '{UsageError.Echo(texts[Array.FindIndex(tokens, t => t.Warning != null)])}': {tokens.First(t => t.Warning != null).Warning}");
        return tokens.Select(t => TowerInput.Text(t.Ids)).ToArray();
    }

    static IReadOnlyList<Timing> Time(Options o, int items, string what, int rows, Func<Action, IReadOnlyList<Timing>> time)
    {
        int rounds = EvalSession.WarmupRounds + InterleavedTiming.TimedRounds(rows, o.Rounds);
        IReadOnlyList<Timing> timings = null!;
        CliProgress.Run($"timing on {items} {what}, {rounds} interleaved rounds", rounds, o.Json, step => timings = time(step));
        return timings;
    }

    static object TimingJson(int items, int rows, int rounds) => new { items, warmupRounds = EvalSession.WarmupRounds, rounds = InterleavedTiming.TimedRounds(rows, rounds) };

    static object RetrievalJson(RetrievalResult r) => new
    {
        reducer = r.Reducer, images = r.Images, texts = r.Texts,
        imageToText = Percent(r.Scores.ImageToText), textToImage = Percent(r.Scores.TextToImage), rSum = r.Scores.RSum,
        agreement = r.Agreement.Both.Top1, agreementImageToText = r.Agreement.ImageToText.Top1, agreementTextToImage = r.Agreement.TextToImage.Top1,
        overlapAt10 = r.Agreement.Both.OverlapAt10, gMacsPerImage = r.GMacsPerImage, gMacsPerText = r.GMacsPerText,
        imagesPerSecond = r.ImagesPerSecond, speedUp = r.SpeedUp,
    };

    static object Percent(Recall r) => new { r1 = 100 * r.At1, r5 = 100 * r.At5, r10 = 100 * r.At10 };

    static Table NewTable(string title, IEnumerable<string> numbers)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn(new TableColumn("reducer").NoWrap());
        foreach (string number in numbers) table.AddColumn(new TableColumn(number).RightAligned().NoWrap());
        return table;
    }

    static void WriteEmbeddingTable(string title, string items, IReadOnlyList<EmbeddingResult> rows, int timed, int rounds)
    {
        var table = NewTable(title, ["mean cos", "p5 cos", "worst cos", "agree", "overlap@10", "GMACs", "GMACs ratio", "items/s", "speed-up"]);
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Reducer), $"{r.MeanCosine:F4}", $"{r.Percentile5Cosine:F4}", $"{r.WorstCosine:F4}", $"{r.Agreement:P1}", $"{r.OverlapAt10:P1}",
                $"{r.GMacs:F3}", $"{r.GMacs / rows[0].GMacs:F2}", $"{r.ItemsPerSecond:F1}", $"{r.SpeedUp:F2}×");
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine(Markup.Escape($"cos = cosine of each item's embedding to dense's (mean, 5th percentile, worst); agree = same nearest other item as dense; " +
            $"overlap@10 = shared share of the 10 nearest; GMACs per item as executed; {EvalSession.TimingNote("items/s", $"{timed} {items}", rows.Count, rounds)}."));
    }

    static void WriteZeroShotTable(string title, IReadOnlyList<ZeroShotResult> rows, int timed, int rounds)
    {
        var table = NewTable(title, ["top-1", "top-5", "agree", "GMACs", "GMACs ratio", "img/s", "speed-up", "prompt GMACs¹"]);
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Reducer), $"{r.Top1:P1}", $"{r.Top5:P1}", $"{r.Agreement:P1}", $"{r.GMacs:F3}", $"{r.GMacs / rows[0].GMacs:F2}",
                $"{r.ImagesPerSecond:F1}", $"{r.SpeedUp:F2}×", $"{r.PromptGMacs:F3}");
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine(Markup.Escape($"agree = same top-1 as dense; GMACs per image of the image tower as executed; {EvalSession.TimingNote("img/s", $"{timed} images", rows.Count, rounds)}. " +
            "¹ one-off: all prompts embedded once, by dense's text tower or, for a reducer with a text part, by its reduced one; not in GMACs or img/s."));
    }

    static void WriteRetrievalTable(string title, IReadOnlyList<RetrievalResult> rows, int timed, int rounds)
    {
        double Total(RetrievalResult r) => r.GMacsPerImage * r.Images + r.GMacsPerText * r.Texts;
        var table = NewTable(title, ["i→t R@1", "R@5", "R@10", "t→i R@1", "R@5", "R@10", "RSum", "agree", "overlap@10", "GMACs/img", "GMACs/text", "GMACs ratio", "img/s", "speed-up"]);
        foreach (var r in rows)
        {
            var (i, t) = (r.Scores.ImageToText, r.Scores.TextToImage);
            table.AddRow(Markup.Escape(r.Reducer), $"{100 * i.At1:F1}", $"{100 * i.At5:F1}", $"{100 * i.At10:F1}", $"{100 * t.At1:F1}", $"{100 * t.At5:F1}", $"{100 * t.At10:F1}",
                $"{r.Scores.RSum:F1}", $"{r.Agreement.Both.Top1:P1}", $"{r.Agreement.Both.OverlapAt10:P1}", $"{r.GMacsPerImage:F3}", $"{r.GMacsPerText:F3}",
                $"{Total(r) / Total(rows[0]):F2}", $"{r.ImagesPerSecond:F1}", $"{r.SpeedUp:F2}×");
        }
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine(Markup.Escape($"R@K in percent, ranked by cosine; agree = same top-1 as dense over the queries of both directions; overlap@10 = shared share of the top 10; " +
            $"GMACs as executed, ratio over all images and texts; {EvalSession.TimingNote("img/s (each with its captions)", $"{timed} images", rows.Count, rounds)}."));
    }
}
