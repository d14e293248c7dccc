using System.Diagnostics;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>One reducer's CLIP zero-shot result on a labelled image set.</summary>
/// <param name="Reducer">The spec as run, per tower.</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="Top1">Top-1 accuracy against the true labels, in [0, 1].</param>
/// <param name="Top5">Top-5 accuracy.</param>
/// <param name="Agreement">Fraction of images whose top-1 equals the dense model's.</param>
/// <param name="GMacs">Mean multiply-adds per image of the image tower as executed, in billions.</param>
/// <param name="PromptGMacs">Multiply-adds of embedding all prompts once (labels × templates) with this reducer's text tower, in billions.</param>
/// <param name="ImagesPerSecond">Measured throughput of the image tower, null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record ZeroShotResult(string Reducer, int Images, double Top1, double Top5, double Agreement, double GMacs, double PromptGMacs,
    double? ImagesPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    int ITaskResult.Items => Images;
    IReadOnlyList<TaskMetric> ITaskResult.Metrics => [new("top1", "top-1", 100 * Top1, 1), new("top5", "top-5", 100 * Top5, 1), new("promptGMacs", "prompt GMACs (once)", PromptGMacs, 3)];
    double? ITaskResult.Score => 100 * Top1;
    double? ITaskResult.Cosine => null;
    double? ITaskResult.ItemsPerSecond => ImagesPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ImagesPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// CLIP zero-shot classification (<see cref="ZeroShotClassifier"/>) of labelled images with dense and each reducer:
/// the prompts are embedded once per distinct text-tower spec (dense text for every reducer without a text part),
/// every image through each reducer's image tower. Images are held in memory, preprocessed.
/// </summary>
internal sealed class ZeroShotEvaluation : IEvidenceEvaluation
{
    readonly ClipModel _model;
    readonly IReadOnlyList<TowerInput> _images;
    readonly IReadOnlyList<int> _labels;
    readonly IReadOnlyList<string> _names, _templates;
    readonly Embedder _image;

    /// <param name="model">The dense CLIP.</param>
    /// <param name="images">Preprocessed images.</param>
    /// <param name="labels">True class per image, an index into <paramref name="names"/>.</param>
    /// <param name="names">Class names, put into the templates' "{}".</param>
    /// <param name="templates">Prompt templates; each class embedding is the mean over them.</param>
    public ZeroShotEvaluation(ClipModel model, IReadOnlyList<TowerInput> images, IReadOnlyList<int> labels, IReadOnlyList<string> names, IReadOnlyList<string> templates)
    {
        if (images.Count == 0) throw new ArgumentException("no images to classify", nameof(images));
        if (labels.Count != images.Count) throw new ArgumentException($"{images.Count} images but {labels.Count} labels", nameof(labels));
        if (labels.Any(l => l < 0 || l >= names.Count)) throw new ArgumentException($"a label outside the {names.Count} class names", nameof(labels));
        (_model, _images, _labels, _names, _templates) = (model, images, labels, names, templates);
        _image = Embedder.Image();
    }

    /// <summary>Images evaluated.</summary>
    public int Images => _images.Count;

    /// <summary>Prompts embedded per text-tower spec (classes × templates).</summary>
    public int Prompts => _names.Count * _templates.Count;

    /// <summary>Dense, then each of <paramref name="reductions"/>: top-1, top-5, agreement with dense and executed GMACs (dense first).</summary>
    /// <param name="reductions">The reducers per tower (MADTP with a temperature).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per image and reducer run (from worker threads).</param>
    public IReadOnlyList<ZeroShotResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null) =>
        Collect(reductions, guidance, progress).Results();

    /// <summary>
    /// Dense, then each of <paramref name="reductions"/>: every image's five best classes against the prompts (embedded
    /// once per text-tower spec) and its multiply-adds, the evidence <see cref="Evaluate"/> scores.
    /// </summary>
    public ZeroShotEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var classifiers = new Dictionary<string, ZeroShotClassifier>();
        var all = EmbeddingEvaluation.WithDense(reductions);
        var runs = all.Select(reduction =>
        {
            var model = _model.WithReduction(reduction, guidance);
            string textSpec = reduction.Text.ToString();
            if (!classifiers.TryGetValue(textSpec, out var classifier)) classifiers[textSpec] = classifier = model.ZeroShot(_names, _templates);
            long began = Stopwatch.GetTimestamp();
            var (embeddings, macs) = _image.Run(model, _images, progress);
            var top = embeddings.Select(e => Ranking.Top<float>(classifier.LogitsForEmbedding(e), 5)).ToArray();
            return (Top: top, Macs: macs, Seconds: Stopwatch.GetElapsedTime(began).TotalSeconds, classifier.PromptGMacs);
        }).ToArray();
        var answers = new ClassifierEvidence([.. all.Select(r => r.ToString())], [.. _labels], null, [.. runs.Select(r => r.Top)], [.. runs.Select(r => r.Macs)],
            [.. runs.Select(r => r.Seconds)]);
        return new ZeroShotEvidence(answers, [.. runs.Select(r => r.PromptGMacs)]);
    }

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> on the first <paramref name="images"/> images with
    /// <see cref="InterleavedTiming"/>, dense first: the image tower only, the prompts being embedded once beforehand.
    /// </summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int images, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        var inputs = _images.Take(images).ToArray();
        var cases = EmbeddingEvaluation.WithDense(reductions).Select(r => _image.Timed(_model.WithReduction(r, guidance), inputs)).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    string ITaskEvaluation.Task => "zeroshot";
    string ITaskEvaluation.ItemName => "images";
    int ITaskEvaluation.Count => Images;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Images;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);
    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Collect(reductions, guidance, progress);
    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items)
    {
        var chosen = TaskEvaluations.CheckSubset(items, Images);
        return new ZeroShotEvaluation(_model, chosen.Select(i => _images[i]).ToArray(), chosen.Select(i => _labels[i]).ToArray(), _names, _templates);
    }
    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);

    /// <summary><paramref name="results"/> with images/s and speed-up (dense, the first, ÷ each) from <see cref="Time"/>'s timings over <paramref name="images"/> images per run.</summary>
    public static IReadOnlyList<ZeroShotResult> WithSpeed(IReadOnlyList<ZeroShotResult> results, IReadOnlyList<Timing> timings, int images) =>
        InterleavedTiming.WithSpeed(results, timings, images, (r, perSecond, speedUp) => r with { ImagesPerSecond = perSecond, SpeedUp = speedUp });
}
