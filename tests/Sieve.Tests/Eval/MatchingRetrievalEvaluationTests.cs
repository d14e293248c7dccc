using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Eval;

/// <summary>
/// Retrieval with a tiny generated ViLT's matching head, against matching scores computed pair by pair here and ranked by
/// hand code (higher first, the lower index on a tie).
/// </summary>
public sealed class MatchingRetrievalEvaluationTests
{
    // 4 images, 8 texts: image 0 owns three, image 3 one.
    static readonly int[] ImageOfText = [0, 0, 0, 1, 1, 2, 2, 3];

    static (TowerInput[] Images, TowerInput[] Texts) Inputs()
    {
        var random = new Random(9);
        (int H, int W)[] sizes = [(32, 32), (32, 40), (32, 32), (40, 32)];
        var images = sizes.Select(s => TowerInput.Image(Rand.Uniform(random, 3 * s.H * s.W), s.H, s.W)).ToArray();
        var texts = ImageOfText.Select((_, t) => TowerInput.Text(
            [TinyVilt.Id("[CLS]"), .. Enumerable.Range(0, 2 + t % 5).Select(_ => random.Next(5, 23)), TinyVilt.Id("[SEP]")])).ToArray();
        return (images, texts);
    }

    /// <summary>Every pair's matching logit, one forward each.</summary>
    static float[,] Scores(ViltModel model, TowerInput[] images, TowerInput[] texts)
    {
        var scores = new float[images.Length, texts.Length];
        for (int i = 0; i < images.Length; i++)
            for (int t = 0; t < texts.Length; t++)
                scores[i, t] = model.MatchScore(new ViltInput(texts[t].Ids!, images[i].Pixels!, images[i].Height, images[i].Width));
        return scores;
    }

    static int[] Ranked(IEnumerable<int> candidates, Func<int, float> score) => candidates.OrderByDescending(score).ThenBy(c => c).ToArray();

    /// <summary>Each query's ranked candidates: image queries first, then text queries.</summary>
    static int[][] Rankings(float[,] s, IReadOnlyList<int[]> textCandidates, IReadOnlyList<int[]> imageCandidates) =>
    [
        .. textCandidates.Select((c, i) => Ranked(c, t => s[i, t])),
        .. imageCandidates.Select((c, t) => Ranked(c, i => s[i, t])),
    ];

    /// <summary>R@1, 5, 10 of image queries then text queries, in [0, 1], from hand-ranked lists.</summary>
    static double[] Recalls(int[][] rankings, int images)
    {
        bool Hit(int q, int k) => q < images
            ? rankings[q].Take(k).Any(t => ImageOfText[t] == q)
            : rankings[q].Take(k).Contains(ImageOfText[q - images]);
        double Share(int from, int count, int k) => Enumerable.Range(from, count).Count(q => Hit(q, k)) / (double)count;
        int texts = rankings.Length - images;
        return [Share(0, images, 1), Share(0, images, 5), Share(0, images, 10), Share(images, texts, 1), Share(images, texts, 5), Share(images, texts, 10)];
    }

    static double[] Recalls(MatchingRetrievalResult r) =>
        [r.Scores.ImageToText.At1, r.Scores.ImageToText.At5, r.Scores.ImageToText.At10, r.Scores.TextToImage.At1, r.Scores.TextToImage.At5, r.Scores.TextToImage.At10];

    static readonly ModelReduction Tome = ModelReduction.Parse("tome:r=3");

    [Fact]
    public void WithNegativesCoveringEverythingEveryQueryRanksTheWholeOtherSide()
    {
        using var ck = TinyVilt.Write(131, new TinyVilt.Shape(Answers: 0));
        var model = ViltModel.Load(ck.Directory);
        var (images, texts) = Inputs();
        var evaluation = new MatchingRetrievalEvaluation(model, images, texts, ImageOfText, negatives: 100);
        Assert.Equal(4 * 8, evaluation.Pairs);
        Assert.All(evaluation.TextCandidates, c => Assert.Equal(Enumerable.Range(0, 8), c));
        Assert.All(evaluation.ImageCandidates, c => Assert.Equal(Enumerable.Range(0, 4), c));

        var rows = evaluation.Evaluate([ModelReduction.None, Tome]);
        var dense = Rankings(Scores(model, images, texts), evaluation.TextCandidates, evaluation.ImageCandidates);
        var reduced = Rankings(Scores(model.WithReduction(Tome), images, texts), evaluation.TextCandidates, evaluation.ImageCandidates);
        Assert.Equal(Recalls(dense, 4), Recalls(rows[0]));
        Assert.Equal(Recalls(reduced, 4), Recalls(rows[2]));
        int same = dense.Zip(reduced).Count(p => p.First[0] == p.Second[0]);
        Assert.True(same < 12, "the reducer must change some top-1, or the agreement check proves nothing");
        Assert.Equal(same / 12.0, rows[2].Agreement.Both.Top1, 12);
        Assert.Equal((1.0, 1.0), (rows[0].Agreement.Both.Top1, rows[0].Agreement.Both.OverlapAt10));
        Assert.Equal(TaskEvaluationTests.Json([rows[0]]), TaskEvaluationTests.Json([rows[1]]));
    }

