using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// Builds any evaluation task from the command line — the one place <c>eval</c>, <c>sweep</c> and <c>tune</c> get
/// their <see cref="ITaskEvaluation"/> from — and runs it with progress on stderr.
/// </summary>
internal static class EvalTasks
{
    /// <summary>The <c>--task</c> values.</summary>
    public const string Names = "classify, zeroshot, embedding, retrieval, vqa or caption";

    /// <summary>What a task is built from (the eval options, all tasks' together; a task refuses the ones that are not its own).</summary>
    internal sealed record Options(string Task, string Model, string Data, IReadOnlyList<string> Reducers, string? Guidance, int? Limit, int Calibration, bool Quiet,
        string? Texts = null, string? Split = null, string? ImageRoot = null, string? Classes = null, IReadOnlyList<string>? Templates = null,
        string? Annotations = null, string? ImageMap = null, int? Negatives = null, Precision Precision = Precision.Float32, int? Rerank = null, string? Prompt = null);

    /// <summary>A built task: its evaluations (images, and texts for <c>embedding --texts</c>), the reducers (calibrated) and the guidance.</summary>
    /// <param name="Title">What was evaluated, for a table's title.</param>
    /// <param name="Evaluations">The evaluations, each printed on its own; the first is the task's main one.</param>
    /// <param name="Reductions">The reducers, dense not included, MADTP targets calibrated into temperatures.</param>
    /// <param name="Guidance">Fitted guidance, or null.</param>
    /// <param name="Note">What the task's columns mean, for the table's footnote.</param>
    /// <param name="Facts">Facts about the data for the JSON output (class count, captions, …).</param>
    internal sealed record Setup(string Title, IReadOnlyList<ITaskEvaluation> Evaluations, IReadOnlyList<ModelReduction> Reductions, ReductionGuidance? Guidance,
        string Note, IReadOnlyDictionary<string, object> Facts);

    /// <summary>
    /// Checks the options against the task, resolves and loads the model, checks the reducers against it, reads the data
    /// and builds the evaluation; each task's builder calls <c>loaded</c> with its model before it reads any data.
    /// </summary>
    public static async Task<Setup> OpenAsync(Options o, CancellationToken cancellationToken)
    {
        var specific = new (string Option, bool Given, string[] Tasks)[]
        {
            ("--texts", o.Texts != null, ["embedding"]), ("--split", o.Split != null, ["retrieval", "caption"]), ("--image-root", o.ImageRoot != null, ["retrieval", "vqa", "caption"]),
            ("--classes", o.Classes != null, ["classify", "zeroshot"]), ("--template", o.Templates is { Count: > 0 }, ["zeroshot"]),
            ("--annotations", o.Annotations != null, ["vqa"]), ("--image-map", o.ImageMap != null, ["vqa"]), ("--negatives", o.Negatives != null, ["retrieval"]),
            ("--rerank", o.Rerank != null, ["retrieval"]), ("--prompt", o.Prompt != null, ["caption"]),
        };
        if (o.Task is not ("classify" or "zeroshot" or "embedding" or "retrieval" or "vqa" or "caption")) throw new ArgumentException($"--task '{UsageError.Echo(o.Task)}': expected {Names}");
        if (o.Precision != Precision.Float32 && o.Task != "classify") throw new ArgumentException($"--precision int8 applies to --task classify only, not {o.Task}");
        foreach (var (option, given, tasks) in specific)
            if (given && !tasks.Contains(o.Task)) throw new ArgumentException($"{option} applies to --task {string.Join(" or ", tasks)}, not {o.Task}");

        string dir = await CliOptions.ResolveModelAsync(o.Model, o.Quiet, cancellationToken);
        var guidance = o.Guidance == null ? null : ReductionGuidance.Load(o.Guidance, dir);
        // The reducers are checked against the model as soon as it is loaded, before any data is read.
        List<ModelReduction> reductions = [];
        void Check(IModel model)
        {
            // A text=… part needs a tower that reads text (CLIP's text tower, ViLT's fusion stream, which takes one spec).
            bool readsText = model.Towers.Any(t => t.Info.Modality != Modality.Image);
            reductions = o.Reducers.Select(spec => CliOptions.Reduction(spec, null, dir, readsText, calibrates: true).Spec).ToList();
            foreach (var r in reductions)
                foreach (var tower in model.Towers) CliOptions.CheckMerges(r.For(tower.Info), tower);
        }
        var task = o.Task switch
        {
            "classify" => Classify(o, dir, Check),
            "zeroshot" => ZeroShot(o, dir, Check),
            "embedding" => Embedding(o, dir, Check),
            "retrieval" => Retrieval(o, dir, Check),
            "caption" => Caption(o, dir, Check),
            _ => Vqa(o, dir, Check),
        };
        var main = task.Evaluations[0];
        return task with { Reductions = reductions.Select(r => Calibrated(r, main, o, guidance)).ToList(), Guidance = guidance };
    }

