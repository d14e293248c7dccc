using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Eval;

/// <summary>BLIP's re-ranking of the cosine shortlist by its matching head, against a float64 re-ranking written from BLIP's evaluation.</summary>
public sealed class MatchRerankingTests
{
    static readonly string[] Captions = ["a cat", "a photo of a cat", "two dogs", "the dog on the sofa", "a photo", "the sofa", "two cats", "a dog"];

    [Fact]
    public void RetrievalReRanksEachQuerysShortlistByMatchLogitPlusCosine()
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(521, shape);
        var model = BlipModel.Load(ck.Directory);
        double[] W(string name) => ck[name];
        const int images = 4, k = 2;
        var pixels = Enumerable.Range(0, images).Select(i => ImageTokens.ExamplePixels(i + 7, shape.ImageSize)).ToArray();
        var ids = Captions.Select(c => model.Tokenize(c).Ids).ToArray();
        int[] imageOf = [.. Enumerable.Range(0, Captions.Length).Select(t => t / 2)];
        var evaluation = new RetrievalEvaluation(model, pixels.Select(p => TowerInput.Image(p, shape.ImageSize)).ToArray(),
            ids.Select(TowerInput.Text).ToArray(), imageOf, new MatchReranking(k));

        var results = evaluation.Evaluate([ModelReduction.Parse("none")]);

        // The reference: cosine in float64; per query, its k best by cosine re-scored as ITM logit + cosine, ranked first.
        var states = pixels.Select(p => BlipReference.ImageStates(W, shape, Ref64.ToDouble(p))).ToArray();
        var imageEmbeddings = states.Select(s => BlipReference.ImageEmbedding(W, shape, s)).ToArray();
        var textEmbeddings = ids.Select(i => BlipReference.TextEmbedding(W, shape, i)).ToArray();
        double Cos(int i, int t) => BlipReference.ContrastiveScore(imageEmbeddings[i], textEmbeddings[t]);
        double Logit(int i, int t) => BlipReference.MatchLogits(W, shape, ids[t], states[i])[1];
        int Best(IEnumerable<int> candidates, Func<int, double> cosine, Func<int, double> logit)
        {
            var shortlist = candidates.OrderByDescending(cosine).ThenBy(c => c).Take(k).ToList();
            return shortlist.OrderByDescending(c => logit(c) + cosine(c)).ThenBy(c => c).First();
        }
        double imageR1 = Enumerable.Range(0, images).Count(i => imageOf[Best(Enumerable.Range(0, Captions.Length), t => Cos(i, t), t => Logit(i, t))] == i) / (double)images;
        double textR1 = Enumerable.Range(0, Captions.Length).Count(t => Best(Enumerable.Range(0, images), i => Cos(i, t), i => Logit(i, t)) == imageOf[t]) / (double)Captions.Length;
        double cosineTextR1 = Enumerable.Range(0, Captions.Length).Count(t => Enumerable.Range(0, images).OrderByDescending(i => Cos(i, t)).ThenBy(i => i).First() == imageOf[t]) / (double)Captions.Length;

        // Whole top lists: the shortlist by logit + cosine, then every other candidate by cosine.
        List<int> Order(IEnumerable<int> candidates, Func<int, double> cosine, Func<int, double> logit)
        {
            var byCosine = candidates.OrderByDescending(cosine).ThenBy(c => c).ToList();
            return [.. byCosine.Take(k).OrderByDescending(c => logit(c) + cosine(c)).ThenBy(c => c), .. byCosine.Skip(k)];
        }
        var imageFeatures = pixels.Select(p => model.EncodeImage(TowerInput.Image(p, shape.ImageSize))).ToArray();
        var textFeatures = ids.Select(i => model.Text.Encode(i)).ToArray();
        var (rankings, _) = new MatchReranking(k).Rank(model, CosineSimilarity.Matrix(imageFeatures, textFeatures),
            pixels.Select(p => TowerInput.Image(p, shape.ImageSize)).ToArray(), ids.Select(TowerInput.Text).ToArray(), imageOf);
        for (int i = 0; i < images; i++)
            Assert.Equal(Order(Enumerable.Range(0, Captions.Length), t => Cos(i, t), t => Logit(i, t)), rankings.ImageQueries[i]);
        for (int t = 0; t < Captions.Length; t++)
            Assert.Equal(Order(Enumerable.Range(0, images), i => Cos(i, t), i => Logit(i, t)), rankings.TextQueries[t]);

