using System.Diagnostics;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>One reducer's captioning result.</summary>
/// <param name="Reducer">The spec as run.</param>
/// <param name="Images">Images captioned.</param>
/// <param name="Bleu4">Corpus BLEU-4 against the references, in [0, 1].</param>
/// <param name="CiderD">CIDEr-D against the references (coco-caption's scale: ×10 inside, so about 0 to 10).</param>
/// <param name="Agreement">Share of images whose caption is exactly dense's.</param>
/// <param name="GMacsPerImage">Mean multiply-adds per caption as executed (vision tower, the decoder's projection of the image tokens, every decoding step), in billions.</param>
/// <param name="ImagesPerSecond">Measured throughput; null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record CaptionResult(string Reducer, int Images, double Bleu4, double CiderD, double Agreement, double GMacsPerImage,
    double? ImagesPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    IReadOnlyList<TaskMetric> ITaskResult.Metrics =>
        [new("ciderD", "CIDEr-D", 100 * CiderD, 1), new("bleu4", "BLEU-4", 100 * Bleu4, 1), new("sameCaption", "same caption", 100 * Agreement, 1)];

    int ITaskResult.Items => Images;

    /// <summary>CIDEr-D in points (×100, as the papers print it: 133.3 for 1.333).</summary>
    double? ITaskResult.Score => 100 * CiderD;
    double? ITaskResult.Cosine => null;
    double ITaskResult.GMacs => GMacsPerImage;
    double? ITaskResult.ItemsPerSecond => ImagesPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ImagesPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Captioning with BLIP (<c>BlipForConditionalGeneration</c>): every image captioned by the dense model and by each
/// reducer with the same prompt and decoding, scored by CIDEr-D and BLEU-4 against its human captions
/// (<see cref="CaptionMetrics"/>), and by the share of captions identical to dense's. The decoder is not reduced: it
/// cross-attends to the image tokens the vision reducer left, at every step.
/// </summary>
internal sealed class CaptionEvaluation : IEvidenceEvaluation
{
    readonly BlipGenerator _model;
    readonly IReadOnlyList<float[]> _images;
    readonly IReadOnlyList<IReadOnlyList<string>> _references;
    readonly int[] _prompt;
    readonly GenerationOptions _options;

    /// <param name="model">The dense captioning model.</param>
    /// <param name="images">Preprocessed images.</param>
    /// <param name="references">Each image's human captions, at least one.</param>
    /// <param name="prompt">The decoder's prompt ids (<see cref="BlipGenerator.CaptionPrompt"/>).</param>
    /// <param name="options">Decoding (the checkpoint's, <see cref="BlipGenerator.Generation"/>, by default).</param>
    public CaptionEvaluation(BlipGenerator model, IReadOnlyList<float[]> images, IReadOnlyList<IReadOnlyList<string>> references, int[] prompt, GenerationOptions options)
    {
        if (images.Count == 0) throw new ArgumentException("no images to caption", nameof(images));
        if (references.Count != images.Count) throw new ArgumentException($"{images.Count} images but {references.Count} reference lists", nameof(references));
        int bare = references.ToList().FindIndex(r => r.Count == 0);
        if (bare >= 0) throw new ArgumentException($"image {bare} has no reference caption to score against", nameof(references));
        (_model, _images, _references, _prompt, _options) = (model, images, references, prompt, options.Checked());
    }

    /// <summary>Dense, then each of <paramref name="reductions"/>: CIDEr-D, BLEU-4, same caption as dense, executed GMACs.</summary>
    public IReadOnlyList<CaptionResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null) =>
        Collect(reductions, guidance, progress).Results();

    /// <summary>Dense, then each of <paramref name="reductions"/>: every image's caption and its multiply-adds, the evidence <see cref="Evaluate"/> scores.</summary>
    public CaptionEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var all = EmbeddingEvaluation.WithDense(reductions);
        var runs = all.Select(reduction =>
        {
            var model = _model.WithReduction(reduction, guidance);
            var captions = new string[_images.Count];
            var macs = new long[_images.Count];
            long began = Stopwatch.GetTimestamp();
            Threading.ForEachSample(_images.Count, i =>
            {
                (captions[i], macs[i]) = Caption(model, _images[i]);
                progress?.Invoke();
            });
            return (Captions: captions, Macs: macs, Seconds: Stopwatch.GetElapsedTime(began).TotalSeconds);
        }).ToArray();
        return new CaptionEvidence([.. all.Select(r => r.ToString())], [.. _references.Select(r => r.ToArray())], [.. runs.Select(r => r.Captions)],
            [.. runs.Select(r => r.Macs)], [.. runs.Select(r => r.Seconds)]);
    }

    /// <summary>
    /// One caption and its multiply-adds: the vision tower as traced, the decoder's projection of the image tokens it
    /// left, and each decoding step at its position — once per beam (each step runs every live beam).
    /// </summary>
    (string Caption, long Macs) Caption(BlipGenerator model, float[] pixels)
    {
        var trace = new ForwardTrace();
        var (_, tokens) = model.Vision.EncodeWithTokens(ImageTokens.Pixels(TowerInput.Image(pixels, model.Config.ImageSize), model.Vision.Info, model.Config.ImageSize), trace);
        using var context = model.Decoder.Attend(tokens);
        var ids = model.Decode(context, _prompt, _options);
        return (model.Tokenizer.Decode(ids), trace.Macs + model.Decoder.DecodeMacs(tokens.Count, ids.Length, _options.Beams));
    }

    /// <summary>Times dense and each reducer with <see cref="InterleavedTiming"/>, dense first: one run captions the first <paramref name="images"/> images.</summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int images, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        var chosen = _images.Take(images).ToArray();
        var cases = EmbeddingEvaluation.WithDense(reductions).Select(r =>
        {
            var model = _model.WithReduction(r, guidance);
            return (Action)(() => Threading.ForEachSample(chosen.Length, i => model.Caption(chosen[i], _prompt, _options)));
        }).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    string ITaskEvaluation.Task => "caption";
    string ITaskEvaluation.ItemName => "images";
    int ITaskEvaluation.Count => _images.Count;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => _images.Count;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);
    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Collect(reductions, guidance, progress);

    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items)
    {
        var chosen = TaskEvaluations.CheckSubset(items, _images.Count);
        return new CaptionEvaluation(_model, chosen.Select(i => _images[i]).ToArray(), chosen.Select(i => _references[i]).ToArray(), _prompt, _options);
    }

    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);
}