    /// <summary><paramref name="reduction"/> with a MADTP compute target calibrated into a temperature on the task's first --calibration items.</summary>
    static ModelReduction Calibrated(ModelReduction reduction, ITaskEvaluation evaluation, Options o, ReductionGuidance? guidance)
    {
        if (!new[] { reduction.Vision, reduction.Text }.Any(s => s is MadtpSpec { NeedsCalibration: true })) return reduction;
        ModelReduction Run() => evaluation.Calibrate(reduction, o.Calibration, guidance);
        return o.Quiet ? Run() : CliConsole.Error.Status().Start(
            $"calibrating {Markup.Escape(reduction.ToString())} on {Math.Min(o.Calibration, evaluation.Count)} {evaluation.ItemName}", _ => Run());
    }

    /// <summary>
    /// Dense and each reducer on every item (progress on stderr), then timed against each other on the first
    /// items in interleaved rounds; dense first, every row with its speed.
    /// </summary>
    public static IReadOnlyList<ITaskResult> Run(ITaskEvaluation evaluation, Setup setup, SpeedOptions speed, bool quiet)
    {
        int reducers = setup.Reductions.Count + 1;
        IReadOnlyList<ITaskResult> rows = null!;
        CliProgress.Run($"{reducers} reducers (dense included) on {evaluation.Count} {evaluation.ItemName}", evaluation.StepsPerReducer * reducers, quiet,
            step => rows = evaluation.Evaluate(setup.Reductions, setup.Guidance, step));
        int rounds = speed.WarmupRounds + InterleavedTiming.TimedRounds(reducers, speed.Rounds);
        CliProgress.Run($"timing on {Math.Min(speed.Items, evaluation.Count)} {evaluation.ItemName}, {rounds} interleaved rounds", rounds, quiet,
            step => rows = evaluation.WithSpeed(rows, setup.Reductions, setup.Guidance, speed, step));
        return rows;
    }

    /// <summary>How the speed of <paramref name="rows"/> reducers (dense included) was measured, for JSON output.</summary>
    public static object TimingJson(ITaskEvaluation evaluation, SpeedOptions speed, int rows) =>
        new { items = Math.Min(speed.Items, evaluation.Count), warmupRounds = speed.WarmupRounds, rounds = InterleavedTiming.TimedRounds(rows, speed.Rounds) };

    /// <summary>The table footnote on speed.</summary>
    public static string TimingNote(ITaskEvaluation evaluation, SpeedOptions speed, int rows) =>
        $"{evaluation.ItemName}/s on the first {Math.Min(speed.Items, evaluation.Count)} {evaluation.ItemName} spread over {Sieve.Tensors.Threading.MaxThreads} threads, " +
        $"median of {InterleavedTiming.TimedRounds(rows, speed.Rounds)} interleaved rounds after {speed.WarmupRounds} warm-up rounds; " +
        "speed-up = dense's median time ÷ the reducer's, from the same rounds";

    static Setup Classify(Options o, string dir, Action<IModel> loaded)
    {
        if (ModelFolder.Detect(dir) != ModelFamily.Vit)
            throw new SieveFormatException($"'{dir}' is not a classifier: --task classify measures top-1 against labels and needs a timm ViT with a head (--task zeroshot evaluates a CLIP)");
        var vit = VitModel.Load(dir, o.Precision);
        loaded(vit);
        var dataset = ImageFolderDataset.Load(o.Data, o.Classes);
        // Below float32, agreement is with float32 dense: how far the quantized model and its reductions are from the original.
        var reference = o.Precision == Precision.Float32 ? null : VitModel.Load(dir);
        var evaluation = TaskEvaluations.Classify(vit, dataset, Loading(o), reference);
        return new Setup($"{o.Model} — classification, {CliOptions.PrecisionName(o.Precision)}", [evaluation], [], null,
            $"agree = same top-1 as {(reference == null ? "" : "float32 ")}dense", new Dictionary<string, object>());
    }

