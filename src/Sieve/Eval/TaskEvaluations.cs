using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// Builds each evaluation task from a model and its data, and runs any <see cref="ITaskEvaluation"/>: metrics over
/// every item, then speed from interleaved rounds.
/// </summary>
public static class TaskEvaluations
{
    /// <summary>Top-1 / top-5 of a ViT classifier on a labelled folder; agreement = same top-1 as dense. Images are read a chunk at a time.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">The labelled folder.</param>
    /// <param name="loading">Limit and damaged images (null: every image, damaged ones refused).</param>
    /// <param name="agreementReference">
    /// Null, or the model whose dense top-1 agreement is measured against instead of <paramref name="model"/>'s own
    /// dense: the float32 model when <paramref name="model"/> is int8, so every row says how far it is from float32.
    /// </param>
    public static ITaskEvaluation Classify(VitModel model, ImageFolderDataset data, DataLoading? loading = null, VitModel? agreementReference = null)
    {
        loading ??= new DataLoading();
        if (data.Labels.Max() >= model.Config.NumClasses)
            throw new ArgumentException($"{data.Directory}: labels go up to {data.Labels.Max()}, but the model has {model.Config.NumClasses} classes", nameof(data));
        return new ClassifierEvaluation(model, data, loading.Limit, loading.AllowDamagedImages) { Reference = agreementReference };
    }

    /// <summary>CLIP zero-shot top-1 / top-5 on a labelled folder; each class embedding the mean over its prompts, embedded once per text-tower spec.</summary>
    /// <param name="model">The CLIP.</param>
    /// <param name="data">The labelled folder.</param>
    /// <param name="classNames">The name put into the prompts for each class of <paramref name="data"/>.</param>
    /// <param name="templates">Prompt templates with <c>{}</c> for the name (null: CLIP's 7-prompt ensemble).</param>
    /// <param name="loading">Limit, damaged images, progress (null: every image).</param>
    public static ITaskEvaluation ZeroShot(ClipModel model, ImageFolderDataset data, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null, DataLoading? loading = null)
    {
        loading ??= new DataLoading();
        templates ??= ZeroShotClassifier.DefaultTemplates;
        if (classNames.Count != data.ClassNames.Count) throw new ArgumentException($"{classNames.Count} class names for {data.ClassNames.Count} classes", nameof(classNames));
        if (templates.FirstOrDefault(t => !t.Contains("{}")) is { } bad) throw new ArgumentException($"template '{bad}' has no {{}} for the class name", nameof(templates));
        int count = loading.Take(data.Files.Count);
        return new ZeroShotEvaluation(model, Images(model, data.Files.Take(count).ToArray(), loading), data.Labels.Take(count).ToArray(), classNames, templates);
    }

    /// <summary>
    /// Fidelity of image embeddings to the dense model's, without labels (a ViT's features, CLIP's image embeddings):
    /// per item the cosine to dense, across the items agreement of nearest neighbours.
    /// </summary>
    /// <param name="model">Any image encoder.</param>
    /// <param name="imageFiles">The images, at least 2.</param>
    /// <param name="loading">Limit, damaged images, progress (null: every image).</param>
    public static ITaskEvaluation ImageEmbedding(IImageEncoder model, IReadOnlyList<string> imageFiles, DataLoading? loading = null)
    {
        loading ??= new DataLoading();
        return new EmbeddingEvaluation(model, Embedder.Image(), Images(model, imageFiles.Take(loading.Take(imageFiles.Count)).ToArray(), loading));
    }

    /// <summary>Fidelity of text embeddings (the text tower's) to the dense model's, as <see cref="ImageEmbedding"/>.</summary>
    /// <param name="model">A model with a text tower (CLIP).</param>
    /// <param name="texts">The texts, at least 2.</param>
    /// <param name="loading">Limit and warnings (null: every text).</param>
    public static ITaskEvaluation TextEmbedding(ITextModel model, IReadOnlyList<string> texts, DataLoading? loading = null)
    {
        loading ??= new DataLoading();
        return new EmbeddingEvaluation(model, Embedder.Text(), Texts(model, texts.Take(loading.Take(texts.Count)).ToArray(), loading));
    }

