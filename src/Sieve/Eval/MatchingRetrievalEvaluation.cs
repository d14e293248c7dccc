using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>One reducer's image–text retrieval result with a fusion model's matching head.</summary>
/// <param name="Reducer">The spec as run.</param>
/// <param name="Images">Images (image queries).</param>
/// <param name="Texts">Texts (text queries).</param>
/// <param name="Pairs">Distinct (image, text) pairs scored, each one forward.</param>
/// <param name="Scores">Recall at 1, 5, 10 both ways, each query over its own candidates.</param>
/// <param name="Agreement">Top-1 agreement and overlap@10 with the dense model's rankings, per direction and pooled.</param>
/// <param name="GMacsPerPair">Mean multiply-adds per pair as executed (fusion tower and matching head), in billions.</param>
/// <param name="ImagesPerSecond">Measured throughput, each image with its pairs; null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record MatchingRetrievalResult(string Reducer, int Images, int Texts, int Pairs, RetrievalScores Scores, RetrievalAgreement Agreement,
    double GMacsPerPair, double? ImagesPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    int ITaskResult.Items => Images;
    IReadOnlyList<TaskMetric> ITaskResult.Metrics => [.. RetrievalResult.MetricsOf(Scores, Agreement), new("gMacsPerPair", "GMACs/pair", GMacsPerPair, 3)];
    double? ITaskResult.Score => Scores.RSum;
    double ITaskResult.Agreement => Agreement.Both.Top1;
    double? ITaskResult.Cosine => null;

    /// <summary>An image's share of the work: all pairs spread over the image queries (the item that images/s counts).</summary>
    double ITaskResult.GMacs => GMacsPerPair * Pairs / Images;
    double? ITaskResult.ItemsPerSecond => ImagesPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ImagesPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Image–text retrieval with a fusion model that has a matching head but no contrastive one (ViLT): each pair is one
/// forward of the fusion tower, so every query is ranked over a bounded candidate list rather than all of the other
/// side. An image query's candidates are all its own texts plus <see cref="Negatives"/> texts of other images; a text
/// query's are its image plus <see cref="Negatives"/> other images. Negatives are drawn uniformly without replacement
/// (all the others when there are fewer), by one <see cref="Random"/> seeded with <see cref="Seed"/>: image queries in
/// order, then text queries. Each distinct pair of the union is scored once per reducer (its matching logit) and
/// serves every query it is a candidate of; rankings, recall and agreement then come from
/// <see cref="RetrievalRankings"/> over the candidates (ties to the lower index). Forwards per reducer
/// (<see cref="Pairs"/>) ≈ images × texts per image + negatives × (images + texts): linear in the subset for a fixed
/// number of negatives, but n × m pairs when the negatives cover everything. Inputs are held in memory, preprocessed.
/// </summary>
internal sealed class MatchingRetrievalEvaluation : ITaskEvaluation
{
    /// <summary>Negatives per query by default: text queries rank 16 images, COCO image queries 20 texts, so R@10 is not a given.</summary>
    public const int DefaultNegatives = 15;

    readonly ViltModel _model;
    readonly IReadOnlyList<TowerInput> _images, _texts;
    readonly int[] _imageOfText;
    readonly (int Image, int Text)[] _pairs;
    readonly TowerInput[] _pairInputs;
    readonly Embedder _match = Embedder.Matches();

    /// <param name="model">The dense model, with a matching head.</param>
    /// <param name="images">Preprocessed images (<see cref="TowerInput.Image(float[], int, int)"/>).</param>
    /// <param name="texts">Tokenized texts (<see cref="TowerInput.Text"/>).</param>
    /// <param name="imageOfText">For each text, the index of its image; every image needs a text.</param>
    /// <param name="negatives">Candidates per query besides its own (at least 0).</param>
    /// <param name="seed">Seeds the draw of the negatives.</param>
    public MatchingRetrievalEvaluation(ViltModel model, IReadOnlyList<TowerInput> images, IReadOnlyList<TowerInput> texts, IReadOnlyList<int> imageOfText,
        int negatives = DefaultNegatives, int seed = 0)
    {
        if (!model.HasMatchHead) throw new ArgumentException("retrieval with a fusion model needs its image–text matching head (ViLT's rank_output)", nameof(model));
        if (images.Count == 0) throw new ArgumentException("no images to retrieve", nameof(images));
        if (texts.Count != imageOfText.Count) throw new ArgumentException($"{texts.Count} texts but {imageOfText.Count} image indices", nameof(imageOfText));
        ArgumentOutOfRangeException.ThrowIfNegative(negatives);
        if (imageOfText.Where(i => i < 0 || i >= images.Count).Select(i => (int?)i).FirstOrDefault() is { } outside)
            throw new ArgumentException($"a text belongs to image {outside}, outside the {images.Count} images", nameof(imageOfText));
        if (Enumerable.Range(0, images.Count).Except(imageOfText).Any()) throw new ArgumentException("an image has no text: its query cannot be scored", nameof(imageOfText));
        (_model, _images, _texts, _imageOfText, Negatives, Seed) = (model, images, texts, [.. imageOfText], negatives, seed);

        var random = new Random(seed);
        TextCandidates = Draw(images.Count, texts.Count, (i, t) => _imageOfText[t] == i, random);
        ImageCandidates = Draw(texts.Count, images.Count, (t, i) => _imageOfText[t] == i, random);
        var pairs = new SortedSet<(int, int)>();
        for (int i = 0; i < images.Count; i++) foreach (int t in TextCandidates[i]) pairs.Add((i, t));
        for (int t = 0; t < texts.Count; t++) foreach (int i in ImageCandidates[t]) pairs.Add((i, t));
        _pairs = [.. pairs];
        _pairInputs = Array.ConvertAll(_pairs, p => PairInput(p.Image, p.Text));
    }

