using System.Diagnostics;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>One reducer's image–text retrieval result.</summary>
/// <param name="Reducer">The spec as run.</param>
/// <param name="Images">Images (image queries).</param>
/// <param name="Texts">Texts (text queries).</param>
/// <param name="Scores">Recall at 1, 5, 10 both ways.</param>
/// <param name="Agreement">Top-1 agreement and overlap@10 with the dense model's rankings, per direction and pooled.</param>
/// <param name="GMacsPerImage">Mean multiply-adds per image as executed, in billions.</param>
/// <param name="GMacsPerText">Mean multiply-adds per text as executed, in billions.</param>
/// <param name="ImagesPerSecond">Measured throughput, each image embedded with its texts; null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
/// <param name="GMacsRerankPerImage">The matching head's re-scoring (<see cref="MatchReranking"/>) per image, in billions; null without re-ranking.</param>
internal sealed record RetrievalResult(string Reducer, int Images, int Texts, RetrievalScores Scores, RetrievalAgreement Agreement,
    double GMacsPerImage, double GMacsPerText, double? ImagesPerSecond = null, double? SpeedUp = null, double? GMacsRerankPerImage = null) : ITaskResult
{
    int ITaskResult.Items => Images;
    IReadOnlyList<TaskMetric> ITaskResult.Metrics => [.. MetricsOf(Scores, Agreement), new("gMacsPerText", "GMACs/text", GMacsPerText, 3),
        .. GMacsRerankPerImage is { } rerank ? [new TaskMetric("gMacsRerank", "GMACs re-rank/image", rerank, 3)] : Array.Empty<TaskMetric>()];

    /// <summary>The metrics every retrieval task reports, however it ranks: RSum first, the six recalls, agreement per direction, the pooled overlap@10.</summary>
    internal static IReadOnlyList<TaskMetric> MetricsOf(RetrievalScores scores, RetrievalAgreement agreement)
    {
        var (i, t) = (scores.ImageToText, scores.TextToImage);
        return [new("rSum", "RSum", scores.RSum, 1), new("i2tR1", "i→t R@1", 100 * i.At1, 1), new("i2tR5", "i→t R@5", 100 * i.At5, 1), new("i2tR10", "i→t R@10", 100 * i.At10, 1),
            new("t2iR1", "t→i R@1", 100 * t.At1, 1), new("t2iR5", "t→i R@5", 100 * t.At5, 1), new("t2iR10", "t→i R@10", 100 * t.At10, 1),
            new("agreementI2t", "agree i→t", 100 * agreement.ImageToText.Top1, 1), new("agreementT2i", "agree t→i", 100 * agreement.TextToImage.Top1, 1),
            new("overlapAt10", "overlap@10", 100 * agreement.Both.OverlapAt10, 1)];
    }

    double? ITaskResult.Score => Scores.RSum;
    double ITaskResult.Agreement => Agreement.Both.Top1;
    double? ITaskResult.Cosine => null;

    /// <summary>An image's share of the work: the image, its texts and its share of re-ranking (the item that images/s counts).</summary>
    double ITaskResult.GMacs => GMacsPerImage + GMacsPerText * Texts / Images + (GMacsRerankPerImage ?? 0);
    double? ITaskResult.ItemsPerSecond => ImagesPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ImagesPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Image–text retrieval with a dual encoder (CLIP, BLIP's contrastive heads): every image and every text embedded by the dense model and by
/// each reducer, ranked by cosine (<see cref="RetrievalRankings"/>) — and, with a <see cref="MatchReranking"/>, each
/// query's shortlist re-scored by the matching head — scored by recall at K and by agreement with the dense rankings.
/// Inputs and embeddings are held in memory.
/// </summary>
internal sealed class RetrievalEvaluation : IEvidenceEvaluation
{
    readonly IDualEncoder _model;
    readonly Embedder _image, _text;
    readonly IReadOnlyList<TowerInput> _images, _texts;
    readonly IReadOnlyList<int> _imageOfText;
    readonly MatchReranking? _rerank;

    /// <param name="model">The dense model, with an image and a text tower into one space.</param>
    /// <param name="images">Preprocessed images.</param>
    /// <param name="texts">Tokenized texts.</param>
    /// <param name="imageOfText">For each text, the index of its image; every image needs a text.</param>
    /// <param name="rerank">Null (cosine only), or the shortlist the matching head re-scores; the model must have that head.</param>
    public RetrievalEvaluation(IDualEncoder model, IReadOnlyList<TowerInput> images, IReadOnlyList<TowerInput> texts, IReadOnlyList<int> imageOfText,
        MatchReranking? rerank = null)
    {
        if (texts.Count != imageOfText.Count) throw new ArgumentException($"{texts.Count} texts but {imageOfText.Count} image indices", nameof(imageOfText));
        if (images.Count == 0) throw new ArgumentException("no images to retrieve", nameof(images));
        if (rerank != null && model is not IPairMatcher)
            throw new ArgumentException($"re-ranking needs an image–text matching head (BLIP); a {model.GetType().Name} ranks by cosine only", nameof(rerank));
        (_model, _images, _texts, _imageOfText, _rerank) = (model, images, texts, imageOfText, rerank);
        (_image, _text) = (Embedder.Image(), Embedder.Text());
        TextIds = [.. Enumerable.Range(0, texts.Count)];
    }

    /// <summary>Each text's place among the texts of the evaluation this one is a subset of (<see cref="RetrievalEvidence.TextIds"/>).</summary>
    int[] TextIds { get; init; }

    /// <summary>Image queries.</summary>
    public int Images => _images.Count;

    /// <summary>Text queries.</summary>
    public int Texts => _texts.Count;

    /// <summary>Dense, then each of <paramref name="reductions"/>: recall, agreement with dense, executed GMACs (dense first).</summary>
    /// <param name="reductions">The reducers per tower (MADTP with a temperature).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per image or text embedded (from worker threads).</param>
    public IReadOnlyList<RetrievalResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var evidence = Embed(reductions, guidance, progress);
        if (_rerank == null) return evidence.Results();
        var models = EmbeddingEvaluation.WithDense(reductions).Select(r => (IPairMatcher)_model.WithReduction(r, guidance)).ToArray();
        return evidence.Results((s, cosine) => _rerank.Rank(models[s], cosine, _images, _texts, _imageOfText));
    }

    /// <summary>Dense, then each of <paramref name="reductions"/>: every image's and text's embedding, the evidence <see cref="Evaluate"/> ranks by cosine.</summary>
    /// <exception cref="InvalidOperationException">The evaluation re-ranks: its rankings need the matching head on pairs across all images, not evidence per item.</exception>
    public RetrievalEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null) =>
        _rerank == null ? Embed(reductions, guidance, progress)
            : throw new InvalidOperationException("re-ranked retrieval scores pairs across all images with the matching head; its evidence does not split over images");

    RetrievalEvidence Embed(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress)
    {
        var all = EmbeddingEvaluation.WithDense(reductions);
        var runs = all.Select(reduction =>
        {
            var model = _model.WithReduction(reduction, guidance);
            long began = Stopwatch.GetTimestamp();
            var images = _image.Run(model, _images, progress);
            var texts = _text.Run(model, _texts, progress);
            return (Images: images, Texts: texts, Seconds: Stopwatch.GetElapsedTime(began).TotalSeconds);
        }).ToArray();
        return new RetrievalEvidence([.. all.Select(r => r.ToString())], [.. _imageOfText], TextIds,
            [.. runs.Select(r => r.Images.Embeddings)], [.. runs.Select(r => r.Texts.Embeddings)],
            [.. runs.Select(r => r.Images.Macs)], [.. runs.Select(r => r.Texts.Macs)], [.. runs.Select(r => r.Seconds)]);
    }

    /// <summary>The rankings of embedded images and texts: by cosine, then re-ranked when asked for (with its GMACs per image).</summary>
    (RetrievalRankings Rankings, double? RerankGMacs) Rank(IModel model, IReadOnlyList<TowerInput> imageInputs, IReadOnlyList<TowerInput> textInputs,
        IReadOnlyList<int> imageOfText, float[][] images, float[][] texts)
    {
        var cosine = CosineSimilarity.Matrix(images, texts, "image", "text");
        if (_rerank == null) return (RetrievalRankings.Rank(cosine, imageOfText), null);
        var (rankings, gMacs) = _rerank.Rank((IPairMatcher)model, cosine, imageInputs, textInputs, imageOfText);
        return (rankings, gMacs);
    }

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> with <see cref="InterleavedTiming"/>, dense first: one run
    /// embeds the first <paramref name="images"/> images and all their texts (and re-ranks them, when asked for).
    /// </summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int images, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        var imageInputs = _images.Take(images).ToArray();
        var textIndices = Enumerable.Range(0, Texts).Where(t => _imageOfText[t] < images).ToArray();
        var textInputs = textIndices.Select(t => _texts[t]).ToArray();
        var imageOfText = textIndices.Select(t => _imageOfText[t]).ToArray();
        var cases = EmbeddingEvaluation.WithDense(reductions).Select(r =>
        {
            var model = _model.WithReduction(r, guidance);
            if (_rerank != null)
                return () => Rank(model, imageInputs, textInputs, imageOfText, _image.Run(model, imageInputs).Embeddings, _text.Run(model, textInputs).Embeddings);
            Action embedImages = _image.Timed(model, imageInputs), embedTexts = _text.Timed(model, textInputs);
            return (Action)(() => { embedImages(); embedTexts(); });
        }).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    string ITaskEvaluation.Task => "retrieval";
    string ITaskEvaluation.ItemName => "images";
    int ITaskEvaluation.Count => Images;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Images + Texts;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);
    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Collect(reductions, guidance, progress);

    /// <summary>The chosen images, each with all its texts (in their original order).</summary>
    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items)
    {
        var (chosen, texts, imageOfText) = TaskEvaluations.ImagesWithTheirTexts(items, Images, _imageOfText);
        return new RetrievalEvaluation(_model, chosen.Select(i => _images[i]).ToArray(), texts.Select(t => _texts[t]).ToArray(), imageOfText, _rerank)
            { TextIds = [.. texts.Select(t => TextIds[t])] };
    }

    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);

    /// <summary><paramref name="results"/> with images/s and speed-up (dense, the first, ÷ each) from <see cref="Time"/>'s timings over <paramref name="images"/> images per run.</summary>
    public static IReadOnlyList<RetrievalResult> WithSpeed(IReadOnlyList<RetrievalResult> results, IReadOnlyList<Timing> timings, int images) =>
        InterleavedTiming.WithSpeed(results, timings, images, (r, perSecond, speedUp) => r with { ImagesPerSecond = perSecond, SpeedUp = speedUp });
}