        var metrics = ((ITaskResult)results[1]).Metrics.ToDictionary(m => m.Key, m => m.Value);
        Assert.Equal(100 * imageR1, metrics["i2tR1"], 1e-9);
        Assert.Equal(100 * textR1, metrics["t2iR1"], 1e-9);
        Assert.NotEqual(cosineTextR1, textR1); // the re-ranking changes the answer here: the check has teeth
        // The re-scoring is counted: one image forward with its tokens and one fused text forward per shortlisted pair.
        Assert.True(metrics["gMacsRerank"] > 0);
    }

    [Fact]
    public void AHandComputedReRanking()
    {
        // 3 images × 3 texts (text t belongs to image t), K = 2.
        double[,] cosine = { { 0.9, 0.8, 0.1 }, { 0.2, 0.6, 0.5 }, { 0.3, 0.4, 0.7 } };
        // Matching logits: for image 0, the logit alone would put text 1 ahead of text 0 (1.05 > 1.0); + cosine reverses it (1.9 > 1.85).
        double[,] logit = { { 1.0, 1.05, -3.0 }, { 0.0, 0.5, 2.0 }, { -1.0, 0.0, 0.1 } };
        var asked = new List<(int Image, int[] Texts)>();
        var (rankings, gMacs) = new MatchReranking(2).Rank(cosine, [0, 1, 2], (i, texts) =>
        {
            lock (asked) asked.Add((i, texts));
            return (texts.Select(t => (float)logit[i, t]).ToArray(), 1000L * texts.Length);
        });

        // Shortlists by cosine: image 0 → {0, 1}, image 1 → {1, 2}, image 2 → {2, 1}; text 0 → {0, 2}, text 1 → {0, 1},
        // text 2 → {2, 1}. Each image is scored with its own shortlist and the texts that shortlisted it:
        // image 0 {0, 1}; image 1 {1, 2} (texts 1 and 2 add nothing new); image 2 {1, 2} + text 0 → {0, 1, 2}.
        Assert.Equal([[0, 1], [1, 2], [0, 1, 2]], asked.OrderBy(a => a.Image).Select(a => a.Texts));
        Assert.Equal(1000.0 * (2 + 2 + 3) / 3 / 1e9, gMacs, 1e-15);
        // Image 0: text 0 → 1.0 + 0.9 = 1.9 ahead of text 1 → 1.05 + 0.8 = 1.85; then text 2 by cosine.
        Assert.Equal([0, 1, 2], rankings.ImageQueries[0]);
        // Image 1: text 2 → 2.5 ahead of text 1 → 1.1; then text 0.
        Assert.Equal([2, 1, 0], rankings.ImageQueries[1]);
        // Image 2: text 2 → 0.8, text 1 → 0.4; then text 0 (scored for text 0's query, not in this shortlist).
        Assert.Equal([2, 1, 0], rankings.ImageQueries[2]);
        // Text 0: image 0 → 1.9, image 2 → −0.7; then image 1.
        Assert.Equal([0, 2, 1], rankings.TextQueries[0]);
        // Text 1: image 0 → 1.85, image 1 → 1.1; then image 2.
        Assert.Equal([0, 1, 2], rankings.TextQueries[1]);
        // Text 2: image 1 → 2.5, image 2 → 0.8; then image 0.
        Assert.Equal([1, 2, 0], rankings.TextQueries[2]);
    }

    [Fact]
    public void ReRankingIsRefusedForAModelWithoutAMatchingHead()
    {
        using var ck = TinyModels.Clip(522, Sieve.Weights.DType.F32);
        var clip = ClipModel.Load(ck.Directory);
        var error = Assert.Throws<ArgumentException>(() => new RetrievalEvaluation(clip, [TowerInput.Image(new float[3 * 32 * 32], 32)],
            [TowerInput.Text([0, 1])], [0], new MatchReranking(3)));
        Assert.Contains("needs an image–text matching head (BLIP)", error.Message);
    }
}
