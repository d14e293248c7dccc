using System.Diagnostics;
using Sieve.Nn;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>One reducer's result on a labelled image set.</summary>
/// <param name="Reducer">The spec as run (MADTP with its calibrated temperature).</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="Top1">Top-1 accuracy against the true labels, in [0, 1].</param>
/// <param name="Top5">Top-5 accuracy.</param>
/// <param name="Agreement">
/// Fraction of images whose top-1 equals the dense model's, or the reference's when the evaluation has one (paired: far
/// less noisy than top-1).
/// </param>
/// <param name="GMacs">Mean multiply-adds per image as executed, in billions (fvcore's "GFLOPs").</param>
/// <param name="ImagesPerSecond">Measured throughput (images spread across cores), null when not timed (<see cref="ClassifierEvaluation.WithSpeed"/>).</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record EvalResult(string Reducer, int Images, double Top1, double Top5, double Agreement, double GMacs,
    double? ImagesPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    int ITaskResult.Items => Images;
    IReadOnlyList<TaskMetric> ITaskResult.Metrics => [new("top1", "top-1", 100 * Top1, 1), new("top5", "top-5", 100 * Top5, 1)];
    double? ITaskResult.Score => 100 * Top1;
    double? ITaskResult.Cosine => null;
    double? ITaskResult.ItemsPerSecond => ImagesPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ImagesPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Runs a ViT classifier over labelled images with reducers and measures what each reduction costs (accuracy,
/// agreement with dense) and buys (executed GMACs; images per second from <see cref="Time"/>). Images stream
/// through in chunks — decoded and preprocessed in parallel, every reducer run on the chunk, only counts kept —
/// so memory does not grow with the number of images.
/// </summary>
internal sealed class ClassifierEvaluation : IEvidenceEvaluation
{
    /// <summary>Images decoded and held at once by default (about 600 KB each at 224 px).</summary>
    public const int DefaultChunkSize = 64;

    readonly VitModel _model;
    readonly Func<IReadOnlyList<int>, float[][]> _load;
    readonly IReadOnlyList<int> _allLabels;
    readonly int[] _items;

    /// <summary>Evaluates on images already preprocessed (<see cref="VitModel.Preprocess"/>) and held by the caller.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="inputs">Preprocessed images.</param>
    /// <param name="labels">True class per image.</param>
    public ClassifierEvaluation(VitModel model, IReadOnlyList<float[]> inputs, IReadOnlyList<int> labels)
        : this(model, items => items.Select(i => inputs[i]).ToArray(), labels, Enumerable.Range(0, inputs.Count).ToArray()) { }

    /// <summary>Evaluates on the first <paramref name="count"/> images of a folder, read when needed.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">The labelled folder.</param>
    /// <param name="count">Images to use (null: all).</param>
    /// <param name="allowDamagedImages">Decode JPEGs and PNGs that are cut short or damaged as far as they go instead of refusing them.</param>
    public ClassifierEvaluation(VitModel model, ImageFolderDataset data, int? count = null, bool allowDamagedImages = false)
        : this(model, items => ImageBatch.Load(items.Select(i => data.Files[i]).ToArray(), allowDamagedImages, model.Preprocess),
            data.Labels, Enumerable.Range(0, Math.Min(count ?? int.MaxValue, data.Files.Count)).ToArray()) { }

    /// <param name="model">The classifier.</param>
    /// <param name="load">The given images (indices into <paramref name="labels"/>), preprocessed.</param>
    /// <param name="labels">True class per image the loader knows.</param>
    /// <param name="items">The images evaluated, indices into <paramref name="labels"/>.</param>
    ClassifierEvaluation(VitModel model, Func<IReadOnlyList<int>, float[][]> load, IReadOnlyList<int> labels, int[] items)
    {
        if (items.Length == 0) throw new ArgumentException("no images to evaluate");
        if (items.Max() >= labels.Count) throw new ArgumentException($"image {items.Max()} but {labels.Count} labels", nameof(labels));
        _model = model;
        _load = load;
        _allLabels = labels;
        _items = items;
    }

    /// <summary>Images evaluated.</summary>
    public int Images => _items.Length;

    /// <summary>
    /// Null, or the model whose dense top-1 <see cref="EvalResult.Agreement"/> is measured against instead of this
    /// model's own dense: the float32 model when this one is int8, so every row says how far it is from float32.
    /// </summary>
    /// <exception cref="ArgumentException">The reference has another number of classes.</exception>
    public VitModel? Reference
    {
        get;
        init => field = value == null || value.Config.NumClasses == _model.Config.NumClasses ? value
            : throw new ArgumentException($"the reference model has {value.Config.NumClasses} classes, the evaluated one {_model.Config.NumClasses}", nameof(Reference));
    }

    /// <summary>
    /// Evaluates dense and then each of <paramref name="specs"/>, <paramref name="chunkSize"/> images at a time. The
    /// results (dense first) do not depend on the chunk size or the thread count.
    /// </summary>
    /// <param name="specs">The reducers; a MADTP target must be calibrated first (<see cref="TaskEvaluations.Calibrate"/>).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="chunkSize">Images held at once.</param>
    /// <param name="progress">Called once per image and reducer run (from worker threads).</param>
    public IReadOnlyList<EvalResult> Evaluate(IReadOnlyList<ReducerSpec> specs, ReductionGuidance? guidance = null, int chunkSize = DefaultChunkSize, Action? progress = null) =>
        Collect(specs, guidance, chunkSize, progress).Results();

    /// <summary>
    /// Runs dense and then each of <paramref name="specs"/> on every image, <paramref name="chunkSize"/> images at a
    /// time, and keeps what <see cref="ClassifierEvidence.Results"/> scores: each image's top 5 and multiply-adds.
    /// </summary>
    /// <param name="specs">The reducers (calibrated).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="chunkSize">Images held at once.</param>
    /// <param name="progress">Called once per image and reducer run (from worker threads).</param>
    public ClassifierEvidence Collect(IReadOnlyList<ReducerSpec> specs, ReductionGuidance? guidance = null, int chunkSize = DefaultChunkSize, Action? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var all = WithDense(specs);
        var reducers = all.Select(s => s.Bind(_model.Info, guidance)).ToArray();
        int n = Images;
        var top = all.Select(_ => new int[n][]).ToArray();
        var macs = all.Select(_ => new long[n]).ToArray();
        var seconds = new double[all.Count];
        var reference = Reference == null ? null : new int[n];
        for (int start = 0; start < n; start += chunkSize)
        {
            int count = Math.Min(chunkSize, n - start);
            var inputs = _load(_items[start..(start + count)]);
            if (Reference is { } model) Threading.ForEachSample(count, i => reference![start + i] = Ranking.Top<float>(model.Logits(inputs[i]), 1)[0]);
            for (int s = 0; s < all.Count; s++)
            {
                var (reducer, chunkTop, chunkMacs) = (reducers[s], top[s], macs[s]);
                long began = Stopwatch.GetTimestamp();
                Threading.ForEachSample(count, i =>
                {
                    var trace = new ForwardTrace();
                    chunkTop[start + i] = Ranking.Top<float>(_model.Logits(inputs[i], BlockHook.Combine(reducer, trace)), 5);
                    chunkMacs[start + i] = trace.Macs;
                    progress?.Invoke();
                });
                seconds[s] += Stopwatch.GetElapsedTime(began).TotalSeconds;
            }
        }
        return new ClassifierEvidence([.. all.Select(s => s.ToString())], [.. _items.Select(i => _allLabels[i])], reference, top, macs, seconds);
    }

    /// <summary>
    /// Times dense and each of <paramref name="specs"/> on the same first <paramref name="images"/> images (held in
    /// memory), spread over the cores, with <see cref="InterleavedTiming"/>: dense first in the result, as in <see cref="Evaluate"/>.
    /// </summary>
    /// <param name="specs">The reducers (calibrated).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="images">Images per timed run (at most <see cref="Images"/>).</param>
    /// <param name="warmupRounds">Untimed rounds first.</param>
    /// <param name="rounds">Timed rounds (rounded up to a multiple of the reducer count, dense included).</param>
    /// <param name="afterRound">Null, or called after every round.</param>
    internal IReadOnlyList<Timing> Time(IReadOnlyList<ReducerSpec> specs, ReductionGuidance? guidance, int images, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        var inputs = Load(Math.Min(images, Images));
        var cases = WithDense(specs).Select(spec =>
        {
            var reducer = spec.Bind(_model.Info, guidance);
            return (Action)(() => Threading.ForEachSample(inputs.Length, i => _model.Logits(inputs[i], reducer)));
        }).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    /// <summary>
    /// <paramref name="results"/> with images/s and speed-up (dense, the first, ÷ each) from the timings of <see cref="Time"/>,
    /// taken over <paramref name="images"/> images per run.
    /// </summary>
    internal static IReadOnlyList<EvalResult> WithSpeed(IReadOnlyList<EvalResult> results, IReadOnlyList<Timing> timings, int images) =>
        InterleavedTiming.WithSpeed(results, timings, images, (r, perSecond, speedUp) => r with { ImagesPerSecond = perSecond, SpeedUp = speedUp });

    float[][] Load(int count) => _load(_items[..count]);

    string ITaskEvaluation.Task => "classify";
    string ITaskEvaluation.ItemName => "images";
    int ITaskEvaluation.Count => Images;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Images;

    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) =>
        Evaluate(VisionSpecs(reductions), guidance, progress: progress);

    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) =>
        Collect(VisionSpecs(reductions), guidance, progress: progress);

    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items) =>
        new ClassifierEvaluation(_model, _load, _allLabels, TaskEvaluations.CheckSubset(items, Images).Select(i => _items[i]).ToArray()) { Reference = Reference };

    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(VisionSpecs(reductions), guidance, items, warmupRounds, rounds, afterRound);

    ReducerSpec[] VisionSpecs(IReadOnlyList<ModelReduction> reductions) => reductions.Select(r => r.For(_model.Info)).ToArray();

    static List<ReducerSpec> WithDense(IReadOnlyList<ReducerSpec> specs) => [ReducerSpec.None, .. specs];
}