    static Setup ZeroShot(Options o, string dir, Action<IModel> loaded)
    {
        var clip = LoadClip(dir, "zeroshot", "compares image embeddings with prompt embeddings and needs CLIP (--task classify evaluates a ViT)");
        loaded(clip);
        var dataset = ImageFolderDataset.Load(o.Data, o.Classes);
        var classes = JsonConfig.Load(dataset.ClassesFile);
        classes.Required("names", "the class names, one per wnid, which zero-shot classification puts into the prompts");
        IReadOnlyList<string> templates = o.Templates is { Count: > 0 } given ? given
            : classes.Has("templates") ? ImageFolderDataset.Strings(classes, "templates") : ZeroShotClassifier.DefaultTemplates;
        if (templates.FirstOrDefault(t => !t.Contains("{}")) is { } bad)
            throw new SieveFormatException($"template '{UsageError.Echo(bad)}' has no {{}} for the class name");
        var evaluation = ReadingImages(Loading(o).Take(dataset.Files.Count), o,
            loading => TaskEvaluations.ZeroShot(clip, dataset, dataset.ClassNames, templates, loading));
        return new Setup($"{o.Model} — zero-shot, {dataset.ClassNames.Count} classes × {templates.Count} templates", [evaluation], [], null,
            "agree = same top-1 as dense; GMACs of the image tower; prompt GMACs: all prompts embedded once, by dense's text tower or, for a reducer with a text part, by its reduced one, not in GMACs or img/s",
            new Dictionary<string, object> { ["classes"] = dataset.ClassNames.Count, ["templates"] = templates.Count, ["prompts"] = dataset.ClassNames.Count * templates.Count });
    }

    static Setup Embedding(Options o, string dir, Action<IModel> loaded)
    {
        var files = CliOptions.ExpandImages([o.Data]);
        var encoder = ModelFolder.Load(dir);
        loaded(encoder);
        if (o.Texts != null && encoder is not ITextModel) throw new SieveFormatException($"'{dir}' has no text tower; --texts needs a CLIP model");
        var evaluations = new List<ITaskEvaluation> { ReadingImages(Loading(o).Take(files.Count), o, loading => TaskEvaluations.ImageEmbedding(encoder, files, loading)) };
        if (o.Texts != null)
        {
            if (!File.Exists(o.Texts)) throw new SieveFormatException($"--texts '{o.Texts}' does not exist");
            var lines = File.ReadAllLines(o.Texts).Where(l => l.Trim().Length > 0).ToArray();
            evaluations.Add(TaskEvaluations.TextEmbedding((ITextModel)encoder, lines, Loading(o)));
        }
        return new Setup($"{o.Model} — embedding fidelity", evaluations, [], null,
            "cos = cosine of each item's embedding to dense's (mean, 5th percentile, worst, and which item); agree = same nearest other item as dense; overlap@10 = shared share of the 10 nearest",
            new Dictionary<string, object>());
    }

    static Setup Retrieval(Options o, string dir, Action<IModel> loaded)
    {
        if (ModelFolder.Detect(dir) == ModelFamily.Vilt)
            return o.Rerank == null ? MatchingRetrieval(o, dir, loaded)
                : throw new ArgumentException("--rerank re-ranks a dual encoder's cosine shortlist (BLIP); ViLT scores every candidate pair with its matching head (--negatives)");
        if (o.Negatives != null) throw new ArgumentException("--negatives applies to retrieval with a fusion model's matching head (ViLT); a dual encoder ranks every text for every image");
        var clip = LoadDualEncoder(dir, "retrieval", "ranks by the cosine of image and text embeddings and needs a dual encoder (CLIP, BLIP), or a fusion model's matching head (ViLT)");
        loaded(clip);
        TaskEvaluations.CheckRerank(clip, o.Rerank ?? 0);
        var captions = ImageCaptions.Load(o.Data, o.Split, o.ImageRoot);
        var evaluation = (RetrievalEvaluation)ReadingImages(Loading(o).Take(captions.Images.Count), o, loading => TaskEvaluations.Retrieval(clip, captions, loading, o.Rerank ?? 0));
        string ranked = o.Rerank is { } k ? $"ranked by cosine, each query's {k} best re-ranked by the matching head (logit + cosine)" : "ranked by cosine";
        return new Setup($"{o.Model} — retrieval, {evaluation.Texts} texts{(o.Rerank is { } r ? $", re-ranking the top {r}" : "")}", [evaluation], [], null,
            $"R@K in percent, {ranked}; RSum = the six recalls' sum; agree = same top-1 as dense over the queries of both directions; overlap@10 = shared share of the top 10; " +
            "an item is an image with its captions",
            new Dictionary<string, object> { ["texts"] = evaluation.Texts, ["rerank"] = o.Rerank ?? 0 });
    }

