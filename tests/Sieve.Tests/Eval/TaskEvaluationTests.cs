using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Eval;

/// <summary>The shape every task shares: subsets for tuning's splits, and measuring with speed.</summary>
public sealed class TaskEvaluationTests
{
    static TowerInput[] Images(int count, int seed)
    {
        var random = new Random(seed);
        int size = TinyModels.ClipImage;
        return Enumerable.Range(0, count).Select(_ => TowerInput.Image(Enumerable.Range(0, 3 * size * size).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray(), size)).ToArray();
    }

    static TowerInput[] Texts(int count, int seed)
    {
        var random = new Random(seed);
        // 49406 / 49407 are not in the tiny vocabulary: ids are 1 (start), words in 3..59, then 2 (the end token, eos_token_id).
        return Enumerable.Range(0, count).Select(_ => TowerInput.Text([1, .. Enumerable.Range(0, random.Next(2, 8)).Select(_ => random.Next(3, TinyModels.ClipVocab)), 2])).ToArray();
    }

    static readonly ModelReduction[] Reducers = [ModelReduction.Parse("tome:r=3"), ModelReduction.Parse("vision=crossget:r=4;text=tome:r=2")];

    [Fact]
    public void ARetrievalSubsetIsTheRetrievalOfThoseImagesWithAllTheirTextsRenumbered()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        var clip = ClipModel.Load(ck.Directory);
        var images = Images(5, 1);
        var texts = Texts(9, 2);
        int[] imageOfText = [0, 0, 1, 2, 2, 2, 3, 4, 4];
        ITaskEvaluation full = new RetrievalEvaluation(clip, images, texts, imageOfText);

        // Images 3 and 0, in that order: their texts keep their order (0, 1, 6), image 3 becomes image 0.
        var subset = full.Subset([3, 0]);
        var byHand = new RetrievalEvaluation(clip, [images[3], images[0]], [texts[0], texts[1], texts[6]], [1, 1, 0]);
        Assert.Equal(2, subset.Count);
        Assert.Equal(5, subset.StepsPerReducer);
        Assert.Equal(Json(((ITaskEvaluation)byHand).Evaluate(Reducers)), Json(subset.Evaluate(Reducers)));
    }

    [Fact]
    public void AClassifierSubsetScoresOnlyTheChosenImagesWithTheirOwnLabels()
    {
        using var ck = TinyModels.Vit(31, DType.F32);
        var vit = VitModel.Load(ck.Directory);
        var random = new Random(4);
        int pixels = 3 * vit.Config.ImageSize * vit.Config.ImageSize;
        var inputs = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, pixels).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        int[] labels = [0, 1, 2, 0, 1, 2];
        ITaskEvaluation full = new ClassifierEvaluation(vit, inputs, labels);

        var subset = full.Subset([4, 1, 5]);
        ITaskEvaluation byHand = new ClassifierEvaluation(vit, [inputs[4], inputs[1], inputs[5]], [1, 1, 2]);
        Assert.Equal(3, subset.Count);
        Assert.Equal(Json(byHand.Evaluate(Reducers.Take(1).ToArray())), Json(subset.Evaluate(Reducers.Take(1).ToArray())));
    }

    [Fact]
    public void SubsetsRefuseIndicesOutsideTheItemsRepeatsAndNothing()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        ITaskEvaluation evaluation = new EmbeddingEvaluation(ClipModel.Load(ck.Directory), Embedder.Image(), Images(3, 1));
        Assert.Contains("item 3 is outside the 3 items", Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.Subset([0, 3])).Message);
        Assert.Contains("item 1 is chosen twice", Assert.Throws<ArgumentException>(() => evaluation.Subset([1, 2, 1])).Message);
        Assert.Throws<ArgumentException>(() => evaluation.Subset([]));
    }

    [Fact]
    public void MeasureGivesEveryRowItsSpeedAndKeepsItsMetrics()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        ITaskEvaluation evaluation = new EmbeddingEvaluation(ClipModel.Load(ck.Directory), Embedder.Image(), Images(4, 1));
        int steps = 0;
        var rows = evaluation.Measure(Reducers, speed: new SpeedOptions(items: 2, rounds: 3, warmupRounds: 0), progress: () => Interlocked.Increment(ref steps));
        Assert.Equal(3 * 4, steps);
        Assert.Equal(["none", .. Reducers.Select(r => r.ToString())], rows.Select(r => r.Reducer));
        Assert.All(rows, r => Assert.True(r.ItemsPerSecond > 0 && r.SpeedUp > 0));
        Assert.Equal(1.0, rows[0].SpeedUp);
        Assert.Equal(1.0, rows[0].Cosine!.Value, 12);
        Assert.Null(rows[0].Score);
        var plain = evaluation.Evaluate(Reducers);
        Assert.Equal(plain.Select(r => r.Metrics.Select(m => m.Value)), rows.Select(r => r.Metrics.Select(m => m.Value)));
    }

    [Fact]
    public void RetrievalGMacsPerItemAreAnImageWithItsShareOfTheTexts()
    {
        var r = new RetrievalResult("none", 2, 6, new RetrievalScores(new Recall(0.5, 1, 1), new Recall(0.25, 0.5, 1)),
            new RetrievalAgreement(new RankingAgreement(2, 2, 2), new RankingAgreement(6, 6, 6), new RankingAgreement(8, 8, 8)), GMacsPerImage: 4, GMacsPerText: 0.5);
        ITaskResult shared = r;
        Assert.Equal(4 + 0.5 * 3, shared.GMacs);
        Assert.Equal(100 * (0.5 + 1 + 1 + 0.25 + 0.5 + 1), shared.Score);
        Assert.Equal(shared.Score, shared.Metrics[0].Value);
    }

    [Fact]
    public void CalibrateTurnsAComputeTargetIntoATemperatureThatMeetsItOnTheFirstItems()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        ITaskEvaluation evaluation = new EmbeddingEvaluation(ClipModel.Load(ck.Directory), Embedder.Image(), Images(6, 1));
        var calibrated = evaluation.Calibrate(ModelReduction.Parse("vision=madtp:target=0.9"), items: 4);
        var vision = Assert.IsType<MadtpSpec>(calibrated.Vision);
        Assert.False(vision.NeedsCalibration);
        Assert.True(calibrated.Text.IsNone);

        // Measured independently on the same 4 items: the executed GMACs per item at that temperature, over dense's.
        var first4 = evaluation.Subset([0, 1, 2, 3]);
        var rows = first4.Evaluate([calibrated]);
        Assert.InRange(rows[1].GMacs / rows[0].GMacs, 0.9 * 0.98, 0.9 * 1.02);

        var plain = ModelReduction.Parse("tome:r=2");
        Assert.Same(plain, evaluation.Calibrate(plain));
        Assert.Contains("two different compute targets",
            Assert.Throws<ArgumentException>(() => evaluation.Calibrate(ModelReduction.Parse("vision=madtp:target=0.8;text=madtp:target=0.6"))).Message);
    }

    internal static string Json(IReadOnlyList<ITaskResult> rows) =>
        string.Join("\n", rows.Select(r => $"{r.Reducer} {r.Items} {r.Agreement:R} {r.GMacs:R} {string.Join(" ", r.Metrics.Select(m => $"{m.Name}={m.Value:R}"))}"));
}