    [Fact]
    public void EachQueryRanksItsOwnAnswersAndSeededNegativesAndEachDistinctPairRunsOnce()
    {
        using var ck = TinyVilt.Write(132, new TinyVilt.Shape(Answers: 0));
        var model = ViltModel.Load(ck.Directory);
        var (images, texts) = Inputs();
        var evaluation = new MatchingRetrievalEvaluation(model, images, texts, ImageOfText, negatives: 2, seed: 7);

        // Own answers all there, exactly two others, ascending.
        for (int i = 0; i < 4; i++)
        {
            var c = evaluation.TextCandidates[i];
            Assert.Equal(Enumerable.Range(0, 8).Where(t => ImageOfText[t] == i), c.Where(t => ImageOfText[t] == i));
            Assert.Equal(2, c.Count(t => ImageOfText[t] != i));
            Assert.Equal(c.Order(), c);
        }
        for (int t = 0; t < 8; t++)
        {
            var c = evaluation.ImageCandidates[t];
            Assert.Equal(3, c.Length);
            Assert.Contains(ImageOfText[t], c);
            Assert.Equal(c.Distinct().Order(), c);
        }
        var again = new MatchingRetrievalEvaluation(model, images, texts, ImageOfText, negatives: 2, seed: 7);
        Assert.Equal(evaluation.TextCandidates, again.TextCandidates);
        Assert.Equal(evaluation.ImageCandidates, again.ImageCandidates);
        var reseeded = new MatchingRetrievalEvaluation(model, images, texts, ImageOfText, negatives: 2, seed: 8);
        Assert.NotEqual(evaluation.ImageCandidates, reseeded.ImageCandidates);

        var pairs = evaluation.TextCandidates.SelectMany((c, i) => c.Select(t => (i, t)))
            .Union(evaluation.ImageCandidates.SelectMany((c, t) => c.Select(i => (i, t)))).ToArray();
        Assert.Equal(pairs.Length, evaluation.Pairs);
        Assert.True(pairs.Length < 4 * 8);

        var rows = evaluation.Evaluate([Tome]);
        var dense = Rankings(Scores(model, images, texts), evaluation.TextCandidates, evaluation.ImageCandidates);
        var reduced = Rankings(Scores(model.WithReduction(Tome), images, texts), evaluation.TextCandidates, evaluation.ImageCandidates);
        Assert.Equal(Recalls(dense, 4), Recalls(rows[0]));
        Assert.Equal(Recalls(reduced, 4), Recalls(rows[1]));
        Assert.Equal(dense.Zip(reduced).Count(p => p.First[0] == p.Second[0]) / 12.0, rows[1].Agreement.Both.Top1, 12);

        // Executed multiply-adds: each distinct pair once, at its own text length and image grid; an image query's share of them all.
        double perPair = pairs.Average(p => model.MatchMacs(texts[p.t].Ids!.Length, images[p.i].Height / 8, images[p.i].Width / 8)) / 1e9;
        Assert.Equal(perPair, rows[0].GMacsPerPair, 15);
        Assert.Equal(perPair * pairs.Length / 4, ((ITaskResult)rows[0]).GMacs, 15);
        Assert.True(rows[1].GMacsPerPair < rows[0].GMacsPerPair);
    }

    [Fact]
    public void ASubsetIsAFreshEvaluationOfThoseImagesWithTheirTexts()
    {
        using var ck = TinyVilt.Write(133);
        var model = ViltModel.Load(ck.Directory);
        var (images, texts) = Inputs();
        ITaskEvaluation full = new MatchingRetrievalEvaluation(model, images, texts, ImageOfText, negatives: 1, seed: 3);
        var subset = full.Subset([3, 1]);
        ITaskEvaluation byHand = new MatchingRetrievalEvaluation(model, [images[3], images[1]], [texts[3], texts[4], texts[7]], [1, 1, 0], negatives: 1, seed: 3);
        Assert.Equal((2, "retrieval", "images"), (subset.Count, subset.Task, subset.ItemName));
        Assert.Equal(byHand.StepsPerReducer, subset.StepsPerReducer);
        Assert.Equal(TaskEvaluationTests.Json(byHand.Evaluate([Tome])), TaskEvaluationTests.Json(subset.Evaluate([Tome])));

        int steps = 0;
        var rows = full.Measure([Tome], speed: new SpeedOptions(items: 2, rounds: 2, warmupRounds: 0), progress: () => Interlocked.Increment(ref steps));
        Assert.Equal(2 * full.StepsPerReducer, steps);
        Assert.All(rows, r => Assert.True(r.ItemsPerSecond > 0 && r.SpeedUp > 0));
        Assert.Equal(rows[0].Score, rows[0].Metrics[0].Value);
    }

    [Fact]
    public void AModelWithoutAMatchingHeadIsRefused()
    {
        using var vqaOnly = TinyVilt.Write(134, new TinyVilt.Shape(Match: false));
        var (images, texts) = Inputs();
        var e = Assert.Throws<ArgumentException>(() => new MatchingRetrievalEvaluation(ViltModel.Load(vqaOnly.Directory), images, texts, ImageOfText));
        Assert.Contains("matching head", e.Message);
    }
}