    /// <summary>
    /// Retrieval with ViLT's matching head: each query over its own captions (image) or image (text) and
    /// --negatives others (<see cref="MatchingRetrievalEvaluation"/>), every distinct pair one forward.
    /// </summary>
    static Setup MatchingRetrieval(Options o, string dir, Action<IModel> loaded)
    {
        var vilt = ViltModel.Load(dir);
        if (!vilt.HasMatchHead)
            throw new SieveFormatException($"'{dir}' is a ViLT without an image–text matching head (rank_output): --task retrieval with a fusion model scores pairs with that head (ViltForImageAndTextRetrieval)");
        loaded(vilt);
        var captions = ImageCaptions.Load(o.Data, o.Split, o.ImageRoot);
        int negatives = o.Negatives ?? MatchingRetrievalEvaluation.DefaultNegatives;
        var evaluation = (MatchingRetrievalEvaluation)ReadingImages(Loading(o).Take(captions.Images.Count), o,
            loading => TaskEvaluations.Retrieval(vilt, captions, negatives, loading: loading));
        return new Setup($"{o.Model} — retrieval by matching head, {evaluation.Texts} texts, {negatives} negatives per query", [evaluation], [], null,
            $"R@K in percent, each image query ranked by the matching logit over its own captions and {negatives} others, each text query over its image and {negatives} others " +
            $"(drawn with seed {evaluation.Seed}); RSum = the six recalls' sum; agree = same top-1 as dense over the queries of both directions; overlap@10 = shared share of the top 10; " +
            $"{evaluation.Pairs} image–text pairs scored per reducer, one forward each; an item is an image with its share of the pairs",
            new Dictionary<string, object> { ["texts"] = evaluation.Texts, ["negatives"] = negatives, ["seed"] = evaluation.Seed, ["pairs"] = evaluation.Pairs });
    }

