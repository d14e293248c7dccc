using System.Diagnostics;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>One reducer's result on a labelled image set.</summary>
/// <param name="Reducer">The spec as run (MADTP with its calibrated temperature).</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="Top1">Top-1 accuracy against the true labels, in [0, 1].</param>
/// <param name="Top5">Top-5 accuracy.</param>
/// <param name="Agreement">Fraction of images whose top-1 equals the dense model's (paired: far less noisy than top-1).</param>
/// <param name="GMacs">Mean multiply-adds per image as executed, in billions (fvcore's "GFLOPs").</param>
/// <param name="ImagesPerSecond">Measured throughput (images spread across cores).</param>
public sealed record EvalResult(string Reducer, int Images, double Top1, double Top5, double Agreement, double GMacs, double ImagesPerSecond);

/// <summary>
/// Runs a ViT classifier over preprocessed images with a reducer and measures what the reduction costs
/// (accuracy, agreement with dense) and buys (executed GMACs, images per second), all in one pass.
/// </summary>
public sealed class ClassifierEvaluation
{
    readonly VitModel _model;
    readonly IReadOnlyList<float[]> _inputs;
    readonly IReadOnlyList<int> _labels;
    int[]? _denseTop1;

    /// <summary>How long each evaluation runs untimed first.</summary>
    static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(0.5);

    /// <param name="model">The classifier.</param>
    /// <param name="inputs">Preprocessed images (<see cref="VitModel.Preprocess"/>).</param>
    /// <param name="labels">True class per image.</param>
    public ClassifierEvaluation(VitModel model, IReadOnlyList<float[]> inputs, IReadOnlyList<int> labels)
    {
        if (inputs.Count == 0) throw new ArgumentException("no images to evaluate", nameof(inputs));
        if (inputs.Count != labels.Count) throw new ArgumentException($"{inputs.Count} images but {labels.Count} labels", nameof(labels));
        _model = model;
        _inputs = inputs;
        _labels = labels;
    }

    /// <summary>Evaluates one reducer (dense first if agreement has no reference yet).</summary>
    /// <param name="spec">The reducer; a MADTP target must be calibrated first (<see cref="Calibrate"/>).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per finished image (from worker threads).</param>
    public EvalResult Evaluate(ReducerSpec spec, ReductionGuidance? guidance = null, Action? progress = null)
    {
        if (_denseTop1 == null && !spec.IsNone) Evaluate(ReducerSpec.None, null, progress);
        var reducer = spec.Bind(_model.Tower, guidance);
        int n = _inputs.Count;
        var top5 = new int[n][];
        var macs = new long[n];
        // Untimed warm-up until the JIT has settled (tiered compilation promotes hot code after ~0.1 s of quiet).
        var warmup = Stopwatch.StartNew();
        for (int done = 0; done < n && warmup.Elapsed < WarmUp; done += Threading.MaxThreads)
            Threading.ForEachSample(Math.Min(Threading.MaxThreads, n - done), i => _model.Logits(_inputs[done + i], reducer));
        var clock = Stopwatch.StartNew();
        Threading.ForEachSample(n, i =>
        {
            var trace = new ForwardTrace();
            top5[i] = TopIndices(_model.Logits(_inputs[i], reducer, trace), 5);
            macs[i] = trace.Macs;
            progress?.Invoke();
        });
        double seconds = clock.Elapsed.TotalSeconds;
        var top1 = top5.Select(t => t[0]).ToArray();
        _denseTop1 ??= top1;
        return new EvalResult(spec.ToString(), n,
            Top1: Enumerable.Range(0, n).Count(i => top1[i] == _labels[i]) / (double)n,
            Top5: Enumerable.Range(0, n).Count(i => top5[i].Contains(_labels[i])) / (double)n,
            Agreement: Enumerable.Range(0, n).Count(i => top1[i] == _denseTop1[i]) / (double)n,
            GMacs: macs.Average() / 1e9,
            ImagesPerSecond: n / seconds);
    }

    /// <summary>
    /// Calibrates a MADTP target into a temperature on the first <paramref name="count"/> images
    /// (measured mean GMACs within 2% of the target fraction of dense).
    /// </summary>
    public (ReducerSpec Spec, CalibrationResult Result) Calibrate(ReducerSpec spec, int count, ReductionGuidance? guidance = null)
    {
        if (!spec.NeedsCalibration) return (spec, new CalibrationResult(spec.Temperature ?? 0, double.NaN, 0));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var inputs = _inputs.Take(count).ToArray();
        double dense = _model.Macs;
        var result = MadtpCalibration.Calibrate(t =>
        {
            var reducer = spec.WithTemperature(t).Bind(_model.Tower, guidance);
            var macs = new long[inputs.Length];
            Threading.ForEachSample(inputs.Length, i =>
            {
                var trace = new ForwardTrace();
                _model.Logits(inputs[i], reducer, trace);
                macs[i] = trace.Macs;
            });
            return macs.Average() / dense;
        }, spec.Target!.Value);
        return (spec.WithTemperature(result.Temperature), result);
    }

    static int[] TopIndices(float[] logits, int k) =>
        Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(k).ToArray();
}