    /// <summary>
    /// Image–text retrieval with a dual encoder: R@1/5/10 both ways and RSum, agreement of top-1 with dense and
    /// overlap@10; the first <see cref="DataLoading.Limit"/> images with all their captions.
    /// </summary>
    /// <param name="model">A dual encoder (CLIP; BLIP ranks by its contrastive score).</param>
    /// <param name="captions">Images and captions (<see cref="ImageCaptions.Load"/>).</param>
    /// <param name="loading">Limit, damaged images, progress, warnings (null: every image).</param>
    /// <param name="rerank">
    /// 0: rank by cosine. K ≥ 1: re-score each query's K best by cosine with BLIP's matching head (its logit plus the
    /// cosine) ahead of the rest, as BLIP's own evaluation does (its <c>k_test</c>: 256 on COCO); the cost is counted.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="rerank"/> is negative, or set for a model without a matching head (CLIP).</exception>
    public static ITaskEvaluation Retrieval(IDualEncoder model, ImageCaptions captions, DataLoading? loading = null, int rerank = 0)
    {
        CheckRerank(model, rerank);
        loading ??= new DataLoading();
        var (images, texts) = FirstImages(captions, loading);
        return new RetrievalEvaluation(model, Images(model, captions.Images.Take(images).ToArray(), loading),
            Texts(model, texts.Select(c => captions.Captions[c]).ToArray(), loading), texts.Select(c => captions.ImageOf[c]).ToArray(),
            rerank > 0 ? new MatchReranking(rerank) : null);
    }

