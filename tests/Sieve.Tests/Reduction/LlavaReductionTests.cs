using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Visual-token reduction in LLaVA: ToMe / CrossGET in the vision tower, VisionZip before the projector, FastV inside
/// the decoder — keeping every token is bit-identical to dense, token counts and key/value cache sizes follow the spec.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class LlavaReductionTests
{
    static readonly TinyLlava.Shape Shape = new(TextLayers: 3);

    static float[] Pixels(int seed) => Rand.Uniform(new Random(seed), 3 * Shape.ImageSize * Shape.ImageSize);

    static int Patches => Shape.Grid * Shape.Grid;

    /// <summary>The prompt's logits after a prefill, and the session's cache bytes.</summary>
    static (float[] Logits, long CacheBytes, int Visual) Prefill(LlavaModel model, float[] pixels)
    {
        var image = model.ImageFeatures(pixels);
        var (session, logits) = model.Prefill(model.PromptIds("cat?", image.Count), image);
        return (logits, session.CacheBytes, image.Count);
    }

    long BytesPerToken => 2L * Shape.KvHeads * Shape.HeadDim * sizeof(float);

    [Theory]
    [InlineData("tome:r=0")]
    [InlineData("crossget:r=0")]
    public void ATowerReducerThatMergesNothingIsBitIdenticalToDense(string spec)
    {
        using var ck = TinyLlava.Write(200, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(201);
        var dense = Prefill(model, pixels);
        var reduced = Prefill(model.WithReduction(ModelReduction.Parse(spec)), pixels);
        Assert.Equal(dense.Logits, reduced.Logits);
        Assert.Equal(dense.CacheBytes, reduced.CacheBytes);
    }

    [Theory]
    [InlineData("tome:r=3", 16 - 2 * 3)]
    [InlineData("crossget:r=2", 16 - 2 * 2)]
    public void ATowerReducerLeavesTheSpecsTokenCountAndTheCacheShrinksInProportion(string spec, int visual)
    {
        using var ck = TinyLlava.Write(202, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(203);
        var dense = Prefill(model, pixels);
        var reduced = Prefill(model.WithReduction(ModelReduction.Parse(spec)), pixels);
        Assert.Equal(Patches, dense.Visual);
        Assert.Equal(visual, reduced.Visual);
        Assert.Equal((Patches - visual) * BytesPerToken * Shape.TextLayers, dense.CacheBytes - reduced.CacheBytes);
        // Merged tokens carry their sizes to the decoder: they add up to the patches.
        var features = model.WithReduction(ModelReduction.Parse(spec)).ImageFeatures(pixels);
        Assert.Equal(Patches, features.LogSizes!.Sum(l => Math.Exp(l)), 1e-3);
    }

    [Fact]
    public void VisionZipKeepingEveryTokenIsBitIdenticalAndOtherwiseKeepsTheMostAttendedTokensAndMergesTheRest()
    {
        using var ck = TinyLlava.Write(204, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(205);
        Assert.Equal(Prefill(model, pixels).Logits, Prefill(model.WithTokenSelection(new VisionZipSpec(Patches, 3), null), pixels).Logits);

        var dense = model.ImageFeatures(pixels);
        var zipped = model.WithTokenSelection(new VisionZipSpec(5, 3), null).ImageFeatures(pixels);
        Assert.Equal(8, zipped.Count);
        Assert.Equal(8, new VisionZipSpec(5, 3).TokensFrom(Patches));
        // Contextual tokens stand for every token the dominant ones left.
        Assert.All(zipped.LogSizes![..5], l => Assert.Equal(0f, l));
        Assert.Equal(Patches - 5, zipped.LogSizes[5..].Sum(l => Math.Exp(l)), 1e-3);

        // The dominant tokens are, in image order, the 5 patches the class token attends to most (ranked here over the probe's capture of the dense tower).
        var probe = new VisionZipProbe(Shape.VisionLayers + Shape.FeatureLayer);
        var vision = model.Vision.Features(pixels, probe);
        var top = Enumerable.Range(0, Patches).OrderByDescending(p => (double)probe.ClassAttention[p]).Take(5).Order().ToArray();
        Assert.Equal(Patches, vision.Count);
        var projectedDense = dense.Features;
        for (int i = 0; i < 5; i++)
            Assert.Equal(projectedDense.AsSpan(top[i] * zipped.Width, zipped.Width).ToArray(), zipped.Features.AsSpan(i * zipped.Width, zipped.Width).ToArray());
    }

    [Fact]
    public void FastVKeepingEveryTokenOrDroppingAfterTheLastLayerIsBitIdenticalAndOtherwiseShrinksLaterLayersCaches()
    {
        using var ck = TinyLlava.Write(206, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(207);
        var dense = Prefill(model, pixels);
        Assert.Equal(dense.Logits, Prefill(model.WithTokenSelection(null, new FastVSpec(0, Patches)), pixels).Logits);
        var afterLast = Prefill(model.WithTokenSelection(null, new FastVSpec(Shape.TextLayers - 1, 4)), pixels);
        Assert.Equal(dense.Logits, afterLast.Logits);
        Assert.Equal(dense.CacheBytes, afterLast.CacheBytes);

        // Dropping after layer 0 keeps 4 visual tokens in layers 1 and 2: their caches hold 12 tokens fewer each.
        var pruned = Prefill(model.WithTokenSelection(null, new FastVSpec(0, 4)), pixels);
        Assert.Equal(2 * (Patches - 4) * BytesPerToken, dense.CacheBytes - pruned.CacheBytes);
        Assert.NotEqual(dense.Logits, pruned.Logits);
    }

    [Fact]
    public void FastVKeepsTheVisualTokensThePromptsLastTokenAttendsToMostAveragedOverHeads()
    {
        // Attention [2 heads, 5 new rows, 6 keys]: one cached key, then the new rows (row j is key 1 + j); rows 1–3 are visual.
        const int heads = 2, queries = 5, keys = 6;
        var p = new float[heads * queries * keys];
        void Row(int head, int query, params float[] values) => values.CopyTo(p.AsSpan((head * queries + query) * keys));
        // The last row gives rows 1, 2, 3 (keys 2, 3, 4) 0.50, 0.05, 0.30 in head 0 and 0.10, 0.60, 0.15 in head 1: summed
        // 0.60, 0.65, 0.45, so keeping 2 keeps rows 1 and 2. The least attended would be 3 and 1, head 0 alone 1 and 3,
        // the first row (which favours 3 and 2) 3 and 2, and keys read without the cached one's offset rows 2 and 3.
        Row(0, 4, 0.05f, 0.05f, 0.50f, 0.05f, 0.30f, 0.05f);
        Row(1, 4, 0.05f, 0.05f, 0.10f, 0.60f, 0.15f, 0.05f);
        Row(0, 0, 0.10f, 0.10f, 0.00f, 0.10f, 0.70f, 0.00f);
        Row(1, 0, 0.10f, 0.10f, 0.00f, 0.40f, 0.40f, 0.00f);
        bool[] visual = [false, true, true, true, false];
        Assert.Equal([0, 1, 2, 4], new FastVSpec(0, 2).Kept(p, heads, queries, keys, visual));
        Assert.Equal([0, 2, 4], new FastVSpec(0, 1).Kept(p, heads, queries, keys, visual));
        Assert.Equal([0, 1, 2, 3, 4], new FastVSpec(0, 3).Kept(p, heads, queries, keys, visual));
    }

    [Fact]
    public void VisionZipAfterATowerReducerSelectsFromTheMergedTokensWithTheirSizes()
    {
        using var ck = TinyLlava.Write(209, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(210);
        var tome = model.WithReduction(ModelReduction.Parse("tome:r=2"));
        // ToMe r=2 in each of the 2 vision layers run leaves 12 tokens; VisionZip keeping 12 or more is the tower's result, bit for bit.
        Assert.Equal(Prefill(tome, pixels).Logits, Prefill(tome.WithTokenSelection(new VisionZipSpec(12, 3), null), pixels).Logits);
        // A tower that merges nothing gives VisionZip the dense tower's ranking and keys.
        Assert.Equal(Prefill(model.WithTokenSelection(new VisionZipSpec(5, 3), null), pixels).Logits,
            Prefill(model.WithReduction(ModelReduction.Parse("tome:r=0")).WithTokenSelection(new VisionZipSpec(5, 3), null), pixels).Logits);

        var merged = tome.ImageFeatures(pixels);
        var zipped = tome.WithTokenSelection(new VisionZipSpec(5, 3), null).ImageFeatures(pixels);
        Assert.Equal(8, zipped.Count);
        // Every patch is accounted for once: the sizes of the 8 add up to the 16 patches, as those of the 12 did.
        Assert.Equal(Patches, zipped.LogSizes!.Sum(l => Math.Exp(l)), 1e-3);
        // The dominant 5 are, in order, the tower's tokens the class token attends to most in the feature layer, with their sizes.
        var probe = new VisionZipProbe(Shape.VisionLayers + Shape.FeatureLayer);
        Assert.Equal(12, tome.Vision.Features(pixels, probe).Count);
        Assert.Equal(12, probe.ClassAttention.Length);
        var top = Enumerable.Range(0, 12).OrderByDescending(p => (double)probe.ClassAttention[p]).Take(5).Order().ToArray();
        // The feature layer's attention is the same whether that layer then merges (r=2/2) or not (r=2/0): merged tokens get
        // their members' attention summed, so the total is kept and the unmerged tokens' values are found unchanged.
        var unmerged = new VisionZipProbe(Shape.VisionLayers + Shape.FeatureLayer);
        model.WithReduction(ModelReduction.Parse("tome:r=2/0")).Vision.Features(pixels, unmerged);
        Assert.Equal(14, unmerged.ClassAttention.Length);
        Assert.Equal(unmerged.ClassAttention.Sum(), probe.ClassAttention.Sum(), 1e-5);
        Assert.True(probe.ClassAttention.Count(a => unmerged.ClassAttention.Contains(a)) >= 10);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(merged.Features.AsSpan(top[i] * merged.Width, merged.Width).ToArray(), zipped.Features.AsSpan(i * zipped.Width, zipped.Width).ToArray());
            Assert.Equal(merged.LogSizes![top[i]], zipped.LogSizes![i]);
        }
    }

    [Fact]
    public void VisionZipMergesContextualTokensAsSizeWeightedMeansOfWhatTheyStandFor()
    {
        // Four tokens of sizes 1, 3, 2, 2; the second is the most attended. Keeping 1 dominant and 1 contextual, the other
        // three merge into the first of them (the only target): (1·x0 + 2·x2 + 2·x3) / 5, size 5; the dominant keeps size 3.
        float[] x = [1, 10, 2, 20, 3, 30, 4, 40];
        float[] logSizes = [0, MathF.Log(3), MathF.Log(2), MathF.Log(2)];
        var selected = new VisionZipSpec(1, 1).Select(TokenContext.Of(x, 4, 2, logSizes), [0.1f, 0.5f, 0.2f, 0.2f], [1, 0, 0, 1, 1, 1, 1, 0], 2);
        Assert.Equal(2, selected.Count);
        Assert.Equal([2f, 20f], selected.Features[..2]);
        Assert.Equal(MathF.Log(3), selected.LogSizes![0]);
        Assert.Equal((1 * 1 + 2 * 3 + 2 * 4) / 5.0, selected.Features[2], 1e-6);
        Assert.Equal((1 * 10 + 2 * 30 + 2 * 40) / 5.0, selected.Features[3], 1e-5);
        Assert.Equal(Math.Log(5), selected.LogSizes[1], 1e-6);
    }

    [Fact]
    public void VisualTokenSelectionSpecsParseAndBadOnesAreNamed()
    {
        Assert.True(VisualTokenSelection.TryParse("visionzip:dominant=54,contextual=10", out var zip, out var fastV));
        Assert.Equal(new VisionZipSpec(54, 10), zip);
        Assert.Null(fastV);
        Assert.True(VisualTokenSelection.TryParse("fastv:layer=2,keep=144", out zip, out fastV));
        Assert.Equal(new FastVSpec(2, 144), fastV);
        Assert.False(VisualTokenSelection.TryParse("tome:r=8", out _, out _));
        Assert.Contains("fastv has no parameter 'r'", Assert.Throws<ArgumentException>(() => VisualTokenSelection.TryParse("fastv:r=2", out _, out _)).Message);
        using var ck = TinyLlava.Write(208, Shape);
        var model = LlavaModel.Load(ck.Directory);
        Assert.Contains("layer must lie in 0…2", Assert.Throws<ArgumentException>(() => model.WithTokenSelection(null, new FastVSpec(3, 4))).Message);
        Assert.Equal(("tome:r=2", new VisionZipSpec(4, 2), new FastVSpec(1, 3)), VisualTokenSelection.Parse("tome:r=2 + visionzip:dominant=4,contextual=2+fastv:layer=1,keep=3"));
        Assert.Equal((null, new VisionZipSpec(), null), VisualTokenSelection.Parse("visionzip"));
        Assert.Equal(("crossget:r=1", null, null), VisualTokenSelection.Parse("crossget:r=1"));
        Assert.Contains("a tower reducer is given twice", Assert.Throws<ArgumentException>(() => VisualTokenSelection.Parse("tome:r=1+crossget:r=1")).Message);
        Assert.Contains("visionzip is given twice", Assert.Throws<ArgumentException>(() => VisualTokenSelection.Parse("visionzip+visionzip:dominant=3")).Message);
        Assert.Contains("a part joined by '+' is empty", Assert.Throws<ArgumentException>(() => VisualTokenSelection.Parse("tome:r=1+")).Message);
    }
}