    /// <summary>ViLT's VQA head on VQAv2 questions and annotations: the official VQA accuracy, overall and per answer type.</summary>
    static Setup Vqa(Options o, string dir, Action<IModel> loaded)
    {
        var family = ModelFolder.Detect(dir);
        if (family != ModelFamily.Vilt)
            throw new SieveFormatException($"'{dir}' is {family switch { ModelFamily.Vit => "a ViT classifier", ModelFamily.Blip => "a BLIP retrieval model", _ => "a CLIP dual encoder" }}: VQA needs a model with a VQA head (ViLT)");
        if (o.Annotations == null) throw new ArgumentException("--task vqa needs --annotations, the VQAv2 annotations JSON with the human answers to --data's questions");
        var vilt = ViltModel.Load(dir);
        if (!vilt.HasVqaHead)
            throw new SieveFormatException($"'{dir}' is a ViLT without a VQA head (classifier.*): VQA needs a model with a VQA head (ViLT's ViltForQuestionAnswering)");
        loaded(vilt);
        var questions = VqaDataset.Load(o.Data, o.Annotations, o.ImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(o.Data))!, o.ImageMap);
        int images = questions.Take(Loading(o).Take(questions.Count)).Select(q => q.Image).Distinct().Count();
        var evaluation = ReadingImages(images, o, loading => TaskEvaluations.Vqa(vilt, questions, loading));
        return new Setup($"{o.Model} — VQA on {images} images", [evaluation], [], null,
            "VQA acc = the official VQA accuracy of the top answer in percent (min(1, humans who gave it ÷ 3) over the ten leave-one-out sets, answers normalised), " +
            "then per answer type where the annotations give one; agree = same top answer as dense",
            new Dictionary<string, object> { ["images"] = images });
    }

    /// <summary>Captioning with a BLIP captioning model: CIDEr-D and BLEU-4 against the COCO (or Karpathy) captions of each image.</summary>
    static Setup Caption(Options o, string dir, Action<IModel> loaded)
    {
        if (ModelFolder.Detect(dir) != ModelFamily.Blip)
            throw new SieveFormatException($"'{dir}' is not a BLIP: --task caption needs a BLIP captioning model (BlipForConditionalGeneration)");
        var blip = BlipGenerator.Load(dir);
        if (blip.Architecture != BlipArchitecture.ConditionalGeneration)
            throw new SieveFormatException($"'{dir}' is a BlipForQuestionAnswering: --task caption needs a BLIP captioning model (BlipForConditionalGeneration)");
        loaded(blip);
        blip.CaptionPrompt(o.Prompt); // a prompt that does not fit is refused before images are read
        var captions = ImageCaptions.Load(o.Data, o.Split, o.ImageRoot);
        var evaluation = ReadingImages(Loading(o).Take(captions.Images.Count), o, loading => TaskEvaluations.Captioning(blip, captions, o.Prompt, loading));
        return new Setup($"{o.Model} — captioning{(o.Prompt == null ? "" : $" after \"{o.Prompt}\"")}", [evaluation], [], null,
            $"CIDEr-D and BLEU-4 (×100) against each image's captions, coco-caption's tokenization; same caption = identical to dense's; decoding: {Decoding(blip.Generation)}; " +
            "GMACs = vision tower + the decoder's projection of the image tokens + every step (× beams)",
            new Dictionary<string, object> { ["prompt"] = o.Prompt ?? "", ["beams"] = blip.Generation.Beams, ["maxLength"] = blip.Generation.MaxLength });
    }

    static string Decoding(Sieve.Models.Generation.GenerationOptions g) =>
        $"{(g.Beams == 1 ? "greedy" : $"beam search ({g.Beams})")}, max length {g.MaxLength}, min length {g.MinLength}, repetition penalty {g.RepetitionPenalty}";

    /// <summary>The CLIP in <paramref name="dir"/>; any other model is refused, the message saying what the task needs.</summary>
    /// <param name="dir">The model folder.</param>
    /// <param name="task">The --task value.</param>
    /// <param name="need">What the task does and needs, after its name.</param>
    static ClipModel LoadClip(string dir, string task, string need) =>
        LoadDualEncoder(dir, task, need) as ClipModel ?? throw Refusal(dir, task, "a BLIP, which this task does not take yet", need);

    /// <summary>The dual encoder (CLIP, BLIP) in <paramref name="dir"/>; any other model is refused as <see cref="LoadClip"/> does.</summary>
    static IDualEncoder LoadDualEncoder(string dir, string task, string need) => ModelFolder.Detect(dir) switch
    {
        ModelFamily.Vit => throw Refusal(dir, task, "a ViT classifier, without a text tower", need),
        ModelFamily.Vilt => throw Refusal(dir, task, "a ViLT, a fusion model without a contrastive head", need),
        _ => (IDualEncoder)ModelFolder.Load(dir),
    };

    static SieveFormatException Refusal(string dir, string task, string what, string need) => new($"'{dir}' is {what}: --task {task} {need}");

    /// <summary>The loading settings of the command line: --limit, --allow-damaged-images, warnings on stderr.</summary>
    static DataLoading Loading(Options o) => new() { Limit = o.Limit, AllowDamagedImages = CliOptions.AllowDamagedImagesInRun, Warning = CliConsole.Warn };

    /// <summary>Builds an evaluation that reads <paramref name="images"/> images, with a progress bar on stderr while they are read.</summary>
    static ITaskEvaluation ReadingImages(int images, Options o, Func<DataLoading, ITaskEvaluation> build)
    {
        ITaskEvaluation evaluation = null!;
        CliProgress.Run($"reading {images} images", images, o.Quiet, step => evaluation = build(Loading(o) with { ImageRead = step }));
        return evaluation;
    }
}