    /// <summary>Refuses a negative <paramref name="rerank"/>, or re-ranking for a model without a matching head (before any data is read).</summary>
    internal static void CheckRerank(IDualEncoder model, int rerank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rerank);
        if (rerank > 0 && model is not IPairMatcher)
            throw new ArgumentException($"re-ranking needs an image–text matching head (BLIP); a {model.GetType().Name} ranks by cosine only", nameof(rerank));
    }

    /// <summary>
    /// Captioning with BLIP: each of the first <see cref="DataLoading.Limit"/> images captioned by dense and by each reducer
    /// with the same prompt and the checkpoint's decoding, scored by CIDEr-D and BLEU-4 against its captions in
    /// <paramref name="captions"/> (<see cref="CaptionMetrics"/>) and by the share of captions identical to dense's.
    /// </summary>
    /// <param name="model">A BLIP captioning model (<c>BlipForConditionalGeneration</c>).</param>
    /// <param name="captions">Images and their reference captions (<see cref="ImageCaptions.Load"/>).</param>
    /// <param name="prompt">Words every caption starts with ("a picture of"), or null.</param>
    /// <param name="loading">Limit, damaged images, progress, warnings (null: every image).</param>
    /// <exception cref="ArgumentException">The prompt does not fit the decoder.</exception>
    public static ITaskEvaluation Captioning(BlipGenerator model, ImageCaptions captions, string? prompt = null, DataLoading? loading = null)
    {
        var ids = model.CaptionPrompt(prompt);
        loading ??= new DataLoading();
        var (images, texts) = FirstImages(captions, loading);
        var pixels = ImageBatch.Load(captions.Images.Take(images).ToArray(), loading.AllowDamagedImages, model.Preprocessor.Process, loading.ImageRead);
        var references = Enumerable.Range(0, images).Select(i => (IReadOnlyList<string>)texts.Where(c => captions.ImageOf[c] == i).Select(c => captions.Captions[c]).ToArray()).ToArray();
        return new CaptionEvaluation(model, pixels, references, ids, model.Generation);
    }

    /// <summary>
    /// Image–text retrieval with a fusion model's matching head (ViLT): each query ranked over its own answers and
    /// <paramref name="negatives"/> seeded others (<see cref="MatchingRetrievalEvaluation"/>), every distinct pair one
    /// forward; the first <see cref="DataLoading.Limit"/> images with all their captions.
    /// </summary>
    /// <param name="model">The ViLT, with an image–text matching head.</param>
    /// <param name="captions">Images and captions (<see cref="ImageCaptions.Load"/>).</param>
    /// <param name="negatives">Candidates per query besides its own (default 15).</param>
    /// <param name="seed">Seeds the draw of the negatives.</param>
    /// <param name="loading">Limit, damaged images, progress, warnings (null: every image).</param>
    public static ITaskEvaluation Retrieval(ViltModel model, ImageCaptions captions, int negatives = MatchingRetrievalEvaluation.DefaultNegatives, int seed = 0, DataLoading? loading = null)
    {
        loading ??= new DataLoading();
        var (images, texts) = FirstImages(captions, loading);
        var pixels = ViltImages(model, captions.Images.Take(images).ToArray(), loading);
        var ids = ViltTexts(model, texts.Select(c => captions.Captions[c]).ToArray(), loading);
        return new MatchingRetrievalEvaluation(model, pixels.Select(p => TowerInput.Image(p.Pixels, p.Height, p.Width)).ToArray(),
            ids.Select(TowerInput.Text).ToArray(), texts.Select(c => captions.ImageOf[c]).ToArray(), negatives, seed);
    }

    /// <summary>
    /// VQA with ViLT's VQA head: the official VQA accuracy of the top answer (overall and per answer type), agreement of
    /// the top answer with dense; the first <see cref="DataLoading.Limit"/> questions, each image read once.
    /// </summary>
    /// <param name="model">The ViLT, with a VQA head.</param>
    /// <param name="questions">Questions with their human answers (<see cref="VqaDataset.Load"/>).</param>
    /// <param name="loading">Limit, damaged images, progress, warnings (null: every question).</param>
    public static ITaskEvaluation Vqa(ViltModel model, IReadOnlyList<VqaQuestion> questions, DataLoading? loading = null)
    {
        loading ??= new DataLoading();
        var chosen = questions.Take(loading.Take(questions.Count)).ToArray();
        string[] files = [.. chosen.Select(q => q.Image).Distinct()];
        var pixels = ViltImages(model, files, loading);
        var imageOf = files.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => pixels[p.i]);
        var ids = ViltTexts(model, chosen.Select(q => q.Question).ToArray(), loading);
        return new VqaEvaluation(model, chosen.Select((q, k) => TowerInput.Pair(ids[k], imageOf[q.Image].Pixels, imageOf[q.Image].Height, imageOf[q.Image].Width)).ToArray(), chosen);
    }

    /// <summary>The first <see cref="DataLoading.Limit"/> images, and the captions of those images (indices into the captions, in order).</summary>
    static (int Images, int[] Texts) FirstImages(ImageCaptions captions, DataLoading loading)
    {
        int images = loading.Take(captions.Images.Count);
        return (images, Enumerable.Range(0, captions.Captions.Count).Where(c => captions.ImageOf[c] < images).ToArray());
    }

    /// <summary>ViLT's images decoded and preprocessed in parallel, each at its own size.</summary>
    static (float[] Pixels, int Height, int Width)[] ViltImages(ViltModel model, IReadOnlyList<string> files, DataLoading loading) =>
        ImageBatch.Load(files, loading.AllowDamagedImages, model.Preprocessor.Process, loading.ImageRead);

    /// <summary>ViLT's token ids of the texts; texts cut to its length are counted in one warning.</summary>
    static int[][] ViltTexts(ViltModel model, IReadOnlyList<string> texts, DataLoading loading)
    {
        var tokens = texts.Select(model.Tokenizer.Encode).ToArray();
        WarnCut(texts, tokens.Select(t => t.Warning).ToArray(), loading);
        return tokens.Select(t => t.Ids).ToArray();
    }

    /// <summary>The images decoded and preprocessed in parallel, as the image tower's inputs.</summary>
    static TowerInput[] Images(IImageEncoder model, IReadOnlyList<string> files, DataLoading loading)
    {
        var pixels = ImageBatch.Load(files, loading.AllowDamagedImages, model.Preprocessor.Process, loading.ImageRead);
        return pixels.Select(p => TowerInput.Image(p, model.ImageTower.ImageSize)).ToArray();
    }

    /// <summary>The texts' token ids; texts cut to the tower's length are counted in one warning, not one per text.</summary>
    static TowerInput[] Texts(ITextModel model, IReadOnlyList<string> texts, DataLoading loading)
    {
        var tokens = texts.Select(model.Tokenize).ToArray();
        WarnCut(texts, tokens.Select(t => t.Warning).ToArray(), loading);
        return tokens.Select(t => TowerInput.Text(t.Ids)).ToArray();
    }

    /// <summary>One warning counting the texts that lost tokens, naming the first.</summary>
    static void WarnCut(IReadOnlyList<string> texts, string?[] warnings, DataLoading loading)
    {
        int cut = warnings.Count(w => w != null);
        if (cut == 0) return;
        int first = Array.FindIndex(warnings, w => w != null);
        loading.Warning?.Invoke($"{cut} of {texts.Count} texts lost tokens, e.g. '{texts[first]}': {warnings[first]}");
    }

    /// <summary>
    /// Dense and each of <paramref name="reductions"/> on every item (<see cref="ITaskEvaluation.Evaluate"/>), then
    /// timed against each other on the first items (<see cref="SpeedOptions"/>); dense first, every row with its speed.
    /// </summary>
    /// <param name="evaluation">The task and its items.</param>
    /// <param name="reductions">The reducers per tower (a MADTP target calibrated into a temperature first).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="speed">How speed is measured (null: the defaults).</param>
    /// <param name="progress">Null, or called once per step of the evaluation (from worker threads).</param>
    /// <param name="timedRound">Null, or called after every timing round.</param>
    public static IReadOnlyList<ITaskResult> Measure(this ITaskEvaluation evaluation, IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null,
        SpeedOptions? speed = null, Action? progress = null, Action? timedRound = null)
    {
        var results = evaluation.Evaluate(reductions, guidance, progress);
        return evaluation.WithSpeed(results, reductions, guidance, speed ?? new SpeedOptions(), timedRound);
    }

    /// <summary>
    /// <paramref name="reduction"/> with its MADTP compute target (<c>madtp:target=0.5</c>) calibrated into a temperature
    /// (ALGORITHMS.md §3d) on the first <paramref name="items"/> items: the temperature at which the executed GMACs
    /// per item (as <see cref="ITaskResult.GMacs"/> counts them, every tower an item goes through) come within 2% of
    /// the target × dense's. A reduction without a target is returned as it is. Where both towers carry a target it
    /// must be the same spec, and one temperature serves both.
    /// </summary>
    /// <param name="evaluation">The task, whose items measure the cost.</param>
    /// <param name="reduction">The reducers per tower.</param>
    /// <param name="items">Items calibrated on (the first ones).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    public static ModelReduction Calibrate(this ITaskEvaluation evaluation, ModelReduction reduction, int items = 32, ReductionGuidance? guidance = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        var targets = new[] { reduction.Vision, reduction.Text }.OfType<MadtpSpec>().Where(s => s.NeedsCalibration).Distinct().ToArray();
        if (targets.Length == 0) return reduction;
        if (targets.Length > 1) throw new ArgumentException($"'{reduction}': two different compute targets; calibrate one tower's target at a time", nameof(reduction));
        var target = targets[0];
        ReducerSpec At(ReducerSpec tower, double t) => tower == target ? target.WithTemperature(t) : tower;
        ModelReduction With(double t) => ModelReduction.PerTower(At(reduction.Vision, t), At(reduction.Text, t));
        var subset = evaluation.Subset(Enumerable.Range(0, Math.Min(items, evaluation.Count)).ToArray());
        double dense = subset.Evaluate([], guidance)[0].GMacs;
        // Each pass runs dense too (Evaluate's contract): twice the forwards, on a few items.
        var result = MadtpCalibration.Calibrate(t => subset.Evaluate([With(t)], guidance)[1].GMacs / dense, target.Target!.Value);
        return With(result.Temperature);
    }

    /// <summary><paramref name="results"/> (from <see cref="ITaskEvaluation.Evaluate"/> of the same reductions) with their measured speed.</summary>
    internal static IReadOnlyList<ITaskResult> WithSpeed(this ITaskEvaluation evaluation, IReadOnlyList<ITaskResult> results, IReadOnlyList<ModelReduction> reductions,
        ReductionGuidance? guidance, SpeedOptions speed, Action? timedRound = null)
    {
        int items = Math.Min(speed.Items, evaluation.Count);
        var timings = evaluation.Time(reductions, guidance, items, speed.WarmupRounds, speed.Rounds, timedRound);
        return InterleavedTiming.WithSpeed(results, timings, items, (r, perSecond, speedUp) => r.WithSpeed(perSecond, speedUp));
    }

    /// <summary><paramref name="items"/> as an array, each checked to be an item index below <paramref name="count"/>, none twice.</summary>
    internal static int[] CheckSubset(IReadOnlyList<int> items, int count)
    {
        if (items.Count == 0) throw new ArgumentException("an empty subset of items", nameof(items));
        var seen = new HashSet<int>();
        foreach (int i in items)
        {
            if (i < 0 || i >= count) throw new ArgumentOutOfRangeException(nameof(items), $"item {i} is outside the {count} items");
            if (!seen.Add(i)) throw new ArgumentException($"item {i} is chosen twice", nameof(items));
        }
        return [.. items];
    }

    /// <summary>
    /// A retrieval subset: the chosen images (checked as <see cref="CheckSubset"/> does), each with all its texts in their
    /// original order, and each of those texts' image renumbered to its place among the chosen.
    /// </summary>
    /// <param name="items">The chosen images.</param>
    /// <param name="images">How many images there are.</param>
    /// <param name="imageOfText">For each text, its image.</param>
    internal static (int[] Images, int[] Texts, int[] ImageOfText) ImagesWithTheirTexts(IReadOnlyList<int> items, int images, IReadOnlyList<int> imageOfText)
    {
        var chosen = CheckSubset(items, images);
        var position = new Dictionary<int, int>();
        for (int j = 0; j < chosen.Length; j++) position[chosen[j]] = j;
        int[] texts = Enumerable.Range(0, imageOfText.Count).Where(t => position.ContainsKey(imageOfText[t])).ToArray();
        return (chosen, texts, texts.Select(t => position[imageOfText[t]]).ToArray());
    }
}