    /// <summary>Image queries.</summary>
    public int Images => _images.Count;

    /// <summary>Text queries.</summary>
    public int Texts => _texts.Count;

    /// <summary>Candidates per query besides its own.</summary>
    public int Negatives { get; }

    /// <summary>The seed of the negatives' draw.</summary>
    public int Seed { get; }

    /// <summary>Distinct pairs scored per reducer: the forwards one reducer costs.</summary>
    public int Pairs => _pairs.Length;

    /// <summary>Per image query, its candidate texts, ascending: its own and its negatives.</summary>
    public IReadOnlyList<int[]> TextCandidates { get; }

    /// <summary>Per text query, its candidate images, ascending: its own and its negatives.</summary>
    public IReadOnlyList<int[]> ImageCandidates { get; }

    /// <summary>Dense, then each of <paramref name="reductions"/>: recall, agreement with dense, executed GMACs per pair (dense first).</summary>
    /// <param name="reductions">The reducers (ViLT's one fusion tower takes one spec).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per pair scored (from worker threads).</param>
    public IReadOnlyList<MatchingRetrievalResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var results = new List<MatchingRetrievalResult>();
        RetrievalRankings? dense = null;
        foreach (var reduction in EmbeddingEvaluation.WithDense(reductions))
        {
            var (scores, macs) = _match.Run(_model.WithReduction(reduction, guidance), _pairInputs, progress);
            // Pairs no query has among its candidates stay NaN: RetrievalRankings never reads them.
            var similarity = new float[Images, Texts];
            for (int i = 0; i < Images; i++) for (int t = 0; t < Texts; t++) similarity[i, t] = float.NaN;
            for (int p = 0; p < _pairs.Length; p++) similarity[_pairs[p].Image, _pairs[p].Text] = scores[p][0];
            var rankings = RetrievalRankings.Rank(similarity, _imageOfText, TextCandidates, ImageCandidates);
            dense ??= rankings;
            results.Add(new MatchingRetrievalResult(reduction.ToString(), Images, Texts, Pairs, rankings.Scores(), rankings.AgreementWith(dense), Embedder.GMacs(macs)));
        }
        return results;
    }

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> with <see cref="InterleavedTiming"/>, dense first: one run
    /// scores every pair (of <see cref="Pairs"/>) whose image is among the first <paramref name="images"/>.
    /// </summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int images, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        var inputs = _pairInputs.Where((_, p) => _pairs[p].Image < images).ToArray();
        var cases = EmbeddingEvaluation.WithDense(reductions).Select(r => _match.Timed(_model.WithReduction(r, guidance), inputs)).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    string ITaskEvaluation.Task => "retrieval";
    string ITaskEvaluation.ItemName => "images";
    int ITaskEvaluation.Count => Images;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Pairs;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);

    /// <summary>The chosen images, each with all its texts (in their original order), negatives drawn afresh among them with the same count and seed.</summary>
    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items)
    {
        var (chosen, texts, imageOfText) = TaskEvaluations.ImagesWithTheirTexts(items, Images, _imageOfText);
        return new MatchingRetrievalEvaluation(_model, chosen.Select(i => _images[i]).ToArray(), texts.Select(t => _texts[t]).ToArray(),
            imageOfText, Negatives, Seed);
    }

    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);

    TowerInput PairInput(int image, int text)
    {
        var (pixels, ids) = (_images[image], _texts[text]);
        return TowerInput.Pair(ids.Ids ?? throw new ArgumentException($"text {text} has no token ids"),
            pixels.Pixels ?? throw new ArgumentException($"image {image} has no pixels"), pixels.Height, pixels.Width);
    }

    /// <summary>Per query, its own candidates and <see cref="Negatives"/> others drawn by a partial Fisher–Yates shuffle, ascending.</summary>
    int[][] Draw(int queries, int pool, Func<int, int, bool> own, Random random)
    {
        var lists = new int[queries][];
        for (int q = 0; q < queries; q++)
        {
            var others = Enumerable.Range(0, pool).Where(c => !own(q, c)).ToArray();
            int take = Math.Min(Negatives, others.Length);
            for (int j = 0; j < take; j++)
            {
                int k = random.Next(j, others.Length);
                (others[j], others[k]) = (others[k], others[j]);
            }
            lists[q] = [.. Enumerable.Range(0, pool).Where(c => own(q, c)).Concat(others.Take(take)).Order()];
        }
        return lists;
    }
}
